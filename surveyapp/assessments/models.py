"""One self-assessment per region per round, and its answers."""

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ForeignKey, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import CleanString, CleanText, JSONType, StateEnum, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round


class AssessmentState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    changes_requested = "changes_requested"
    validated = "validated"

    @property
    def label(self) -> LazyString:
        """The state's name for people, in the reader's language (translated when shown)."""
        return _STATE_NAMES[self]


#: Every allowed move: (from, to) -> name of the step. Anything else is refused.
TRANSITIONS: dict[tuple[AssessmentState, AssessmentState], str] = {
    (AssessmentState.draft, AssessmentState.submitted): "submit",
    (AssessmentState.changes_requested, AssessmentState.submitted): "submit",
    (AssessmentState.submitted, AssessmentState.under_review): "start_review",
    (AssessmentState.under_review, AssessmentState.changes_requested): "request_changes",
    (AssessmentState.under_review, AssessmentState.validated): "validate",
}


#: The states' names for people (translated when shown).
_STATE_NAMES = {
    AssessmentState.draft: _l("Draft"),
    AssessmentState.submitted: _l("Submitted"),
    AssessmentState.under_review: _l("Under review"),
    AssessmentState.changes_requested: _l("Changes requested"),
    AssessmentState.validated: _l("Validated"),
}


#: States whose answers count in scores and benchmarks: submitted by the region and not sent
#: back for changes. Drafts never count.
COUNTED_STATES = (
    AssessmentState.submitted,
    AssessmentState.under_review,
    AssessmentState.validated,
)


class InvalidTransition(ValueError):
    """A state change the workflow does not allow."""


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("region_id", "round_id"),)
    #: The states in which the region's officers may change their answers.
    EDITABLE_BY_REGION = (AssessmentState.draft, AssessmentState.changes_requested)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The region that answers.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    #: The round (and so the questionnaire version) answered.
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    #: Workflow position; change it only through the transition methods.
    state: Mapped[AssessmentState] = mapped_column(
        StateEnum(AssessmentState),
        default=AssessmentState.draft,
    )
    #: Incremented on every change of the row, so concurrent writers notice each other.
    version: Mapped[int] = mapped_column(default=1)
    #: When the assessment was started.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the region last submitted it (None while a first draft).
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the state last changed.
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The expert who took the assessment into review (None until then).
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Whether the region agreed to be named in shared reports, benchmarks seen by other
    #: regions and the good-practice library. Not named unless it said yes.
    consent_named: Mapped[bool] = mapped_column(default=False, server_default=false())

    region: Mapped[Region] = relationship()
    round: Mapped[Round] = relationship()
    reviewer: Mapped[User | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        order_by="Answer.id",
        foreign_keys="Answer.assessment_id",
    )

    __mapper_args__ = {"version_id_col": version}

    def __init__(self, **kwargs):
        # The state machine needs a state before the first flush.
        kwargs.setdefault("state", AssessmentState.draft)
        kwargs.setdefault("state_changed_at", utcnow())
        kwargs.setdefault("consent_named", False)
        super().__init__(**kwargs)

    @property
    def is_editable_by_region(self) -> bool:
        return self.state in self.EDITABLE_BY_REGION

    def can_move_to(self, target: AssessmentState) -> bool:
        return (self.state, target) in TRANSITIONS

    def _move(self, target: AssessmentState) -> None:
        if not self.can_move_to(target):
            raise InvalidTransition(f"an assessment cannot go from {self.state} to {target}")
        self.state = target
        self.state_changed_at = utcnow()

    def submit(self) -> None:
        self._move(AssessmentState.submitted)
        self.submitted_at = self.state_changed_at

    def start_review(self) -> None:
        self._move(AssessmentState.under_review)

    def request_changes(self) -> None:
        self._move(AssessmentState.changes_requested)

    def validate(self) -> None:
        self._move(AssessmentState.validated)

    def __repr__(self) -> str:
        return f"<Assessment {self.id} region={self.region_id} round={self.round_id} {self.state}>"


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment the answer belongs to.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    #: The questionnaire item's stable id.
    item_id: Mapped[str] = mapped_column(CleanString(100))
    #: The id of the item's section (copied from the questionnaire): the section page reads
    #: its own section's answers only.
    section_id: Mapped[str] = mapped_column(CleanString(100))
    #: The value in the item type's JSON form (number, string, list, true/false or "na").
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    #: The officers' comment on the item (context, caveats), shown to reviewers.
    comment: Mapped[str | None] = mapped_column(CleanText)
    #: Why the item does not apply (required with a "not applicable" answer; experts judge it).
    na_reason: Mapped[str | None] = mapped_column(CleanText)
    #: Evidence for the answer: a document link or a reference (asked for at levels 3-5 and
    #: a scored "yes"; a missing one is a warning at submit, never a block).
    evidence: Mapped[str | None] = mapped_column(CleanText)
    #: Who changed it last.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was changed last.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Incremented on every change; a save based on an older version is refused.
    version: Mapped[int] = mapped_column(default=1)
    #: Carry forward: the region's earlier assessment this answer was copied from, while the
    #: answer is the copy unchanged (a change of its value, reason or evidence clears it).
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL")
    )
    #: When it was copied (None: not a copy).
    carried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When an officer confirmed the copied answer for this round (None: not yet confirmed).
    carry_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assessment: Mapped[Assessment] = relationship(
        back_populates="answers", foreign_keys=[assessment_id]
    )
    updated_by: Mapped[User | None] = relationship()
    carried_from: Mapped[Assessment | None] = relationship(foreign_keys=[carried_from_id])

    @property
    def is_carried(self) -> bool:
        """Copied from an earlier round and unchanged since."""
        return self.carried_from_id is not None

    @property
    def is_unconfirmed_carry(self) -> bool:
        """Copied from an earlier round, unchanged, and not yet confirmed by an officer."""
        return self.carried_from_id is not None and self.carry_confirmed_at is None

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Answer {self.assessment_id}/{self.item_id} v{self.version}>"


class FormStash(db.Model):
    """Answers posted while the session had ended, kept until the officer signs in again."""

    __tablename__ = "form_stashes"

    #: Random key, also kept in the (new) session cookie of the browser that posted.
    token: Mapped[str] = mapped_column(CleanString(64), primary_key=True)
    #: The section page the answers belong to.
    path: Mapped[str] = mapped_column(CleanString(300))
    #: Who was signed in when the session ended: only they get the answers back.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The posted form fields as [name, value] pairs (the CSRF token left out).
    data: Mapped[list] = mapped_column(JSONType)
    #: When it was kept; stashes older than a week are purged.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def state_label(value) -> str:
    """A workflow state stored as text (in an audit event), named for people; else the text."""
    if value is None:
        return ""
    try:
        return str(AssessmentState(value).label)
    except ValueError:
        return str(value)


class SectionAssignment(db.Model):
    """Who of the region's officers does a section of the response (at most one each)."""

    __tablename__ = "section_assignments"
    __table_args__ = (UniqueConstraint("assessment_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[str] = mapped_column(CleanString(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SectionPresence(db.Model):
    """When an officer last saved an answer in a section: who else has it open now
    (refreshed by the autosave's requests, read by the section page)."""

    __tablename__ = "section_presence"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[str] = mapped_column(CleanString(100), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

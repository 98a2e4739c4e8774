"""Who does what: the sections of a response shared out between the region's officers.

Each section is assigned to at most one officer of the region; each officer sees "assigned to
you" on the home page, the overview and the section itself. Who else is at work in a section
now is read and written by the section page and the autosave (assessments.seam).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment, SectionAssignment
from surveyapp.assessments.operations import NotEditable, ensure_editable, lock_for_writing
from surveyapp.assessments.permissions import can_edit
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User, region_memberships
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.rounds.models import Round, RoundState


class SharingError(FieldError):
    """Sections cannot be assigned as asked; the message says why."""


def colleagues(assessment: Assessment) -> list[User]:
    """The region's active officers, who may be given a section, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(region_memberships, region_memberships.c.user_id == User.id)
            .where(
                region_memberships.c.region_id == assessment.region_id,
                User.role == Role.officer,
                User.active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


def assignments(assessment: Assessment) -> dict[str, SectionAssignment]:
    """Section id -> its assignment, to one of the region's active officers (a section given
    to someone deactivated since, or moved to another region, is given to nobody)."""
    people = {user.id for user in colleagues(assessment)}
    return {
        a.section_id: a
        for a in db.session.scalars(
            select(SectionAssignment)
            .options(joinedload(SectionAssignment.user))
            .where(SectionAssignment.assessment_id == assessment.id)
        )
        if a.user_id in people
    }


def assign_sections(actor: User, assessment: Assessment, chosen: dict[str, int | None]) -> int:
    """Give each section of ``chosen`` to the officer of that id (None: to nobody); returns how
    many changed. Each change is an audit event of the response.

    :raises SharingError: the actor may not change the response, a section is not the
        questionnaire's, or an officer is not one of the region's.
    """
    if not can_edit(actor, assessment):
        raise SharingError(
            _l("Sections can be shared out only while the region may change its response.")
        )
    # One sharing-out of a response at a time: two at once would both add a section's row.
    lock_for_writing(assessment)
    try:
        ensure_editable(assessment)  # as the lock read it again: not submitted meanwhile
    except NotEditable as error:
        raise SharingError(
            _l("Sections can be shared out only while the region may change its response.")
        ) from error
    sections = {s.id for s in assessment.round.questionnaire.parsed.sections}
    people = {user.id: user for user in colleagues(assessment)}
    # Everything checked before any row changes: a refusal leaves nothing half done.
    for section_id, user_id in chosen.items():
        if section_id not in sections:
            raise SharingError(_l("Choose sections of this questionnaire."), section_id)
        if user_id is not None and user_id not in people:
            raise SharingError(_l("Choose one of the region's officers."), section_id)
    rows = {
        a.section_id: a
        for a in db.session.scalars(
            select(SectionAssignment).where(SectionAssignment.assessment_id == assessment.id)
        )
    }
    changed = 0
    for section_id, user_id in chosen.items():
        row = rows.get(section_id)
        # Given to someone no longer an active officer of the region: given to nobody.
        current = row.user_id if row is not None and row.user_id in people else None
        if current == user_id:
            continue
        before = people[current].name if current is not None else None
        if user_id is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(
                SectionAssignment(
                    assessment_id=assessment.id,
                    section_id=section_id,
                    user_id=user_id,
                    assigned_by_id=actor.id,
                )
            )
        else:
            row.user_id, row.assigned_by_id = user_id, actor.id
        log_event(
            "section.assigned",
            "assessment",
            assessment.id,
            user=actor,
            assessment_id=assessment.id,
            old_value={"section": section_id, "user": before, "user_id": current},
            new_value={
                "section": section_id,
                "user": people[user_id].name if user_id is not None else None,
                "user_id": user_id,
            },
        )
        changed += 1
    return changed


def assigned_to(user: User) -> list[tuple[SectionAssignment, Assessment]]:
    """The sections assigned to ``user`` in responses the region may still change, in open
    rounds (the home page's "assigned to you")."""
    rows = db.session.execute(
        select(SectionAssignment, Assessment)
        .join(Assessment, Assessment.id == SectionAssignment.assessment_id)
        .join(Round, Round.id == Assessment.round_id)
        .options(joinedload(Assessment.region), joinedload(Assessment.round))
        .where(
            SectionAssignment.user_id == user.id,
            Assessment.region_id.in_(user.region_ids),
            Round.state == RoundState.open,
            Assessment.state.in_(Assessment.EDITABLE_BY_REGION),
        )
        .order_by(Assessment.id, SectionAssignment.section_id)
    ).all()
    return [(assignment, assessment) for assignment, assessment in rows]

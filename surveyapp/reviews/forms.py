"""The forms of the review pages. The section page writes its inputs itself (several small
forms per question); these validate and convert what they send. The queue's filters come from
its query string."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import AnyOf, Length, ValidationError

from surveyapp.assessments.models import AssessmentState
from surveyapp.forms import ANY, UNKNOWN_CHOICE, FilterForm, IdField, country_field, stripped
from surveyapp.i18n import label
from surveyapp.questionnaires.types import MaxLength
from surveyapp.regions.models import RegionCategory
from surveyapp.regions.partnerships import THEMATIC_PARTNERSHIPS
from surveyapp.reviews.queries import ACCEPTED, REJECTED, QueueFilters
from surveyapp.rounds.models import Round

COMMENT_LIMIT = 5000
REMARK_LIMIT = 10000


class ScoreField(StringField):
    """A score from 0 to 100 as typed: ``data`` keeps the text (shown again when the form is
    refused), ``number`` is the score (None: left empty, the score is withdrawn). Whether it is
    within 0-100 is the operation's rule."""

    number: float | None = None

    def pre_validate(self, form) -> None:
        text = (self.data or "").strip()
        try:
            self.number = float(text) if text else None
        except ValueError:
            raise ValidationError(_l("Give a score from 0 to 100.")) from None


def rationale_field(label) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[stripped],
        validators=[
            Length(
                max=COMMENT_LIMIT,
                message=_l("Shorten the rationale to %(num)d characters.", num=COMMENT_LIMIT),
            )
        ],
    )


class ReviewStepForm(FlaskForm):
    """Which of the section page's forms was sent (``form``), and for which item."""

    class Meta:
        csrf = False  # it only reads which form to validate; that form checks the token

    form = HiddenField(default="")
    item = HiddenField(default="")


class ScoreForm(FlaskForm):
    """An item's moderated score (empty: withdrawn) and why it differs."""

    score = ScoreField(_l("Your score (0-100)"))
    rationale = rationale_field(_l("Rationale (required when your score differs)"))


class DecisionForm(FlaskForm):
    """Accept or reject the region's "not applicable" (empty: the decision withdrawn)."""

    decision = StringField(
        _l("Does the question apply to the region?"),
        default="",
        validators=[
            AnyOf(
                [ACCEPTED, REJECTED, ""],
                message=_l("Accept or reject the region's “not applicable”."),
            )
        ],
    )
    score = ScoreField(_l("Your score if you reject (0-100)"))
    rationale = rationale_field(_l("Rationale (required when you reject)"))


class ConfirmForm(FlaskForm):
    """Confirm the region's answer unchanged (``confirmed`` "0": withdraw the confirmation).

    ``replaces``: the moderated score the page showed, which confirming withdraws ("": none);
    a score given since (another tab, another expert) is never withdrawn unseen.
    """

    confirmed = HiddenField(default="1")
    replaces = HiddenField(default=None)

    @property
    def replaced_score(self) -> float | None:
        """The score the page showed; None: none (or a post that does not say)."""
        try:
            return float(self.replaces.data)
        except (TypeError, ValueError):
            return None


class CommentForm(FlaskForm):
    """A message in an item's thread."""

    body = TextAreaField(_l("Comment"), default="", validators=[MaxLength(COMMENT_LIMIT)])


class RemarkForm(FlaskForm):
    """The expert's remark on a section (empty: removed)."""

    remark = TextAreaField(_l("Remark"), default="", validators=[MaxLength(REMARK_LIMIT)])


class RequestChangesForm(FlaskForm):
    """The covering message of a request for changes."""

    message = TextAreaField(
        _l("Message to the region"), default="", validators=[MaxLength(COMMENT_LIMIT)]
    )


class ResolveForm(FlaskForm):
    """Mark a comment resolved (``resolved`` "0": open it again)."""

    resolved = HiddenField(default="1")


#: The section page's forms by the name its ``form`` input sends (a score by default).
STEP_FORMS: dict[str, type[FlaskForm]] = {
    "remark": RemarkForm,
    "comment": CommentForm,
    "decision": DecisionForm,
    "confirm": ConfirmForm,
    "score": ScoreForm,
}


class QueueFilterForm(FilterForm):
    """The review queue's filters: ``?round=`` (the newest round by default), ``?state=``,
    ``?country=``, ``?category=`` and ``?partnership=``."""

    round = IdField(_l("Round"), validate_choice=True, invalid_choice_message=UNKNOWN_CHOICE)
    state = SelectField(
        _l("State"),
        default="",
        # A first draft is never in the queue.
        choices=[
            ANY,
            *(
                SelectChoice(state.value, label(state))
                for state in AssessmentState
                if state != AssessmentState.draft
            ),
        ],
        invalid_choice_message=UNKNOWN_CHOICE,
    )
    country = country_field()
    category = SelectField(
        _l("Category of region"),
        default="",
        choices=[ANY, *(SelectChoice(c.value, label(c)) for c in RegionCategory)],
        invalid_choice_message=UNKNOWN_CHOICE,
    )
    partnership = SelectField(
        _l("Thematic Partnership"),
        default="",
        choices=[
            ANY,
            *(
                SelectChoice(slug, name)
                for slug, (_platform, name) in THEMATIC_PARTNERSHIPS.items()
            ),
        ],
        invalid_choice_message=UNKNOWN_CHOICE,
    )

    def __init__(self, rounds: list[Round]):
        """:param rounds: every round, oldest first (the newest is the default)."""
        super().__init__(round=rounds[-1].id if rounds else None)
        self.round.choices = [SelectChoice(str(r.id), r.name) for r in reversed(rounds)]

    def filters(self) -> QueueFilters:
        """What review_queue takes (call after validate: a refused value is no filter)."""
        return QueueFilters(
            round_id=self.round.data,
            country=self.country.data or None,
            state=self.state.data or None,
            category=self.category.data or None,
            partnership=self.partnership.data or None,
        )

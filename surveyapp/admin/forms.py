from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from surveyapp.audit.queries import EventFilters
from surveyapp.auth.models import Role
from surveyapp.auth.operations import is_email_address
from surveyapp.auth.queries import UserFilters, find_user_by_email
from surveyapp.extensions import db
from surveyapp.forms import ANY, UNKNOWN_CHOICE, FilterForm, at_most, stripped
from surveyapp.i18n import label
from surveyapp.rounds.models import Round

#: How much of a search the users list reads (a part of a name, email or region).
SEARCH_LIMIT = 200


def one_line(form, field) -> None:
    """Refuses text that is not on one line (control characters, line separators): names go
    into email subjects and reports."""
    text = field.data or ""
    if any(ord(char) < 32 for char in text) or len(text.splitlines()) > 1:
        raise ValidationError(_l("Write it on one line."))


class RegionGroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    codes = TextAreaField(
        _l("Regions"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l("NUTS codes of the member regions, separated by spaces, commas or lines."),
        render_kw={"rows": 4},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=2000)],
        description=_l("Optional: why these regions are compared with each other."),
        render_kw={"rows": 2},
    )


class RoundForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), one_line])
    questionnaire = SelectField(_l("Questionnaire version"), coerce=int)
    # InputRequired, not DataRequired: a date that is no date ("2028-02-30") keeps its own
    # message ("Not a valid date value."), not "This field is required."
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])
    reference_date = DateField(
        _l("Reference date"),
        validators=[Optional()],
        description=_l(
            "The day the answers describe: counts cover the 12 months before it, and "
            "size-relative targets use the population of its year. Empty: the closing day."
        ),
    )

    def validate_name(self, field):
        if db.session.scalar(select(Round.id).filter_by(name=field.data.strip())) is not None:
            raise ValidationError(_l("A round with this name already exists."))

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The round cannot close before it opens."))

    def validate_reference_date(self, field):
        if field.data and self.closes_on.data and field.data > self.closes_on.data:
            raise ValidationError(reference_date_after_close(self.closes_on.data))


def reference_date_after_close(closes_on) -> str:
    """The message at the reference date's field when it comes after the round closes."""
    return _(
        "The reference date cannot come after the round closes (%(date)s): its counts would "
        "cover months no answer can know.",
        date=format_date(closes_on),
    )


class ReferenceDateForm(FlaskForm):
    """Change a round's reference date (empty: the day it closes)."""

    reference_date = DateField(
        _l("Reference date"),
        validators=[Optional()],
        description=_l(
            "The day the answers describe: counts cover the 12 months before it, and "
            "size-relative targets use the population of its year. Empty: the closing day."
        ),
    )


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200), one_line])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(Role.officer.value, _l("Regional officer")),
            SelectChoice(Role.expert.value, _l("Working-group expert")),
            SelectChoice(Role.admin.value, _l("Administrator")),
        ],
    )
    codes = TextAreaField(
        _l("Regions"),
        validators=[Length(max=2000)],
        description=_l("For officers: NUTS codes of their regions, separated by spaces or commas."),
        render_kw={"rows": 2},
    )

    def validate_email(self, field):
        """Checked here as well as by create_user, so that every field's message shows at once
        (the address's came only after the regions' was mended)."""
        if not is_email_address(field.data or ""):
            raise ValidationError(_l("This is not an email address."))
        if find_user_by_email(field.data) is not None:
            raise ValidationError(_l("An account with this email already exists."))


class EditUserForm(UserForm):
    email = None  # an account's email does not change here


class UserFilterForm(FilterForm):
    """The users list's filters: ``?q=`` (part of a name, email or region), ``?role=``,
    ``?status=`` (active or deactivated)."""

    q = SearchField(_l("Name, email or region"), filters=[stripped, at_most(SEARCH_LIMIT)])
    role = SelectField(
        _l("Role"),
        default="",
        choices=[ANY, *(SelectChoice(role.value, label(role)) for role in Role)],
        invalid_choice_message=UNKNOWN_CHOICE,
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            ANY,
            SelectChoice("active", _l("Active")),
            SelectChoice("deactivated", _l("Deactivated")),
        ],
        invalid_choice_message=UNKNOWN_CHOICE,
    )

    def filters(self) -> UserFilters:
        """What find_users takes (call after validate: a refused value is no filter)."""
        return UserFilters(
            text=self.q.data or None,
            role=Role(self.role.data) if self.role.data else None,
            active={"active": True, "deactivated": False}.get(self.status.data),
        )


class EraseUserForm(FlaskForm):
    """Typing the account's email confirms an erasure, which cannot be undone."""

    confirm = StringField(_l("Type the account's email to confirm"), validators=[DataRequired()])

    def __init__(self, email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def validate_confirm(self, field) -> None:
        if field.data.strip().lower() != self.email:
            raise ValidationError(_l("This is not the account's email."))


class AuditFilterForm(FilterForm):
    """The audit log's filters: ``?kind=`` (round, user, answer...), ``?q=`` (part of a name
    or email of who did it), ``?page=``."""

    kind = SelectField(_l("Kind of event"), default="", invalid_choice_message=UNKNOWN_CHOICE)
    q = SearchField(_l("Who (name or email)"), filters=[stripped, at_most(SEARCH_LIMIT)])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=100_000)])

    def __init__(self, kinds: list[str], **defaults):
        super().__init__(**defaults)
        self.kind.choices = [ANY, *(SelectChoice(kind, kind) for kind in kinds)]

    def filters(self) -> EventFilters:
        """What find_events takes (call after validate: a refused value is no filter)."""
        return EventFilters(kind=self.kind.data or None, text=self.q.data or None)

    def page_number(self) -> int:
        return self.page.data if not self.page.errors and self.page.data else 1

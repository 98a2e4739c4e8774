"""Translatable names for the values users see (states, roles, categories)."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from surveyapp.actions.models import ActionStatus
from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.regions.models import MacroRegionalStrategy, PartnershipRole, RegionCategory
from surveyapp.rounds.models import RoundState

LABELS = {
    AssessmentState.draft: _l("Draft"),
    AssessmentState.submitted: _l("Submitted"),
    AssessmentState.under_review: _l("Under review"),
    AssessmentState.changes_requested: _l("Changes requested"),
    AssessmentState.validated: _l("Validated"),
    RoundState.planned: _l("Planned"),
    RoundState.open: _l("Open"),
    RoundState.closed: _l("Closed"),
    Role.officer: _l("Regional officer"),
    Role.expert: _l("Working-group expert"),
    Role.admin: _l("Administrator"),
    ActionStatus.planned: _l("Planned"),
    ActionStatus.in_progress: _l("In progress"),
    ActionStatus.done: _l("Done"),
    ActionStatus.dropped: _l("Dropped"),
    RegionCategory.less_developed: _l("Less developed region"),
    RegionCategory.transition: _l("Transition region"),
    RegionCategory.more_developed: _l("More developed region"),
    PartnershipRole.lead: _l("Lead region"),
    PartnershipRole.member: _l("Member"),
    MacroRegionalStrategy.eusbsr: _l("EU Strategy for the Baltic Sea Region (EUSBSR)"),
    MacroRegionalStrategy.eusdr: _l("EU Strategy for the Danube Region (EUSDR)"),
    MacroRegionalStrategy.eusair: _l("EU Strategy for the Adriatic and Ionian Region (EUSAIR)"),
    MacroRegionalStrategy.eusalp: _l("EU Strategy for the Alpine Region (EUSALP)"),
}


def label(value) -> str:
    """The user-facing name of an enum value (falls back to the value itself)."""
    return LABELS.get(value, str(value))


def state_label(value) -> str:
    """A workflow state stored as text in an audit event, named for people; else the text."""
    if value is None:
        return ""
    try:
        return str(label(AssessmentState(value)))
    except ValueError:
        return str(value)


def current_lang() -> str:
    """The language of the current request ("en" when none is chosen)."""
    return str(get_locale() or "en")

"""How stored reports react to changes other features make (their blinker signals).

Connected when the app is created (``create_app`` imports this module), so that a change made
from a page, the CLI or the API alike is seen.
"""

from __future__ import annotations

from surveyapp.assessments.models import Assessment
from surveyapp.assessments.signals import consent_withdrawn
from surveyapp.rounds.models import Round
from surveyapp.rounds.signals import scores_release_changed


@consent_withdrawn.connect
def forget_reports_of_round(assessment: Assessment, **_) -> None:
    """Stored reports of the round may name the region: none of them is served any more."""
    from surveyapp.reporting.store import forget_rendered  # pandas: only when it happens

    forget_rendered(assessment.round_id)


@scores_release_changed.connect
def forget_reports_for_officers(round_: Round, **_) -> None:
    """Officers' and published reports of this round and of later ones (their trends) change:
    every stored report is dropped."""
    from surveyapp.reporting.store import forget_rendered

    forget_rendered()

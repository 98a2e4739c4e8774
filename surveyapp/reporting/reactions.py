"""How stored reports react to changes other features make (their blinker signals).

Connected when the app is created (``create_app`` imports this module), so that a change made
from a page, the CLI or the API alike is seen.
"""

from __future__ import annotations

from surveyapp.assessments.models import Assessment
from surveyapp.assessments.signals import consent_withdrawn


@consent_withdrawn.connect
def forget_reports_of_round(assessment: Assessment, **_) -> None:
    """Stored reports of the round may name the region: none of them is served any more."""
    from surveyapp.reporting.store import forget_rendered  # pandas: only when it happens

    forget_rendered(assessment.round_id)

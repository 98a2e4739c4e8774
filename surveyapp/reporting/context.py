"""Plain data for the reports, built from the benchmarking engine and the reviews."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from surveyapp.actions.queries import region_plan
from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.extensions import db
from surveyapp.labels import label
from surveyapp.practices.models import GoodPractice
from surveyapp.regions.models import Region
from surveyapp.reviews.models import SectionRemark
from surveyapp.rounds.models import Round


def region_report_context(
    region: Region, round_: Round, lang: str, column: str, officer_view: bool = False
) -> dict:
    """Everything the region report shows, as plain data (strings, numbers, lists, SVG)."""
    from surveyapp.analysis.dashboard import region_dashboard

    with force_locale(lang):
        data = region_dashboard(region, round_, lang, column, officer_view)
        assessment = db.session.scalar(
            select(Assessment).filter_by(region_id=region.id, round_id=round_.id)
        )
        definition = round_.questionnaire.parsed
        sections = {s.id: s.localized("title", lang) for s in definition.sections}
        remarks = []
        practices = []
        if assessment is not None:
            remarks = [
                {"section": sections.get(r.section_id, r.section_id), "body": r.body}
                for r in db.session.scalars(
                    select(SectionRemark).filter_by(assessment_id=assessment.id)
                )
            ]
            practices = [
                {"title": p.title, "summary": p.summary, "tags": list(p.tags or [])}
                for p in db.session.scalars(
                    select(GoodPractice).filter_by(assessment_id=assessment.id)
                )
            ]
        plan = [
            {
                "title": a.title,
                "status": str(label(a.status)),
                "owner": a.owner or "",
                "target": a.target_round.name if a.target_round else "",
            }
            for a in region_plan(region)
        ]
        validated = assessment is not None and assessment.state == AssessmentState.validated
        return data | {
            "title": definition.localized("title", lang),
            "questionnaire_label": round_.questionnaire.label,
            "validated": validated,
            "state_label": str(label(assessment.state)) if assessment else "",
            "remarks": remarks,
            "practices": practices,
            "plan": plan,
            "threshold": current_app.config["MIN_GROUP_SIZE"],
            "snapshot": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "moderated": column == "moderated",
        }

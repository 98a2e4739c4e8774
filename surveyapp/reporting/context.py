"""Plain data for the reports, built from the benchmarking engine and the reviews."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from surveyapp.actions.queries import region_plan
from surveyapp.analysis import charts
from surveyapp.analysis.dashboard import country_name, region_dashboard, working_group_dashboard
from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.challenges.queries import categories, round_counts
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
                    select(SectionRemark)
                    .filter_by(assessment_id=assessment.id)
                    .order_by(SectionRemark.section_id, SectionRemark.id)
                )
            ]
            practices = [
                {"title": p.title, "summary": p.summary, "tags": list(p.tags or [])}
                for p in db.session.scalars(
                    select(GoodPractice)
                    .filter_by(assessment_id=assessment.id)
                    .order_by(GoodPractice.title, GoodPractice.id)
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


#: Rows per heat-map chart in the working-group report: one chart fits one page.
HEAT_MAP_ROWS_PER_PAGE = 30


def published_practices(round_: Round, lang: str) -> list[dict]:
    """Good practices of the round that anyone may read: validated, and the region agreed."""
    query = (
        select(GoodPractice, Region)
        .join(Assessment, Assessment.id == GoodPractice.assessment_id)
        .join(Region, Region.id == Assessment.region_id)
        .where(
            Assessment.round_id == round_.id,
            Assessment.state == AssessmentState.validated,
            Assessment.consent_named.is_(True),
        )
        .order_by(Region.country, Region.code, GoodPractice.title)
    )
    return [
        {
            "title": practice.title,
            "summary": practice.summary,
            "region": f"{region.name} ({region.code})",
            "country": country_name(region.country, lang),
            "tags": list(practice.tags or []),
        }
        for practice, region in db.session.execute(query)
    ]


def tagged_challenges(round_: Round, lang: str) -> dict:
    """Regions per challenge category (the experts' tags), in all and per critical aspect."""
    per_category, by_aspect = round_counts(round_.id)
    aspects = [(g.id, g.localized("title", lang)) for g in round_.questionnaire.parsed.aspects]
    rows = [
        {
            "label": category.name,
            "regions": per_category[category.id],
            "by_aspect": [by_aspect.get((category.id, key), 0) for key, _ in aspects],
        }
        for category in categories()
        if per_category.get(category.id)
    ]
    rows.sort(key=lambda row: (-row["regions"], row["label"]))
    return {"aspects": [name for _, name in aspects], "rows": rows}


def _paged_heat_maps(heat_map: dict) -> list:
    """The heat map cut into charts of one page each (an SVG cannot break across pages)."""
    rows, size = heat_map["rows"], HEAT_MAP_ROWS_PER_PAGE
    return [
        charts.heat_map(
            [row["label"] for row in rows[start : start + size]],
            heat_map["columns"],
            [row["values"] for row in rows[start : start + size]],
            _(
                "Critical-aspect scores per region, %(first)d to %(last)d of %(total)d",
                first=start + 1,
                last=min(start + size, len(rows)),
                total=len(rows),
            ),
            _(
                "One row per region, one column per critical aspect; darker is higher. "
                "Regions that did not agree to be named are numbered."
            ),
        )
        for start in range(0, len(rows), size)
    ]


def working_group_report_context(
    round_: Round, lang: str, column: str, released_only: bool = False
) -> dict:
    """The aggregated report of a round as plain data; no region is named without consent."""
    with force_locale(lang):
        data = working_group_dashboard(round_, lang, column, released_only)
        definition = round_.questionnaire.parsed
        return data | {
            "title": definition.localized("title", lang),
            "questionnaire_label": round_.questionnaire.label,
            "charts": data["charts"] | {"heat_maps": _paged_heat_maps(data["heat_map"])},
            "tagged": tagged_challenges(round_, lang),
            "practices": published_practices(round_, lang),
            "snapshot": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "moderated": column == "moderated",
        }


def response_report_context(assessment: Assessment, lang: str) -> dict:
    """The region's whole response: every shown question with its answer, evidence, comments."""
    from surveyapp.assessments.operations import answer_map
    from surveyapp.questionnaires.types import is_web_url

    with force_locale(lang):
        definition = assessment.round.questionnaire.parsed
        answers = answer_map(assessment)
        values = {item_id: answer.value for item_id, answer in answers.items()}
        remarks: dict[str, list[str]] = {}
        for remark in db.session.scalars(
            select(SectionRemark)
            .filter_by(assessment_id=assessment.id)
            .order_by(SectionRemark.section_id, SectionRemark.id)
        ):
            remarks.setdefault(remark.section_id, []).append(remark.body)
        sections = []
        for section in definition.sections:
            items = []
            for item in section.items:
                if not item.is_visible(values):
                    continue
                answer = answers.get(item.id)
                value = answer.value if answer else None
                entries = value if item.type == "url_list" and isinstance(value, list) else []
                links = [url for url in entries if is_web_url(url)]
                others = [text for text in entries if not is_web_url(text)]
                shown = "\n".join(others) if entries else None
                items.append(
                    {
                        "id": item.id,
                        "text": item.localized("text", lang),
                        "answer": shown
                        if shown is not None
                        else item.question_type.display(item, value, lang),
                        "links": links,
                        "comment": (answer.comment or "") if answer else "",
                        "changed": answer.updated_at.strftime("%Y-%m-%d") if answer else "",
                    }
                )
            sections.append(
                {
                    "id": section.id,
                    "title": section.localized("title", lang),
                    "items": items,
                    "remarks": remarks.get(section.id, []),
                }
            )
        submitted = assessment.submitted_at
        return {
            "title": definition.localized("title", lang),
            "questionnaire_label": assessment.round.questionnaire.label,
            "region": {"code": assessment.region.code, "name": assessment.region.name},
            "round": assessment.round.name,
            "state_label": str(label(assessment.state)),
            "submitted": submitted.strftime("%Y-%m-%d %H:%M UTC") if submitted else "",
            "consent_named": bool(assessment.consent_named),
            "sections": sections,
            "contents": [(section["id"], section["title"]) for section in sections],
            "snapshot": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }

"""Plain data for the reports, built from the benchmarking engine and the reviews.

Every report ends with the methodology annex (:func:`method_annex`): enough, with the round's
CSV export, to recompute every score it shows (METHOD §9).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from surveyapp.actions.queries import region_plan
from surveyapp.analysis import charts, queries, scoring
from surveyapp.analysis.dashboard import (
    QUARTILES_FROM,
    c7_dimensions,
    country_name,
    heat_map_description,
    labels_of,
    region_dashboard,
    working_group_dashboard,
)
from surveyapp.assessments.models import Assessment, AssessmentState, state_label
from surveyapp.challenges.queries import categories, category_label, round_counts
from surveyapp.db import as_utc
from surveyapp.extensions import db
from surveyapp.i18n import label
from surveyapp.numbers import format_number
from surveyapp.practices.models import GoodPractice
from surveyapp.regions.models import Region
from surveyapp.reviews.models import SectionRemark
from surveyapp.rounds.models import Round, RoundState
from surveyapp.rounds.queries import (
    closing_record_taken_at,
    population_used,
    validated_when_closed,
)


def _printed_now() -> str:
    """When the report is printed, in the report's language and the application's time zone,
    with the zone named (a reader elsewhere knows which hour it is)."""
    return format_datetime(datetime.now(UTC), "long")


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
        counted = _validated_ids(round_) | ({assessment.id} if assessment else set())
        return data | {
            "title": definition.localized("title", lang),
            "questionnaire_label": round_.questionnaire.label,
            "questionnaire_version": round_.questionnaire.version,
            "validated": validated,
            "state_label": str(label(assessment.state)) if assessment else "",
            "remarks": remarks,
            "practices": practices,
            "plan": plan,
            "threshold": current_app.config["MIN_GROUP_SIZE"],
            "snapshot": _printed_now(),
            "moderated": column == "moderated",
            "annex": method_annex(round_, lang, sorted(counted)),
            "population": _population_used(region, round_),
            # Closed with a record: the population is the one it kept (none: none was stored
            # when it closed, whatever was imported since).
            "population_kept": closing_record_taken_at(round_.id) is not None,
        }


def _population_used(region: Region, round_: Round) -> dict | None:
    """The population the region's size-relative targets use in this round (method D5a), with
    its year and source; None when none is stored (those items are then left out)."""
    figure = population_used(round_, region.id)
    if figure is None:
        return None
    return {
        "inhabitants": format_number(figure.population),
        "year": figure.year,
        "source": figure.source,
    }


def _validated_ids(round_: Round) -> set[int]:
    assessments = queries.round_scores(round_, fresh_regions=False).assessments
    return set(assessments.loc[assessments["validated"].astype(bool), "assessment_id"])


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
            # As the report's figures: validated by the time the round closed.
            validated_when_closed(),
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
    """Validated regions per challenge category (the experts' tags), in all and per critical
    aspect."""
    per_category, by_aspect = round_counts(round_.id, validated_only=True)
    definition = round_.questionnaire.parsed
    labels = labels_of(definition, lang)
    aspects = [(key, labels.aspects[key]) for key in labels.aspects]
    rows = [
        {
            "label": category_label(category, definition, lang),
            "regions": per_category[category.id],
            "by_aspect": [by_aspect.get((category.id, key), 0) for key, _ in aspects],
        }
        for category in categories()
        if per_category.get(category.id)
    ]
    rows.sort(key=lambda row: (-row["regions"], row["label"]))
    return {"aspects": [name for _, name in aspects], "rows": rows}


def _paged_heat_maps(heat_map: dict, lang: str) -> list:
    """The heat map cut into charts of one page each (an SVG cannot break across pages)."""
    rows, size = heat_map["rows"], HEAT_MAP_ROWS_PER_PAGE
    return [
        charts.chart(
            "heat_map",
            [row["label"] for row in rows[start : start + size]],
            heat_map["columns"],
            [row["values"] for row in rows[start : start + size]],
            _(
                "Critical-aspect indices per validated region, %(first)d to %(last)d of %(total)d",
                first=start + 1,
                last=min(start + size, len(rows)),
                total=len(rows),
            ),
            heat_map_description(),
            lang=lang,
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
            "annex": method_annex(round_, lang, sorted(_validated_ids(round_))),
            "title": definition.localized("title", lang),
            "questionnaire_label": round_.questionnaire.label,
            "questionnaire_version": round_.questionnaire.version,
            # The page's heat map of every region is cut into pages here.
            "charts": {key: chart for key, chart in data["charts"].items() if key != "heat_map"}
            | {"heat_maps": _paged_heat_maps(data["heat_map"], lang)},
            "tagged": tagged_challenges(round_, lang),
            "practices": published_practices(round_, lang),
            "snapshot": _printed_now(),
            "moderated": column == "moderated",
            # An open round's figures are interim: answers and validations still change them.
            "interim_until": format_date(round_.closes_on, "long")
            if round_.state == RoundState.open
            else None,
            # A closed round's figures are frozen when it closed (METHOD §12); a round closed
            # before its closing time was kept changes with every later validation (interim).
            # The day in UTC, as the report's "Printed" time (not the reader's time zone).
            "frozen_on": format_date(as_utc(round_.closed_at).date(), "long")
            if round_.closed_at
            else None,
        }


def response_report_context(assessment: Assessment, lang: str) -> dict:
    """The region's whole response: every shown question with its answer, evidence, comments."""
    from surveyapp.assessments.queries import answer_map
    from surveyapp.evidence.queries import files_of
    from surveyapp.numbers import format_file_size
    from surveyapp.questionnaires.types import is_web_url

    with force_locale(lang):
        definition = assessment.round.questionnaire.parsed
        answers = answer_map(assessment)
        values = {item_id: answer.value for item_id, answer in answers.items()}
        # Evidence files are listed by name and size, never embedded (they are downloaded
        # from the response's page by those who may read it).
        files: dict[str | None, list[dict]] = {}
        for file in files_of(assessment):
            files.setdefault(file.item_id, []).append(
                {"name": file.name, "size": format_file_size(file.size, lang)}
            )
        remarks: dict[str, list[str]] = {}
        for remark in db.session.scalars(
            select(SectionRemark)
            .filter_by(assessment_id=assessment.id)
            .order_by(SectionRemark.section_id, SectionRemark.id)
        ):
            remarks.setdefault(remark.section_id, []).append(remark.body)
        # The questionnaire's own texts in the report's language where it is complete in it,
        # else in English, then marked as English (text_lang) for readers and screen readers.
        text_lang = lang if lang in definition.languages else "en"
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
                        "text": item.localized("text", text_lang),
                        "answer": shown
                        if shown is not None
                        else item.question_type.display(item, value, lang),
                        "links": links,
                        "comment": (answer.comment or "") if answer else "",
                        "na_reason": (answer.na_reason or "") if answer else "",
                        "evidence": (answer.evidence or "") if answer else "",
                        "files": files.get(item.id, []),
                        "changed": answer.updated_at.strftime("%Y-%m-%d") if answer else "",
                    }
                )
            sections.append(
                {
                    "id": section.id,
                    "title": section.localized("title", text_lang),
                    "items": items,
                    "remarks": remarks.get(section.id, []),
                }
            )
        submitted = assessment.submitted_at
        return {
            "title": definition.localized("title", text_lang),
            "text_lang": None if text_lang == lang else text_lang,
            "questionnaire_label": assessment.round.questionnaire.label,
            "questionnaire_version": assessment.round.questionnaire.version,
            "region": {"code": assessment.region.code, "name": assessment.region.name},
            "round": assessment.round.name,
            "state_label": str(label(assessment.state)),
            "submitted": submitted.strftime("%Y-%m-%d %H:%M UTC") if submitted else "",
            "consent_named": bool(assessment.consent_named),
            "sections": sections,
            "response_files": files.get(None, []),
            "contents": [(section["id"], section["title"]) for section in sections]
            + ([("files", _("Evidence files"))] if files.get(None) else [])
            + [("method", _("Methodology"))],
            "snapshot": _printed_now(),
            "annex": method_annex(assessment.round, lang, [assessment.id], round_figures=False),
        }


# --- the methodology annex (METHOD §9) ---------------------------------------------------


def rule_text(rule: dict) -> str:
    """An item's scoring rule as a formula a reader can apply to the exported answer."""
    kind = rule.get("kind")
    if kind == "scale":
        return _("level \u00d7 20 (levels 0-5)")
    if kind == "yes_no":
        return _("yes = 100, no = 0")
    if kind == "percent":
        return _("the percentage (0-100)")
    if kind == "choice":
        # In ladder order (the export's JSON keeps the keys sorted by name).
        ladder = sorted(rule.get("scores", {}).items(), key=lambda pair: pair[1])
        scores = ", ".join(f"{option} = {format_number(score)}" for option, score in ladder)
        return _("option scores: %(scores)s", scores=scores)
    if kind == "count":
        return _(
            "min(100, 100 \u00d7 count / max(%(floor)s, %(rho)s \u00d7 P^%(exponent)s)), "
            "P = population in millions",
            floor=format_number(rule.get("floor")),
            rho=format_number(rule.get("per_million")),
            exponent=format_number(rule.get("exponent")),
        )
    if kind == "target":
        return _(
            "min(100, 100 \u00d7 value / %(target)s)", target=format_number(rule.get("target"))
        )
    return json.dumps(rule, ensure_ascii=False)


def gate_text(gate: str) -> str:
    """The item's ``show_if`` as text ("" when it is always shown)."""
    if not gate:
        return ""
    try:
        condition = json.loads(gate)
    except ValueError:
        return gate
    if not isinstance(condition, dict) or "item" not in condition:
        return gate
    if "in" in condition:
        values = ", ".join(str(v) for v in condition["in"])
        return _("shown if %(item)s is one of: %(values)s", item=condition["item"], values=values)
    return _(
        "shown if %(item)s = %(value)s",
        item=condition["item"],
        value=json.dumps(condition.get("equals")),
    )


@lru_cache(maxsize=32)
def _item_rows(definition, lang: str) -> tuple[dict, ...]:
    """The annex's item table in ``lang``: one per questionnaire version and language (the
    definition is parsed once per process), so a report's key does not write it again."""
    with force_locale(lang):
        return tuple(_item_rows_now(definition))


def _item_rows_now(definition) -> list[dict]:
    frame = scoring.item_frame(definition)
    rows = []
    for row in frame.itertuples(index=False):
        rule = json.loads(row.rule) if row.rule else {}
        rows.append(
            {
                "id": row.item_id,
                "home_kind": row.home_kind,
                "home": row.home,
                "type": row.type,
                "weight": float(row.weight),
                "rule": rule_text(rule),
                "dk_score": format_number(row.dk_score),
                "gate": gate_text(row.gate),
                "allow_na": bool(row.allow_na),
                "relates_to": [a for a in row.relates_to.split(";") if a],
            }
        )
    return rows


def _regions_data(round_: Round) -> dict:
    """When the regions' data the round's groups, targets and similar regions are built from
    were kept (rounds.models.RoundClosingRecord); ``kept_on`` None: read as they are."""
    kept_at = closing_record_taken_at(round_.id)
    if kept_at is None:
        return {"kept_on": None, "at_close": False}
    closed_at = as_utc(round_.closed_at) if round_.closed_at else None
    at_close = closed_at is not None and as_utc(kept_at) <= closed_at + timedelta(minutes=1)
    # The day in UTC, as the cover's "Final: ... closed on" (not the reader's time zone).
    return {"kept_on": format_date(as_utc(kept_at).date(), "long"), "at_close": at_close}


def method_annex(
    round_: Round, lang: str, assessment_ids: list[int] | None = None, round_figures: bool = True
) -> dict:
    """The methodology annex of a report, as plain data.

    :param assessment_ids: the assessments the report's figures count (for the count of items
        the experts moderated); None for all counted assessments of the round.
    :param round_figures: False for a report that shows no score (a single response): no data
        snapshot id and no counts by state, which would change with every other region's
        answer and make every response render again.
    """
    results = queries.round_scores(round_, fresh_regions=False)
    definition = results.definition
    questionnaire = round_.questionnaire
    labels = labels_of(definition, lang)
    states = results.assessments["state"].value_counts().sort_index()
    items = results.items
    if assessment_ids is not None:
        items = items[items["assessment_id"].isin(assessment_ids)]
    homes = {g.id: labels.of(scoring.DIMENSION, g.id) for g in c7_dimensions(definition)} | {
        g.id: labels.of(scoring.ASPECT, g.id) for g in definition.aspects
    }
    item_rows = [
        row | {"relates_to": [homes.get(a, a) for a in row["relates_to"]]}
        for row in _item_rows(definition, lang)
    ]
    by_home: dict[str, list[dict]] = {}
    for row in item_rows:  # in the homes' order, then the questionnaire's; none left out
        by_home.setdefault(row["home"], []).append(row)
    order = {home: n for n, home in enumerate(homes)}
    return {
        # The report's language: the rules' text is the working group's English reference.
        "lang": lang,
        "method_version": scoring.method_of(definition),
        "questionnaire": {
            "slug": questionnaire.slug,
            "version": questionnaire.version,
            "sha256": questionnaire.content_hash,
            "format": getattr(definition, "format", 1),
        },
        "round": round_.name,
        "reference_date": round_.reference_day.isoformat(),
        "reference_date_text": format_date(round_.reference_day, "long"),
        "snapshot_id": queries.snapshot_id(results) if round_figures else None,
        "regions_data": _regions_data(round_) if round_figures else None,
        "states": {state_label(state): int(count) for state, count in states.items()}
        if round_figures
        else None,
        "threshold": current_app.config["MIN_GROUP_SIZE"],
        "quartiles_from": QUARTILES_FROM,
        "items": item_rows,
        "item_groups": [
            {"home": homes.get(home, home), "items": rows}
            for home, rows in sorted(
                by_home.items(), key=lambda pair: order.get(pair[0], len(order))
            )
        ],
        "homes": homes,
        "aspects": [
            {"label": labels.of(scoring.ASPECT, g.id), "title": labels.titles[g.id], "id": g.id}
            for g in definition.aspects
        ],
        "sections": [
            {"heading": heading, "paragraphs": list(paragraphs)}
            for heading, paragraphs in scoring.method_sections(scoring.method_of(definition))
        ],
        "moderated_items": int(items["expert"].astype(bool).sum()),
        "moderated_assessments": int(
            items.loc[items["expert"].astype(bool), "assessment_id"].nunique()
        ),
    }

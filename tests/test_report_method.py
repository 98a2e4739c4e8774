"""Issue 20: the v2 scores presented honestly in pages, PDFs and the API.

Defect 5 (no "overall"; one number per aspect everywhere), 10 (no problem statement labels a
chart or table), 11 (where to act = weight x gap to the peer median, with the item's own
actions), 12 (the annex lists every scored item with its weight and rule, and the snapshot id),
13 (validated only, the left-out count stated; self and moderated side by side), 14 (radar scale).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml
from sqlalchemy import select

from surveyapp.analysis import charts, queries, scoring
from surveyapp.analysis.dashboard import region_dashboard, working_group_dashboard
from surveyapp.assessments.models import Answer, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.numbers import format_score
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.reporting.catalog import REGION, RESPONSE, WORKING_GROUP, Job, build_context
from surveyapp.reporting.catalog import definition as report_definition
from surveyapp.reporting.render import render_pdf
from surveyapp.reviews.models import ModeratedScore

needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")

DIMENSIONS = ["strategy", "governance", "partnerships", "funding", "value_chains", "monitoring"]
#: aspect id -> (official wording, a problem statement, positive short title)
ASPECTS = {
    "sme_adoption": (
        "The strengths and weaknesses in the adoption of new technologies by SMEs",
        "SME technology adoption",
    ),
    "universities_rtos": (
        "The failure of universities and RTOs to serve the needs of companies",
        "Universities and RTOs serving companies",
    ),
    "innovation_agencies": (
        "The lack of coordination between innovation agencies",
        "Innovation agencies: knowledge flows and coordination",
    ),
    "multinationals": (
        "The weak links between multinationals and the regional economy",
        "Knowledge transfer from multinationals",
    ),
}
PROBLEM_STATEMENTS = [title for title, _short in ASPECTS.values()]
LEVELS = [{"level": n, "label": f"Level {n}", "anchor": f"Anchor of level {n}."} for n in range(6)]


def _scale(item_id: str, home: tuple[str, str], weight: float, **extra) -> dict:
    return {
        "id": item_id,
        "type": "scale",
        "text": f"Question {item_id}?",
        home[0]: home[1],
        "weight": weight,
        "levels": [dict(level) for level in LEVELS],
        "actions": [f"Action for {item_id}."],
        **extra,
    }


def small_v2() -> dict:
    """Six C7 dimensions with one or two items each, four aspects; weights 0.5 to 2."""
    dimension_items = [
        _scale("str_a", ("dimension", "strategy"), 2),
        _scale("str_b", ("dimension", "strategy"), 1),
        _scale("gov_a", ("dimension", "governance"), 1),
        _scale("par_a", ("dimension", "partnerships"), 1.5),
        _scale("fun_a", ("dimension", "funding"), 1),
        _scale("vch_a", ("dimension", "value_chains"), 1),
        _scale("mon_a", ("dimension", "monitoring"), 0.5),
    ]
    aspect_items = [
        _scale("sme_a", ("aspect", "sme_adoption"), 2),
        _scale("uni_a", ("aspect", "universities_rtos"), 1),
        _scale("agy_a", ("aspect", "innovation_agencies"), 1),
        _scale(
            "mnc_a",
            ("aspect", "multinationals"),
            2,
            allow_na=True,
            na_reason="Explain why: e.g. no multinational has an establishment in the region.",
        ),
        _scale("mnc_b", ("aspect", "multinationals"), 1),
    ]
    return {
        "format": 2,
        "slug": "small-method",
        "version": 2,
        "title": "Small v2 questionnaire",
        "dimensions": [{"id": d, "title": d.replace("_", " ").title()} for d in DIMENSIONS],
        "aspects": [
            {"id": key, "title": title, "short_title": short}
            for key, (title, short) in ASPECTS.items()
        ],
        "sections": [
            {"id": "c7", "title": "Criterion 7", "items": dimension_items},
            {"id": "aspects", "title": "Critical aspects", "items": aspect_items},
        ],
    }


#: code -> (name, level of every item, state, consent)
REGIONS = {
    "ES21": ("País Vasco", 1, AssessmentState.validated, True),
    "ES22": ("Navarra", 2, AssessmentState.validated, True),
    "ES23": ("La Rioja", 3, AssessmentState.validated, False),
    "PT11": ("Norte", 4, AssessmentState.validated, True),
    "FR10": ("Ile-de-France", 5, AssessmentState.validated, True),
    "DE11": ("Stuttgart", 3, AssessmentState.validated, True),
    "IT11": ("Piemonte", 2, AssessmentState.validated, False),
    "DE12": ("Karlsruhe", 5, AssessmentState.submitted, True),
    "DE13": ("Freiburg", 0, AssessmentState.under_review, True),
}
#: ES21's own answers where they differ from its level (a strength: no gap to act on).
ES21_OWN = {"gov_a": 4, "str_b": 0}


@pytest.fixture
def method_world(tmp_path, create_region, create_user, create_round, create_assessment):
    path = tmp_path / "small-method-v2.yaml"
    path.write_text(yaml.safe_dump(small_v2(), allow_unicode=True))
    questionnaire = load_questionnaire(path).questionnaire
    round_ = create_round(questionnaire=questionnaire)
    writer = create_user(email="writer@example.org")
    expert = create_user(email="expert@example.org", role=Role.expert)
    item_ids = [i.id for i in questionnaire.parsed.items if i.is_scored]
    regions, assessments = {}, {}
    for code, (name, level, state, consent) in REGIONS.items():
        region = create_region(code, name, thematic_partnerships=["photonics"])
        assessment = create_assessment(region=region, round_=round_)
        for item_id in item_ids:
            value = ES21_OWN.get(item_id, level) if code == "ES21" else level
            if code == "ES23" and item_id == "mnc_a":  # no multinational: N/A, accepted below
                save_answer(assessment, item_id, "na", writer, na_reason="No multinational.")
            else:
                save_answer(assessment, item_id, value, writer)
        assessment.state = state
        assessment.consent_named = consent
        regions[code], assessments[code] = region, assessment
    # La Rioja's N/A accepted: its multinationals index (1 of 3 weight left) is not applicable.
    db.session.add(
        ModeratedScore(
            assessment_id=assessments["ES23"].id,
            item_id="mnc_a",
            score=None,
            na_decision="accepted",
            rationale="Checked: none.",
            expert=expert,
        )
    )
    # An expert raised País Vasco's SME item from 20 to 60: self and moderated differ.
    db.session.add(
        ModeratedScore(
            assessment_id=assessments["ES21"].id,
            item_id="sme_a",
            score=60,
            rationale="Evidence of a running programme.",
            expert=expert,
        )
    )
    db.session.commit()
    return {
        "round": round_,
        "regions": regions,
        "assessments": assessments,
        "expert": expert,
        "definition": questionnaire.parsed,
    }


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in reading order, a table row's cells one after the other."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    command = [shutil.which("pdftotext"), "-raw", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def render(job: Job) -> bytes:
    return render_pdf(report_definition(job), build_context(job), job.lang)


def login_as(app, login, create_user, role, email, regions=()):
    client = app.test_client()
    login(create_user(email=email, role=role, regions=list(regions)), client=client)
    return client


def own_scores(world, code: str) -> dict:
    results = queries.round_scores(world["round"])
    focal = queries.assessment_of(results, world["regions"][code].id)
    scores = results.scores[results.scores["assessment_id"] == focal]
    return {
        (kind, key): (self_, moderated)
        for kind, key, self_, moderated in zip(
            scores["kind"], scores["key"], scores["self"], scores["moderated"], strict=True
        )
    }


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- defect 5 ------------------------------------------------------------------------------


@needs_pdftotext
def test_no_overall_and_each_aspect_has_one_number_in_page_pdf_and_api(
    app, method_world, login, create_user, tmp_path
):
    round_, region = method_world["round"], method_world["regions"]["ES21"]
    data = region_dashboard(region, round_, "en")
    assert "overall" not in data and data["index"]["key"] == scoring.C7
    assert [row["key"] for row in data["aspects"]] == list(ASPECTS)
    assert not (set(scoring.__dict__) & {"OVERALL", "OVERALL_KEY"})

    expert = login_as(app, login, create_user, Role.expert, "e2@example.org")
    page = expert.get(f"/benchmarks/rounds/{round_.id}/regions/ES21").text
    text = flat(pdf_text(render(Job(REGION, round_.id, region.id)), tmp_path))
    api = expert.get(f"/api/v1/rounds/{round_.id}/regions/ES21/benchmark").get_json()
    for document in (page, text):
        # The method text says there is none; no figure, label or heading names one.
        assert "overall" not in document.lower().replace("there is no overall score", "")

    scores = own_scores(method_world, "ES21")
    for key in [scoring.C7]:
        self_, moderated = scores[(scoring.INDEX, key)]
        assert format_score(moderated) in page and format_score(moderated) in text
    for key in ASPECTS:
        self_, moderated = scores[(scoring.ASPECT, key)]
        shown = format_score(moderated)
        # The page and the PDF write one number per aspect: the row of its short name.
        short = ASPECTS[key][1]
        row = re.search(re.escape(short) + r"\s+([\d.]+)\s+([\d.]+)", text)
        assert row, short
        assert row.group(2) == shown and row.group(1) == format_score(self_)
        assert format_score(api["scores"]["aspect"][key]["moderated"]) == shown
        # Never listed as a dimension too (v1 had each aspect twice with two numbers).
        assert key not in api["scores"].get("dimension", {})
    sme = scores[(scoring.ASPECT, "sme_adoption")]
    assert sme[0] != sme[1]  # the expert's change shows: 20.0 self beside 46.7 moderated


def test_an_index_below_coverage_is_not_applicable_never_zero(app, method_world):
    data = region_dashboard(method_world["regions"]["ES23"], method_world["round"], "en")
    mnc = next(row for row in data["aspects"] if row["key"] == "multinationals")
    assert mnc["moderated"] is None and mnc["value"] is None and mnc["not_applicable"]
    assert mnc["coverage"] == {"counted": 1, "total": 2, "percent": pytest.approx(100 / 3), "dk": 0}
    assert mnc["coverage_text"] == "1 of 2 items (33 % of weight)"
    # The C7 index: its items are all its dimensions', its coverage the least covered one's;
    # the text says so ("k of m items (x % of weight)" read as a miscount).
    index, dimensions = data["index"], data["dimensions"]
    assert index["coverage"]["total"] == sum(d["coverage"]["total"] for d in dimensions)
    least = min(d["coverage"]["percent"] for d in dimensions)
    assert index["coverage"]["percent"] == pytest.approx(least)
    assert index["coverage_text"] == (
        f"{index['coverage']['counted']} of {index['coverage']['total']} items; the least "
        f"covered dimension has {least:.0f} % of its weight"
    )
    method_world["assessments"]["ES23"].consent_named = True
    db.session.commit()
    wg = working_group_dashboard(method_world["round"], "en")
    la_rioja = next(row for row in wg["heat_map"]["rows"] if row["label"] == "La Rioja (ES23)")
    assert la_rioja["values"] == [60.0, 60.0, 60.0, "n/a"]


def test_the_heat_map_table_on_the_page_says_not_applicable(app, method_world, login, create_user):
    method_world["assessments"]["ES23"].consent_named = True
    db.session.commit()
    expert = login_as(app, login, create_user, Role.expert, "e4@example.org")
    page = expert.get(f"/benchmarks/rounds/{method_world['round'].id}")
    assert page.status_code == 200
    assert re.search(
        r"La Rioja \(ES23\)</th>(<td>60\.0</td>){3}<td><span class=\"suppressed\">n/a", page.text
    )


@needs_pdftotext
def test_not_applicable_reads_so_in_the_pdf(app, method_world, tmp_path):
    region = method_world["regions"]["ES23"]
    text = flat(pdf_text(render(Job(REGION, method_world["round"].id, region.id)), tmp_path))
    # Self: the region's claim leaves the item out; moderated: the expert accepted it.
    assert re.search(
        r"Knowledge transfer from multinationals not applicable \(claimed\) not applicable "
        r"\(accepted\)",
        text,
    )


@needs_pdftotext
def test_a_rejected_claim_is_never_called_accepted(app, method_world, tmp_path):
    """The self score leaves out every "not applicable" the region claimed; an expert who
    rejects the claim and sets a score gives a moderated number beside it, and nothing on the
    page or in the PDF says the claim was accepted."""
    decision = db.session.scalar(
        select(ModeratedScore).filter_by(
            assessment_id=method_world["assessments"]["ES23"].id, item_id="mnc_a"
        )
    )
    decision.na_decision, decision.score, decision.rationale = "rejected", 40, "One exists."
    db.session.commit()
    region = method_world["regions"]["ES23"]
    data = region_dashboard(region, method_world["round"], "en")
    mnc = next(row for row in data["aspects"] if row["key"] == "multinationals")
    assert mnc["self"] is None and mnc["moderated"] is not None
    text = flat(pdf_text(render(Job(REGION, method_world["round"].id, region.id)), tmp_path))
    row = re.search(
        r"Knowledge transfer from multinationals (not applicable \(\w+\)) ([\d.]+)", text
    )
    assert row, text
    assert row.group(1) == "not applicable (claimed)"
    assert row.group(2) == format_score(mnc["moderated"])
    assert "(accepted)" not in text.split("Methodology")[0]


def test_strengths_and_weaknesses_say_they_compare_dimensions_only(
    app, method_world, login, create_user
):
    """They list criterion-7 dimensions (the aspects have their own chart): a region with no
    dimension below the median is not told it has no weakness at all."""
    region = method_world["regions"]["FR10"]  # level 5 everywhere: above every median
    data = region_dashboard(region, method_world["round"], "en")
    assert data["weaknesses"] == [] and data["strengths"]
    assert {row["kind"] for row in data["strengths"]} == {scoring.DIMENSION}
    expert = login_as(app, login, create_user, Role.expert, "e6@example.org")
    page = expert.get(f"/benchmarks/rounds/{method_world['round'].id}/regions/FR10").text
    assert "Weakest dimensions" in page
    assert "No criterion-7 dimension is below the peer median." in page
    assert "None below the peer median" not in page


# --- defect 10 -----------------------------------------------------------------------------


@needs_pdftotext
def test_no_problem_statement_labels_a_chart_or_table(app, method_world, tmp_path):
    round_, region = method_world["round"], method_world["regions"]["ES21"]
    region_data = region_dashboard(region, round_, "en")
    wg_data = working_group_dashboard(round_, "en", internal=True)
    svgs = [region_data["charts"]["aspects"], wg_data["charts"]["aspects"]]
    svgs.append(wg_data["charts"]["heat_map"])
    for svg in svgs:
        root = ET.fromstring(str(svg))  # noqa: S314 - our own output
        labels = " ".join(" ".join(t.itertext()) for t in root.iter(charts_ns("text")))
        for statement in PROBLEM_STATEMENTS:
            assert statement not in labels
        assert "SME technology adoption" in labels
    assert [row["label"] for row in region_data["aspects"]] == [s for _t, s in ASPECTS.values()]
    assert wg_data["heat_map"]["columns"] == [s for _t, s in ASPECTS.values()]
    # The full wording stays in the text, once, as the key to the short names.
    text = flat(pdf_text(render(Job(WORKING_GROUP, round_.id, None)), tmp_path))
    for title, short in ASPECTS.values():
        assert f"{short}: {title}" in text


def charts_ns(tag: str) -> str:
    return "{http://www.w3.org/2000/svg}" + tag


# --- defect 11 -----------------------------------------------------------------------------


def test_where_to_act_is_ranked_by_weight_times_gap_with_the_items_own_actions(app, method_world):
    definition = method_world["definition"]
    region = method_world["regions"]["ES21"]
    data = region_dashboard(region, method_world["round"], "en")
    # Independently: the validated regions' item scores from the stored answers.
    validated = [c for c, (_n, _l, state, _c) in REGIONS.items() if state == "validated"]
    levels = {}
    for code in validated:
        assessment = method_world["assessments"][code]
        answers = db.session.scalars(select(Answer).filter_by(assessment_id=assessment.id))
        levels[code] = {a.item_id: a.value for a in answers}
    expected = []
    for item in definition.items:
        if not item.is_scored:
            continue
        peers = [20 * levels[c][item.id] for c in validated if levels[c][item.id] != "na"]
        own = 20 * levels["ES21"][item.id]
        if item.id == "sme_a":
            own = 60  # the expert's moderated score
        gap = statistics.median(peers) - own
        if gap > 0:
            expected.append((-item.weight * gap, item.id))
    expected.sort()
    shown = data["where_to_act"]
    assert [row["id"] for row in shown] == [item_id for _p, item_id in expected][: len(shown)]
    assert len(shown) == min(5, len(expected))
    assert "gov_a" not in [row["id"] for row in shown]  # above the median: nothing to act on
    for row in shown:
        assert row["priority"] == pytest.approx(row["weight"] * row["gap"])
        assert row["actions"] == [f"Action for {row['id']}."] and row["own_actions"]
        # Named by the index it counts in, as the report's tables name it (not its section).
        item = definition.item(row["id"])
        names = {g.id: g.title for g in definition.dimensions}
        names |= {key: short for key, (_title, short) in ASPECTS.items()}
        assert row["section"] == names[item.home]
    priorities = [row["priority"] for row in shown]
    assert priorities == sorted(priorities, reverse=True)


# --- defect 12 -----------------------------------------------------------------------------


@needs_pdftotext
@pytest.mark.parametrize("report", [REGION, WORKING_GROUP, RESPONSE])
def test_the_annex_of_every_report_lists_every_scored_item_and_the_snapshot(
    app, method_world, tmp_path, report
):
    round_ = method_world["round"]
    region_id = None if report == WORKING_GROUP else method_world["regions"]["ES21"].id
    job = Job(report, round_.id, region_id)
    context = build_context(job)
    results = queries.round_scores(round_)
    text = flat(pdf_text(render_pdf(report_definition(job), context, "en"), tmp_path))
    if report == RESPONSE:
        # A response shows no score: no round-wide snapshot (every other region's answer would
        # render it again).
        assert context["annex"]["snapshot_id"] is None
    else:
        assert context["annex"]["snapshot_id"] == queries.snapshot_id(results)
        assert queries.snapshot_id(results) in text.replace(" ", "")
    annex = text[text.index("This annex and the round's CSV export") :]
    frame = scoring.item_frame(method_world["definition"])
    assert len(frame) == 12
    # Items are grouped under their home index: each must be in its home's group, with its rule.
    homes = context["annex"]["homes"]
    for row in frame.itertuples():
        weight = f"{row.weight:g}"
        group = annex[annex.index(f"Home index: {homes[row.home]}") :]
        group = group[: group.find("Home index: ", 1) if "Home index: " in group[1:] else None]
        assert re.search(rf"{row.item_id} scale {re.escape(weight)} level \u00d7 20", group), (
            row.item_id
        )
    for fact in (
        "Method version 2.0",
        "small-method, version 2",
        round_.questionnaire.content_hash,
        "3 \u00d7 counted weight \u2265 2 \u00d7 its scored weight",
        "PR = 100 \u00d7 (B + 0.5 \u00d7 E) / N",
        "Hyndman-Fan type 7",
        "no official scoring rubric",
        "not a ranking",
        "Items an expert moderated",
        *(["Validated: 7"] if report != RESPONSE else []),
    ):
        assert fact in annex, fact
    method = context["annex"]["method_version"]
    sections = scoring.method_sections(method)
    assert sections and all(heading in annex for heading, _paragraphs in sections)
    # Only the rules of the round's own method (a format-1 round's annex had method 2.0's).
    other = scoring.method_sections("1.0" if method == "2.0" else "2.0")
    assert not any(heading in annex for heading, _paragraphs in other if heading.endswith(")"))


# --- defect 13 -----------------------------------------------------------------------------


@needs_pdftotext
def test_the_working_group_report_counts_validated_only_and_says_what_it_left_out(
    app, method_world, tmp_path
):
    round_ = method_world["round"]
    data = working_group_dashboard(round_, "en")
    assert data["participation"]["validated"] == 7
    assert data["participation"]["left_out"] == 2
    assert data["participation"]["left_out_by_state"] == {"Submitted": 1, "Under review": 1}
    assert data["index"]["n"] == 7
    text = flat(pdf_text(render(Job(WORKING_GROUP, round_.id, None)), tmp_path))
    assert "2 submitted assessments are left out" in text
    assert "Submitted: 1; Under review: 1" in text
    # The unvalidated regions (levels 5 and 0) are in no figure: the validated C7 median is
    # that of levels 1, 2, 2, 3, 3, 4, 5 (País Vasco's own mix aside).
    c7 = [
        own_scores(method_world, c)[(scoring.INDEX, scoring.C7)][1]
        for c in REGIONS
        if REGIONS[c][2] == "validated"
    ]
    assert data["index"]["median"] == pytest.approx(statistics.median(c7))


def test_the_internal_page_shows_validated_and_submitted_as_separate_series(
    app, method_world, login, create_user
):
    round_ = method_world["round"]
    data = working_group_dashboard(round_, "en", internal=True)
    assert data["index"]["n"] == 7 and data["submitted"]["index"]["n"] == 2
    assert data["submitted"]["index"]["suppressed"]  # two regions: no statistic
    expert = login_as(app, login, create_user, Role.expert, "e3@example.org")
    page = expert.get(f"/benchmarks/rounds/{round_.id}").text
    assert "Submitted, not yet validated" in page and "Validated" in page


@needs_pdftotext
def test_the_region_report_shows_self_and_moderated_side_by_side_and_no_rank_before_validation(
    app, method_world, tmp_path
):
    round_ = method_world["round"]
    validated = region_dashboard(method_world["regions"]["ES21"], round_, "en")
    assert validated["validated"] and validated["index"]["rank"] is not None
    text = flat(
        pdf_text(render(Job(REGION, round_.id, method_world["regions"]["ES21"].id)), tmp_path)
    )
    assert re.search(r"Self-\s?assessed\s+Moderated", text)
    assert "An expert reviewed" in text or "set, decided or confirmed by an expert" in text
    # Each item an expert changed, with both scores and the rationale (the summary's "changed
    # 1" named none of them, and the moderated score could not be followed).
    changes = validated["moderation"]["changes"]
    assert [(c["self"], c["moderated"]) for c in changes] == [(20.0, 60.0)]
    assert "The items an expert changed" in text and "Evidence of a running programme." in text
    assert "Percentile rank" in text

    pending = method_world["regions"]["DE12"]  # submitted, not validated
    data = region_dashboard(pending, round_, "en")
    assert data["provisional"] and data["index"]["rank"] is None and data["index"]["band"] is None
    assert data["groups"]["withheld"]
    assert data["index"]["median"] is not None  # beside the validated peers' median
    text = flat(pdf_text(render(Job(REGION, round_.id, pending.id)), tmp_path))
    assert "Provisional" in text and "provisional" in text
    assert "Percentile ranks are shown once the experts have validated" in text


def test_an_officer_before_release_sees_only_the_self_scores(app, method_world):
    round_ = method_world["round"]
    data = region_dashboard(method_world["regions"]["ES21"], round_, "en", "self")
    assert not data["moderated_visible"] and data["moderation"] is None
    assert data["index"]["rank"] is None
    sme = next(row for row in data["aspects"] if row["key"] == "sme_adoption")
    assert sme["value"] == sme["self"] == pytest.approx(20.0)
    # Validated, not yet released: the ranks wait for the release, not for a validation that
    # happened (the page said "once the experts have validated the assessment").
    assert data["validated"] and data["groups"]["withheld_until"] == "release"
    pending = region_dashboard(method_world["regions"]["DE12"], round_, "en", "self")
    assert pending["groups"]["withheld_until"] == "validation"


# --- defect 14 -----------------------------------------------------------------------------


def test_the_radar_labels_its_scale():
    svg = charts.radar([charts.Axis(f"d{i}", 50, 40) for i in range(6)], "Radar", "desc")
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    scale = [t.text for t in root.iter(charts_ns("text")) if t.get("class") == "chart-scale"]
    assert scale == ["0", "20", "40", "60", "80", "100"]


@needs_pdftotext
def test_the_region_report_names_the_population_its_counts_use(app, method_world, tmp_path):
    """Counts scored against size depend on a population: the report says which, of which
    year and from which source, or that none is stored."""
    from surveyapp.regions.models import RegionPopulation

    region = method_world["regions"]["ES21"]
    job = Job(REGION, method_world["round"].id, region.id)
    text = flat(pdf_text(render(job), tmp_path))
    assert "No population of the region is stored" in text
    for year, inhabitants in ((2024, 2_100_000), (2025, 2_227_581), (2030, 9)):
        db.session.add(
            RegionPopulation(
                region_id=region.id, year=year, population=inhabitants, source="Test source"
            )
        )
    db.session.commit()
    text = flat(pdf_text(render(job), tmp_path))
    # The round's reference year (2026) or the latest earlier one, never a later one.
    assert "population of 2,227,581 on 1 January 2025 (source: Test source)" in text


@needs_pdftotext
def test_the_working_group_report_says_when_its_figures_are_interim(app, method_world, tmp_path):
    """Open round: interim until it closes. Closed with assessments still awaiting validation:
    interim, with how many. Closed and all validated: no notice."""
    from surveyapp.rounds.models import RoundState

    round_ = method_world["round"]
    job = Job(WORKING_GROUP, round_.id, None)
    cover = flat(pdf_text(render(job), tmp_path))
    assert "Interim: the round is open until" in cover
    # The time on the cover is when the report was printed, said so: the data's own moment is
    # in the snapshot id, and a closed round's figures are as they stood at its close.
    # In the reader's language, as Babel writes a date and time (not ISO), its zone named.
    assert re.search(r"Printed [A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M \S+", cover)
    assert "Data as of" not in cover
    round_.state = RoundState.closed
    db.session.commit()
    waiting = [a for a in method_world["assessments"].values() if a.state != "validated"]
    assert waiting  # the world has submitted assessments not yet validated
    text = flat(pdf_text(render(job), tmp_path))
    assert re.search(
        rf"Interim: {len(waiting)} submitted assessments? still awaits? validation", text
    )
    for assessment in waiting:
        assessment.state = AssessmentState.validated
    db.session.commit()
    assert "Interim" not in flat(pdf_text(render(job), tmp_path))


def test_a_rank_says_how_many_regions_it_is_among_when_fewer_than_the_group(
    app, method_world, login, create_user
):
    """The group's size headed the column, while a rank on an index some regions have no
    value for (La Rioja's multinationals: not applicable) is among fewer."""
    region = method_world["regions"]["ES21"]
    groups = region_dashboard(region, method_world["round"], "en")["groups"]
    assert groups["columns"]
    mnc = next(row for row in groups["rows"] if row["label"] == ASPECTS["multinationals"][1])
    sme = next(row for row in groups["rows"] if row["label"] == ASPECTS["sme_adoption"][1])
    for column, cell, full in zip(groups["columns"], mnc["cells"], sme["cells"], strict=True):
        if cell is None:
            continue
        assert full["n"] == column["size"] and cell["n"] == column["size"] - 1
    expert = login_as(app, login, create_user, Role.expert, "e7@example.org")
    page = expert.get(f"/benchmarks/rounds/{method_world['round'].id}/regions/ES21").text
    size = groups["columns"][0]["size"]
    assert f"n = {size - 1}" in page and f"n = {size}<" not in page


def test_a_partner_shown_without_its_member_state_is_explained(
    app, method_world, login, create_user
):
    """The partner list said unnamed regions appear "by country only", and two rows read "A
    region in another Member State": one from a Member State with too few regions in the round
    (it could be recognised) shows no country, and the page says why."""
    region = method_world["regions"]["FR10"]
    partners = region_dashboard(region, method_world["round"], "en")["partners"]
    anonymous = [p for p in partners if p["abroad_unnamed"]]
    assert anonymous
    for partner in partners:
        assert partner["abroad_unnamed"] == (partner["name"] == "A region in another Member State")
    expert = login_as(app, login, create_user, Role.expert, "e8@example.org")
    page = expert.get(f"/benchmarks/rounds/{method_world['round'].id}/regions/FR10").text
    assert "from a Member State with fewer than 5 regions in the round, appears without" in page


def test_a_rank_on_an_index_the_region_has_no_value_for_reads_not_applicable(
    app, method_world, login, create_user
):
    """La Rioja's multinationals index is not applicable (an accepted N/A): its percentile row
    said "too few regions to compare" in groups large enough to compare."""
    method_world["assessments"]["ES23"].consent_named = True
    db.session.commit()
    region = method_world["regions"]["ES23"]
    groups = region_dashboard(region, method_world["round"], "en")["groups"]
    mnc = next(row for row in groups["rows"] if row["label"] == ASPECTS["multinationals"][1])
    sme = next(row for row in groups["rows"] if row["label"] == ASPECTS["sme_adoption"][1])
    for cell, shown in zip(mnc["cells"], sme["cells"], strict=True):
        if shown is not None:  # a group compared on another index is large enough
            assert cell == {"not_applicable": True}
    expert = login_as(app, login, create_user, Role.expert, "e9@example.org")
    page = expert.get(f"/benchmarks/rounds/{method_world['round'].id}/regions/ES23").text
    row = page[page.index(ASPECTS["multinationals"][1], page.index('id="groups"')) :]
    row = row[: row.index("</tr>")]
    assert "not applicable (accepted)" in row and "too few regions" not in row


def test_a_dimension_at_the_median_is_neither_strength_nor_weakness():
    """A region's funding at 69.1 beside a median of 69.1 was listed "0.0 points below the
    median": the gap was a float's last digit, while the band said "at the median"."""
    from surveyapp.analysis.dashboard import _extremes

    at_median = {"key": "funding", "gap": 69.1 - (69.1 + 1e-12)}
    below = {"key": "strategy", "gap": -4.0}
    above = {"key": "monitoring", "gap": 3.0}
    rows = [at_median, below, above]
    assert _extremes(rows, strongest=False) == [below]
    assert _extremes(rows, strongest=True) == [above]


def test_the_printed_time_and_reference_date_are_written_in_the_reports_language(app):
    """A German report printed "2026-12-08 01:31 UTC" and a reference date "2026-12-15"."""
    from datetime import date

    from flask_babel import force_locale, format_date

    from surveyapp.reporting.context import _printed_now

    with app.test_request_context(), force_locale("de"):
        printed = _printed_now()
        assert re.fullmatch(r"\d{1,2}\. [A-ZÄÖÜ][a-zäöü]+ \d{4}, \d\d:\d\d:\d\d \S+", printed)
        assert format_date(date(2026, 12, 15), "long") == "15. Dezember 2026"

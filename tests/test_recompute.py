"""scripts/recompute_round.py: an independent recomputation of every index from the export bundle
agrees with the application's, and notices a figure, an answer or a file that was changed."""

import ast
import hashlib
import importlib.util
import json
import random
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from surveyapp.analysis import scoring
from surveyapp.assessments.models import Answer, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.loader import read_file
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.regions.models import Region, RegionPopulation
from surveyapp.reporting.catalog import REGION, Job, build_context, definition
from surveyapp.reporting.exports import export_tables, write_csv_zip
from surveyapp.reporting.render import render_pdf
from surveyapp.reviews.models import ModeratedScore
from surveyapp.rounds.models import Round, RoundState

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "recompute_round.py"
#: code -> (maturity, role, has a unit, budget share, consent, state)
REGIONS = {
    "ES21": (1, "lead", False, 12.5, True, AssessmentState.validated),
    "ES22": (2, "member", True, 20.25, True, AssessmentState.validated),
    "ES23": (3, "none", True, 40.25, False, AssessmentState.validated),
    "ES24": (4, "lead", False, 63.05, False, AssessmentState.validated),
    "ES25": (5, "member", True, 60.2, False, AssessmentState.validated),
    "ES26": ("na", "none", True, 0.0, True, AssessmentState.validated),
    "ES27": (0, "lead", True, 99.95, False, AssessmentState.under_review),
    "ES28": (2, "member", False, 33.3, True, AssessmentState.submitted),
}


@pytest.fixture
def round_(app, create_region, create_user, create_round, create_assessment):
    round_ = create_round()
    writer = create_user(email="w@example.org")
    assessments = {}
    for code, (level, role, unit, share, consent, state) in REGIONS.items():
        region = create_region(code, f"Region {code}", thematic_partnerships=["photonics"])
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "maturity", level, writer)
        save_answer(assessment, "role", role, writer)
        save_answer(assessment, "has_unit", unit, writer)
        save_answer(assessment, "unit_staff", 3, writer)  # kept while hidden: must not count
        save_answer(assessment, "budget_share", share, writer)
        save_answer(assessment, "platforms", ["energy"] if unit else ["energy", "blue"], writer)
        assessment.state = state
        assessment.consent_named = consent
        assessments[code] = assessment
    db.session.add_all(
        [
            ModeratedScore(assessment_id=assessments["ES24"].id, item_id="maturity", score=60.0),
            ModeratedScore(assessment_id=assessments["ES23"].id, item_id="role", score=50.0),
            ModeratedScore(
                assessment_id=assessments["ES26"].id, item_id="maturity", na_decision="accepted"
            ),
        ]
    )
    db.session.commit()
    return round_


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script, with paths we made
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def bundle(round_, path: Path) -> Path:
    with path.open("wb") as out:
        write_csv_zip(export_tables(round_), out)
    return path


def rewritten(source: Path, target: Path, name: str, change, fix_manifest: bool = True) -> Path:
    """A copy of the bundle with one file changed (and, by default, its hash in the manifest)."""
    with zipfile.ZipFile(source) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files[name] = change(files[name].decode("utf-8")).encode("utf-8")
    assert files[name] != zipfile.ZipFile(source).read(name), "the change changed nothing"
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for n, data in files.items():
            archive.writestr(n, data)
    return target


def test_the_script_imports_nothing_of_the_application():
    tree = ast.parse(SCRIPT.read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_every_index_recomputed_from_the_export_matches(app, round_, tmp_path):
    result = run(bundle(round_, tmp_path / "round.zip"))
    assert result.returncode == 0, result.stdout + result.stderr
    results = export_tables(round_).results
    indices = int((results["record"] == "score").sum())
    assert indices > 0
    assert (
        result.stdout.strip()
        .splitlines()[-1]
        .startswith(f"{len(REGIONS)} assessments, {indices} indices, all match")
    )


def test_a_changed_printed_figure_fails(app, round_, tmp_path):
    source = bundle(round_, tmp_path / "round.zip")

    def changed(column, how):
        def change(text):
            lines = text.splitlines(keepends=True)
            position = lines[0].split(",").index(column)
            for n, line in enumerate(lines):
                if line.startswith("score,ES22,,dimension,strategy,"):
                    cells = line.split(",")
                    cells[position] = how(cells[position])
                    lines[n] = ",".join(cells)
                    return "".join(lines)
            raise AssertionError("no ES22 strategy row")

        return change

    # The full-precision value, and the value as printed: each is checked.
    for column, how, message in (
        ("self_exact", lambda v: str(float(v) + 0.1), "strategy: self "),
        ("self", lambda v: f"{float(v) + 0.1:.1f}", "strategy: self printed"),
    ):
        tampered = tmp_path / f"tampered-{column}.zip"
        result = run(rewritten(source, tampered, "results.csv", changed(column, how)))
        assert result.returncode == 1, column
        assert f"results.csv ES22/dimension/{message}" in result.stdout, result.stdout
        assert "all match" not in result.stdout


def test_an_item_score_printed_otherwise_fails(app, round_, tmp_path):
    source = bundle(round_, tmp_path / "round.zip")
    # ES21 is at level 1: 20.0 as printed, 20.0 with every digit; the printed one changed.
    answer = rewritten(
        source,
        tmp_path / "printed.zip",
        "answers.csv",
        lambda text: text.replace(
            "ES21,maturity,value,1,,,,20.0,20.0,", "ES21,maturity,value,1,,,,20.1,20.0,", 1
        ),
    )
    result = run(answer)
    assert result.returncode == 1
    assert "answers.csv ES21 maturity: self_score printed '20.1'" in result.stdout


def test_a_bundle_without_byte_order_mark_is_read_too(app, round_, tmp_path):
    """Bundles written before the mark (and files saved again by other tools) still check."""
    source = bundle(round_, tmp_path / "round.zip")
    with zipfile.ZipFile(source) as archive:
        assert archive.read("results.csv").startswith(b"\xef\xbb\xbf")
    plain = source
    for name in ("items.csv", "answers.csv", "regions.csv", "results.csv"):
        plain = rewritten(plain, tmp_path / f"plain-{name}.zip", name, lambda t: t.lstrip("\ufeff"))
    result = run(plain)
    assert result.returncode == 0, result.stdout


def test_a_changed_answer_or_file_fails(app, round_, tmp_path):
    source = bundle(round_, tmp_path / "round.zip")
    # ES21 says level 1; the export claims 2 but keeps the scores: the scores no longer follow.
    answer = rewritten(
        source,
        tmp_path / "answer.zip",
        "answers.csv",
        lambda text: text.replace("ES21,maturity,value,1,", "ES21,maturity,value,2,", 1),
    )
    result = run(answer)
    assert result.returncode == 1 and "answers.csv ES21 maturity: self_score" in result.stdout
    # A file changed without its hash: the manifest says so.
    unhashed = rewritten(
        source,
        tmp_path / "unhashed.zip",
        "regions.csv",
        lambda text: text.replace("photonics", "photonix", 1),
        fix_manifest=False,
    )
    result = run(unhashed)
    assert result.returncode == 1 and "regions.csv: SHA-256 differs" in result.stdout


def test_the_api_response_is_checked_too(app, round_, create_user, login, client, tmp_path):
    source = bundle(round_, tmp_path / "round.zip")
    login(create_user(email="e@example.org", role=Role.expert))
    body = client.get(f"/api/v1/rounds/{round_.id}/regions/ES22/benchmark").json
    good = tmp_path / "api.json"
    good.write_text(json.dumps(body))
    result = run(source, "--api", good)
    assert result.returncode == 0, result.stdout
    assert "API" in result.stdout
    body["scores"]["index"]["c7"]["moderated"] += 0.06
    everyone = next(g for g in body["groups"] if g["key"] == "all")
    everyone["statistics"]["dimension"]["strategy"]["median"] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(body))
    result = run(source, "--api", bad)
    assert result.returncode == 1
    assert "index/c7 moderated" in result.stdout
    assert "group all dimension/strategy: median" in result.stdout


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_region_report_prints_the_recomputed_figures(app, round_, tmp_path):
    """The region report as pdftotext reads it: the region's indices, its ranks in its groups and
    the medians of all regions, each as recomputed; a report with other figures fails."""
    source = bundle(round_, tmp_path / "round.zip")
    region = db.session.scalar(select(Region).filter_by(code="ES22"))
    job = Job(REGION, round_.id, region.id)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(definition(job), build_context(job), job.lang))
    text = tmp_path / "report.txt"
    subprocess.run(  # noqa: S603 - pdftotext on our own file
        [shutil.which("pdftotext"), "-layout", str(pdf), str(text)], check=True
    )
    result = run(source, "--pdf-text", text, "--region", "ES22")
    assert result.returncode == 0, result.stdout
    assert " PDF figures" in result.stdout
    results = export_tables(round_).results
    c7 = results[(results["record"] == "score") & (results["assessment"] == "ES22")]
    printed = repr(float(c7[c7["key"] == "c7"]["moderated"].iloc[0]))
    other = f"{float(printed) + 0.1:.1f}"
    # Every occurrence of the printed C7 index becomes another figure.
    text.write_text(re.sub(rf"(?<!\S){re.escape(printed)}(?!\S)", other, text.read_text()))
    result = run(source, "--pdf-text", text, "--region", "ES22")
    assert result.returncode == 1 and "does not appear in the report" in result.stdout


V2 = Path(__file__).resolve().parent.parent / "questionnaires" / "criterion7-interregional-v2.yaml"


def random_value(item, rng: random.Random):
    """Any answer the method must score: substantive, "Don't know", N/A, blank."""
    roll = rng.random()
    if roll < 0.06:
        return None
    if roll < 0.14 and item.type in ("scale", "yes_no", "number", "percent", "single_choice"):
        return "dk"
    if roll < 0.24 and getattr(item, "allow_na", False):
        return "na"
    if item.type == "scale":
        return rng.randint(0, 5)
    if item.type == "yes_no":
        return rng.random() < 0.6
    if item.type == "percent":
        return round(rng.uniform(0, 100), rng.choice([0, 1, 2]))
    if item.type == "number":
        return rng.randint(0, 12)
    if item.type == "single_choice":
        return rng.choice(item.config["options"])["value"]
    return None


@pytest.fixture
def v2_round(app, create_region, create_assessment):
    questionnaire = load_questionnaire(V2).questionnaire
    round_ = Round(
        name="2026 autumn",
        questionnaire=questionnaire,
        opens_on=date(2026, 9, 15),
        closes_on=date(2026, 12, 15),
        reference_date=date(2026, 9, 1),
        state=RoundState.open,
    )
    db.session.add(round_)
    definition = questionnaire.parsed
    rng = random.Random(20)  # noqa: S311 - test data, not secrets
    states = [AssessmentState.validated] * 9 + [
        AssessmentState.under_review,
        AssessmentState.submitted,
        AssessmentState.validated,
    ]
    for number, state in enumerate(states):
        code = f"DE{number + 11}"
        region = create_region(code, f"Region {code}", thematic_partnerships=["photonics"])
        if number != 11:  # the last region has no population: its counts are left out
            db.session.add(
                RegionPopulation(
                    region=region,
                    year=2026 - number % 2,  # the reference year's or the year before's
                    population=rng.randint(300_000, 12_000_000),
                    source="synthetic (test)",
                )
            )
        assessment = create_assessment(region=region, round_=round_)
        for item in definition.items:
            value = random_value(item, rng)
            if value is not None:
                db.session.add(
                    Answer(
                        assessment=assessment,
                        item_id=item.id,
                        section_id=item.section_id,
                        value=value,
                        na_reason="No such company in the region" if value == "na" else None,
                    )
                )
            if value == "na" or (item.type == "scale" and rng.random() < 0.05):
                decision = rng.choice(["accepted", "rejected", None]) if value == "na" else None
                score = rng.choice([None, 40.0]) if decision != "accepted" else None
                if decision or score is not None:
                    db.session.add(
                        ModeratedScore(
                            assessment_id=assessment.id,
                            item_id=item.id,
                            score=score,
                            na_decision=decision,
                        )
                    )
        assessment.state = state
        assessment.consent_named = number % 3 == 0
    db.session.commit()
    return round_


def test_a_v2_round_with_every_status_recomputes(app, v2_round, tmp_path):
    """Format 2: Don't know, blanks, hidden gated items, N/A pending, accepted and rejected,
    experts' scores, counts against size-scaled targets (and a region without a population)."""
    tables = export_tables(v2_round)
    statuses = set(tables.answers["status"]) - {""}
    assert statuses == {
        "value",
        "dk",
        "blank",
        "hidden",
        "na_pending",
        "na_accepted",
        "na_rejected",
    }
    rules = {json.loads(rule)["kind"] for rule in tables.items["rule"]}
    assert {"scale", "yes_no", "choice", "count"} <= rules
    assert (tables.results["record"] == "group").any()
    result = run(bundle(v2_round, tmp_path / "v2.zip"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert "12 assessments" in result.stdout and "all match" in result.stdout


def load_script():
    spec = importlib.util.spec_from_file_location("recompute_round", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


recompute = load_script()
QUESTIONNAIRES = {
    "v1": read_file(V2.with_name("criterion7-interregional-v1.yaml"))[1],
    "v2": read_file(V2)[1],
}
ANSWERED_TYPES = ("scale", "yes_no", "percent", "number", "single_choice")


@st.composite
def rounds(draw, definition):
    """A few assessments' answers (any value the method scores, "Don't know", N/A, blank),
    experts' scores and N/A decisions, and populations (some unknown)."""
    answers, moderated, populations = [], [], {}
    for assessment in range(1, draw(st.integers(1, 3)) + 1):
        populations[assessment] = draw(
            st.one_of(st.just(float("nan")), st.integers(50_000, 20_000_000).map(float))
        )
        for item in definition.items:
            if item.type not in ANSWERED_TYPES:
                continue
            substantive = {
                "scale": st.integers(0, 5),
                "yes_no": st.booleans(),
                "percent": st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2)),
                "number": st.integers(0, 40),
                "single_choice": st.sampled_from(
                    [o["value"] for o in item.config.get("options", [{"value": "x"}])]
                ),
            }[item.type]
            choices = [substantive, st.none(), st.just("dk")]
            if getattr(item, "allow_na", False) or item.config.get("allow_na"):
                choices.append(st.just("na"))
            value = draw(st.one_of(*choices))
            if value is not None:
                answers.append((assessment, item.id, value))
            if draw(st.integers(0, 9)) == 0:
                decision = draw(st.sampled_from([None, "accepted", "rejected"]))
                score = draw(st.one_of(st.none(), st.sampled_from([0.0, 35.0, 100.0])))
                moderated.append((assessment, item.id, score, decision, False))
    return (
        pd.DataFrame(answers, columns=["assessment_id", "item_id", "value"]),
        pd.DataFrame(
            moderated, columns=["assessment_id", "item_id", "score", "na_decision", "confirmed"]
        ),
        pd.Series(populations),
    )


def text(value) -> str:
    return "" if value is None or value != value else repr(float(value))


@pytest.mark.parametrize("version", sorted(QUESTIONNAIRES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_independent_implementation_agrees_with_the_engine_on_every_response(version, data):
    """For any response (v1 and v2 rules), the script's statuses, item scores, indices,
    coverage and counts equal the application's to 9 decimals."""
    definition = QUESTIONNAIRES[version]
    answers, moderated, populations = data.draw(rounds(definition))
    ids = list(populations.index)
    items, scores = scoring.score(answers, definition, moderated, populations, assessment_ids=ids)
    values = {(a, i): v for a, i, v in answers.itertuples(index=False)}
    decisions = {(a, i): (s, d) for a, i, s, d, _c in moderated.itertuples(index=False)}
    rows = []
    for row in items.itertuples(index=False):
        score, decision = decisions.get((row.assessment_id, row.item_id), (None, None))
        value = values.pop((row.assessment_id, row.item_id), None)
        rows.append(
            {
                "assessment": str(row.assessment_id),
                "item_id": row.item_id,
                "status": row.status,
                "self_value": "" if value is None else json.dumps(value),
                "expert_score": text(score),
                "na_decision": decision or "",
                "self_score": text(row.self),
                "moderated_score": text(row.moderated),
            }
        )
    for (assessment, item_id), value in values.items():  # unscored answers: gates
        rows.append(
            {
                "assessment": str(assessment),
                "item_id": item_id,
                "status": "",
                "self_value": json.dumps(value),
                "expert_score": "",
                "na_decision": "",
                "self_score": "",
                "moderated_score": "",
            }
        )
    frame = scoring.item_frame(definition)
    tables = {
        "items": [
            {
                "item_id": r.item_id,
                "home_kind": r.home_kind,
                "home": r.home,
                "weight": repr(r.weight),
                "rule": r.rule,
                "dk_score": repr(r.dk_score),
                "gate": r.gate,
                "allow_na": "yes" if r.allow_na else "no",
            }
            for r in frame.itertuples(index=False)
        ],
        "answers": rows,
        "regions": [
            {"assessment": str(a), "population": text(p), "validated": "yes", "groups": ""}
            for a, p in populations.items()
        ],
    }
    manifest = {
        "method": definition.method,
        "c7_dimensions": [g.id for g in definition.c7_dimensions],
    }
    mine = recompute.Recomputed(manifest, tables)
    assert mine.problems == []
    theirs = {(str(r.assessment_id), r.kind, r.key): r for r in scores.itertuples(index=False)}
    assert set(theirs) == set(mine.scores)
    for key, row in theirs.items():
        entry = mine.scores[key]
        for column in ("self", "moderated", "coverage_self", "coverage_moderated"):
            assert recompute.same_full(entry[column], float(getattr(row, column))), (key, column)
        for column in ("counted", "total", "dk"):
            assert entry[column] == getattr(row, column), (key, column)

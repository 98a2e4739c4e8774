"""The export bundle (method annex §9): items, answers, regions, results and manifest; pseudonyms,
formula injection, numbers, long text, drafts, access."""

import hashlib
import io
import json
import zipfile

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.reporting.exports import export_tables, neutralised, write_csv_zip
from surveyapp.reviews.models import ModeratedScore

LONG_TEXT = "Cooperation with partners. " * 18  # 486 characters: beyond the 255 some tools keep
#: code -> (maturity level, role, consent to be named, state)
REGIONS = {
    "ES21": (1, "lead", True, AssessmentState.validated),
    "ES22": (2, "member", True, AssessmentState.validated),
    "ES23": (3, "none", False, AssessmentState.validated),
    "ES24": (4, "lead", False, AssessmentState.validated),
    "ES25": (5, "member", False, AssessmentState.validated),
    "ES26": (0, "none", True, AssessmentState.submitted),
}


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    round_ = create_round()
    writer = create_user(email="w@example.org")
    texts = {"ES21": '=HYPERLINK("http://evil")', "ES22": LONG_TEXT, "ES23": "-1 is a number?"}
    assessments = {}
    for code, (level, role, consent, state) in REGIONS.items():
        region = create_region(code, f"Region {code}", thematic_partnerships=["photonics"])
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "maturity", level, writer)
        save_answer(assessment, "role", role, writer)
        save_answer(assessment, "has_unit", level >= 2, writer)
        if level >= 2:
            save_answer(assessment, "unit_staff", level, writer)
        save_answer(assessment, "budget_share", 10 * level + 0.25, writer)
        save_answer(assessment, "practice", texts.get(code, "plain"), writer)
        save_answer(assessment, "platforms", ["energy", "blue"], writer)
        assessment.state = state
        assessment.consent_named = consent
        assessments[code] = assessment
    # An expert moderated ES24's maturity down to level 3.
    db.session.add(
        ModeratedScore(assessment_id=assessments["ES24"].id, item_id="maturity", score=60.0)
    )
    draft = create_assessment(region=create_region("FR10", "Draft region"), round_=round_)
    save_answer(draft, "practice", "draft text", writer)
    db.session.commit()
    return round_


def zipped(tables) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    write_csv_zip(tables, buffer)
    return zipfile.ZipFile(buffer)


def test_the_bundle_holds_submitted_assessments_under_pseudonyms(app, world):
    tables = export_tables(world)
    ids = set(tables.regions["assessment"])
    assert len(ids) == 6 and "FR10" not in ids  # the draft never appears
    named = tables.regions.set_index("assessment")
    # Consenting regions keep their code; the others get an id that says nothing about them.
    assert {"ES21", "ES22", "ES26"} <= ids
    hidden = sorted(ids - {"ES21", "ES22", "ES26"})
    assert all(i.startswith("R-") and len(i) == 12 for i in hidden)
    text = "\n".join(t.to_csv() for t in tables.named().values() if t is not tables.codebook)
    for code in ("ES23", "ES24", "ES25", "Region ES23", "Region ES24"):
        assert code not in text
    assert named.loc["ES21", "region_name"] == "Region ES21"
    assert (named.loc[hidden, "region_code"] == "").all()
    # Stable: the same round gives the same ids.
    assert set(export_tables(world).regions["assessment"]) == ids
    assert named["validated"].tolist().count("yes") == 5


def test_items_and_answers_are_the_annex_tables(app, world):
    tables = export_tables(world)
    items = tables.items.set_index("item_id")
    assert list(tables.items.columns[:3]) == ["item_id", "home_kind", "home"]
    assert json.loads(items.loc["maturity", "rule"]) == {"kind": "scale"}
    assert json.loads(items.loc["unit_staff", "gate"]) == {"item": "has_unit", "equals": True}
    answers = tables.answers
    maturity = answers[answers.item_id == "maturity"].set_index("assessment")
    assert maturity.loc["ES21", "self_value"] == "1"
    assert maturity.loc["ES21", "self_score"] == 20.0
    assert maturity.loc["ES21", "status"] == "value"
    # The expert's score is an input of the moderated score, and is exported as such.
    es24 = tables.regions.set_index("region_code", drop=False)
    expert = maturity[maturity["expert_score"].notna()]
    assert expert["expert_score"].tolist() == [60.0]
    assert expert["moderated_score"].tolist() == [60.0] and expert["self_score"].tolist() == [80.0]
    assert "ES24" not in es24.index  # ES24 did not consent
    staff = answers[answers.item_id == "unit_staff"].set_index("assessment")
    assert staff.loc["ES21", "status"] == "hidden"  # has_unit is "no": the item is hidden
    # Unscored answers come along (gates can be context items), without status or score.
    practice = answers[answers.item_id == "practice"]
    assert (practice["status"] == "").all() and practice["self_score"].isna().all()


def test_results_hold_every_index_as_printed_and_group_statistics(app, world):
    results = export_tables(world).results
    scores = results[results.record == "score"]
    assert set(scores["kind"]) <= {"index", "dimension", "aspect"}
    assert "overall" not in set(scores["key"])
    row = scores[(scores.assessment == "ES21") & (scores.key == "strategy")].iloc[0]
    assert row["self_shown"] and float(row["self_shown"]) == pytest.approx(row["self"], abs=0.05)
    for column in ("coverage_self", "coverage_moderated", "counted", "total", "dk"):
        assert column in scores.columns
    groups = results[results.record == "group"]
    everyone = groups[(groups.group == "all") & (groups.key == "strategy")].iloc[0]
    # Five validated regions: the median only, no quartiles, never min/max/mean.
    assert everyone["n"] == 5 and everyone["median_shown"] and pd.isna(everyone["q1"])
    assert not {"mean", "min", "max"} & set(results.columns)


def test_results_print_half_away_from_zero(app, world):
    """budget_share 10 x level + 0.25: ES21's strategy is (2 x 20 + 10.25 + 40) / 4 = 22.5625;
    the printed value is rounded once, from the value to 9 decimals."""
    results = export_tables(world).results
    for row in results[results.record == "score"].itertuples():
        for value, printed in ((row.self, row.self_shown), (row.moderated, row.moderated_shown)):
            if pd.isna(value):
                assert printed in ("", None) or pd.isna(printed)
            else:
                from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

                exact = Decimal(repr(value)).quantize(Decimal("1e-9"), ROUND_HALF_EVEN)
                assert printed == str(exact.quantize(Decimal("0.1"), ROUND_HALF_UP))


def test_neutralised_prefixes_formula_triggers_and_leaves_numbers():
    triggers = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "{=A1}"]
    table = pd.DataFrame({"text": [*triggers, "plain"], "number": [-1] * (len(triggers) + 1)})
    out = neutralised(table)
    assert list(out["text"]) == ["'" + text for text in triggers] + ["plain"]
    assert list(out["number"]) == list(table["number"])  # numbers stay numbers


def test_csv_bundle_with_manifest(app, client, login, create_user, world):
    login(create_user(email="e@example.org", role=Role.expert))
    response = client.get(f"/rounds/{world.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "answers.csv",
        "codebook.csv",
        "items.csv",
        "manifest.json",
        "regions.csv",
        "results.csv",
        "wide.csv",
    ]
    assert b"\r\n" in archive.read("answers.csv")
    manifest = json.loads(archive.read("manifest.json"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert manifest["questionnaire"]["slug"] == "small"
    assert len(manifest["questionnaire"]["content_sha256"]) == 64
    assert manifest["round"]["name"] == world.name and manifest["round"]["reference_date"]
    assert manifest["snapshot"] and manifest["method"]
    assert "do not publish as is" in manifest["disclosure"]  # it can identify unnamed regions
    wide = pd.read_csv(archive.open("wide.csv"), dtype=str).set_index("assessment")
    assert wide.loc["ES21", "practice"] == '\'=HYPERLINK("http://evil")'
    assert wide.loc["ES22", "practice"] == LONG_TEXT.strip()
    results = pd.read_csv(archive.open("results.csv"), dtype={"self_shown": str})
    scores = results[results.record == "score"]
    assert pd.api.types.is_float_dtype(scores["self"])
    source = export_tables(world).results
    source = source[source.record == "score"]
    assert scores["self"].round(9).tolist() == pytest.approx(
        source["self"].round(9).tolist(), nan_ok=True
    )


def test_a_changed_csv_no_longer_matches_the_manifest(app, world):
    archive = zipped(export_tables(world))
    manifest = json.loads(archive.read("manifest.json"))
    changed = archive.read("results.csv").replace(b"score", b"scare", 1)
    assert hashlib.sha256(changed).hexdigest() != manifest["files"]["results.csv"]


def test_xlsx_bundle(app, client, login, create_user, world):
    login(create_user(email="e@example.org", role=Role.admin))
    response = client.get(f"/rounds/{world.id}/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "items",
        "answers",
        "regions",
        "results",
        "codebook",
        "wide",
        "manifest",
    ]
    rows = list(book["wide"].iter_rows(values_only=True))
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    practice = {r["assessment"]: r["practice"] for r in records}
    assert practice["ES21"].startswith("'=")
    assert practice["ES22"] == LONG_TEXT.strip()  # complete, not truncated
    maturity = [r["maturity"] for r in records]
    assert all(isinstance(v, int | float) for v in maturity)
    assert {r["platforms"] for r in records} == {"energy; blue"}
    results = list(book["results"].iter_rows(values_only=True))
    header = results[0]
    score = dict(zip(header, results[1], strict=True))
    assert isinstance(score["self"], float) and isinstance(score["self_shown"], str)
    manifest = dict(book["manifest"].iter_rows(min_row=2, values_only=True))
    assert json.loads(manifest["questionnaire"])["slug"] == "small"


def test_officers_cannot_export(app, client, login, create_user, create_region, world):
    officer = create_user(email="o@example.org", regions=[create_region("ES29", "Other")])
    login(officer)
    assert client.get(f"/rounds/{world.id}/export.csv").status_code == 403


def test_export_command(app, cli, world, tmp_path):
    out = tmp_path / "round.xlsx"
    result = cli.invoke(
        args=["export", "--round", str(world.id), "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "items"
    missing = cli.invoke(args=["export", "--round", "999", "--format", "csv", "--out", str(out)])
    assert missing.exit_code != 0 and "no round with the id 999" in missing.output


def test_a_text_too_long_for_a_cell_is_an_error_not_a_cut(tmp_path):
    from surveyapp.reporting.exports import ExportError, ExportTables, write_xlsx

    huge = pd.DataFrame({"value": ["x" * 40000]})
    tables = ExportTables(
        items=huge, answers=huge, regions=huge, results=huge, codebook=huge, wide=huge
    )
    with pytest.raises(ExportError, match="more than a spreadsheet cell holds"):
        write_xlsx(tables, str(tmp_path / "out.xlsx"))


def test_a_later_round_has_other_pseudonyms_and_a_panel_trend(app, world, create_user):
    from datetime import date

    from surveyapp.rounds.models import Round, RoundState

    later = Round(
        name="2027 spring",
        questionnaire=world.questionnaire,
        opens_on=date(2027, 3, 1),
        closes_on=date(2027, 5, 31),
        state=RoundState.open,
    )
    db.session.add(later)
    writer = create_user(email="later@example.org")
    first = export_tables(world).regions.set_index("region_code", drop=False)
    counted = db.session.scalars(
        select(Assessment).where(
            Assessment.round_id == world.id, Assessment.state != AssessmentState.draft
        )
    ).all()
    for assessment in counted:
        again = Assessment(region=assessment.region, round=later)
        db.session.add(again)
        db.session.flush()
        save_answer(again, "maturity", 5, writer)
        save_answer(again, "budget_share", 50.0, writer)
        again.state = AssessmentState.validated
        again.consent_named = assessment.consent_named
    db.session.commit()
    tables = export_tables(later)
    hidden_now = {i for i in tables.regions["assessment"] if i.startswith("R-")}
    hidden_before = {i for i in first["assessment"] if i.startswith("R-")}
    assert len(hidden_now) == 3 and not hidden_now & hidden_before
    trend = tables.results[tables.results["record"] == "trend"].set_index("key")
    # The panel: the five regions validated in both rounds (ES26 was only submitted before).
    assert trend.loc["strategy", "n"] == 5
    assert trend.loc["strategy", "previous_round"] == world.name
    assert trend.loc["strategy", "median_change_shown"].lstrip("'").startswith("+")

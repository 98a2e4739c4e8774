"""Exports: round trip through pandas, formula injection, numbers, long text, drafts, access."""

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.reporting.exports import export_tables, safe_text

LONG_TEXT = "Cooperation with partners. " * 18  # 486 characters: beyond the 255 some tools keep


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    round_ = create_round()
    writer = create_user(email="w@example.org")
    texts = {"ES21": '=HYPERLINK("http://evil")', "ES22": LONG_TEXT, "ES23": "-1 is a number?"}
    for number, (code, text) in enumerate(texts.items()):
        assessment = create_assessment(region=create_region(code, f"Region {code}"), round_=round_)
        save_answer(assessment, "maturity", number + 1, writer)
        save_answer(assessment, "practice", text, writer)
        save_answer(assessment, "platforms", ["energy", "blue"], writer)
        assessment.state = AssessmentState.submitted
    draft = create_assessment(region=create_region("FR10", "Draft region"), round_=round_)
    save_answer(draft, "practice", "draft text", writer)
    db.session.commit()
    return round_


def test_tables_hold_submitted_assessments_only(app, world):
    tables = export_tables(world)
    assert set(tables.long["region_code"]) == {"ES21", "ES22", "ES23"}
    assert list(tables.wide["region_code"]) == ["ES21", "ES22", "ES23"]
    maturity = tables.long[tables.long.item_id == "maturity"].set_index("region_code")
    assert list(maturity["value"]) == [1, 2, 3]
    assert list(maturity["score_self"]) == [20.0, 40.0, 60.0]
    assert "maturity" in set(tables.codebook["item_id"])


def test_safe_text_neutralises_formula_triggers():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "{=A1}"):
        assert safe_text(text) == "'" + text
    assert safe_text("plain") == "plain"
    assert safe_text(-1) == -1  # numbers stay numbers


def test_csv_round_trip(app, client, login, create_user, world):
    login(create_user(email="e@example.org", role=Role.expert))
    response = client.get(f"/rounds/{world.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["codebook.csv", "long.csv", "scores.csv", "wide.csv"]
    assert b"\r\n" in archive.read("long.csv")
    long = pd.read_csv(archive.open("long.csv"), dtype={"value": str})
    practice = long[long.item_id == "practice"].set_index("region_code")["value"]
    assert practice["ES21"] == '\'=HYPERLINK("http://evil")'
    assert practice["ES22"] == LONG_TEXT.strip()
    assert practice["ES23"] == "'-1 is a number?"
    scores = pd.read_csv(archive.open("scores.csv"))
    assert pd.api.types.is_float_dtype(scores["score_self"])
    source = export_tables(world).scores
    assert scores["score_self"].round(6).tolist() == source["score_self"].round(6).tolist()


def test_xlsx_round_trip(app, client, login, create_user, world):
    login(create_user(email="e@example.org", role=Role.admin))
    response = client.get(f"/rounds/{world.id}/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["long", "wide", "scores", "codebook"]
    rows = list(book["long"].iter_rows(values_only=True))
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    practice = {r["region_code"]: r["value"] for r in records if r["item_id"] == "practice"}
    assert practice["ES21"].startswith("'=")
    assert practice["ES22"] == LONG_TEXT.strip()  # complete, not truncated
    maturity = [r["value"] for r in records if r["item_id"] == "maturity"]
    assert maturity == [1, 2, 3] and all(isinstance(v, int | float) for v in maturity)
    platforms = {r["region_code"]: r["value"] for r in records if r["item_id"] == "platforms"}
    assert platforms["ES21"] == "energy; blue"


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
    assert openpyxl.load_workbook(out).sheetnames[0] == "long"
    missing = cli.invoke(args=["export", "--round", "999", "--format", "csv", "--out", str(out)])
    assert missing.exit_code != 0 and "no round with the id 999" in missing.output


def test_a_text_too_long_for_a_cell_is_an_error_not_a_cut(tmp_path):
    from surveyapp.reporting.exports import ExportError, ExportTables, write_xlsx

    huge = pd.DataFrame({"value": ["x" * 40000]})
    tables = ExportTables(long=huge, wide=huge, scores=huge, codebook=huge)
    with pytest.raises(ExportError, match="more than a spreadsheet cell holds"):
        write_xlsx(tables, str(tmp_path / "out.xlsx"))

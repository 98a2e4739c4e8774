"""The export bundle (method annex §9): items, answers, regions, results and manifest; pseudonyms,
formula injection, numbers, long text, drafts, access; usable as it comes (issue 25): CSV with a
byte-order mark, scores rounded as printed beside every digit, yes/no booleans in both formats,
XLSX frozen, filtered and sized, the codebook and the columns table."""

import csv
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.numbers import format_score
from surveyapp.regions.models import Region
from surveyapp.reporting.exports import (
    COLUMN_MEANINGS,
    MAX_WIDTH,
    ROUNDED,
    TABLES,
    ExportTables,
    _assessment_counts,
    _each_distinct,
    _json,
    _plain,
    csv_bytes,
    export_tables,
    neutralised,
    rounded,
    with_rounded,
    write_csv_zip,
    write_xlsx,
)
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
    assert row["self"] == pytest.approx(row["self_exact"], abs=0.05)
    for column in ("coverage_self", "coverage_moderated", "counted", "total", "dk"):
        assert column in scores.columns
    groups = results[results.record == "group"]
    everyone = groups[(groups.group == "all") & (groups.key == "strategy")].iloc[0]
    # Five validated regions: the median only, no quartiles, never min/max/mean.
    assert everyone["n"] == 5 and everyone["median"] >= 0 and pd.isna(everyone["q1"])
    assert not {"mean", "min", "max"} & set(results.columns)


def test_results_print_half_away_from_zero(app, world):
    """budget_share 10 x level + 0.25: ES21's strategy is (2 x 20 + 10.25 + 40) / 4 = 22.5625;
    the printed value is rounded once, from the value to 9 decimals."""
    results = export_tables(world).results
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

    for row in results[results.record == "score"].itertuples():
        for value, printed in ((row.self_exact, row.self), (row.moderated_exact, row.moderated)):
            if pd.isna(value):
                assert pd.isna(printed)
            else:
                exact = Decimal(repr(value)).quantize(Decimal("1e-9"), ROUND_HALF_EVEN)
                assert repr(float(printed)) == str(exact.quantize(Decimal("0.1"), ROUND_HALF_UP))


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
        "columns.csv",
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
    wide = pd.read_csv(archive.open("wide.csv"), dtype=str, encoding="utf-8-sig")
    wide = wide.set_index("assessment")
    assert wide.loc["ES21", "practice"] == '\'=HYPERLINK("http://evil")'
    assert wide.loc["ES22", "practice"] == LONG_TEXT.strip()
    results = pd.read_csv(archive.open("results.csv"), encoding="utf-8-sig")
    scores = results[results.record == "score"]
    assert pd.api.types.is_float_dtype(scores["self"])
    assert pd.api.types.is_float_dtype(scores["self_exact"])
    source = export_tables(world).results
    source = source[source.record == "score"]
    assert scores["self_exact"].round(9).tolist() == pytest.approx(
        source["self_exact"].round(9).tolist(), nan_ok=True
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
        "columns",
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
    # The cell of the rounded column holds every digit; its number format shows one decimal.
    assert isinstance(score["self"], float) and score["self"] == score["self_exact"]
    assert book["results"].cell(2, header.index("self") + 1).number_format == "0.0"
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
    assert trend.loc["strategy", "median_change"] > 0
    assert trend.loc["strategy", "median_change"] == rounded(
        trend.loc["strategy", "median_change_exact"]
    )


# -- issue 25, part 4: exports people can use as they come ----------------------------------------


def csv_tables(archive: zipfile.ZipFile) -> dict[str, list[list[str]]]:
    """Every CSV file of the bundle as rows of cells, read as Excel and pandas are told to."""
    return {
        name: list(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))
        for name in TABLES
    }


def test_csv_files_start_with_a_byte_order_mark_and_keep_accents(app, world):
    region = db.session.scalar(select(Region).filter_by(code="ES21"))
    region.name = "País Vasco"
    db.session.commit()
    archive = zipped(export_tables(world))
    for name in TABLES:
        data = archive.read(f"{name}.csv")
        assert data.startswith(b"\xef\xbb\xbf"), name
        assert not data[3:].startswith(b"\xef\xbb\xbf"), name  # one mark, not two
    assert not archive.read("manifest.json").startswith(b"\xef\xbb\xbf")  # JSON has none
    regions = pd.read_csv(archive.open("regions.csv"), encoding="utf-8-sig", dtype=str)
    assert regions.columns[0] == "assessment"  # the mark is not part of the first name
    assert "País Vasco" in set(regions["region_name"])
    assert "País Vasco".encode() in archive.read("regions.csv")


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.floats(min_value=-100, max_value=100, allow_nan=False),
            st.integers(min_value=0, max_value=1000).map(lambda n: n / 40),  # ties like 40.25
            st.integers(min_value=0, max_value=10**6).map(lambda n: n / 10**4 + 0.05),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_a_rounded_column_is_always_the_printed_exact_one(values):
    """For any score, the CSV's rounded cell is format_score of the exact cell, and the exact
    cell gives back the very float."""
    table = with_rounded(pd.DataFrame({"key": "k", "self": values}), ("self",))
    assert list(table.columns) == ["key", "self", "self_exact"]
    rows = list(csv.DictReader(io.StringIO(csv_bytes(table).decode("utf-8-sig"))))
    for value, row in zip(values, rows, strict=True):
        if value is None:
            assert row["self"] == row["self_exact"] == ""
            continue
        assert float(row["self_exact"]) == value
        assert row["self"] == format_score(float(row["self_exact"]), "en")
        assert row["self"] == format_score(value, "en")


def test_every_score_column_of_the_bundle_is_rounded_as_printed(app, world):
    archive = zipped(export_tables(world))
    tables = csv_tables(archive)
    checked = 0
    for name, columns in ROUNDED.items():
        header, *rows = tables[name]
        for column in columns:
            shown, exact = header.index(column), header.index(column + "_exact")
            assert exact == shown + 1  # side by side
            for row in rows:
                full = float(row[exact]) if row[exact] else None
                assert row[shown] == format_score(full, "en"), (name, column, row)
                checked += row[exact] != ""
    assert checked > 50


def test_booleans_are_spelled_the_same_in_csv_and_xlsx(app, world, tmp_path):
    tables = export_tables(world)
    # A bool that reaches the writer (a numpy or Python one) is written yes/no too.
    tables.items = tables.items.assign(flag=[i % 2 == 0 for i in range(len(tables.items))])
    tables.regions = tables.regions.assign(mixed=[True, "x", None, False, "y", True])
    from_csv = csv_tables(zipped(tables))
    write_xlsx(tables, tmp_path / "round.xlsx")
    book = openpyxl.load_workbook(tmp_path / "round.xlsx")
    booleans = 0
    for name in TABLES:
        sheet = [list(row) for row in book[name].iter_rows(values_only=True)]
        assert sheet[0] == from_csv[name][0], name
        for csv_row, xlsx_row in zip(from_csv[name][1:], sheet[1:], strict=True):
            for text, cell in zip(csv_row, xlsx_row, strict=True):
                assert not isinstance(cell, bool), (name, cell)
                assert text not in ("True", "False"), name
                if text in ("yes", "no"):
                    assert cell == text, (name, text, cell)
                    booleans += 1
    assert booleans > 20
    assert {r[-1] for r in from_csv["items"][1:]} == {"yes", "no"}
    assert [r[-1] for r in from_csv["regions"][1:]] == ["yes", "x", "", "no", "y", "yes"]
    assert "yes" in export_tables(world).manifest["rules"]["booleans"]


def column_widths(sheet) -> dict[str, float]:
    """Header -> the width the sheet gives its column (a <col> may span several columns)."""
    by_index = {}
    for dimension in sheet.column_dimensions.values():
        if dimension.customWidth:
            for index in range(dimension.min, dimension.max + 1):
                by_index[index] = dimension.width
    return {sheet.cell(1, c).value: by_index.get(c) for c in range(1, sheet.max_column + 1)}


def test_xlsx_sheets_are_frozen_filtered_and_sized(app, world, tmp_path):
    write_xlsx(export_tables(world), tmp_path / "round.xlsx")
    book = openpyxl.load_workbook(tmp_path / "round.xlsx")
    for sheet in book.worksheets:
        assert sheet.freeze_panes == ("B2" if sheet.title == "wide" else "A2"), sheet.title
        last = sheet.cell(1, sheet.max_column).column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", sheet.title
        assert sheet.print_title_rows in ("1:1", "$1:$1"), sheet.title  # on every printed page
        widths = column_widths(sheet)
        assert all(w is not None and 6 <= w <= MAX_WIDTH + 1 for w in widths.values()), (
            sheet.title,
            widths,
        )
    wide = column_widths(book["wide"])
    # The long practice text gets the widest column the cap allows, a score a narrow one.
    assert wide["practice"] >= MAX_WIDTH and wide["maturity"] < 20
    results = column_widths(book["results"])
    assert results["self"] < 20 and results["self_exact"] > results["self"]
    assert results["assessment"] >= len("R-0123456789")


def test_the_codebook_describes_every_item(app, world):
    tables = export_tables(world)
    codebook = tables.codebook.set_index("item_id")
    for column in (
        "type",
        "unit",
        "min",
        "max",
        "options",
        "option_scores",
        "show_if",
        "target",
        "target_per_million",
        "dimension",
        "aspects",
        "weight",
        "period",
    ):
        assert column in codebook.columns, column
    staff = codebook.loc["unit_staff"]
    assert staff["unit"] == "full-time equivalents"
    assert (staff["min"], staff["max"], staff["target"]) == (0, 500, 4)
    assert json.loads(staff["show_if"]) == {"item": "has_unit", "equals": True}
    assert staff["dimension"] == "governance" and staff["weight"] == 1.0
    maturity = codebook.loc["maturity"]
    assert maturity["aspects"] == "sme_adoption" and maturity["weight"] == 2.0
    assert maturity["option_scores"].startswith("0=0 | 1=20") and "3=Fair" in maturity["options"]
    assert codebook.loc["role", "option_scores"] == "lead=100 | member=50 | none=0"
    assert codebook.loc["has_unit", "option_scores"] == "yes=100 | no=0"
    assert codebook.loc["budget_share", "unit"] == "%"
    assert (codebook.loc["budget_share", "min"], codebook.loc["budget_share", "max"]) == (0, 100)
    practice = codebook.loc["practice"]
    assert practice["scored"] == "no" and pd.isna(practice["weight"])
    assert practice["option_scores"] == ""


def test_every_column_of_every_table_is_described(app, world):
    tables = export_tables(world)
    described = tables.columns
    assert list(described.columns) == ["table", "column", "meaning"]
    assert (described["meaning"].str.len() > 10).all(), described[described["meaning"] == ""]
    listed = set(zip(described["table"], described["column"], strict=True))
    for name in TABLES:
        table = getattr(tables, name)
        columns = ["assessment", "<item_id>"] if name == "wide" else table.columns
        for column in columns:
            assert (name, column) in listed, (name, column)
    assert set(COLUMN_MEANINGS) == set(TABLES)
    meaning = described.set_index(["table", "column"])["meaning"]
    assert "rounded as the reports print it" in meaning[("results", "self")]
    assert "every digit" in meaning[("results", "self_exact")]
    # The two codes an answer column may hold beside values (a data user met them undocumented).
    for column in (("wide", "<item_id>"), ("answers", "self_value")):
        assert (
            "dk" in meaning[column] and "na" in meaning[column] and "Don't know" in meaning[column]
        )


def test_an_empty_table_still_gets_a_sheet(tmp_path):
    empty = pd.DataFrame({"value": pd.Series(dtype=float)})
    tables = ExportTables(
        items=empty, answers=empty, regions=empty, results=empty, codebook=empty, wide=empty
    )
    write_xlsx(tables, tmp_path / "empty.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "empty.xlsx")["items"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref in ("A1", "A1:A1")
    assert column_widths(sheet)["value"] >= 6


_CELL_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, 1, True, Decimal("1.0"), Decimal("1.00")]),
    st.text(max_size=3),
    st.lists(st.sampled_from(["a", "b", 1]), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL_VALUES, max_size=40))
def test_values_written_once_per_distinct_value_are_written_as_each_alone(values):
    # The exports convert each distinct value once; the cells must be those of one by one.
    for function in (_plain, repr):
        assert _each_distinct(function, values) == [function(v) for v in values]
    stored = [v for v in values if not isinstance(v, Decimal)]  # answers are stored as JSON
    assert _each_distinct(_json, stored) == [_json(v) for v in stored]


def test_an_export_waits_for_a_free_slot(app, client, login, create_user, world):
    from surveyapp.reporting.views import export_slot

    app.config["EXPORTS_AT_ONCE"] = 1
    login(create_user(email="e@example.org", role=Role.expert))
    with app.test_request_context(), export_slot() as held:
        assert held  # another worker's export, say
        response = client.get(f"/rounds/{world.id}/export.xlsx")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"
    assert client.get(f"/rounds/{world.id}/export.xlsx").status_code == 200


COUNTED_STATE_NAMES = [str(state) for state in AssessmentState if state != AssessmentState.draft]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(COUNTED_STATE_NAMES), st.booleans()), min_size=0, max_size=30
    )
)
def test_the_manifest_counts_every_assessment_once_and_the_late_ones_apart(rows):
    """However the round's assessments stand, the manifest's counts add up to the assessments
    counted, always say how many are validated (what the figures count) and how many were
    validated after the close, and never count a late one as validated."""
    frame = pd.DataFrame(
        {
            "state": [state for state, _late in rows],
            "validated_late": [late and state == "validated" for state, late in rows],
        }
    )
    counts = _assessment_counts(frame)
    assert counts["counted"] == len(rows)
    assert sum(v for k, v in counts.items() if k != "counted") == len(rows)
    validated = sum(state == "validated" for state, _late in rows)
    late = int(frame["validated_late"].sum())
    assert (counts["validated"], counts["validated_late"]) == (validated - late, late)

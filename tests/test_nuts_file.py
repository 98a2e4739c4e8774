"""Tests for the NUTS CSV parser."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from surveyapp.regions.nuts_file import NutsRow, RegionFileError, read_nuts_csv

HEADER = "Country code,NUTS Code,NUTS label,NUTS level"
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "nuts2024-eu27.csv"


def write(tmp_path: Path, *lines: str, name: str = "regions.csv") -> Path:
    """Write lines to a CSV file and return its path."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    """Return the errors read_nuts_csv raises for a file."""
    with pytest.raises(RegionFileError) as caught:
        read_nuts_csv(path)
    return caught.value.errors


def test_reads_valid_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "BE,BE,Belgique/België,0", "BE,BE1,Vlaams Gewest,1")
    assert read_nuts_csv(path) == [
        NutsRow(code="BE", name="Belgique/België", country="BE", level=0),
        NutsRow(code="BE1", name="Vlaams Gewest", country="BE", level=1),
    ]


def test_accepts_bom_semicolons_and_loose_header(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = (
        " country CODE ;Nuts Code; NUTS LABEL;nuts level\r\nEL;EL;Elláda;0\r\nEL;EL3;Attiki;1\r\n"
    )
    path.write_bytes("\ufeff".encode() + text.encode())
    assert [row.code for row in read_nuts_csv(path)] == ["EL", "EL3"]


def test_quoted_label_with_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "EL,EL,Elláda,0", 'EL,EL4,"Nisia Aigaiou, Kriti",1')
    assert read_nuts_csv(path)[1].name == "Nisia Aigaiou, Kriti"


def test_country_column_is_optional(tmp_path: Path) -> None:
    path = write(tmp_path, "NUTS Code,NUTS label,NUTS level", "DE,Deutschland,0", "DE1,BW,1")
    assert [row.country for row in read_nuts_csv(path)] == ["DE", "DE"]


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ",Country order", "MT,MT,Malta,0,18")
    assert read_nuts_csv(path) == [NutsRow("MT", "Malta", "MT", 0)]


def test_one_country_without_level_zero_skips_parent_check(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "DE,DE11,Stuttgart,2", "DE,DE12,Karlsruhe,2")
    assert len(read_nuts_csv(path)) == 2


def test_blank_lines_skipped_and_line_numbers_are_physical(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER, "", "BE,BE,Belgique,0", '"BE","BE1","Two\nlines",1', "", "BE,,X,1"
    )
    assert errors_of(path) == [
        "line 4: NUTS label contains a control character",
        "line 7: empty NUTS Code",
    ]


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "Country code,NUTS Code", "BE,BE")
    assert errors_of(path) == ["line 1: missing required columns: 'NUTS label', 'NUTS level'"]


def test_duplicate_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ",nuts code", "BE,BE,Belgique,0,BE")
    assert errors_of(path) == ["line 1: column 'NUTS Code' appears twice"]


def test_empty_file(tmp_path: Path) -> None:
    assert errors_of(write(tmp_path, "", "  ")) == [
        "line 1: the file is empty; expected a header and regions"
    ]


def test_header_only(tmp_path: Path) -> None:
    assert errors_of(write(tmp_path, HEADER)) == ["line 1: the file has a header but no regions"]


def test_empty_code(tmp_path: Path) -> None:
    assert errors_of(write(tmp_path, HEADER, "BE, ,Belgique,0")) == ["line 2: empty NUTS Code"]


def test_empty_name(tmp_path: Path) -> None:
    assert errors_of(write(tmp_path, HEADER, "BE,BE, ,0")) == ["line 2: empty NUTS label"]


@pytest.mark.parametrize("code", ["be", "B", "BE1234", "BE-1", "1E"])
def test_invalid_code(tmp_path: Path, code: str) -> None:
    (error,) = errors_of(write(tmp_path, HEADER, f"BE,{code},Somewhere,1"))
    assert error.startswith(f"line 2: invalid NUTS Code {code!r}")


@pytest.mark.parametrize("level", ["", "x", "4", "-1", "1.0", "²"])
def test_invalid_level(tmp_path: Path, level: str) -> None:
    path = write(tmp_path, HEADER, f"BE,BE1,Vlaams Gewest,{level}")
    assert errors_of(path) == [f"line 2: NUTS level {level!r} is not an integer 0-3"]


def test_level_inconsistent_with_code(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "BE,BE1,Vlaams Gewest,2")
    assert errors_of(path) == ["line 2: NUTS level 2 does not match NUTS Code 'BE1' (level 1)"]


def test_country_inconsistent_with_code(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "GR,EL3,Attiki,1")
    assert errors_of(path) == ["line 2: Country code 'GR' does not match NUTS Code 'EL3'"]


def test_duplicate_code_names_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "BE,BE,Belgique,0", "BE,BE1,Vlaams,1", "BE,BE1,Vlaams,1")
    assert errors_of(path) == ["line 4: duplicate NUTS Code 'BE1', first on line 3"]


def test_missing_parent(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "BE,BE,Belgique,0", "BE,BE21,Prov. Antwerpen,2")
    assert errors_of(path) == ["line 3: parent 'BE2' of 'BE21' is not in the file"]


def test_unquoted_delimiter_in_label(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "EL,EL4,Nisia Aigaiou, Kriti,1")
    assert errors_of(path) == [
        "line 2: NUTS level 'Kriti' is not an integer 0-3",
        "line 2: 5 fields but the header has 4 (a label containing the delimiter must be quoted)",
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nBE,BE,Belgique,0\nBE,BE3,Région wallonne,1\n".encode("latin-1"))
    assert errors_of(path) == ["line 3: not valid UTF-8 (save the file as CSV UTF-8)"]


def test_collects_all_errors_and_str_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "BE,BE,,0", "BE,BE1,Vlaams,7", "BE,BE1,Vlaams,1", name="x.csv")
    with pytest.raises(RegionFileError) as caught:
        read_nuts_csv(path)
    assert str(caught.value) == (
        "x.csv: line 2: empty NUTS label\n"
        "x.csv: line 3: NUTS level '7' is not an integer 0-3\n"
        "x.csv: line 4: duplicate NUTS Code 'BE1', first on line 3"
    )


def test_shipped_file() -> None:
    rows = read_nuts_csv(SHIPPED)
    assert Counter(row.level for row in rows) == {0: 27, 1: 92, 2: 244}
    countries = {row.country for row in rows}
    assert len(countries) == 27
    assert "EL" in countries
    assert "GR" not in countries
    assert not any(row.code.startswith("GR") for row in rows)
    non_latin = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff]")
    assert [row.code for row in rows if non_latin.search(row.name)] == []
    names = {row.code: row.name for row in rows}
    assert names["EL"] == "Elláda"
    assert names["EL30"] == "Attiki"
    assert names["BG3"] == "Severna i Yugoiztochna Bulgaria"
    extra_regio = [code for code, name in names.items() if "Extra-Regio" in name or "Z" in code[2:]]
    assert extra_regio == []

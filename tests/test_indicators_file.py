"""Reading Eurostat's structural indicators (METHOD D16) from SDMX-CSV and TSV files: pure
reads, no app or database."""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.regions.indicators_file import (
    DATASETS,
    INDICATORS,
    IndicatorFile,
    IndicatorFileError,
    IndicatorRow,
    read_indicator_file,
)
from surveyapp.regions.nuts_file import DataFileError

GDP_TSV = (
    "freq,unit,geo\\TIME_PERIOD\t2020 \t2021 \t2022 \n"
    "A,EUR_HAB,ES21\t33100 \t35000 \t37000 p\n"
    "A,MIO_PPS_EU27_2020,ES21\t68000.12 \t70000.5 \t75000 p\n"
    "A,PPS_EU27_2020_HAB,EL30\t24500 \t: \t27300 p\n"
    "A,PPS_EU27_2020_HAB,ES21\t31500 \t32400 \t35100.5 p\n"
    "A,PPS_EU27_2020_HAB,EU27_2020\t30000 \t32400 \t35600 \n"
    "A,PPS_EU27_2020_HAB,MT00\t: c\t30900 e\t33100 bp\n"
    "A,PPS_EU27_2020_HAB,EA20\t29000 \t31000 \t34000 \n"
    "A,PPS_EU27_2020_HAB,EE00\t27100 \t: \t: \n"
)
EMPERS_HEADER = (
    "DATAFLOW,LAST UPDATE,freq,unit,wstatus,nace_r2,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS"
)
EMPERS_DATAFLOW = "ESTAT:NAMA_10R_3EMPERS(1.0),17/04/2025 23:00:00"


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write text as UTF-8 to a file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_gzip(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()))
    return path


def empers(*rows: str) -> str:
    """An SDMX-CSV 1.0 file of nama_10r_3empers; each row from ``freq`` on."""
    return "\n".join([EMPERS_HEADER, *(f"{EMPERS_DATAFLOW},{row}" for row in rows)]) + "\n"


def rows_of(result: IndicatorFile) -> list[tuple[str, str, int, float, str]]:
    """The rows without their lines and sources: what two layouts must agree on."""
    return sorted((r.code, r.indicator, r.year, r.value, r.flags) for r in result.rows)


def errors_of(path: Path, **options) -> list[str]:
    """The errors read_indicator_file raises for a file."""
    with pytest.raises(IndicatorFileError) as caught:
        read_indicator_file(path, **options)
    assert caught.value.filename == path.name
    return caught.value.errors


# --- the registry ---------------------------------------------------------------------------


def test_the_registry_holds_the_five_structural_indicators():
    assert sorted(INDICATORS) == [
        "density",
        "employment_agriculture",
        "employment_industry",
        "gdp_pps_per_head",
        "tertiary_attainment",
    ]
    assert DATASETS == {
        "demo_r_d3dens": ("density",),
        "edat_lfse_04": ("tertiary_attainment",),
        "nama_10r_2gdp": ("gdp_pps_per_head",),
        "nama_10r_3empers": ("employment_agriculture", "employment_industry"),
    }
    assert [key for key, indicator in INDICATORS.items() if indicator.log] == ["density"]
    shares = {key: indicator.per for key, indicator in INDICATORS.items() if indicator.per}
    assert shares == {
        "employment_agriculture": {"nace_r2": "TOTAL"},
        "employment_industry": {"nace_r2": "TOTAL"},
    }
    assert INDICATORS["tertiary_attainment"].select == {
        "unit": "PC",
        "sex": "T",
        "age": "Y25-64",
        "isced11": "ED5-8",
    }


# --- TSV ------------------------------------------------------------------------------------


def test_gzipped_tsv_reads_the_unit_with_flags_and_skips_gaps_and_aggregates(tmp_path):
    path = write_gzip(tmp_path, "nama_10r_2gdp.tsv.gz", GDP_TSV)
    result = read_indicator_file(path)
    assert (result.dataset, result.layout, result.missing) == ("nama_10r_2gdp", "tsv", 4)
    assert rows_of(result) == [
        ("EE00", "gdp_pps_per_head", 2020, 27100.0, ""),
        ("EL30", "gdp_pps_per_head", 2020, 24500.0, ""),
        ("EL30", "gdp_pps_per_head", 2022, 27300.0, "p"),
        ("ES21", "gdp_pps_per_head", 2020, 31500.0, ""),
        ("ES21", "gdp_pps_per_head", 2021, 32400.0, ""),
        ("ES21", "gdp_pps_per_head", 2022, 35100.5, "p"),
        ("MT00", "gdp_pps_per_head", 2021, 30900.0, "e"),
        ("MT00", "gdp_pps_per_head", 2022, 33100.0, "bp"),
    ]
    assert result.rows[0] == IndicatorRow(
        line=4,
        code="EL30",
        indicator="gdp_pps_per_head",
        year=2020,
        value=24500.0,
        flags="",
        source="Eurostat nama_10r_2gdp",
    )


def test_older_tsv_header_named_dataset_source_and_years(tmp_path):
    text = "unit,geo\\time\t2019 \t2020 \t2021 \nPER_KM2,AT13\t4600.1 \t4650.3 b\t4700 p\n"
    path = write(tmp_path, "download.tsv", text)
    result = read_indicator_file(
        path, dataset="DEMO_R_D3DENS", source="Eurostat, 2024 release", years=frozenset({2020})
    )
    assert result.dataset == "demo_r_d3dens"
    assert result.rows == [
        IndicatorRow(2, "AT13", "density", 2020, 4650.3, "b", "Eurostat, 2024 release")
    ]


def test_tsv_reads_only_annual_rows(tmp_path):
    text = (
        "freq,unit,geo\\TIME_PERIOD\t2021 \n"
        "A,PER_KM2,ES21\t306.8 \n"
        "Q,PER_KM2,ES21\t999 \n"
        "a,PER_KM2,ES22\t5 \n"  # codes are compared exactly: "a" is not annual
    )
    result = read_indicator_file(write(tmp_path, "demo_r_d3dens.tsv", text))
    assert rows_of(result) == [("ES21", "density", 2021, 306.8, "")]


# --- SDMX-CSV -------------------------------------------------------------------------------


def test_sdmx_csv_shares_of_total_employment_with_the_union_of_flags(tmp_path):
    text = empers(
        "A,THS,EMP,A,ES21,2021,12.5,p,",
        "A,THS,EMP,B-E,ES21,2021,230.0,,",
        "A,THS,EMP,TOTAL,ES21,2021,1000.0,be,",
        "A,THS,SAL,A,ES21,2021,3.1,,",  # employees only: another breakdown
        "A,THS,EMP,F,ES21,2021,70.0,,",  # construction: no indicator
        "A,THS,EMP,A,EU27_2020,2021,8000,,",  # an aggregate
        "A,PC_TOT,EMP,A,ES21,2021,1.3,,",  # another unit
        "A,THS,EMP,A,EL30,2021,4.0,e,",
        "A,THS,EMP,TOTAL,EL30,2021,0,,",  # zero denominator: no share
        "A,THS,EMP,B-E,EL30,2021,,,C",  # confidential: not available
        "A,THS,EMP,A,MT00,2021,1.2,,",  # no total for MT00
    )
    result = read_indicator_file(write(tmp_path, "empers.csv", text))
    assert (result.dataset, result.layout, result.missing) == ("nama_10r_3empers", "sdmx-csv", 3)
    assert rows_of(result) == [
        ("ES21", "employment_agriculture", 2021, pytest.approx(1.25), "bep"),
        ("ES21", "employment_industry", 2021, pytest.approx(23.0), "be"),
    ]
    assert [row.line for row in result.rows] == [2, 3]


def test_a_share_of_the_whole_is_exactly_100(tmp_path):
    # 100 * 193.258 / 193.258 is not 100 in floating point.
    text = empers("A,THS,EMP,A,FI1D,2021,193.258,,", "A,THS,EMP,TOTAL,FI1D,2021,193.258,,")
    assert read_indicator_file(write(tmp_path, "empers.csv", text)).rows[0].value == 100.0


def test_sdmx_csv_2_with_columns_in_another_order(tmp_path):
    text = (
        "STRUCTURE,STRUCTURE_ID,ACTION,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,freq,unit,sex,isced11,age\n"
        "dataflow,ESTAT:EDAT_LFSE_04(1.0),I,ES21,2023,48.9,,A,PC,T,ED5-8,Y25-64\n"
        "dataflow,ESTAT:EDAT_LFSE_04(1.0),I,ES21,2023,52.1,,A,PC,F,ED5-8,Y25-64\n"
        "dataflow,ESTAT:EDAT_LFSE_04(1.0),I,ES21,2023,25.0,,A,PC,T,ED0-2,Y25-64\n"
        "dataflow,ESTAT:EDAT_LFSE_04(1.0),I,ES21,2023,40.0,,A,PC,T,ED5-8,Y25-34\n"
        "dataflow,ESTAT:EDAT_LFSE_04(1.0),I,ES,2023,41.2,b,A,PC,T,ED5-8,Y25-64\n"
        "dataflow,ESTAT:EDAT_LFSE_04(1.0),I,EA20,2023,35.0,,A,PC,T,ED5-8,Y25-64\n"
    )
    result = read_indicator_file(write(tmp_path, "edat.csv", text), dataset="edat_lfse_04")
    assert result.dataset == "edat_lfse_04"
    assert rows_of(result) == [
        ("ES", "tertiary_attainment", 2023, 41.2, "b"),
        ("ES21", "tertiary_attainment", 2023, 48.9, ""),
    ]


def test_sdmx_csv_with_labels(tmp_path):
    unit = "PPS_EU27_2020_HAB:Purchasing power standard (PPS, EU27 from 2020), per inhabitant"
    text = (
        "DATAFLOW,LAST UPDATE,freq:Time frequency,unit:Unit of measure,"
        "geo:Geopolitical entity (reporting),TIME_PERIOD:Time,OBS_VALUE:Observation value,"
        "OBS_FLAG:Observation status (Flag) V2 structure,CONF_STATUS:Confidentiality status\n"
        f'ESTAT:NAMA_10R_2GDP(1.0),27/02/2025 23:00:00,A:Annual,"{unit}",ES21:País Vasco,'
        "2022,35100,p:provisional,\n"
        f'ESTAT:NAMA_10R_2GDP(1.0),27/02/2025 23:00:00,A:Annual,"{unit}",'
        '"EU27_2020:European Union - 27 countries (from 2020)",2022,35600,,\n'
        "ESTAT:NAMA_10R_2GDP(1.0),27/02/2025 23:00:00,A:Annual,EUR_HAB:Euro per inhabitant,"
        "ES21:País Vasco,2022,37000,,\n"
    )
    result = read_indicator_file(write(tmp_path, "gdp.csv", text))
    assert rows_of(result) == [("ES21", "gdp_pps_per_head", 2022, 35100.0, "p")]


def test_sdmx_csv_skips_other_frequencies_before_reading_their_period(tmp_path):
    text = (
        "DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "ESTAT:DEMO_R_D3DENS(1.0),,Q,PER_KM2,ES21,2021-Q1,300.0,\n"
        "ESTAT:DEMO_R_D3DENS(1.0),,A,PER_KM2,ES21,2021,306.8,\n"
        "ESTAT:DEMO_R_D3DENS(1.0),,A,PER_KM2,ES21,2022,307.1,\n"
    )
    path = write(tmp_path, "density.csv", text)
    assert rows_of(read_indicator_file(path)) == [
        ("ES21", "density", 2021, 306.8, ""),
        ("ES21", "density", 2022, 307.1, ""),
    ]
    assert [row.year for row in read_indicator_file(path, years=frozenset({2022})).rows] == [2022]


# --- invalid files --------------------------------------------------------------------------


def test_the_error_is_a_data_file_error_and_names_the_file(tmp_path):
    path = write(tmp_path, "regions.csv", "code,year,value\nES21,2021,12\n")
    with pytest.raises(DataFileError) as caught:
        read_indicator_file(path)
    assert str(caught.value).startswith("regions.csv: line 1: this is not a layout read here")
    assert "SDMX-CSV" in str(caught.value) and "TSV" in str(caught.value)


def test_an_empty_file_is_refused(tmp_path):
    assert errors_of(write(tmp_path, "demo_r_d3dens.tsv", "\n \n"))[0].startswith(
        "the file is empty; expected Eurostat's SDMX-CSV"
    )


def test_an_unknown_dataset_lists_those_read(tmp_path):
    read = "read: demo_r_d3dens, edat_lfse_04, nama_10r_2gdp, nama_10r_3empers"
    tsv = write(tmp_path, "nama_10r_2gdq.tsv", GDP_TSV)
    assert errors_of(tsv) == [f"'nama_10r_2gdq' is not a dataset read here; {read}"]
    sdmx = write(
        tmp_path,
        "gdp.csv",
        "DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "ESTAT:NAMA_10R_3GDP(1.0),,A,PPS_EU27_2020_HAB,ES21,2021,1,\n",
    )
    assert errors_of(sdmx) == [f"line 2: 'nama_10r_3gdp' is not a dataset read here; {read}"]


def test_a_named_dataset_must_agree_with_the_dataflow(tmp_path):
    path = write(tmp_path, "empers.csv", empers("A,THS,EMP,A,ES21,2021,12.5,,"))
    assert errors_of(path, dataset="nama_10r_2gdp") == [
        "line 2: the file holds nama_10r_3empers, not nama_10r_2gdp (the dataset named)"
    ]


def test_every_row_of_an_sdmx_csv_is_of_one_dataset(tmp_path):
    text = empers("A,THS,EMP,A,ES21,2021,12.5,,") + (
        "ESTAT:NAMA_10R_2GDP(1.0),,A,THS,EMP,A,ES22,2021,12.5,,\n"
    )
    assert errors_of(write(tmp_path, "empers.csv", text)) == [
        "line 3: another dataset (nama_10r_2gdp) than on line 2"
    ]


def test_a_dimension_the_indicators_need_must_be_there(tmp_path):
    tsv = "freq,unit,wstatus,geo\\TIME_PERIOD\t2021 \nA,THS,EMP,ES21\t1000 \n"
    assert errors_of(write(tmp_path, "nama_10r_3empers.tsv", tsv)) == [
        "line 1: the file has no nace_r2 dimension"
    ]
    sdmx = (
        "DATAFLOW,LAST UPDATE,freq,unit,GEO_CODE,TIME_PERIOD,OBS_VALUE\n"
        "ESTAT:DEMO_R_D3DENS(1.0),,A,PER_KM2,ES21,2021,306.8\n"
    )
    assert errors_of(write(tmp_path, "density.csv", sdmx)) == [
        "line 1: the file has no geo dimension"
    ]


def test_dimension_names_are_compared_without_case(tmp_path):
    text = "FREQ,UNIT,GEO\\TIME_PERIOD\t2021 \nA,PER_KM2,ES21\t306.8 \n"
    result = read_indicator_file(write(tmp_path, "demo_r_d3dens.tsv", text))
    assert rows_of(result) == [("ES21", "density", 2021, 306.8, "")]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("12,3", "'12,3' is not a number"),
        ("1 234", "'1 234' is not a number"),
        ("12.3 P", "'12.3 P' is not a number"),
        ("12.3 p!", "'12.3 p!' is not a number"),
        ("1e5", "'1e5' is not a number"),
        ("nan", "'nan' is not a number"),
        ("1" + "0" * 400, f"'1{'0' * 400}' is not a number"),
        ("-1.5", "'-1.5' is negative"),
        ("-2 p", "'-2 p' is negative"),
    ],
)
def test_a_value_must_be_a_published_figure(tmp_path, cell, reason):
    text = f"freq,unit,geo\\TIME_PERIOD\t2020 \t2021 \nA,PER_KM2,ES21\t306.8 \t{cell}\n"
    path = write(tmp_path, "demo_r_d3dens.tsv", text)
    assert errors_of(path) == [f"line 2: ES21 2021: {reason}"]


def test_a_value_in_sdmx_csv_is_checked_with_its_flag(tmp_path):
    path = write(
        tmp_path,
        "empers.csv",
        empers('A,THS,EMP,A,ES21,2021,"12,3",p,', "A,THS,EMP,TOTAL,ES21,2021,100,Q,"),
    )
    assert errors_of(path) == [
        "line 2: ES21 2021: '12,3 p' is not a number",
        "line 3: ES21 2021: '100 Q' is not a number",
    ]


def test_the_same_region_and_year_twice(tmp_path):
    tsv = GDP_TSV + "A,PPS_EU27_2020_HAB,ES21\t1 \t: \t3 \n"
    assert errors_of(write(tmp_path, "nama_10r_2gdp.tsv", tsv)) == [
        "line 10: ES21 2020 appears twice, first on line 5",
        "line 10: ES21 2021 appears twice, first on line 5",  # even when not available
        "line 10: ES21 2022 appears twice, first on line 5",
    ]
    sdmx = empers(
        "A,THS,EMP,TOTAL,ES21,2021,1000,,",
        "A,THS,EMP,A,ES21,2021,12.5,,",
        "A,THS,EMP,TOTAL,ES21,2021,1001,,",
    )
    assert errors_of(write(tmp_path, "empers.csv", sdmx)) == [
        "line 4: ES21 2021 appears twice, first on line 2"
    ]


def test_a_share_over_100_names_both_lines(tmp_path):
    text = empers("A,THS,EMP,TOTAL,ES21,2021,100,,", "A,THS,EMP,B-E,ES21,2021,120,,")
    assert errors_of(write(tmp_path, "empers.csv", text)) == [
        "line 3: ES21 2021: employment_industry is 120% of the total on line 2, over 100"
    ]


def test_a_time_period_must_be_a_year(tmp_path):
    text = empers("A,THS,EMP,A,ES21,2021-Q1,12.5,,", "A,THS,EMP,A,ES22,21,12.5,,")
    assert errors_of(write(tmp_path, "empers.csv", text)) == [
        "line 2: ES21: TIME_PERIOD '2021-Q1' is not a year",
        "line 3: ES22: TIME_PERIOD '21' is not a year",
    ]


def test_a_tsv_header_must_name_years(tmp_path):
    text = "freq,unit,geo\\TIME_PERIOD\t2021-Q1 \t2021 \t2021\nA,PER_KM2,ES21\t1 \t2 \t3 \n"
    assert errors_of(write(tmp_path, "demo_r_d3dens.tsv", text)) == [
        "line 1: column 2 ('2021-Q1') is not a year",
        "line 1: the year 2021 has two columns",
    ]


def test_rows_must_fit_the_header(tmp_path):
    tsv = "freq,unit,geo\\TIME_PERIOD\t2021 \nA,ES21\t1 \nA,PER_KM2,ES22\t1 \t2 \n"
    assert errors_of(write(tmp_path, "demo_r_d3dens.tsv", tsv)) == [
        "line 2: 2 codes in the first column, expected 3",
        "line 3: 3 columns but the header has 2",
    ]
    sdmx = empers("A,THS,EMP,A,ES21,2021,12.5,", "A,THS,EMP,A,ES22,2021,12.5,,")
    assert errors_of(write(tmp_path, "empers.csv", sdmx)) == [
        "line 2: 10 columns but the header has 11"
    ]


def test_an_sdmx_csv_needs_its_value_columns_and_observations(tmp_path):
    no_value = "DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD\nESTAT:DEMO_R_D3DENS(1.0),,A,x,y,1\n"
    assert errors_of(write(tmp_path, "a.csv", no_value)) == [
        "line 1: the file has no OBS_VALUE column"
    ]
    assert errors_of(write(tmp_path, "b.csv", EMPERS_HEADER + "\n")) == [
        "line 1: the file holds no observations"
    ]


def test_every_problem_is_reported_in_line_order(tmp_path):
    text = (
        "freq,unit,geo\\TIME_PERIOD\t2020 \t2021 \n"
        "A,PER_KM2,ES21\t-1 \t306.8 \n"
        "A,PER_KM2,ES22\t1,5 \t2.5 p\n"
        "A,PER_KM2,ES21\t300 \t: \n"
    )
    path = write(tmp_path, "demo_r_d3dens.tsv", text)
    assert errors_of(path, source="x" * 201) == [
        "the source is longer than 200 characters",
        "line 2: ES21 2020: '-1' is negative",
        "line 3: ES22 2020: '1,5' is not a number",
        "line 4: ES21 2021 appears twice, first on line 2",
    ]


def test_not_utf8_is_named_by_line(tmp_path):
    path = tmp_path / "demo_r_d3dens.tsv"
    path.write_bytes(
        b"freq,unit,geo\\TIME_PERIOD\t2021 \nA,PER_KM2,ES21\t306.8 \nA,HAB_KM2,ES2\xff\t1 \n"
    )
    assert errors_of(path) == ["line 3: not valid UTF-8"]


@pytest.mark.parametrize(
    "data",
    [
        b"\x1f\x8bnot really gzip",
        b"\x1f\x8b\x08\x00" + bytes(6) + b"not deflate data",
        # mtime fixed: the parameter must be the same in every pytest-xdist worker.
        gzip.compress(GDP_TSV.encode(), mtime=0)[:-10],
    ],
    ids=["not-gzip", "not-deflate", "cut-short"],
)
def test_a_broken_gzip_is_refused(tmp_path, data):
    path = tmp_path / "nama_10r_2gdp.tsv.gz"
    path.write_bytes(data)
    [error] = errors_of(path)
    assert error.startswith("not a readable gzip file (")


# --- both layouts read alike ----------------------------------------------------------------

SDMX_COLUMNS = ("DATAFLOW", "LAST UPDATE", "freq", "unit", "geo", "TIME_PERIOD", "OBS_VALUE")
AGGREGATES = ("EU27_2020", "EU28", "EA20", "EFTA")
#: NUTS codes; none starts with E, so none looks like an aggregate.
GEOS = st.from_regex(r"[A-DF-Z][A-Z][A-Z0-9]{0,3}", fullmatch=True) | st.sampled_from(AGGREGATES)
NUMBERS = st.from_regex(r"[0-9]{1,7}(\.[0-9]{1,3})?", fullmatch=True)
FLAGS = st.sampled_from(["", "p", "e", "b", "bp", "pe", "c", "z"])


@st.composite
def tables(draw):
    """Regions x years, each cell a number or None (not available) with its flags, and the
    order of the SDMX-CSV columns."""
    geos = draw(st.lists(GEOS, min_size=1, max_size=4, unique=True))
    years = sorted(draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=4, unique=True)))
    cells = {
        (geo, year): (draw(st.none() | NUMBERS), draw(FLAGS)) for geo in geos for year in years
    }
    order = draw(st.permutations([*SDMX_COLUMNS, "OBS_FLAG"]))
    return years, cells, order


def as_tsv(years, cells) -> str:
    lines = ["freq,unit,geo\\TIME_PERIOD\t" + "\t".join(f"{year} " for year in years)]
    for geo in dict.fromkeys(geo for geo, _ in cells):
        for unit in ("EUR_HAB", "PPS_EU27_2020_HAB"):
            values = []
            for year in years:
                number, flags = cells[geo, year]
                values.append(f"{number if number is not None else ':'} {flags}")
            lines.append(f"A,{unit},{geo}\t" + "\t".join(values))
    return "\n".join(lines) + "\n"


def as_sdmx_csv(cells, order) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=order, lineterminator="\n")
    writer.writeheader()
    for (geo, year), (number, flags) in cells.items():
        for unit in ("EUR_HAB", "PPS_EU27_2020_HAB"):
            row = {"DATAFLOW": "ESTAT:NAMA_10R_2GDP(1.0)", "LAST UPDATE": "27/02/2025 23:00:00"}
            row |= {"freq": "A", "unit": unit, "geo": geo, "TIME_PERIOD": str(year)}
            writer.writerow(row | {"OBS_VALUE": number or "", "OBS_FLAG": flags})
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(tables())
def test_both_layouts_read_the_same_rows(table):
    years, cells, order = table
    expected = sorted(
        (geo, "gdp_pps_per_head", year, float(number), "".join(sorted(flags)))
        for (geo, year), (number, flags) in cells.items()
        if number is not None and geo not in AGGREGATES
    )
    with tempfile.TemporaryDirectory() as folder:
        tsv = write(Path(folder), "nama_10r_2gdp.tsv", as_tsv(years, cells))
        sdmx = write(Path(folder), "gdp.csv", as_sdmx_csv(cells, order))
        from_tsv, from_sdmx = read_indicator_file(tsv), read_indicator_file(sdmx)
    assert rows_of(from_tsv) == rows_of(from_sdmx) == expected
    assert from_tsv.missing == from_sdmx.missing


@pytest.mark.parametrize(
    "name, dataset",
    [
        ("nama_10r_2gdp.tsv.gz", "nama_10r_2gdp"),
        ("estat_nama_10r_2gdp.tsv.gz", "nama_10r_2gdp"),
        ("estat_nama_10r_3empers_filtered_en.tsv", "nama_10r_3empers"),
        ("ESTAT_DEMO_R_D3DENS.tsv", "demo_r_d3dens"),
        ("something_else.tsv", "something_else"),
    ],
)
def test_dataset_of_file_name(name, dataset):
    from surveyapp.regions.indicators_file import dataset_of_file_name

    assert dataset_of_file_name(name) == dataset

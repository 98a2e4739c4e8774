"""Read regions' structural indicators from the files Eurostat publishes (METHOD D16).

The similarity method compares regions on a few indicators Eurostat publishes by NUTS region
(``INDICATORS``; population comes from its own import). An administrator downloads each dataset
in one of the two layouts Eurostat offers, and this module reads either:

- SDMX-CSV (what the API and the data browser call "SDMX-CSV"): one observation per line, the
  dimensions, ``TIME_PERIOD``, ``OBS_VALUE`` and ``OBS_FLAG`` in columns found by their names.
  Version 1.0 names the dataset in a ``DATAFLOW`` column (``ESTAT:NAMA_10R_2GDP(1.0)``),
  version 2.0 in ``STRUCTURE_ID``. When labels are included (``freq:Time frequency`` in the
  header, ``A:Annual`` in the cells) the code before the first ``:`` is read.
- TSV (the bulk download, ``nama_10r_2gdp.tsv.gz``, gzipped or not): the first column joins the
  dimensions with commas (``freq,unit,geo\\TIME_PERIOD``; older files ``unit,geo\\time``), one
  column per year, each value followed by its flags (``12.3 p``) or ``:`` when not available.
  The file does not name its dataset, so its name (or the caller) does.

A dataset holds many units and breakdowns: only the rows an indicator selects are read, and
aggregates such as EU27_2020 are skipped. A share (employment in agriculture) divides two rows
of the same file, so the file must hold both. Values are returned as published: the method, not
the reader, takes logarithms and standardises.

Every problem is collected with its line, and nothing is returned unless the whole file is
valid: the caller writes all of it or none.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import math
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from surveyapp.regions.nuts_file import DataFileError, decode_utf8
from surveyapp.regions.population_file import CODE, YEARS


@dataclass(frozen=True)
class Indicator:
    """Which rows of a Eurostat dataset give an indicator, and how."""

    #: The name the method and the database use, e.g. "gdp_pps_per_head".
    key: str
    #: Eurostat's dataset code, lower case, e.g. "nama_10r_2gdp".
    dataset: str
    #: Dimension -> the code a row must have (besides geo and time).
    select: dict[str, str]
    #: For a share: the denominator row's codes for the dimensions that differ from ``select``;
    #: the value is 100 * numerator / denominator (same region and year).
    per: dict[str, str] | None = None
    #: The similarity method takes its logarithm (the reader does not transform).
    log: bool = False


#: The structural indicators of the similarity method (METHOD D16), by key.
INDICATORS: dict[str, Indicator] = {
    indicator.key: indicator
    for indicator in (
        Indicator("density", "demo_r_d3dens", {"unit": "PER_KM2"}, log=True),
        Indicator("gdp_pps_per_head", "nama_10r_2gdp", {"unit": "PPS_EU27_2020_HAB"}),
        Indicator(
            "employment_agriculture",
            "nama_10r_3empers",
            {"unit": "THS", "wstatus": "EMP", "nace_r2": "A"},
            per={"nace_r2": "TOTAL"},
        ),
        Indicator(
            "employment_industry",
            "nama_10r_3empers",
            {"unit": "THS", "wstatus": "EMP", "nace_r2": "B-E"},
            per={"nace_r2": "TOTAL"},
        ),
        Indicator(
            "tertiary_attainment",
            "edat_lfse_04",
            {"unit": "PC", "sex": "T", "age": "Y25-64", "isced11": "ED5-8"},
        ),
    )
}
#: Eurostat dataset -> the keys of the indicators read from it.
DATASETS: dict[str, tuple[str, ...]] = {
    dataset: tuple(key for key, indicator in INDICATORS.items() if indicator.dataset == dataset)
    for dataset in sorted({indicator.dataset for indicator in INDICATORS.values()})
}

MAX_SOURCE = 200  # as the other imports' source columns
LAYOUTS = (
    "Eurostat's SDMX-CSV (with a DATAFLOW or STRUCTURE_ID column) or its TSV "
    "(a first cell such as freq,unit,geo\\TIME_PERIOD)"
)
#: SDMX-CSV columns that are not dimensions (names in lower case).
NOT_DIMENSIONS = frozenset(
    {
        "dataflow",
        "structure",
        "structure_id",
        "structure_name",
        "action",
        "last update",
        "time_period",
        "obs_value",
        "obs_flag",
        "conf_status",
    }
)
#: A published value and its flags (``12.3 p``). A minus sign is read so that the error can
#: say the value is negative rather than not a number.
VALUE = re.compile(r"(?P<number>-?[0-9]+(?:\.[0-9]+)?)\s*(?P<flags>[a-z]*)")
#: Not available: an empty cell, or ``:`` with any flags (``: c`` confidential; since 2025
#: Eurostat also writes a capital ``C``). Nothing is read from it, so any letter will do.
NOT_AVAILABLE = re.compile(r"(?::\s*[A-Za-z]*)?")
#: Eurostat's aggregates (EU27_2020, EA20, EFTA, EEA30_2007). Some have the shape of a NUTS code,
#: but no country's code is EU or EA, and Estonia's units are EE and digits.
AGGREGATE = re.compile(r"EU.*|EA.*|EFTA|EEA.*")
NUMERATOR, DENOMINATOR = "numerator", "denominator"

Errors = list[tuple[int, str]]


@dataclass(frozen=True)
class IndicatorRow:
    """One region's value of one indicator in one year, as read from the file."""

    #: The line of the value (of the numerator, for a share), for messages.
    line: int
    #: The region's NUTS code.
    code: str
    #: A key of INDICATORS.
    indicator: str
    year: int
    value: float
    #: Eurostat's flags on the value(s) ("p" provisional, "e" estimated, "b" break...), sorted,
    #: each once; for a share those of both rows; "" when none.
    flags: str
    source: str


@dataclass(frozen=True)
class IndicatorFile:
    """What a file holds: its dataset and layout, its rows, and how many were not available."""

    dataset: str
    layout: str  # "sdmx-csv" or "tsv"
    rows: list[IndicatorRow]
    #: Values not given because a figure was not available (":" or empty), or, for a share,
    #: because its denominator was missing or zero.
    missing: int = 0


class IndicatorFileError(DataFileError):
    """An indicator file is invalid; ``errors`` holds every problem as "line N: reason"."""


def dataset_of_file_name(name: str) -> str:
    """The dataset a TSV's file name says: ``nama_10r_2gdp.tsv.gz`` as the bulk download names
    it, or ``estat_nama_10r_2gdp_filtered_en.tsv.gz`` as the data browser does (its prefix and
    any suffix after a dataset read here dropped); else the name up to its first dot."""
    stem = name.split(".", 1)[0].strip().lower().removeprefix("estat_")
    known = [code for code in DATASETS if stem == code or stem.startswith(code + "_")]
    return max(known, key=len) if known else stem


def read_indicator_file(
    path: str | os.PathLike[str],
    dataset: str | None = None,
    source: str | None = None,
    years: frozenset[int] = frozenset(),
) -> IndicatorFile:
    """Read either layout, raising IndicatorFileError with every problem found.

    :param dataset: the Eurostat dataset the file holds; a TSV file's name gives it otherwise
        (``nama_10r_2gdp.tsv.gz``), and an SDMX-CSV file must agree with it.
    :param source: where the figures come from, "Eurostat <dataset>" by default.
    :param years: only these years (all when empty).
    """
    path = Path(path)
    errors: Errors = []
    text = decode_utf8(_unzip(path), errors)
    lines = text.splitlines()
    number, first = next(
        ((number, line) for number, line in enumerate(lines, start=1) if line.strip()), (0, "")
    )
    source = (source or "").strip()
    result = None
    if not first:
        errors.append((0, f"the file is empty; expected {LAYOUTS}"))
    elif "\t" in first and "\\" in first.split("\t", 1)[0]:
        named = (dataset or "").strip().lower() or dataset_of_file_name(path.name)
        result = _read_tsv(lines, number, named, source, years, errors)
    elif _is_sdmx_csv(first):
        named = (dataset or "").strip().lower() or None
        result = _read_sdmx_csv(text, named, source, years, errors)
    else:
        errors.append((number, f"this is not a layout read here; expected {LAYOUTS}"))
    if len(source) > MAX_SOURCE:
        errors.append((0, f"the source is longer than {MAX_SOURCE} characters"))
    if errors or result is None:
        ordered = sorted(set(errors))
        raise IndicatorFileError(
            [f"line {line}: {reason}" if line else reason for line, reason in ordered], path.name
        )
    return result


def _unzip(path: Path) -> bytes:
    """The file's bytes, uncompressed when it is gzipped (whatever its name says)."""
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise IndicatorFileError([f"not a readable gzip file ({error})"], path.name) from None


def _code(cell: str) -> str:
    """A code without its label: ``A:Annual`` -> ``A`` (files downloaded with labels)."""
    return cell.split(":", 1)[0].strip()


def _dataflow(cell: str) -> str:
    """The dataset an SDMX-CSV row belongs to: ``ESTAT:NAMA_10R_2GDP(1.0)`` -> nama_10r_2gdp."""
    return cell.split("(", 1)[0].rsplit(":", 1)[-1].strip().lower()


def _year(text: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and int(text) in YEARS:
        return int(text)
    return None


def _flags(letters: str) -> str:
    """Flags in one spelling, so that "pb" and "bp" (or two rows' "p" and "p") compare equal."""
    return "".join(sorted(set(letters)))


def _is_sdmx_csv(first_line: str) -> bool:
    names = next(csv.reader([first_line]), [])
    return bool({"dataflow", "structure_id"} & {_code(name).lower() for name in names})


def _known(dataset: str, line: int, errors: Errors) -> bool:
    if dataset in DATASETS:
        return True
    errors.append(
        (line, f"{dataset!r} is not a dataset read here; read: {', '.join(sorted(DATASETS))}")
    )
    return False


@dataclass(frozen=True)
class _Figure:
    """One value as read: where, how much (None when not available) and its flags."""

    line: int
    value: float | None
    flags: str


class _Collector:
    """Sorts a dataset's observations into the indicators they feed, then makes the rows.

    Both layouts hand their observations here one by one, so that they are read alike.
    """

    def __init__(self, dataset: str, source: str, years: frozenset[int], errors: Errors) -> None:
        self.dataset = dataset
        self.indicators = [INDICATORS[key] for key in DATASETS[dataset]]
        self.source = source or f"Eurostat {dataset}"
        self.years = years
        self.errors = errors
        #: (indicator key, code, year) -> the value, or a share's numerator.
        self.numerators: dict[tuple[str, str, int], _Figure] = {}
        #: (indicator key, code, year) -> a share's denominator.
        self.denominators: dict[tuple[str, str, int], _Figure] = {}

    def check_dimensions(self, dimensions: list[str], line: int) -> bool:
        """Whether the file has every dimension the indicators select on (errors if not)."""
        needed = ["geo"]
        for indicator in self.indicators:
            needed += [*indicator.select, *(indicator.per or {})]
        absent = [name for name in dict.fromkeys(needed) if name not in dimensions]
        for name in absent:
            self.errors.append((line, f"the file has no {name} dimension"))
        return not absent

    def feeds(self, codes: dict[str, str]) -> list[tuple[str, str]]:
        """The (indicator key, role) pairs an observation with these codes feeds; none for
        another frequency, an aggregate such as EU27_2020, or another unit or breakdown."""
        if codes.get("freq", "A") != "A" or not _is_nuts(codes["geo"]):
            return []
        feeds = []
        for indicator in self.indicators:
            if _selects(indicator.select, codes):
                feeds.append((indicator.key, NUMERATOR))
            elif indicator.per and _selects({**indicator.select, **indicator.per}, codes):
                feeds.append((indicator.key, DENOMINATOR))
        return feeds

    def add(self, line: int, code: str, feeds: list[tuple[str, str]], year: int, text: str) -> None:
        """Record the value written ``text`` (flags included) for each indicator it feeds."""
        if self.years and year not in self.years:
            return
        figure = self._figure(line, code, year, text)
        if figure is None:
            return
        for key, role in feeds:
            store = self.numerators if role == NUMERATOR else self.denominators
            first = store.get((key, code, year))
            if first is not None:
                self.errors.append(
                    (line, f"{code} {year} appears twice, first on line {first.line}")
                )
            else:
                store[key, code, year] = figure

    def _figure(self, line: int, code: str, year: int, text: str) -> _Figure | None:
        """The figure in a cell; None, with an error, when the cell holds no figure."""
        text = text.strip()
        if NOT_AVAILABLE.fullmatch(text):
            return _Figure(line, None, "")
        match = VALUE.fullmatch(text)
        # A number of 400 digits parses as infinity: no figure.
        value = float(match["number"]) if match else math.inf
        if not math.isfinite(value):
            self.errors.append((line, f"{code} {year}: {text!r} is not a number"))
            return None
        if value < 0:
            self.errors.append((line, f"{code} {year}: {text!r} is negative"))
            return None
        return _Figure(line, value, _flags(match["flags"]))

    def result(self, layout: str) -> IndicatorFile:
        """The rows, a share's computed from its two figures."""
        rows: list[IndicatorRow] = []
        missing = 0
        for (key, code, year), numerator in self.numerators.items():
            figure = numerator
            if INDICATORS[key].per is not None:
                figure = self._share(key, code, year, numerator)
            if figure is None or figure.value is None:
                missing += 1
                continue
            rows.append(
                IndicatorRow(
                    numerator.line, code, key, year, figure.value, figure.flags, self.source
                )
            )
        return IndicatorFile(self.dataset, layout, rows, missing)

    def _share(self, key: str, code: str, year: int, numerator: _Figure) -> _Figure | None:
        """100 * numerator / denominator; None when a figure is missing or the denominator is
        zero, or (with an error) when the part is larger than the whole."""
        denominator = self.denominators.get((key, code, year))
        if numerator.value is None or denominator is None or not denominator.value:
            return None
        if numerator.value > denominator.value:
            share = 100 * numerator.value / denominator.value
            self.errors.append(
                (
                    numerator.line,
                    f"{code} {year}: {key} is {share:g}% of the total on line "
                    f"{denominator.line}, over 100",
                )
            )
            return None
        # Divided first: 100 * x / x may round off 100, x / x * 100 is exactly 100.
        share = numerator.value / denominator.value * 100
        return _Figure(numerator.line, share, _flags(numerator.flags + denominator.flags))


def _is_nuts(code: str) -> bool:
    return CODE.fullmatch(code) is not None and AGGREGATE.fullmatch(code) is None


def _selects(wanted: dict[str, str], codes: dict[str, str]) -> bool:
    return all(codes.get(name) == code for name, code in wanted.items())


def _read_tsv(
    lines: list[str],
    header_line: int,
    dataset: str,
    source: str,
    years: frozenset[int],
    errors: Errors,
) -> IndicatorFile | None:
    header = lines[header_line - 1].split("\t")
    dimensions = [name.strip().lower() for name in header[0].split("\\", 1)[0].split(",")]
    if not _known(dataset, 0, errors):
        return None
    collector = _Collector(dataset, source, years, errors)
    if not collector.check_dimensions(dimensions, header_line):
        return None
    columns = _year_columns(header, header_line, errors)
    for number, line in enumerate(lines[header_line:], start=header_line + 1):
        if not line.strip():
            continue
        cells = line.split("\t")
        keys = [key.strip() for key in cells[0].split(",")]
        if len(keys) != len(dimensions):
            errors.append(
                (number, f"{len(keys)} codes in the first column, expected {len(dimensions)}")
            )
            continue
        if len(cells) > len(header):
            errors.append((number, f"{len(cells)} columns but the header has {len(header)}"))
            continue
        codes = dict(zip(dimensions, keys, strict=True))
        feeds = collector.feeds(codes)
        if not feeds:
            continue
        for index, year in columns.items():
            cell = cells[index] if index < len(cells) else ":"
            collector.add(number, codes["geo"], feeds, year, cell)
    return collector.result("tsv")


def _year_columns(header: list[str], line: int, errors: Errors) -> dict[int, int]:
    """Column index -> year, for the TSV header's columns after the first."""
    columns: dict[int, int] = {}
    for index, cell in enumerate(header[1:], start=1):
        year = _year(cell)
        if year is None:
            errors.append((line, f"column {index + 1} ({cell.strip()!r}) is not a year"))
        elif year in columns.values():
            errors.append((line, f"the year {year} has two columns"))
        else:
            columns[index] = year
    return columns


def _records(text: str, errors: Errors) -> Iterator[tuple[int, list[str]]]:
    """The CSV's non-empty records, each with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield number, cells
    except csv.Error as error:
        errors.append((start, f"malformed CSV: {error}"))


@dataclass(frozen=True)
class _SdmxColumns:
    """Where an SDMX-CSV file keeps what is not a dimension (its columns come in any order)."""

    dataflow: int
    time: int
    value: int
    flag: int | None

    @classmethod
    def find(cls, names: list[str]) -> _SdmxColumns:
        return cls(
            dataflow=names.index("dataflow" if "dataflow" in names else "structure_id"),
            time=names.index("time_period"),
            value=names.index("obs_value"),
            flag=names.index("obs_flag") if "obs_flag" in names else None,
        )


def _read_sdmx_csv(
    text: str, named: str | None, source: str, years: frozenset[int], errors: Errors
) -> IndicatorFile | None:
    records = _records(text, errors)
    header_line, header = next(records, (1, []))
    names = [_code(cell).lower() for cell in header]
    first = next(records, None)
    collector = _sdmx_collector(names, header_line, first, named, source, years, errors)
    if collector is None or first is None:
        return None
    columns = _SdmxColumns.find(names)
    dimensions = {name: index for index, name in enumerate(names) if name not in NOT_DIMENSIONS}
    for number, cells in itertools.chain([first], records):
        if len(cells) != len(header):
            errors.append((number, f"{len(cells)} columns but the header has {len(header)}"))
            continue
        dataset = _dataflow(cells[columns.dataflow])
        if dataset != collector.dataset:
            errors.append(
                (number, f"another dataset ({dataset or 'none'}) than on line {first[0]}")
            )
            continue
        codes = {name: _code(cells[index]) for name, index in dimensions.items()}
        feeds = collector.feeds(codes)
        if feeds:
            _add_observation(collector, number, codes["geo"], feeds, cells, columns)
    return collector.result("sdmx-csv")


def _sdmx_collector(
    names: list[str],
    header_line: int,
    first: tuple[int, list[str]] | None,
    named: str | None,
    source: str,
    years: frozenset[int],
    errors: Errors,
) -> _Collector | None:
    """The collector for the dataset the first observation names, once the header and that
    dataset are found fit to read (errors and None otherwise)."""
    absent = [name.upper() for name in ("time_period", "obs_value") if name not in names]
    if absent:
        errors.append((header_line, f"the file has no {' or '.join(absent)} column"))
        return None
    if first is None:
        errors.append((header_line, "the file holds no observations"))
        return None
    line, cells = first
    index = _SdmxColumns.find(names).dataflow
    dataset = _dataflow(cells[index]) if index < len(cells) else ""
    if named is not None and named != dataset:
        errors.append((line, f"the file holds {dataset}, not {named} (the dataset named)"))
        return None
    if not _known(dataset, line, errors):
        return None
    collector = _Collector(dataset, source, years, errors)
    dimensions = [name for name in names if name not in NOT_DIMENSIONS]
    return collector if collector.check_dimensions(dimensions, header_line) else None


def _add_observation(
    collector: _Collector,
    number: int,
    code: str,
    feeds: list[tuple[str, str]],
    cells: list[str],
    columns: _SdmxColumns,
) -> None:
    year = _year(cells[columns.time])
    if year is None:
        period = cells[columns.time].strip()
        collector.errors.append((number, f"{code}: TIME_PERIOD {period!r} is not a year"))
        return
    value = cells[columns.value].strip()
    flags = _code(cells[columns.flag]) if columns.flag is not None else ""
    # Written as the TSV writes it (the value, then its flags) so both layouts read alike; an
    # empty OBS_VALUE is not available, whatever its flags.
    collector.add(number, code, feeds, year, f"{value} {flags}" if value else ":")

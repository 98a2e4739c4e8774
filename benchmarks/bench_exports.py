"""Export speed on a synthetic round, beside bare references writing the same cells.

Generates 300 regions x 150 items in one round (45,000 answers; --rounds N for more) in a fresh
SQLite database, then times the project's exports against:
  CSV:  the csv module alone writing the same rows (target: within 2x);
  XLSX: XlsxWriter in constant-memory mode writing the same cells (targets: wide within 1.5x,
        long within 1.3x).
The project's figures include building the tables from the database; the references start from
the finished rows. Run: .venv/bin/python benchmarks/bench_exports.py [--rounds 6]
Prints a table; asserts nothing.
"""

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(function, repeat=3):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def csv_reference(tables) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for table in tables.named().values():
        writer.writerow(table.columns)
        writer.writerows(table.itertuples(index=False, name=None))


def xlsx_reference(table, path) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, list(table.columns))
    for r, row in enumerate(table.itertuples(index=False, name=None), start=1):
        for c, value in enumerate(row):
            if value is None or value != value:  # None or NaN
                continue
            if isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    workbook.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"

    import bench_analysis
    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.reporting.exports import (
        export_tables,
        new_workbook,
        write_csv_zip,
        write_sheet,
    )

    bench_analysis.ROUNDS = args.rounds
    app = create_app("development")
    with app.app_context():
        upgrade()
        rounds = bench_analysis.fill(db, bench_analysis.questionnaire_file(tmp))
        round_ = rounds[-1]
        tables = export_tables(round_)
        cells = {name: table.size for name, table in tables.named().items()}
        print(
            f"{len(tables.long):,} answers; cells: "
            + ", ".join(f"{k} {v:,}" for k, v in cells.items())
        )

        build = timed(lambda: export_tables(round_))
        ours_csv = timed(lambda: write_csv_zip(export_tables(round_), io.BytesIO()))
        write_only = timed(lambda: write_csv_zip(tables, io.BytesIO()))
        ref_csv = timed(lambda: csv_reference(tables))

        def one_sheet(table, path):
            workbook = new_workbook(path)
            write_sheet(workbook, "sheet", table, workbook.add_format({"bold": True}))
            workbook.close()

        ours_wide = timed(lambda: one_sheet(tables.wide, str(tmp / "wide.xlsx")))
        ref_wide = timed(lambda: xlsx_reference(tables.wide, str(tmp / "ref-wide.xlsx")))
        ours_long = timed(lambda: one_sheet(tables.long, str(tmp / "long.xlsx")), repeat=1)
        ref_long = timed(lambda: xlsx_reference(tables.long, str(tmp / "ref-long.xlsx")), repeat=1)

    def row(label, ours, ref, target):
        print(f"  {label:<48} {ours:8.2f} s  ref {ref:7.2f} s  {ours / ref:5.2f}x  ({target})")

    print(f"  building the four tables from the database        {build:8.2f} s")
    row("CSV zip, four tables (incl. building them)", ours_csv, ref_csv, "target <= 2x")
    row("CSV zip, writing the built tables only", write_only, ref_csv, "for comparison")
    row("XLSX wide sheet", ours_wide, ref_wide, "target <= 1.5x")
    row("XLSX long sheet", ours_long, ref_long, "target <= 1.3x")


if __name__ == "__main__":
    main()

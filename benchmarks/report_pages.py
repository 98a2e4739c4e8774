"""How much of each page of a PDF report is left empty: the blank share per page.

Each page is rasterised at low resolution (poppler's pdftoppm, 30 dpi, grey) and read row by
row inside the page's body, i.e. between the @page margins of reports/common.css (22 mm at the
top, 20 mm at the bottom; the running header and footer stand in the margins). A row is inked
when any pixel is darker than near-white. Per page:

  tail   the share of the body below its last inked row: what a page break left empty;
  blank  the share of the body's rows with no ink at all (gaps between paragraphs included).

A page more than two thirds empty (tail > 2/3) is flagged; only the last page of a report may
be one, or a page before a figure too large to start anywhere but on a new page.

Run: .venv/bin/python benchmarks/report_pages.py REPORT.pdf [REPORT.pdf ...]
     .venv/bin/python benchmarks/report_pages.py --demo [--database-url URL] [--lang en|fr,el|all]
         [--summary]
--demo renders the working-group report of every round of a database (default: the demo's,
sqlite:////tmp/h2demo.db, made with ``flask db upgrade`` and ``flask demo seed --seed 7``) in
each language asked (all: the interface's 24), and lists the pages flagged. About 4 s a report.
Prints a table; asserts nothing. tests/test_report_pages.py holds the report to it.

Figures (issue 25, part 5; demo --seed 7, 3 rounds x 24 languages = 72 reports): before, 12
pages in 9 reports more than 2/3 empty (the contents' last line alone on page 2 in bg, el, fr,
pl; the page before "Critical aspects per region", forced onto a new page, in el), 1,079 pages;
after, none (emptiest page but a last 52%), 1,066 pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DPI = 30
#: The body of an A4 page of the reports (reports/common.css @page margins), in millimetres.
PAGE_MM, TOP_MM, BOTTOM_MM = 297, 22, 20
#: The interface's languages (surveyapp/translations).
LANGS = [
    *sorted(p.name for p in (ROOT / "surveyapp" / "translations").iterdir() if p.is_dir()),
    "en",
]
#: Darker than this (0 black, 255 white) is ink.
INK = 235


@dataclass(frozen=True)
class Page:
    number: int
    tail: float
    blank: float


def pages_of(pdf: bytes | Path) -> list[Page]:
    """The blank shares of every page of ``pdf`` (its bytes or its path)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        if isinstance(pdf, bytes):
            path.write_bytes(pdf)
        else:
            shutil.copyfile(pdf, path)
        command = [shutil.which("pdftoppm"), "-r", str(DPI), "-gray", "-png", str(path)]
        subprocess.run([*command, str(Path(folder) / "page")], check=True)
        images = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        return [_measure(number, image) for number, image in enumerate(images, start=1)]


def _measure(number: int, png: Path) -> Page:
    with Image.open(png) as image:
        grey = image.convert("L")
        width, height = grey.size
        top = round(height * TOP_MM / PAGE_MM)
        bottom = round(height * (PAGE_MM - BOTTOM_MM) / PAGE_MM)
        data = grey.tobytes()
    inked = [min(data[row * width : (row + 1) * width]) < INK for row in range(top, bottom)]
    body = len(inked)
    last = max((i for i, ink in enumerate(inked) if ink), default=-1)
    return Page(number, tail=(body - 1 - last) / body, blank=inked.count(False) / body)


def print_table(name: str, pages: list[Page]) -> None:
    print(f"{name}: {len(pages)} pages")
    print("  page   tail  blank")
    for page in pages:
        flag = "  <- more than 2/3 empty" if page.tail > 2 / 3 else ""
        print(f"  {page.number:4d}  {page.tail:5.0%}  {page.blank:5.0%}{flag}")


def demo_reports(database_url: str, lang: str) -> dict[str, bytes]:
    """The working-group report of every round of the database, as the CLI renders it."""
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.reporting.catalog import WORKING_GROUP, Job, build_context
    from surveyapp.reporting.catalog import definition as report_definition
    from surveyapp.reporting.render import render_pdf
    from surveyapp.rounds.models import Round

    app = create_app()
    reports = {}
    with app.app_context():
        for round_ in db.session.scalars(db.select(Round).order_by(Round.id)):
            job = Job(WORKING_GROUP, round_.id, None, lang)
            reports[round_.name] = render_pdf(report_definition(job), build_context(job), lang)
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--database-url", default="sqlite:////tmp/h2demo.db")
    parser.add_argument("--lang", default="en", help='a language, several "en,fr" or "all"')
    parser.add_argument("--summary", action="store_true", help="one line per report")
    options = parser.parse_args()
    for path in options.pdfs:
        print_table(str(path), pages_of(path))
    if options.demo:
        langs = LANGS if options.lang == "all" else options.lang.split(",")
        flagged = []
        for lang in langs:
            for name, pdf in demo_reports(options.database_url, lang).items():
                pages = pages_of(pdf)
                if not options.summary:
                    print_table(f"working group, {name}, {lang}", pages)
                flagged += [(lang, name, page) for page in pages[:-1] if page.tail > 2 / 3]
                print(
                    f"{lang} {name}: {len(pages)} pages, emptiest but the last "
                    f"{max((p.tail for p in pages[:-1]), default=0):.0%} below its last line, "
                    f"median {sorted(p.tail for p in pages)[len(pages) // 2]:.0%}",
                    flush=True,
                )
        print(f"pages but the last more than 2/3 empty: {len(flagged)}")
        for lang, name, page in flagged:
            print(f"  {lang} {name}: page {page.number}, {page.tail:.0%} empty below its last line")


if __name__ == "__main__":
    main()

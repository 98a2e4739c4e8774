"""Report templates (top-level ``reports/``) rendered to PDF by WeasyPrint, safely.

A report is ``reports/<name>.yaml`` (title, file name, ``format: 1``) with
``reports/<name>/template.html`` and ``reports/<name>/theme.css``. The template gets plain data
only (no ORM objects). WeasyPrint fetches nothing but ``data:`` URLs and the files of the report's
own folder: no network, no other file, no redirect.
"""

from __future__ import annotations

import gc
import mimetypes
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml
from flask_babel import force_locale, gettext, ngettext
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from surveyapp.numbers import format_change, format_number, format_score

REPORTS = Path(__file__).resolve().parents[2] / "reports"
#: Styles every report shares, applied before the report's own theme.css.
COMMON_CSS = "common.css"
FORMAT = 1


class ReportError(ValueError):
    """A report definition that cannot be used."""


@dataclass(frozen=True)
class ReportDefinition:
    name: str
    title: str
    file_name: str
    folder: Path

    @property
    def files(self) -> list[Path]:
        """Every file the rendering reads: what the stored PDF's key hashes."""
        root = self.folder.parent
        shared = [p for p in root.iterdir() if p.is_file() and p.suffix != ".yaml"]
        own = [root / f"{self.name}.yaml", *(p for p in self.folder.iterdir() if p.is_file())]
        return sorted(shared) + sorted(own)


def load_report(name: str, root: Path = REPORTS) -> ReportDefinition:
    """The report's definition, checked (read again only when its file changed)."""
    if not re.fullmatch(r"[a-z0-9-]+", name):
        raise ReportError(f"{name!r} is not a report name")
    path = root / f"{name}.yaml"
    if not path.is_file():
        raise ReportError(f"no report {name!r} in {root}")
    return _load_report(name, root, path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _load_report(name: str, root: Path, _mtime: int) -> ReportDefinition:
    path = root / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if data.get("format") != FORMAT:
        raise ReportError(f"{path}: unknown format {data.get('format')!r}; this version reads 1")
    unknown = set(data) - {"format", "title", "file_name"}
    if unknown:
        raise ReportError(f"{path}: unknown keys: {', '.join(sorted(unknown))}")
    folder = root / name
    for part in ("template.html", "theme.css"):
        if not (folder / part).is_file():
            raise ReportError(f"{folder}: {part} is missing")
    return ReportDefinition(name, str(data["title"]), str(data["file_name"]), folder)


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ReportFetcher(URLFetcher):
        """Deny by default: data: URLs, and files inside the allowed folders only."""

        def __init__(self, allowed: list[Path]):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
            self.allowed = [folder.resolve() for folder in allowed]

        def fetch(self, url, headers=None):
            scheme = urlparse(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlparse(url).path)).resolve()
                if any(path.is_relative_to(folder) for folder in self.allowed) and path.is_file():
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"reports may not load {url}")

    return ReportFetcher


def safe_fetcher(allowed: list[Path]):
    return _fetcher_class()(allowed)


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # one per process: loading fonts is the slow part


def report_environment(report: ReportDefinition) -> Environment:
    """The Jinja environment a report renders in: translations and numbers in its language."""
    environment = Environment(
        # The report's own folder first, then the macros all reports share (reports/_*.html).
        loader=FileSystemLoader([report.folder, report.folder.parent]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)
    environment.filters["number"] = format_number
    # Scores and their changes: one decimal, half up on the canonical value (METHOD D11).
    environment.filters["score"] = format_score
    environment.filters["change"] = format_change
    environment.filters["breakable"] = breakable
    return environment


def breakable(text) -> Markup:
    """``text`` escaped, with a line-break opportunity after each underscore: an item id or a
    condition in a narrow column wraps between its words ("par_macro_|regional"), never inside
    one."""
    return Markup(str(escape(text)).replace("_", "_<wbr>"))  # noqa: S704 (escaped above)


def render_html(report: ReportDefinition, context: dict, lang: str) -> str:
    environment = report_environment(report)
    with force_locale(lang):
        return environment.get_template("template.html").render(**context, lang=lang)


@contextmanager
def caller_heap_frozen() -> Iterator[None]:
    """Keep the garbage collector off the objects that exist before a render.

    WeasyPrint allocates hundreds of thousands of objects per report, which triggers full
    collections; each traverses every object of the process, including the app, pandas and the
    round's scores that built the report (280,000 tracked objects in a build worker), although
    none of them can become garbage during the render. ``gc.freeze()`` sets them aside until
    ``gc.unfreeze()``; what the render itself creates is collected as usual. It saves about 15%
    of a region report's CPU time in a process that built its data (benchmarks/bench_reports.py).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def html_to_pdf(report: ReportDefinition, html: str) -> bytes:
    """WeasyPrint's part: the slow, memory-hungry one (run it in a bounded process)."""
    with caller_heap_frozen():
        return _weasyprint_pdf(report, html)


#: Every report is a tagged PDF/UA-1 document (issue 23); tests/test_report_kinds.py reads
#: its structure back.
PDF_VARIANT = "pdf/ua-1"


def _weasyprint_pdf(report: ReportDefinition, html: str) -> bytes:
    from weasyprint import CSS, HTML

    fetcher = safe_fetcher([report.folder])
    stylesheets = [
        CSS(filename=str(path), url_fetcher=fetcher, font_config=_font_config())
        for path in (report.folder.parent / COMMON_CSS, report.folder / "theme.css")
        if path.is_file()
    ]
    document = HTML(string=html, base_url=report.folder.as_uri() + "/", url_fetcher=fetcher)
    # Tagged PDF/UA-1: a structure tree (headings, tables with their headers, lists, figures
    # with their alt text), the document's language and title shown as the window's title.
    return document.write_pdf(
        stylesheets=stylesheets, font_config=_font_config(), pdf_variant=PDF_VARIANT
    )


def render_pdf(report: ReportDefinition, context: dict, lang: str = "en") -> bytes:
    """The report as PDF bytes, in this process (never inside a web request)."""
    return html_to_pdf(report, render_html(report, context, lang))

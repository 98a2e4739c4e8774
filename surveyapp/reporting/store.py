"""Rendered reports: found by key, rendered and kept in the database.

Where a render runs (at once in tests, an RQ job, or the bounded process pool) is
``reporting.executor``'s business; every one of them calls :func:`render_and_store`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from surveyapp.analysis import charts, versions
from surveyapp.extensions import db
from surveyapp.reporting.catalog import Job, build_context, definition
from surveyapp.reporting.models import RenderedReport
from surveyapp.reporting.render import ReportDefinition, render_pdf

log = logging.getLogger(__name__)
#: Bump when the rendering code changes in a way the templates do not show.
CODE_VERSION = "3"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
#: The code that draws the charts a report context holds as data (analysis.charts.Chart).
CHARTS_SOURCE = Path(charts.__file__).resolve()
#: What rendering a job came to (``flask reports build`` counts them).
RENDERED, UNCHANGED, FAILED = "rendered", "unchanged", "failed"


def report_key(report: ReportDefinition, context: dict, lang: str) -> str:
    """Hash of the input data (without the render time), the template files and the code."""
    digest = hashlib.sha256()
    data = {k: v for k, v in context.items() if k != "snapshot"}
    # Charts (analysis.charts.Chart) count by their data, their repr: drawing them is the
    # template's work, and the code that draws them is in the key as CHARTS_SOURCE.
    digest.update(json.dumps(data, sort_keys=True, default=repr).encode())
    catalogue = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    files = [*report.files, CHARTS_SOURCE, *([catalogue] if catalogue.is_file() else [])]
    stamps = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    digest.update(_files_digest(stamps))
    digest.update(f"{report.name}|{lang}|{CODE_VERSION}".encode())
    return digest.hexdigest()


@lru_cache(maxsize=64)
def _files_digest(stamps: tuple[tuple[str, int, int], ...]) -> bytes:
    """The template files' and catalogue's contents, read again only when one changed."""
    digest = hashlib.sha256()
    for name, _mtime, _size in stamps:
        path = Path(name)
        digest.update(path.name.encode() + path.read_bytes())
    return digest.digest()


def forget_rendered(round_id: int | None = None) -> None:
    """Drop stored reports (of one round, or all) that must not be served any more.

    For changes that make an older version wrong to show rather than merely old: a region
    withdrawing its consent, moderated scores withheld again. Callers commit.
    """
    query = delete(RenderedReport)
    if round_id is not None:
        query = query.where(RenderedReport.round_id == round_id)
    db.session.execute(query)


def data_version_of(job: Job) -> tuple:
    """The round's data version now, from the database (not the request's memo)."""
    return versions.query_data_versions([job.round_id])[job.round_id]


def find_rendered(key: str) -> RenderedReport | None:
    return db.session.scalar(select(RenderedReport).filter_by(key=key))


def latest_rendered(job: Job) -> RenderedReport | None:
    """The newest stored version of the job's report, offered while a fresher one renders."""
    return db.session.scalar(
        select(RenderedReport)
        .filter_by(**job.stored_as())
        .order_by(RenderedReport.created_at.desc(), RenderedReport.id.desc())
        .limit(1)
    )


def store(key: str, job: Job, pdf: bytes, version: tuple | None = None) -> None:
    """Keep a rendered PDF (a second copy of the same key, from another server, is dropped).

    :param version: the round's data version when the context was built; if the data changed
        meanwhile (consent withdrawn while it rendered, say) the PDF is thrown away.
    """
    if version is not None and data_version_of(job) != version:
        log.info("report %s not stored: its round's data changed while it rendered", key)
        return
    try:
        db.session.add(RenderedReport(key=key, pdf=pdf, size=len(pdf), **job.stored_as()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def render_and_store(
    job: Job, context: dict | None = None, key: str | None = None, version: tuple | None = None
) -> str:
    """Render and keep one report unless a PDF with its key is stored (in an app context).

    :param context: the report's data with its ``key`` and the round's data ``version`` it was
        built from, when the caller built it already (a page computing the key); without it the
        context is built here (``flask reports build``).
    :return: RENDERED or UNCHANGED; a failure raises.
    """
    report = definition(job)
    if context is None or key is None:
        version = data_version_of(job)
        context = build_context(job)
        key = report_key(report, context, job.lang)
    if find_rendered(key) is not None:
        return UNCHANGED
    store(key, job, render_pdf(report, context, job.lang), version)
    return RENDERED

"""Rendered reports: found by key, rendered outside the request, kept in the database.

Where the rendering happens:
- tests (``REPORTS_RENDER_INLINE``): at once, in the request, so they can read the PDF;
- with ``REDIS_URL`` set: an RQ job, run by ``flask reports worker`` (RQ forks a fresh work
  horse per job, bounded by the job timeout and the memory limit);
- otherwise (the embedded default): one background thread of the app process that hands the
  HTML to a child process with a time and memory limit (``isolation.RenderProcess``), so a
  render never holds a web worker's GIL or memory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from surveyapp.analysis import charts, frame
from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.reporting.catalog import Job
from surveyapp.reporting.models import RenderedReport
from surveyapp.reporting.render import ReportDefinition, load_report, render_html, render_pdf

log = logging.getLogger(__name__)
#: Bump when the rendering code changes in a way the templates do not show.
CODE_VERSION = "3"
RQ_QUEUE = "surveyapp-reports"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
#: The code that draws the charts a report context holds as data (analysis.charts.Chart).
CHARTS_SOURCE = Path(charts.__file__).resolve()
#: After a failed render, the same report is not tried again for this long (seconds).
RETRY_AFTER = 300

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reports")
_pending: dict[str, Future] = {}
_pending_lock = threading.Lock()
_failed_at: dict[str, float] = {}
_process = None


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
    from surveyapp.analysis.frame import query_data_versions

    return query_data_versions([job.round_id])[job.round_id]


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


def _render_process():
    global _process
    if _process is None:
        from surveyapp.reporting.isolation import RenderProcess

        config = current_app.config
        _process = RenderProcess(
            memory_mb=config["REPORTS_RENDER_MEMORY_MB"],
            timeout=config["REPORTS_RENDER_TIMEOUT"],
            recycle_after=config["REPORTS_RENDER_RECYCLE"],
        )
    return _process


def _render_and_store(
    app: Flask, key: str, job: Job, context: dict, version: tuple | None, isolated: bool
) -> bool:
    """Render and keep one report; False (and logged) when it failed."""
    with app.app_context():
        try:
            if find_rendered(key) is not None:
                return True
            report = load_report(job.report)
            if isolated:
                pdf = _render_process().render(report.name, render_html(report, context, job.lang))
            else:
                pdf = render_pdf(report, context, job.lang)
            store(key, job, pdf, version)
            return True
        except Exception:
            db.session.rollback()
            log.exception("rendering report %s (%s) failed", key, job)
            with _pending_lock:
                _failed_at[key] = time.monotonic()
            return False
        finally:
            with _pending_lock:
                _pending.pop(key, None)


@lru_cache(maxsize=4)
def _redis(url: str):
    from redis import Redis

    return Redis.from_url(url)  # a connection pool, shared by the requests of this process


def _rq_queue(app: Flask):
    from rq import Queue

    return Queue(RQ_QUEUE, connection=_redis(app.config["REDIS_URL"]))


def queue_render(key: str, job: Job, context: dict) -> None:
    """Render in the background, once per key at a time (or at once in tests).

    :param context: the report's data, already built to compute ``key``: plain data, so the
        worker renders from it instead of building it again.
    """
    app = current_app._get_current_object()
    version = frame.data_version(job.round_id)  # what ``context`` was built from
    if app.config.get("REPORTS_RENDER_INLINE"):
        _render_and_store(app, key, job, context, version, isolated=False)
        return
    if app.config.get("REDIS_URL"):
        queue = _rq_queue(app)
        existing = queue.fetch_job(f"report-{key}")
        # A failed job is kept RETRY_AFTER seconds (failure_ttl): not tried again before.
        if existing is None or existing.get_status() in ("finished", "canceled"):
            if existing is not None:
                existing.delete()
            queue.enqueue(
                "surveyapp.reporting.store.run_job",
                key,
                asdict(job),
                context,
                version,
                job_id=f"report-{key}",
                job_timeout=int(app.config["REPORTS_RENDER_TIMEOUT"]),
                result_ttl=60,
                failure_ttl=RETRY_AFTER,
            )
        return
    with _pending_lock:
        failed_recently = key in _failed_at and time.monotonic() - _failed_at[key] < RETRY_AFTER
        if key in _pending or failed_recently:
            return
        _pending[key] = _executor.submit(_render_and_store, app, key, job, context, version, True)


def run_job(key: str, job: dict, context: dict, version: tuple | None = None) -> None:
    """An RQ job, run by ``flask reports worker`` in a work horse forked for this job alone."""
    from surveyapp.reporting.isolation import become_background

    app = current_app._get_current_object()
    if not app.testing:  # tests run jobs in their own process (rq.SimpleWorker), not a horse
        dispose_engines(close=False)  # the forked horse must not use the parent's connections
        become_background(app.config["REPORTS_RENDER_MEMORY_MB"])
    if not _render_and_store(app, key, Job(**job), context, version, isolated=False):
        raise RuntimeError(f"rendering report {key} failed (see the log)")  # RQ: failed


def is_pending(key: str) -> bool:
    app = current_app
    if app.config.get("REDIS_URL") and not app.config.get("REPORTS_RENDER_INLINE"):
        existing = _rq_queue(app).fetch_job(f"report-{key}")
        return existing is not None and existing.get_status() in ("queued", "started", "deferred")
    with _pending_lock:
        return key in _pending

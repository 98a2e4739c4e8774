"""Where a report renders: the one executor of the pages, ``flask reports build`` and RQ.

WeasyPrint holds the GIL and can take a lot of memory on a big document, and a process keeps the
memory it once took, so no report renders in a web worker. Each render is one call of
:func:`~surveyapp.reporting.store.render_and_store`, run

- with ``REPORTS_RENDER_INLINE`` (tests): at once, in this process, so tests can read the PDF;
- with ``REDIS_URL`` set: as an RQ job, run by ``flask reports worker`` in a work horse forked
  for that job, which the job timeout stops;
- otherwise: in a :class:`RenderPool`, a bounded pool of processes (Pebble's ``ProcessPool``),
  ``REPORTS_RENDER_WORKERS`` of them for the pages of each app process and ``--jobs`` for
  ``flask reports build``.

The bounds are the same everywhere: a rendering process runs at nice 10 and cannot grow beyond
``REPORTS_RENDER_MEMORY_MB`` of address space (a failing allocation raises MemoryError, and the
job fails); a job running longer than ``REPORTS_RENDER_TIMEOUT`` seconds is stopped by killing
its process (the RQ work horse, or the pool's worker, which the pool replaces at once); and a
pool worker is replaced after ``REPORTS_RENDER_RECYCLE`` jobs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from flask import Flask, current_app
from pebble import ProcessExpired, ProcessPool

from surveyapp.analysis import versions
from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.reporting.catalog import Job
from surveyapp.reporting.store import FAILED, render_and_store

log = logging.getLogger(__name__)
RQ_QUEUE = "surveyapp-reports"
#: After a failed render, the same report is not tried again for this long (seconds).
RETRY_AFTER = 300
#: Scheduling priority of rendering processes: the web workers come first on a busy machine.
NICENESS = 10
#: The application factory a pool worker (a fresh process) creates its app with: named, as
#: gunicorn and ``flask --app`` name it, not imported by this module that the app imports.
APP_FACTORY = "surveyapp:create_app"


class RenderFailed(RuntimeError):
    """A render that did not finish (an error, out of memory, its process ended)."""


class RenderTimeout(RenderFailed):
    """The render took longer than allowed and its process was killed."""


def become_background(memory_mb: int) -> None:
    """What every rendering process does first: lower its priority, cap its address space."""
    os.nice(NICENESS)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# --- in a pool worker ----------------------------------------------------------------------

_worker_app: Flask | None = None


def _run_in_worker(
    factory_args: tuple,
    memory_mb: int,
    job: Job,
    context: dict | None,
    key: str | None,
    version: tuple | None,
) -> tuple[str, str]:
    """One job in a pool worker, with the worker's own app (created by its first job, so that a
    failure to create it fails that job rather than every start of a worker)."""
    global _worker_app
    if _worker_app is None:
        from werkzeug.utils import import_string

        _worker_app = import_string(APP_FACTORY)(*factory_args)
    with _worker_app.app_context():
        try:
            return render_and_store(job, context, key, version), ""
        except MemoryError:
            db.session.rollback()
            return FAILED, f"the report needed more than {memory_mb} MB"
        except Exception as error:  # reported to the caller, which logs or lists it
            db.session.rollback()
            return FAILED, f"{type(error).__name__}: {error}"


# --- in the app's process ------------------------------------------------------------------


class RenderPool:
    """Processes that render jobs, bounded in number, time, memory and jobs per process.

    :param app: whose configuration (class, database, render bounds) the workers use.
    :param workers: how many processes render at once.
    :param recycle_after: jobs a worker runs before it is replaced (``REPORTS_RENDER_RECYCLE``
        unless given).
    """

    def __init__(self, app: Flask, workers: int, recycle_after: int | None = None):
        config = app.config
        self.timeout = float(config["REPORTS_RENDER_TIMEOUT"])
        self.memory_mb = config["REPORTS_RENDER_MEMORY_MB"]
        # A fresh process (spawn, not fork: the app's threads and connections stay here) makes
        # an app of the same configuration class on the same database.
        database = {"SQLALCHEMY_DATABASE_URI": config["SQLALCHEMY_DATABASE_URI"]}
        self.factory_args = (app.extensions["surveyapp.config_class"], database)
        self.workers = workers
        self.recycle_after = recycle_after or config["REPORTS_RENDER_RECYCLE"]
        self.pool = self.new_pool()

    def new_pool(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers,
            max_tasks=self.recycle_after,
            initializer=become_background,
            initargs=(self.memory_mb,),
            context=multiprocessing.get_context("spawn"),
        )

    def submit(
        self,
        job: Job,
        context: dict | None = None,
        key: str | None = None,
        version: tuple | None = None,
    ) -> Future:
        """Render ``job`` in a worker (see ``store.render_and_store``); read the future with
        :meth:`outcome`."""
        if not self.pool.active:
            # Pebble gives up a pool whose worker died outside a job (killed while idle, say):
            # a fresh pool takes its place.
            log.warning("the render pool broke; starting a new one")
            self.pool.stop()
            self.pool.join()
            self.pool = self.new_pool()
        arguments = (self.factory_args, self.memory_mb, job, context, key, version)
        return self.pool.schedule(_run_in_worker, arguments, timeout=self.timeout)

    def outcome(self, future: Future) -> tuple[str, str]:
        """RENDERED, UNCHANGED or FAILED, and what failed."""
        try:
            return future.result()
        except FutureTimeout:
            return FAILED, f"rendering took more than {self.timeout:g} s"
        except ProcessExpired as error:  # killed from outside, or crashed
            return FAILED, f"the render process ended: {error}"
        except Exception as error:  # the job could not reach the worker (it ran out of memory)
            return FAILED, f"{type(error).__name__}: {error}"

    def close(self) -> None:
        """Let the workers finish what was submitted, then stop them."""
        self.pool.close()
        self.pool.join()

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def run_all(
    app: Flask,
    jobs: Iterable[Job],
    workers: int,
    recycle_after: int | None = None,
    on_done: Callable[[Job, str, str], None] = lambda *a: None,
) -> None:
    """Render and store ``jobs`` (building each context in the worker) in a pool of
    ``workers`` processes; ``on_done(job, outcome, message)`` as each one ends."""
    with RenderPool(app, workers, recycle_after) as pool:
        futures = {pool.submit(job): job for job in jobs}
        for future in as_completed(futures):
            on_done(futures[future], *pool.outcome(future))


@dataclass
class PageRenders:
    """The pages' renders of one app in this process: its pool (started at the first render),
    the keys being rendered, and when a key last failed."""

    app: Flask
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[str, Future] = field(default_factory=dict)
    failed_at: dict[str, float] = field(default_factory=dict)
    pool: RenderPool | None = None

    def submit(self, key: str, job: Job, context: dict, version: tuple | None) -> None:
        with self.lock:
            failed = self.failed_at.get(key)
            if key in self.pending or (failed and time.monotonic() - failed < RETRY_AFTER):
                return
            if self.pool is None:
                self.pool = RenderPool(self.app, self.app.config["REPORTS_RENDER_WORKERS"])
            future = self.pool.submit(job, context, key, version)
            self.pending[key] = future
        future.add_done_callback(lambda done: self.finished(key, job, done))

    def finished(self, key: str, job: Job, future: Future) -> None:
        outcome, message = self.pool.outcome(future)
        with self.lock:
            self.pending.pop(key, None)
            if outcome == FAILED:
                self.failed_at[key] = time.monotonic()
        if outcome == FAILED:
            log.error("rendering report %s (%s) failed: %s", key, job, message)


def page_renders(app: Flask) -> PageRenders:
    return app.extensions.setdefault("surveyapp.page_renders", PageRenders(app))


@lru_cache(maxsize=4)
def _redis(url: str):
    from redis import Redis

    return Redis.from_url(url)  # a connection pool, shared by the requests of this process


def rq_queue(app: Flask):
    from rq import Queue

    return Queue(RQ_QUEUE, connection=_redis(app.config["REDIS_URL"]))


def queue_render(key: str, job: Job, context: dict) -> None:
    """Render outside the request, once per key at a time (or at once in tests); a report that
    failed is not tried again for RETRY_AFTER seconds.

    :param context: the report's data, already built to compute ``key``: plain data, so the
        worker renders from it instead of building it again.
    """
    app = current_app._get_current_object()
    version = versions.data_version(job.round_id)  # what ``context`` was built from
    if app.config.get("REPORTS_RENDER_INLINE"):
        try:
            render_and_store(job, context, key, version)
        except Exception:
            db.session.rollback()
            log.exception("rendering report %s (%s) failed", key, job)
        return
    if app.config.get("REDIS_URL"):
        queue = rq_queue(app)
        existing = queue.fetch_job(f"report-{key}")
        # A failed job is kept RETRY_AFTER seconds (failure_ttl): not tried again before.
        if existing is None or existing.get_status() in ("finished", "canceled"):
            if existing is not None:
                existing.delete()
            queue.enqueue(
                "surveyapp.reporting.executor.run_job",
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
    page_renders(app).submit(key, job, context, version)


def run_job(key: str, job: dict, context: dict, version: tuple | None = None) -> None:
    """An RQ job, run by ``flask reports worker`` in a work horse forked for this job alone."""
    app = current_app._get_current_object()
    if not app.testing:  # tests run jobs in their own process (rq.SimpleWorker), not a horse
        dispose_engines(close=False)  # the forked horse must not use the parent's connections
        become_background(app.config["REPORTS_RENDER_MEMORY_MB"])
    try:
        render_and_store(Job(**job), context, key, version)
    except Exception:
        db.session.rollback()
        log.exception("rendering report %s (%s) failed", key, job)
        raise  # RQ: failed, kept RETRY_AFTER seconds


def is_pending(key: str) -> bool:
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL") and not app.config.get("REPORTS_RENDER_INLINE"):
        existing = rq_queue(app).fetch_job(f"report-{key}")
        return existing is not None and existing.get_status() in ("queued", "started", "deferred")
    renders = page_renders(app)
    with renders.lock:
        return key in renders.pending

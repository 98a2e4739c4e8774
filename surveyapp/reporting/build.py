"""``flask reports build``: every report of a round, in parallel processes, only what changed.

Each worker process builds its own app (the parent's configuration and database), computes the
round's scores once, and for each job builds the context, hashes it and renders only when no PDF
with that key is stored. Workers are replaced after a number of renders, since a process keeps
the memory it once took.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from flask import Flask, current_app
from sqlalchemy import select

from surveyapp.assessments.models import COUNTED_STATES, Assessment
from surveyapp.extensions import db
from surveyapp.reporting.catalog import (
    REGION,
    RESPONSE,
    WORKING_GROUP,
    Job,
    build_context,
    definition,
)
from surveyapp.reporting.render import render_pdf
from surveyapp.reporting.store import data_version_of, find_rendered, report_key, store
from surveyapp.rounds.models import Round

RENDERED, UNCHANGED, FAILED = "rendered", "unchanged", "failed"
#: Jobs a worker process runs before it is replaced by a fresh one.
JOBS_PER_WORKER = 100


def round_jobs(round_: Round, langs: Iterable[str], score: str = "moderated") -> list[Job]:
    """The working-group report, and each counted region's report and response, per language."""
    region_ids = db.session.scalars(
        select(Assessment.region_id)
        .where(Assessment.round_id == round_.id, Assessment.state.in_(COUNTED_STATES))
        .order_by(Assessment.region_id)
    ).all()
    jobs = []
    for lang in langs:
        jobs.append(Job(WORKING_GROUP, round_.id, None, lang, score))
        for region_id in region_ids:
            jobs.append(Job(REGION, round_.id, region_id, lang, score))
            jobs.append(Job(RESPONSE, round_.id, region_id, lang, "self"))  # as its page asks
    return jobs


def build_job(job: Job) -> str:
    """Render and store one report unless the same one is stored already (app context)."""
    report = definition(job)
    version = data_version_of(job)
    context = build_context(job)
    key = report_key(report, context, job.lang)
    if find_rendered(key) is not None:
        return UNCHANGED
    store(key, job, render_pdf(report, context, job.lang), version)
    return RENDERED


_worker_app: Flask | None = None
#: The application factory a build worker (a fresh process) creates its app with: named, as
#: gunicorn and ``flask --app`` name it, not imported by this module that the app imports.
APP_FACTORY = "surveyapp:create_app"


def _start_worker(config_class, overrides: dict, memory_mb: int) -> None:
    global _worker_app
    from werkzeug.utils import import_string

    from surveyapp.reporting.isolation import become_background

    become_background(memory_mb)
    _worker_app = import_string(APP_FACTORY)(config_class, overrides)


def _run_in_worker(job: Job) -> tuple[Job, str, str]:
    with _worker_app.app_context():
        return _attempt(job)


def _attempt(job: Job) -> tuple[Job, str, str]:
    try:
        return job, build_job(job), ""
    except Exception as error:  # reported per job; the build goes on
        db.session.rollback()
        return job, FAILED, f"{type(error).__name__}: {error}"


def build(
    jobs: list[Job], workers: int, on_done: Callable[[Job, str, str], None] = lambda *a: None
) -> Counter:
    """Run the jobs (in this process when ``workers`` is 1); counts of each outcome."""
    outcomes: Counter = Counter()
    if workers <= 1:
        for job in jobs:
            job, outcome, message = _attempt(job)
            outcomes[outcome] += 1
            on_done(job, outcome, message)
        return outcomes
    app = current_app
    config_class = app.extensions["surveyapp.config_class"]
    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(config_class, overrides, app.config["REPORTS_RENDER_MEMORY_MB"]),
        max_tasks_per_child=JOBS_PER_WORKER,
    ) as pool:
        futures = {pool.submit(_run_in_worker, job): job for job in jobs}
        for future in as_completed(futures):
            try:
                job, outcome, message = future.result()
            except BrokenProcessPool as error:  # a worker died (killed, out of memory)
                job, outcome, message = futures[future], FAILED, f"worker died: {error}"
            outcomes[outcome] += 1
            on_done(job, outcome, message)
    return outcomes

"""``flask reports build``: every report of a round, in parallel processes, only what changed.

The jobs run in the render executor's process pool (``executor.run_all``), as the pages'
renders do, with ``--jobs`` processes: each worker builds its own app (the parent's configuration
and database), computes the round's scores once, and for each job builds the context, hashes it
and renders only when no PDF with that key is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select

from surveyapp.assessments.models import COUNTED_STATES, Assessment
from surveyapp.extensions import db
from surveyapp.reporting.catalog import REGION, RESPONSE, WORKING_GROUP, Job
from surveyapp.reporting.executor import run_all
from surveyapp.rounds.models import Round

#: Jobs a build worker runs before it is replaced: more than a page's render process, since a
#: fresh one computes the round's scores again.
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


def build(
    jobs: list[Job], workers: int, on_done: Callable[[Job, str, str], None] = lambda *a: None
) -> Counter:
    """Run the jobs in ``workers`` rendering processes (app context); counts of each outcome."""
    outcomes: Counter = Counter()

    def done(job: Job, outcome: str, message: str) -> None:
        outcomes[outcome] += 1
        on_done(job, outcome, message)

    app = current_app._get_current_object()
    run_all(app, jobs, workers, JOBS_PER_WORKER, done)
    return outcomes

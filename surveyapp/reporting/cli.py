"""``flask reports ...`` (render, build, worker) and ``flask export`` (a round's data files)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.regions.queries import find_region
from surveyapp.rounds.models import Round

reports_cli = AppGroup("reports", help="Render reports to PDF.")


def check_languages(langs: tuple[str, ...]) -> None:
    """Refuse a language the interface has no catalogue for, rather than render English marked
    as that language."""
    supported = current_app.config["LANGUAGES"]
    unknown = [lang for lang in langs if lang not in supported]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: no such language here; supported: {', '.join(supported)}",
            param_hint="--lang",
        )


@click.command("export")
@click.option("--round", "round_id", required=True, type=int, help="Round id (flask rounds list).")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx"]))
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True))
def export_command(round_id, fmt, out) -> None:
    """Export a round's data: long, wide, scores and codebook tables (csv: a zip of CSV files)."""
    from surveyapp.reporting.exports import ExportError, export_round

    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.BadParameter(f"no round with the id {round_id}", param_hint="--round")
    try:
        export_round(round_, fmt, out)
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{out}: {round_.name} exported ({fmt})")


@reports_cli.command("render")
@click.option(
    "--report",
    "name",
    default="region",
    show_default=True,
    type=click.Choice(["region", "working-group", "response"]),
)
@click.option("--round", "round_id", required=True, type=int, help="Round id (flask rounds list).")
@click.option("--region", "code", help="NUTS code (region and response reports).")
@click.option("--lang", default="en", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True))
def render_report_command(name, round_id, code, lang, out) -> None:
    """Render one report to a PDF file (moderated scores)."""
    check_languages((lang,))
    from surveyapp.reporting.catalog import PER_REGION, Job, JobError, build_context, definition
    from surveyapp.reporting.render import ReportError, render_pdf

    region = None
    if name in PER_REGION:
        region = find_region(code or "")
        if region is None:
            raise click.BadParameter(f"no region with the code {code!r}", param_hint="--region")
    job = Job(name, round_id, region.id if region else None, lang)
    try:
        report = definition(job)
        context = build_context(job)
    except (JobError, ReportError) as error:
        raise click.ClickException(str(error)) from None
    with open(out, "wb") as handle:
        handle.write(render_pdf(report, context, lang))
    about = f"{region.name}, " if region else ""
    click.echo(f"{out}: {report.title}, {about}{context['round']}")


@reports_cli.command("build")
@click.option("--round", "round_id", required=True, type=int, help="Round id (flask rounds list).")
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes rendering at once.",
)
@click.option(
    "--lang",
    "langs",
    multiple=True,
    default=["en"],
    show_default=True,
    help="Language; repeat for several.",
)
def build_reports_command(round_id, jobs, langs) -> None:
    """Render every report of a round (working group; each region's report and response).

    Reports whose data, templates and code did not change since they were stored are skipped.
    """
    from surveyapp.reporting.build import build, round_jobs
    from surveyapp.reporting.store import FAILED

    check_languages(langs)
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.BadParameter(f"no round with the id {round_id}", param_hint="--round")
    work = round_jobs(round_, langs)
    failures = []
    with click.progressbar(length=len(work), label=f"{round_.name}: {len(work)} reports") as bar:

        def done(job, outcome, message):
            bar.update(1)
            if outcome == FAILED:
                failures.append(f"{job.report} {job.region_id or ''} {job.lang}: {message}")

        outcomes = build(work, jobs, done)
    click.echo(", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())))
    if failures:
        raise click.ClickException("some reports failed:\n" + "\n".join(failures))


@reports_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def report_worker_command(burst) -> None:
    """Run report jobs from Redis (REDIS_URL): one fresh work horse process per job."""
    from redis import Redis
    from rq import Queue, Worker

    from surveyapp.reporting.executor import RQ_QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("set REDIS_URL: without it reports render inside the app")
    connection = Redis.from_url(url)
    dispose_engines()
    Worker([Queue(RQ_QUEUE, connection=connection)], connection=connection).work(burst=burst)

"""Thin click commands over the operations: ``flask --app surveyapp <group> <command>``."""

from __future__ import annotations

import re
import sys
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from surveyapp.auth.models import Role
from surveyapp.auth.operations import create_user
from surveyapp.auth.queries import find_user_by_email
from surveyapp.commands import transactional
from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.labels import label
from surveyapp.questionnaires.definition import DefinitionError
from surveyapp.questionnaires.loader import load_file, shipped_files
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.questionnaires.queries import find_questionnaire
from surveyapp.regions.queries import find_region
from surveyapp.rounds.models import InvalidRoundTransition, Round, RoundState
from surveyapp.rounds.operations import (
    close_round,
    create_round,
    open_round,
    round_for_moving,
    set_reference_date,
)
from surveyapp.rounds.queries import list_rounds

questionnaires_cli = AppGroup("questionnaires", help="Validate and load questionnaire files.")
users_cli = AppGroup("users", help="Manage user accounts.")
rounds_cli = AppGroup("rounds", help="Create and list assessment rounds.")


def _parse_date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@questionnaires_cli.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate_questionnaires(paths: tuple[str, ...]) -> None:
    """Check questionnaire files without loading them; lists every problem."""
    failed = False
    for path in paths:
        try:
            definition = load_file(path)
        except DefinitionError as exc:
            failed = True
            click.echo("\n".join(exc.errors), err=True)
            continue
        items = list(definition.items)
        scored = definition.scored_items
        in_aspects = sum(item.home_kind == "aspect" for item in scored)
        click.echo(
            f"{path}: valid ({definition.slug} v{definition.version}, "
            f"{len(definition.sections)} sections, {len(items)} items, {len(scored)} scored: "
            f"{len(scored) - in_aspects} in dimensions, {in_aspects} in aspects; "
            f"format {definition.format}, method {definition.method})"
        )
    if failed:
        sys.exit(1)


@questionnaires_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@transactional
def load_questionnaires(paths: tuple[str, ...]) -> None:
    """Store questionnaire versions (default: every file in questionnaires/)."""
    for path in paths or shipped_files():
        result = load_questionnaire(path)
        click.echo(f"{result.questionnaire.label}: {result.outcome} ({path})")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_codes", multiple=True, help="NUTS code; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@transactional
def create_user_command(email, name, role, region_codes, password_stdin) -> None:
    """Create a user account."""
    regions = []
    for code in region_codes:
        region = find_region(code)
        if region is None:
            raise click.BadParameter(f"no region with the code {code!r}", param_hint="--region")
        regions.append(region)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = create_user(email, name, Role(role), password, regions)
    click.echo(f"created {user.email} ({role})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="API", show_default=True, help="What the token is for.")
@click.option(
    "--expires-in",
    "days",
    type=click.IntRange(1, 3650),
    help="Days until the token stops working (default: until revoked).",
)
@transactional
def issue_token_command(email, name, days) -> None:
    """Issue a personal API token for EMAIL (printed once; only its hash is kept)."""
    from datetime import timedelta

    from surveyapp.api.operations import issue_token
    from surveyapp.db import utcnow

    user = find_user_by_email(email)
    if user is None or not user.is_active:
        raise click.BadParameter(f"no active user with the email {email!r}", param_hint="EMAIL")
    expires_at = utcnow() + timedelta(days=days) if days else None
    click.echo(issue_token(user, name, expires_at))


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


reports_cli = AppGroup("reports", help="Render reports to PDF.")


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


@rounds_cli.command("create")
@click.option("--name", required=True)
@click.option("--questionnaire", "questionnaire_ref", required=True, metavar="SLUG:VERSION")
@click.option("--opens", required=True, callback=_parse_date, metavar="YYYY-MM-DD")
@click.option("--closes", required=True, callback=_parse_date, metavar="YYYY-MM-DD")
@click.option("--open", "open_now", is_flag=True, help="Open the round for answers at once.")
@click.option(
    "--reference-date",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="The day the answers describe (default: the closing day).",
)
@transactional
def create_round_command(name, questionnaire_ref, opens, closes, open_now, reference_date) -> None:
    """Create an assessment round answering one questionnaire version."""
    slug, _, version = questionnaire_ref.rpartition(":")
    if not slug or not re.fullmatch(r"[0-9]{1,9}", version):
        raise click.BadParameter(
            "use SLUG:VERSION, e.g. criterion7-interregional:1", param_hint="--questionnaire"
        )
    questionnaire = find_questionnaire(slug, int(version))
    if questionnaire is None:
        raise click.BadParameter(
            f"no questionnaire {questionnaire_ref} is loaded (flask questionnaires load)",
            param_hint="--questionnaire",
        )
    state = RoundState.open if open_now else RoundState.planned
    round_ = create_round(name, questionnaire, opens, closes, state, reference_date=reference_date)
    click.echo(f"created round {round_.id}: {round_.name} ({round_.state})")


@rounds_cli.command("list")
def list_rounds_command() -> None:
    """List rounds: id, name, questionnaire, state, dates."""
    rounds = list_rounds()
    if not rounds:
        click.echo("no rounds yet (flask rounds create, or flask demo seed)")
        return
    click.echo(f"{'id':>4}  {'name':<24} {'questionnaire':<30} {'state':<8} opens       closes")
    for r in rounds:
        click.echo(
            f"{r.id:>4}  {r.name:<24} {r.questionnaire.label:<30} {r.state.value:<8} "
            f"{r.opens_on}  {r.closes_on}"
        )


@rounds_cli.command("open")
@click.argument("round_id", type=int)
@click.option(
    "--reference-date",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="Set the day the answers describe first (default: as planned, else the closing day).",
)
@transactional
def open_round_command(round_id: int, reference_date) -> None:
    """Open a planned round for answers (refused, naming them, while a participating region
    lacks the population a size-relative target needs)."""
    round_ = round_for_moving(round_id)
    if round_ is None:
        raise click.BadParameter(f"no round with id {round_id}", param_hint="ROUND_ID")
    if reference_date is not None:
        set_reference_date(round_, reference_date)
    if not open_round(round_):
        click.echo(f"round {round_.id} ({round_.name}) is already open")
        return
    click.echo(f"round {round_.id} ({round_.name}) is now {label(round_.state)}")


@rounds_cli.command("close")
@click.argument("round_id", type=int)
@transactional
def close_round_command(round_id: int) -> None:
    """Close an open round (with the same audit event as the Rounds page)."""
    round_ = round_for_moving(round_id)
    if round_ is None:
        raise click.BadParameter(f"no round with id {round_id}", param_hint="ROUND_ID")
    try:
        closed = close_round(round_)
    except InvalidRoundTransition as refusal:
        raise click.ClickException(str(refusal)) from None
    if not closed:
        click.echo(f"round {round_.id} ({round_.name}) is already closed")
        return
    click.echo(f"round {round_.id} ({round_.name}) is now {label(round_.state)}")


def register_commands(app: Flask) -> None:
    from surveyapp.demo.cli import demo_cli
    from surveyapp.regions.cli import regions_cli

    for group in (questionnaires_cli, regions_cli, users_cli, rounds_cli, demo_cli):
        app.cli.add_command(group)
    app.cli.add_command(export_command)
    app.cli.add_command(reports_cli)

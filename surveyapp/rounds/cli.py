"""``flask rounds ...``: create, list, open and close assessment rounds."""

from __future__ import annotations

import re
from datetime import date

import click
from flask.cli import AppGroup

from surveyapp.commands import transactional
from surveyapp.i18n import label
from surveyapp.questionnaires.queries import find_questionnaire
from surveyapp.rounds.models import InvalidRoundTransition, RoundState
from surveyapp.rounds.operations import (
    close_round,
    create_round,
    open_round,
    round_for_moving,
    set_reference_date,
)
from surveyapp.rounds.queries import list_rounds

rounds_cli = AppGroup("rounds", help="Create and list assessment rounds.")


def _parse_date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


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

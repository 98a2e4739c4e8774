"""``flask questionnaires ...``: validate and load questionnaire files."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from surveyapp.commands import transactional
from surveyapp.questionnaires.definition import DefinitionError
from surveyapp.questionnaires.loader import load_file, shipped_files
from surveyapp.questionnaires.operations import load_questionnaire

questionnaires_cli = AppGroup("questionnaires", help="Validate and load questionnaire files.")


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

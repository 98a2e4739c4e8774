"""``flask questionnaires ...``: validate and load questionnaire files."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from surveyapp.commands import transactional
from surveyapp.questionnaires.definition import DefinitionError
from surveyapp.questionnaires.loader import load_file, read_file, shipped_files
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.questionnaires.translations import (
    catalogue_folder,
    coverage,
    read_translations,
    update_catalogues,
)

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


@questionnaires_cli.command("extract-messages")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def extract_messages(paths: tuple[str, ...]) -> None:
    """Write each questionnaire's translation template (messages.pot) and update its catalogues.

    New texts are added untranslated, removed ones dropped, and an entry whose English changed
    is marked fuzzy with the previous English beside it, for a translator to check.
    """
    for path in paths or shipped_files():
        try:
            data, definition = read_file(path)
        except DefinitionError as exc:
            click.echo("\n".join(exc.errors), err=True)
            sys.exit(1)
        folder = catalogue_folder(definition.slug, definition.version, Path(path).parent)
        for written in update_catalogues(data, folder):
            click.echo(f"wrote {written}")


@questionnaires_cli.command("check-translations")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", "languages", multiple=True, help="Only these languages (repeatable).")
@click.option("--list/--no-list", "listing", default=True, help="List each missing text.")
def check_translations(paths: tuple[str, ...], languages: tuple[str, ...], listing: bool) -> None:
    """List, per questionnaire and language, the texts not translated or translated from an
    English text that has since changed; exits with 1 when a language is incomplete."""
    incomplete = False
    for path in paths or shipped_files():
        try:
            data, definition = read_file(path)
        except DefinitionError as exc:
            click.echo("\n".join(exc.errors), err=True)
            sys.exit(1)
        translations = read_translations(definition.slug, definition.version, Path(path).parent)
        reports = coverage(data, translations)
        for lang in languages:
            reports.setdefault(lang, coverage(data, {lang: {}})[lang])
        for lang, report in sorted(reports.items()):
            if languages and lang not in languages:
                continue
            label = f"{definition.slug} v{definition.version} [{lang}]"
            if report.complete:
                click.echo(f"{label}: complete ({report.total} texts)")
                continue
            incomplete = True
            click.echo(
                f"{label}: {report.translated} of {report.total} texts translated, "
                f"{len(report.missing)} missing, {len(report.outdated)} outdated"
            )
            if listing:
                for context in report.missing:
                    click.echo(f"  missing  {context}")
                for context in report.outdated:
                    click.echo(f"  outdated {context}")
    if incomplete:
        sys.exit(1)

"""``flask regions ...``: NUTS regions, their populations and their attributes."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from surveyapp.commands import transactional
from surveyapp.regions.indicators_file import DATASETS
from surveyapp.regions.operations import (
    import_attributes_file,
    import_indicator_file,
    import_population_file,
    import_regions_file,
)

regions_cli = AppGroup("regions", help="Import NUTS regions, their populations and attributes.")
population_cli = AppGroup("population", help="Regions' populations (size-relative targets).")
attributes_cli = AppGroup(
    "attributes",
    help="Category of region, Thematic Partnerships and macro-regional strategies.",
)
indicators_cli = AppGroup(
    "indicators", help="Regions' structural indicators (structurally similar regions)."
)
regions_cli.add_command(population_cli)
regions_cli.add_command(attributes_cli)


@regions_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@transactional
def import_regions_command(path: str) -> None:
    """Import regions from a CSV in Eurostat's NUTS layout (e.g. data/nuts2024-eu27.csv)."""
    result = import_regions_file(path)
    click.echo(
        f"{path}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    )


@population_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    help="Where the figures come from (required for a CSV; default for Eurostat's file: "
    "'Eurostat demo_r_d2jan').",
)
@click.option("--year", "years", type=int, multiple=True, help="Only this year (repeatable).")
@transactional
def import_population_command(path: str, source: str | None, years: tuple[int, ...]) -> None:
    """Store regions' 1 January populations per year from Eurostat's demo_r_d2jan TSV (gzipped
    or not) or a CSV with the columns code,year,population[,source]. All rows valid, or
    every problem listed with its line and nothing written."""
    result = import_population_file(path, source, frozenset(years))
    click.echo(
        f"{path}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.skipped} not regions here, "
        f"{result.missing} not available (':')"
    )


@indicators_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dataset",
    help="The Eurostat dataset of a TSV file when its name does not say it; an SDMX-CSV file "
    f"names its own. Datasets read: {', '.join(sorted(DATASETS))}.",
)
@click.option("--source", help="Where the figures come from (default: 'Eurostat <dataset>').")
@click.option("--year", "years", type=int, multiple=True, help="Only this year (repeatable).")
@transactional
def import_indicators_command(
    path: str, dataset: str | None, source: str | None, years: tuple[int, ...]
) -> None:
    """Store regions' structural indicators from a file as Eurostat publishes it: SDMX-CSV
    (the data browser's and the API's download) or the TSV bulk download (gzipped or not).

    Values flagged ':' (not available) are skipped, never guessed; flags such as 'p'
    (provisional) are kept. All rows valid, or every problem listed with its line
    and nothing written.
    """
    result = import_indicator_file(path, dataset, source, frozenset(years))
    click.echo(
        f"{path} ({result.dataset}): {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.skipped} not regions here, "
        f"{result.missing} not available"
    )


@attributes_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    help="Where the file's facts come from, recorded with each fact it changes (required "
    "unless every row has a source), e.g. 'Commission Implementing Decision (EU) 2021/1130'.",
)
@transactional
def import_attributes_command(path: str, source: str | None) -> None:
    """Set regions' attributes from a CSV (UTF-8), one row per region:

    \b
      code,category,partnerships,strategies,source
      AT13,more_developed,,eusdr;eusalp,
      ES21,more_developed,photonics:lead;bioeconomy,,

    code: a NUTS code already imported. category: less_developed, transition or
    more_developed (empty: not set). partnerships: Thematic Partnership slugs separated by
    ';', each optionally ':lead' or ':member' (default member; empty: none). strategies:
    eusbsr, eusdr, eusair, eusalp separated by ';' (empty: none). source (optional): the
    row's source, else --source.

    Only the attribute columns in the header change, and only for the regions the file
    names. All rows valid, or every problem listed with its line and nothing written.
    """
    result = import_attributes_file(path, source)
    changed = f"{result.changed} region{'' if result.changed == 1 else 's'} changed"
    click.echo(f"{path}: {changed}, {result.unchanged} unchanged")

import click
from flask.cli import AppGroup

from surveyapp.assessments.queries import has_assessments
from surveyapp.commands import transactional
from surveyapp.demo.operations import (
    DEMO_ATTRIBUTE_SOURCE,
    DEMO_GROUP_NAME,
    DEMO_POPULATION_SOURCE,
    seed_demo,
)

demo_cli = AppGroup("demo", help="Synthetic demonstration data.")

BANNER = "SYNTHETIC DEMO DATA: invented answers, not the situation of any real region."


@demo_cli.command("seed")
@click.option("--force", is_flag=True, help="Seed even if the database already has assessments.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if assessments exist.")
@click.option("--seed", "seed", default=7, show_default=True, help="Random seed.")
@click.option(
    "--rounds", default=3, show_default=True, type=click.IntRange(1), help="Rounds, the last open."
)
@click.option(
    "--all-regions",
    is_flag=True,
    help="Every NUTS 2 region, each in every round (production-sized data).",
)
@transactional
def seed_command(force: bool, if_empty: bool, seed: int, rounds: int, all_regions: bool) -> None:
    """Create three rounds of synthetic assessments from about 60 regions, and demo users.

    The closed rounds answer questionnaire version 1, the open round version 2; every
    demo region gets a synthetic population for the rounds' reference years.
    """
    if if_empty and has_assessments():
        click.echo("demo seed: the database already has assessments; nothing to do")
        return
    result = seed_demo(force=force, seed=seed, rounds=rounds, all_regions=all_regions)
    if result.skipped:
        click.echo(f"demo seed: {result.skipped}; nothing added")
        return
    click.secho(f"*** {BANNER} ***", fg="yellow", bold=True)
    click.echo(
        f"{result.regions} regions, {result.rounds} rounds, "
        f"{result.assessments} assessments, {result.answers} answers"
    )
    click.echo(f"Populations: {DEMO_POPULATION_SOURCE}")
    click.echo(f"Thematic Partnership memberships and '{DEMO_GROUP_NAME}': {DEMO_ATTRIBUTE_SOURCE}")
    click.echo("Categories of region: not set (record them: flask regions attributes import)")
    click.echo("Sign in with:")
    for email, password in result.logins.items():
        click.echo(f"  {email:<26} {password}")
    click.secho(f"*** {BANNER} ***", fg="yellow", bold=True)

"""``flask backup`` and ``flask restore``: the whole database to a file and back."""

from __future__ import annotations

import click

from surveyapp.backup.operations import make_backup, restore_backup
from surveyapp.commands import transactional


@click.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The backup file.")
@click.option(
    "--with-reports",
    is_flag=True,
    help="Keep the stored reports (rendered PDFs, which can be rendered again) in the backup.",
)
@transactional
def backup_command(out: str, with_reports: bool) -> None:
    """Back the whole database up to a file while the app runs: SQLite's online backup, or
    pg_dump's custom format for PostgreSQL. Restore it with flask restore."""
    made = make_backup(out, with_reports)
    reports = "with" if made.with_reports else "without"
    click.echo(f"{made.path}: {made.backend} backup, {made.size} bytes, {reports} stored reports")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
@transactional
def restore_command(path: str, force: bool) -> None:
    """Restore a backup of flask backup into this app's database (of the same kind). Refuses a
    database that holds any row unless --force; stop the app first."""
    restore_backup(path, force)
    click.echo(f"{path}: restored")

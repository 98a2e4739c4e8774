"""``flask privacy ...``: data-subject requests and the retention job."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from surveyapp.auth.queries import find_user_by_email
from surveyapp.commands import transactional
from surveyapp.privacy.operations import ErasureRefused, erase_user, export_user, purge

privacy_cli = AppGroup("privacy", help="Personal data: export, erase, and the retention job.")


def _user(email: str):
    user = find_user_by_email(email)
    if user is None:
        raise click.BadParameter(f"no user with the email {email!r}", param_hint="EMAIL")
    return user


@privacy_cli.command("export")
@click.argument("email")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@transactional
def export_command(email: str, out: Path) -> None:
    """Write everything held about the account with EMAIL to a JSON file (a subject access
    request)."""
    data = export_user(_user(email))
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"{out}: personal data of {email}")


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@transactional
def erase_command(email: str, yes: bool) -> None:
    """Erase the personal data of the account with EMAIL (pseudonymised; its work and the
    audit trail stay under the same id)."""
    if not yes:
        raise click.ClickException("erasure cannot be undone: add --yes to confirm")
    user = _user(email)
    try:
        erase_user(user, None)
    except ErasureRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"erased: the account is now {user.name} <{user.email}>")


@privacy_cli.command("purge")
@transactional
def purge_command() -> None:
    """Delete what is past its retention period (run daily)."""
    counts = purge()
    click.echo(", ".join(f"{kind}: {count}" for kind, count in counts.items()))

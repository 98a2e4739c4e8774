"""``flask users ...``: user accounts and API tokens."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from surveyapp.auth.models import Role
from surveyapp.auth.operations import create_user
from surveyapp.auth.queries import find_user_by_email
from surveyapp.commands import transactional
from surveyapp.regions.queries import find_region

users_cli = AppGroup("users", help="Manage user accounts.")


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


@users_cli.command("unlink-provider")
@click.argument("email")
@transactional
def unlink_provider_command(email) -> None:
    """Forget the OpenID Connect identity EMAIL signs in as: the next sign-in through the
    provider is matched by the verified email again (the person's new identity there)."""
    from surveyapp.auth.operations import unlink_identity

    user = find_user_by_email(email)
    if user is None:
        raise click.BadParameter(f"no account with the email {email!r}", param_hint="EMAIL")
    unlink_identity(user)
    click.echo(f"{user.email}: no longer linked to an identity of the provider")


@users_cli.command("new-totp-key")
def new_totp_key_command() -> None:
    """Print a new key for TOTP_KEYS (the key that seals two-factor secrets)."""
    from surveyapp.auth.sealing import new_key

    click.echo(new_key())


@users_cli.command("reseal-secrets")
@click.option(
    "--in-clear",
    is_flag=True,
    help="Store the secrets unsealed instead (only before a downgrade to a version without "
    "sealing).",
)
@transactional
def reseal_secrets_command(in_clear) -> None:
    """Seal every two-factor secret under the first key of TOTP_KEYS (after a new key was put
    first on every server, or to seal secrets stored in clear before sealing existed)."""
    from flask import current_app

    from surveyapp.auth.two_factor import reseal_secrets

    if current_app.config.get("TOTP_KEYS_DERIVED"):
        raise click.ClickException(
            "TOTP_KEYS is not set: the secrets would be sealed under a key derived from "
            "SECRET_KEY. Load the server's environment (set -a; . /etc/surveyapp/env; set +a) "
            "and run it again."
        )
    written, unreadable = reseal_secrets(in_clear=in_clear)
    click.echo(f"{'stored in clear' if in_clear else 'sealed again'}: {written}")
    if unreadable:
        from surveyapp.extensions import db

        db.session.commit()  # those written are kept; the exit status tells of the others
        click.echo(
            f"{unreadable} secret(s) no key of TOTP_KEYS opens, left as they are: put the key "
            "they were sealed with back in TOTP_KEYS, or reset those users' second factor",
            err=True,
        )
        sys.exit(1)

"""What a load balancer or an orchestrator asks: is the process alive, can it serve (its
database reachable and migrated to the code's revision, Redis reachable when configured)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from surveyapp.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    """The migration revisions this code expects (read once: they change only with the code)."""
    return frozenset(_scripts().get_heads())


@lru_cache(maxsize=1)
def code_revisions() -> frozenset[str]:
    """Every migration revision this code knows."""
    return frozenset(revision.revision for revision in _scripts().walk_revisions())


def database_problem() -> str | None:
    """Why the database cannot serve (unreachable, or not at the code's migration revision);
    None when it can."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return f"unreachable: {type(error).__name__}"
    if current == code_heads():
        return None
    if current and not current & code_revisions():
        # A newer release migrated the database during a rolling deploy: this process serves
        # until it is replaced (migrations add before they remove; docs/reliability.md).
        return None
    found = ", ".join(sorted(current)) or "none"
    needed = ", ".join(sorted(code_heads()))
    return f"migrations not current: at {found}, the code needs {needed}"


def redis_problem() -> str | None:
    """Why the configured Redis cannot be reached; None when it can or none is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    except ValueError as error:
        return f"REDIS_URL is not a Redis address: {error}"
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        return f"unreachable: {type(error).__name__}"
    finally:
        client.close()
    return None

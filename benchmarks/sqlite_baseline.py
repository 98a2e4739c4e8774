"""The app on SQLite's own defaults, for nothing_lost.py --sqlite-baseline (scenario F3's baseline).

The app's SQLite connections use the write-ahead log and synchronous=NORMAL (surveyapp.db) and
wait SQLITE_BUSY_TIMEOUT_MS for a lock (R36). Served from here they keep only foreign keys: the
database file stays in the rollback journal it was given, with SQLite's default synchronous
(FULL), and waits as long as SQLITE_BUSY_TIMEOUT_MS says (the baseline sets 0, SQLite's default).
Never used by the application itself.

gunicorn --pythonpath benchmarks 'sqlite_baseline:create_app()'
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

from surveyapp import create_app as _create_app
from surveyapp.db import _configure_sqlite

event.remove(Engine, "connect", _configure_sqlite)


@event.listens_for(Engine, "connect")
def _foreign_keys_only(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")


def create_app():
    return _create_app()

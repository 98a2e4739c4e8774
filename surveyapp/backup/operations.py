"""A backup of the whole database, and restoring one into an empty database.

SQLite: SQLite's online backup API (a consistent copy while the app keeps running, the
write-ahead log included), restored the same way. PostgreSQL: ``pg_dump`` in its custom format,
restored by ``pg_restore`` (both from the server's client tools, the same major version).
Stored reports (``rendered_reports``, rendered PDFs that can always be rendered again) are left
out unless asked for. A restore refuses a database that holds any row, and on PostgreSQL one
that other connections use (the app still running), unless forced; after restoring an older
backup, ``flask db upgrade`` brings its schema to the code's.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from surveyapp.audit.operations import log_event
from surveyapp.db import dispose_engines
from surveyapp.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
POSTGRESQL_MAGIC = b"PGDMP"
#: Rendered PDFs: a cache of what the data give, left out of a backup unless asked for.
STORED_REPORTS = "rendered_reports"


class BackupError(ValueError):
    """A backup or a restore cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Backup:
    path: Path
    #: "sqlite" or "postgresql".
    backend: str
    size: int
    with_reports: bool


def _backend() -> str:
    name = db.engine.url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups are made of SQLite and PostgreSQL databases, not {name}")
    return name


def make_backup(out: str | os.PathLike[str], with_reports: bool = False, user=None) -> Backup:
    """Write a backup of the app's database to ``out`` (written whole or not at all)."""
    backend = _backend()
    out = Path(out)
    if out.is_dir():
        raise BackupError(f"{out} is a folder; name the backup file")
    partial = out.with_name(out.name + ".partial")
    try:
        if backend == "sqlite":
            _sqlite_backup(partial, with_reports)
        else:
            _pg_dump(partial, with_reports)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    log_event(
        "database.backed_up",
        "database",
        None,
        user=user,
        new_value={"file": out.name, "with_reports": with_reports},
    )
    return Backup(out, backend, out.stat().st_size, with_reports)


def _sqlite_backup(target_path: Path, with_reports: bool) -> None:
    raw = db.engine.raw_connection()
    try:
        target = sqlite3.connect(target_path)
        try:
            raw.driver_connection.backup(target)
            if not with_reports:
                target.execute(f"DELETE FROM {STORED_REPORTS}")  # noqa: S608 - a constant
                target.commit()
                target.execute("VACUUM")
        finally:
            target.close()
    finally:
        raw.close()


def _libpq_url() -> str:
    """The database's URL as PostgreSQL's own tools take it (no SQLAlchemy driver name), without
    its password, which goes in the tools' environment (_run): a command line is visible to
    every user of the machine."""
    url = db.engine.url.set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client tools)")
    return found


def _run(command: list[str]) -> None:
    environment = dict(os.environ)
    if db.engine.url.password:
        environment["PGPASSWORD"] = str(db.engine.url.password)
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, env=environment
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _pg_dump(target_path: Path, with_reports: bool) -> None:
    command = [
        _tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--schema={_schema()}",  # the app's own: other schemas of the database are not its
        f"--file={target_path}",
    ]
    if not with_reports:
        command.append(f"--exclude-table-data={STORED_REPORTS}")
    _run([*command, f"--dbname={_libpq_url()}"])


def _schema() -> str:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT current_schema()")).scalar_one()


def rows_held() -> dict[str, int]:
    """Table -> rows, of the app's tables that exist and hold any (empty: nothing to lose)."""
    existing = set(inspect(db.engine).get_table_names())
    held = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in existing:
                count = connection.execute(select(func.count()).select_from(table)).scalar()
                if count:
                    held[table.name] = count
    return held


def other_sessions() -> int:
    """PostgreSQL: how many other connections to the database are open (the app running)."""
    statement = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with db.engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def restore_backup(path: str | os.PathLike[str], force: bool = False, user=None) -> None:
    """Replace the app's database by a backup of the same kind (make_backup)."""
    backend = _backend()
    path = Path(path)
    with path.open("rb") as handle:
        start = handle.read(len(SQLITE_MAGIC))
    kind = (
        "sqlite"
        if start == SQLITE_MAGIC
        else "postgresql"
        if start.startswith(POSTGRESQL_MAGIC)
        else None
    )
    if kind is None:
        raise BackupError(f"{path.name} is not a backup made by flask backup")
    if kind != backend:
        raise BackupError(
            f"{path.name} is a {kind} backup; this app's database is {backend}: restore it into "
            f"a {kind} database"
        )
    held = rows_held()
    if held and not force:
        total = sum(held.values())
        raise BackupError(
            f"the database is not empty ({total} rows in {len(held)} tables); restore replaces "
            "everything in it only with --force"
        )
    # Our own connections go (the pool's, this session's read); another process's mean the app
    # still runs, whose writes would mix with the restored data.
    db.session.close()
    dispose_engines()
    if backend == "postgresql" and (count := other_sessions()) and not force:
        raise BackupError(
            f"{count} other connections to the database are open: stop the app (and its "
            "workers) first, or restore with --force"
        )
    dispose_engines()
    if backend == "sqlite":
        _sqlite_restore(path)
    else:
        _pg_restore(path)
    dispose_engines()
    log_event("database.restored", "database", None, user=user, new_value={"file": path.name})


def _sqlite_restore(path: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    raw = db.engine.raw_connection()
    try:
        source.backup(raw.driver_connection)
    finally:
        raw.close()
        source.close()


def _pg_restore(path: Path) -> None:
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={_libpq_url()}",
            str(path),
        ]
    )

"""Scenario F8 of RELIABILITY.md: a migration rehearsal on production-sized synthetic data.

On a fresh database of each engine (a SQLite file; a PostgreSQL database ``rehearsal_*`` that
is dropped afterwards):

1. ``flask db upgrade`` from empty to head one revision at a time (Flask-Migrate, the app's
   migrations/ folder), keeping each revision's schema as a fresh upgrade builds it;
2. the demo seeder at production size: every NUTS 2 region (244) x 6 rounds, every visible
   item answered (drafts part-way), with reviews, comments, change requests, notifications,
   action plans, contact requests, publications and the audit trail as the demo writes them
   (``flask demo seed --rounds 6 --all-regions``), and rows in the tables the demo leaves
   empty (fill_the_rest);
3. per table, its rows and a SHA-256 per column over its values in primary-key order, values
   normalised (datetimes in UTC, JSON with sorted keys, binary as its own SHA-256) so that the
   same data gives the same digests on SQLite and PostgreSQL; the catalogue at head (columns,
   primary, foreign and unique keys, indexes, CHECK constraints by name and text);
4. down one revision at a time to the first revision, and at each revision a round trip
   (down, up, compared, down again): no downgrade may change or lose a row of a table the older
   revision still has, in the columns it still has, and the upgrade after it must give them
   back as they were; the schema after each migration must be the fresh upgrade's of step 1.
   Tables and columns that the older revision has no place for are lost by design; they are
   listed, and where the upgrade derives them again from the data they are compared too. Rows
   a round trip removes on purpose are named in DROPPED_BY_DESIGN;
5. up from the first revision to head one revision at a time, then: the tables and columns of
   the first revision identical to step 3, the catalogue identical to step 3, no foreign-key
   violation (SQLite ``PRAGMA foreign_key_check`` and ``integrity_check``; PostgreSQL every
   foreign key and CHECK constraint validated in ``pg_constraint``);
6. a table of figures: rows per table, the time of each step, the total.

Run: .venv/bin/python benchmarks/migration_rehearsal.py [--skip-postgres] [--small]
     (``--small``: the demo's own size, about 60 regions x 3 rounds, for a quicker look)
PostgreSQL: --postgres-url (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) is
the server's maintenance database, where the rehearsal database is created and dropped.
Prints figures; asserts nothing about time. Exits 1 when the rehearsal finds a difference.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    create_engine,
    inspect,
    make_url,
    select,
    text,
)

ROOT = Path(__file__).resolve().parents[1]
#: Rows a round trip through a revision (down, up) removes on purpose: revision -> {table: (the
#: SQL condition of the rows that stay, what the others are)}. The rest of the table must stay as
#: it was, and the downgrade may leave them or remove them.
DROPPED_BY_DESIGN = {
    # The downgrade: the older revision has a level on every moderated score.
    "a20e0001meth": {
        "moderated_scores": (
            "score IS NOT NULL",
            "without a level (a decision on 'not applicable' or a confirmation only)",
        )
    },
    # The upgrade: a kept form lives a week, and one without its owner is of no use.
    "41df0935bdc1": {
        "form_stashes": ("1 = 0", "(kept forms: the upgrade drops those without owner)")
    },
}
#: The demo's date for the rehearsal: fixed, so both engines get the same rounds and answers.
TODAY = date(2026, 11, 30)


# -- Digests -------------------------------------------------------------------------------------


def _utc(value: datetime) -> str:
    # SQLite keeps no zone: the app writes UTC there.
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _json(value: dict | list) -> str:
    # PostgreSQL's JSONB orders an object's keys its own way.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _bytes(value: bytes | bytearray | memoryview) -> str:
    return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()


def _same(value: object) -> object:
    return value


#: Each type a driver gives back -> its normal form (one lookup per value: millions of them).
_NORMAL_FORMS: dict[type, Callable[[object], object]] = {
    type(None): _same,
    bool: _same,
    int: _same,
    float: _same,
    str: _same,
    datetime: _utc,
    date: date.isoformat,
    clock: clock.isoformat,
    Decimal: lambda value: format(value.normalize(), "f"),
    bytes: _bytes,
    bytearray: _bytes,
    memoryview: _bytes,
    dict: _json,
    list: _json,
    UUID: str,
}


def normal(value: object) -> object:
    """A value as the same plain Python value whichever engine gave it back."""
    form = _NORMAL_FORMS.get(type(value))
    if form is None:
        raise TypeError(f"no normal form for {type(value).__name__}: {value!r}")
    return form(value)


def _sort_key(row: tuple) -> tuple:
    # None never occurs in a primary key; a table without one sorts by every column.
    return tuple((type(v).__name__, v) if v is not None else ("", "") for v in row)


@dataclass(frozen=True)
class TableFigures:
    """A table's rows and, per column, a SHA-256 of its normalised values in key order."""

    rows: int
    columns: dict[str, str]
    #: Per column, how many rows hold a value (not NULL).
    filled: dict[str, int] = field(default_factory=dict)

    def digest(self, names: set[str] | None = None) -> str:
        """One SHA-256 over the columns ``names`` (default: all)."""
        chosen = sorted(self.columns if names is None else set(self.columns) & names)
        summary = "\n".join(f"{name}={self.columns[name]}" for name in chosen)
        return hashlib.sha256(f"{self.rows}\n{summary}".encode()).hexdigest()

    def differing(self, other: TableFigures, names: set[str]) -> list[str]:
        """The columns among ``names`` (that both have) whose values differ."""
        return sorted(
            name
            for name in names & set(self.columns) & set(other.columns)
            if self.columns[name] != other.columns[name]
        )


def table_names(connection: Connection) -> list[str]:
    return sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})


def _is_plain(column) -> bool:
    """Whether both engines give the column's values back as the same plain Python values."""
    kind = column.type
    return isinstance(kind, Float) or (
        isinstance(kind, Integer | String | Boolean) and not isinstance(kind, JSON)
    )


def snapshot(
    connection: Connection, where: dict[str, str] | None = None
) -> dict[str, TableFigures]:
    """Rows and column digests of every table of the app (alembic_version left out).

    :param where: only these tables, each only the rows of an SQL condition (trusted text).
    """
    metadata = MetaData()
    names = sorted(where) if where else table_names(connection)
    metadata.reflect(connection, only=names, resolve_fks=False)
    figures = {}
    for table in (metadata.tables[name] for name in names):
        columns = list(table.columns)
        statement = select(*columns)
        if where:
            statement = statement.where(text(where[table.name]))
        rows = connection.execute(statement).all()
        # Column by column: a list of each column's values, normalised where they need it.
        found = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        values = [
            list(column_values) if _is_plain(column) else [normal(v) for v in column_values]
            for column, column_values in zip(columns, found, strict=True)
        ]
        keys = [values[columns.index(c)] for c in table.primary_key.columns]
        if len(keys) == 1:  # most tables: one key column, never NULL
            order = sorted(range(len(rows)), key=keys[0].__getitem__)
        else:
            keys = keys or values
            order = sorted(range(len(rows)), key=lambda row: _sort_key(tuple(k[row] for k in keys)))
        figures[table.name] = TableFigures(
            len(rows),
            {
                column.name: hashlib.sha256(
                    "\x1e".join([repr(column_values[row]) for row in order]).encode()
                ).hexdigest()
                for column, column_values in zip(columns, values, strict=True)
            },
            {
                column.name: len(column_values) - column_values.count(None)
                for column, column_values in zip(columns, values, strict=True)
            },
        )
    return figures


def _sql(text_: str | None) -> str:
    """A constraint's SQL text without the quoting and spacing engines add or drop."""
    return re.sub(r"[\s\"'()]+", "", text_ or "").lower()


def catalogue(connection: Connection) -> dict[str, set[tuple]]:
    """Per table, what the schema says about it, as comparable tuples."""
    inspector = inspect(connection)
    found = {}
    for name in table_names(connection):
        pk = inspector.get_pk_constraint(name)
        entries = {("primary key", pk["name"], tuple(pk["constrained_columns"]))}
        entries |= {
            ("column", c["name"], str(c["type"]), c["nullable"])
            for c in inspector.get_columns(name)
        }
        entries |= {
            (
                "foreign key",
                fk["name"],
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
                (fk.get("options") or {}).get("ondelete", "").upper() or None,
            )
            for fk in inspector.get_foreign_keys(name)
        }
        entries |= {
            ("unique", u["name"], tuple(u["column_names"]))
            for u in inspector.get_unique_constraints(name)
        }
        entries |= {
            ("index", i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(name)
        }
        entries |= {
            ("check", c["name"], _sql(c["sqltext"])) for c in inspector.get_check_constraints(name)
        }
        found[name] = entries
    return found


def integrity_problems(connection: Connection) -> list[str]:
    """Rows that break a foreign key, and constraints the engine has not validated."""
    if connection.dialect.name == "sqlite":
        problems = [
            f"{table} rowid {rowid}: no {parent} row (foreign key {fk})"
            for table, rowid, parent, fk in connection.exec_driver_sql("PRAGMA foreign_key_check")
        ]
        verdict = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
        return problems + ([] if verdict == "ok" else [f"integrity_check: {verdict}"])
    unvalidated = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype IN ('f', 'c') AND NOT convalidated "
            "AND connamespace = 'public'::regnamespace"
        )
    )
    return [f"{table}: constraint {name} not validated" for table, name in unvalidated]


def catalogue_differences(before: dict[str, set], after: dict[str, set]) -> list[str]:
    differences = []
    for table in sorted(before.keys() | after.keys()):
        lost = before.get(table, set()) - after.get(table, set())
        gained = after.get(table, set()) - before.get(table, set())
        differences += [f"{table}: lost {entry}" for entry in sorted(lost, key=repr)]
        differences += [f"{table}: gained {entry}" for entry in sorted(gained, key=repr)]
    return differences


def kept_differences(
    before: dict[str, TableFigures], after: dict[str, TableFigures], schema: dict[str, set[str]]
) -> list[str]:
    """What changed in the tables and columns of ``schema`` (table -> columns) between
    ``before`` and ``after``: rows gained or lost, values changed."""
    differences = []
    for table, columns in sorted(schema.items()):
        if table not in before:
            continue
        if table not in after:
            differences.append(f"{table}: table gone")
            continue
        old, new = before[table], after[table]
        if old.rows != new.rows:
            differences.append(f"{table}: {old.rows} rows before, {new.rows} after")
        elif changed := old.differing(new, columns):
            differences.append(f"{table}: values changed in {', '.join(changed)}")
    return differences


def columns_of(figures: dict[str, TableFigures]) -> dict[str, set[str]]:
    return {table: set(f.columns) for table, f in figures.items()}


# -- The rehearsal -------------------------------------------------------------------------------


@dataclass
class Step:
    """One revision's round trip on the way down, and its upgrade on the way up at the end."""

    revision: str
    down: float = 0.0
    up: float = 0.0
    down_again: float = 0.0
    final_up: float = 0.0
    #: What the older revision has no place for (lost by design), e.g. "table x (12 rows)".
    not_kept: list[str] = field(default_factory=list)
    #: What the upgrade derived again from the data, identical to before.
    rebuilt: list[str] = field(default_factory=list)


@dataclass
class Rehearsal:
    engine: str
    at_head: dict[str, TableFigures] = field(default_factory=dict)
    after: dict[str, TableFigures] = field(default_factory=dict)
    first_revision_columns: dict[str, set[str]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: Differences found: each one fails the rehearsal.
    differences: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _timed(timings: dict, name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def _migrate(direction: Callable, revision: str) -> float:
    """Flask-Migrate's upgrade or downgrade to ``revision``; its log kept out of the figures
    (Alembic's log handler writes to the standard error that is current when it starts)."""
    log = io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stderr(log):
            direction(revision=revision)
    except BaseException:
        sys.stderr.write(log.getvalue())
        raise
    return time.perf_counter() - start


def revisions() -> list[str]:
    """The app's revisions, the first one first (one line of history: no branches)."""
    from alembic.script import ScriptDirectory

    from surveyapp import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def rehearse(
    app,
    fill: Callable[[], None],
    lowest: str | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> Rehearsal:
    """Upgrade the app's empty database to head, ``fill`` it (committing), then down one
    revision at a time to ``lowest`` (default: the first revision) with a round trip at each,
    and up to head again; compare as the module's docstring says.

    :param app: an app on an empty database of its own (this drops and recreates tables).
    :param report: called with a line on each step's progress.
    """
    from flask_migrate import downgrade, upgrade

    from surveyapp.extensions import db

    history = revisions()
    lowest = lowest or history[0]
    walked = list(reversed(history[history.index(lowest) :]))  # head first
    result = Rehearsal(app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0])

    def read(what: Callable):
        with db.engine.connect() as connection:
            return what(connection)

    with app.app_context():
        # The schema of each revision as a fresh upgrade builds it: a downgrade must give back
        # exactly the older revision's schema, and an upgrade exactly the newer one's.
        reference = {}
        with _timed(result.timings, "upgrade, empty to head"):
            for revision in history:
                _migrate(upgrade, revision)
                reference[revision] = read(catalogue)
        with _timed(result.timings, "fill"):
            fill()
            db.session.commit()
            db.session.remove()
        report(f"filled in {result.timings['fill']:.1f} s")
        with _timed(result.timings, "digests"):
            result.at_head = current = read(snapshot)
        schema_at_head = read(catalogue)
        result.differences += [f"at head, before: {p}" for p in read(integrity_problems)]

        with _timed(result.timings, "walk down, round trip at each revision"):
            for revision, older in itertools.pairwise(walked):
                step = Step(revision)
                result.steps.append(step)
                before = current
                if staying := DROPPED_BY_DESIGN.get(revision):
                    where = {table: condition for table, (condition, _) in staying.items()}
                    before = {**current, **read(lambda c, w=where: snapshot(c, w))}
                    step.not_kept += [
                        f"{current[t].rows - before[t].rows:,} rows of {t} {what}"
                        for t, (_, what) in staying.items()
                    ]
                step.down = _migrate(downgrade, older)
                result.differences += [
                    f"down {revision} -> {older}, schema against a fresh upgrade: {d}"
                    for d in catalogue_differences(reference[older], read(catalogue))
                ]
                below = read(snapshot)
                kept = columns_of(below)
                result.differences += [
                    f"down {revision} -> {older}: {d}"
                    for d in _down_differences(current, before, below, kept)
                ]
                step.up = _migrate(upgrade, revision)
                again = read(snapshot)
                result.differences += [
                    f"round trip {older} -> {revision}: {d}"
                    for d in kept_differences(before, again, kept)
                ]
                lost, step.rebuilt = _not_kept(before, again, kept)
                step.not_kept += lost
                step.down_again = _migrate(downgrade, older)
                # Where the round trip removed rows, the data below is no longer as it was.
                current = read(snapshot) if staying else below
                report(f"{revision}: down, up, down again ({len(result.differences)} differences)")
        result.first_revision_columns = columns_of(current)

        with _timed(result.timings, "walk up, first revision to head"):
            for step in reversed(result.steps):
                step.final_up = _migrate(upgrade, step.revision)
                result.differences += [
                    f"up to {step.revision}, schema against a fresh upgrade: {d}"
                    for d in catalogue_differences(reference[step.revision], read(catalogue))
                ]
        with _timed(result.timings, "digests"):
            result.after = read(snapshot)
        result.differences += [
            f"at head, after: {d}"
            for d in kept_differences(result.at_head, result.after, result.first_revision_columns)
        ]
        result.differences += [
            f"at head, schema: {d}" for d in catalogue_differences(schema_at_head, read(catalogue))
        ]
        result.differences += [f"at head, after: {p}" for p in read(integrity_problems)]
    return result


def _down_differences(
    current: dict[str, TableFigures],
    before: dict[str, TableFigures],
    below: dict[str, TableFigures],
    kept: dict[str, set[str]],
) -> list[str]:
    """What a downgrade changed in what the older revision keeps: a table whose rows a round
    trip removes by design (``before`` differs from ``current``) may keep them or not."""
    found = []
    for table, columns in kept.items():
        differences = kept_differences(before, below, {table: columns})
        if differences and before.get(table) is not current.get(table):
            differences = kept_differences(current, below, {table: columns})
        found += differences
    return sorted(found)


def _not_kept(
    before: dict[str, TableFigures], after: dict[str, TableFigures], kept: dict[str, set[str]]
) -> tuple[list[str], list[str]]:
    """What a round trip lost by design (tables and columns the older revision does not have)
    and what the upgrade derived again from the data as it was."""
    lost, rebuilt = [], []
    for table, figures in sorted(before.items()):
        if table not in kept:
            if not figures.rows:
                continue
            if figures.digest() == after[table].digest():
                rebuilt.append(f"table {table}")
            else:
                lost.append(f"table {table} ({figures.rows:,} rows, {after[table].rows:,} after)")
            continue
        for column in sorted(set(figures.columns) - kept[table]):
            if not figures.filled[column]:
                continue
            if figures.columns[column] == after[table].columns.get(column):
                rebuilt.append(f"{table}.{column}")
            else:
                lost.append(f"{table}.{column} ({figures.filled[column]:,} values)")
    return lost, rebuilt


# -- Running it ----------------------------------------------------------------------------------


def production_sized(small: bool) -> Callable[[], None]:
    def fill() -> None:
        from surveyapp.demo.operations import seed_demo

        if small:
            seed_demo(seed=7, today=TODAY)
        else:
            seed_demo(seed=7, today=TODAY, rounds=6, all_regions=True)
        fill_the_rest()

    return fill


def fill_the_rest() -> None:
    """Rows in the tables the demo leaves empty (written as the features would, with fixed
    values, so that both engines hold the same data): in the open round every section
    assigned to one of the region's officers, who was there last; a third of the answers
    carried forward from the region's previous assessment; a file of evidence per submitted
    assessment; every user's mail choices, and mail sent for the notifications; an expert's
    API token and recovery codes; macro-regional strategies; stored reports; sign-in throttles
    and kept forms."""
    from sqlalchemy import insert, update

    from surveyapp.api.models import ApiToken
    from surveyapp.assessments.models import (
        Answer,
        Assessment,
        FormStash,
        SectionAssignment,
        SectionPresence,
    )
    from surveyapp.auth.models import RecoveryCode, Role, SignInFailure, User
    from surveyapp.evidence.models import EvidenceContent, EvidenceFile
    from surveyapp.extensions import db
    from surveyapp.mail.models import MailPreference, OutgoingMail
    from surveyapp.notifications.models import Notification
    from surveyapp.regions.models import RegionStrategy
    from surveyapp.reporting.models import RenderedReport
    from surveyapp.rounds.models import Round

    def rows(model, values: list[dict]) -> None:
        if values:
            db.session.execute(insert(model.__table__), values)

    stamp = datetime.combine(TODAY, clock(9, 0), tzinfo=UTC)
    rounds = list(db.session.scalars(select(Round).order_by(Round.opens_on)))
    users = list(db.session.scalars(select(User).order_by(User.id)))
    expert = next(u for u in users if u.role == Role.expert)
    officers = {}
    for user in users:
        for region in user.regions:
            officers.setdefault(region.id, user)
    by_region = {(a.region_id, a.round_id): a for a in db.session.scalars(select(Assessment))}
    assignments, presence, files, contents, carried = [], [], [], [], []
    for (region_id, round_id), assessment in sorted(by_region.items()):
        if round_id != rounds[-1].id or region_id not in officers:
            continue
        officer = officers[region_id].id
        for section in assessment.round.questionnaire.parsed.sections:
            row = {"assessment_id": assessment.id, "section_id": section.id, "user_id": officer}
            assignments.append({**row, "assigned_by_id": officer, "assigned_at": stamp})
            presence.append({**row, "seen_at": stamp})
        if assessment.submitted_at is not None:
            data = f"%PDF-1.4 evidence of assessment {assessment.id}".encode()
            files.append(
                {
                    "id": assessment.id,
                    "assessment_id": assessment.id,
                    "item_id": None,
                    "name": f"évidence-{assessment.id}.pdf",
                    "content_type": "application/pdf",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "storage": "database",
                    "uploaded_by_id": officer,
                    "uploaded_at": stamp,
                }
            )
            contents.append({"file_id": assessment.id, "data": data})
        previous = by_region.get((region_id, rounds[-2].id)) if len(rounds) > 1 else None
        if previous is not None:
            carried.append({"assessment_id": assessment.id, "previous": previous.id})
    rows(SectionAssignment, assignments)
    rows(SectionPresence, presence)
    rows(EvidenceFile, files)
    rows(EvidenceContent, contents)
    for each in carried:
        answers = Answer.__table__
        db.session.execute(
            update(answers)
            .where(answers.c.assessment_id == each["assessment_id"], answers.c.id % 3 == 0)
            .values(carried_from_id=each["previous"], carried_at=stamp, carry_confirmed_at=stamp)
        )
    rows(
        MailPreference,
        [{"user_id": u.id, "topic": "reviews", "delivery": "digest"} for u in users]
        + [{"user_id": u.id, "topic": "reminders", "delivery": "off"} for u in users[::3]],
    )
    notifications = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    rows(
        OutgoingMail,
        [
            {
                "user_id": n.user_id,
                "to_address": f"user{n.user_id}@demo.example",
                "topic": "reviews",
                "subject": f"Notification {n.id}",
                "body": "Synthetic mail.\n",
                "language": "en",
                "dedupe_key": f"notification-{n.id}",
                "created_at": stamp,
                "sent_at": stamp,
                "attempts": 1,
            }
            for n in notifications
        ],
    )
    rows(
        ApiToken,
        [
            {
                "user_id": expert.id,
                "name": "rehearsal",
                "token_hash": "0" * 64,
                "created_at": stamp,
                "expires_at": stamp,
            }
        ],
    )
    rows(
        RecoveryCode,
        [{"user_id": expert.id, "code_hash": f"{n:064x}", "used_at": None} for n in range(10)],
    )
    rows(
        RegionStrategy,
        [
            {"region_id": region_id, "strategy": "eusdr", "source": "synthetic"}
            for region_id in sorted(officers)[::4]
        ],
    )
    rows(
        RenderedReport,
        [
            {
                "key": f"{r.id:064x}",
                "report": "working-group",
                "round_id": r.id,
                "region_id": None,
                "lang": "en",
                "score": "self",
                "audience": "",
                "pdf": f"%PDF-1.4 round {r.id}".encode(),
                "size": 20,
                "created_at": stamp,
            }
            for r in rounds
        ],
    )
    rows(
        SignInFailure,
        [{"key": f"{n:064x}", "failures": n, "last_failed_at": stamp} for n in range(1, 4)],
    )
    rows(
        FormStash,
        [
            {
                "token": f"{u.id:064x}",
                "path": "/assessments/1/sections/strategy",
                "user_id": u.id,
                "data": {"answer": "kept", "n": u.id},
                "created_at": stamp,
            }
            for u in users[:10]
        ],
    )


@contextlib.contextmanager
def fresh_database(engine: str, postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rehearsal_") as folder:
            yield f"sqlite:///{folder}/rehearsal.db"
        return
    admin_url = make_url(postgres_url)
    name = f"rehearsal_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(engine: str, url: str, fill: Callable[[], None]) -> Rehearsal:
    from config import Config
    from surveyapp import create_app
    from surveyapp.db import dispose_engines

    app = create_app(Config, overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            result = rehearse(app, fill, report=_progress(engine))
        finally:
            dispose_engines()
    result.engine = engine
    return result


def _progress(engine: str) -> Callable[[str], None]:
    started = time.perf_counter()
    return lambda line: print(
        f"  {engine} {time.perf_counter() - started:7.1f} s  {line}", file=sys.stderr, flush=True
    )


def print_figures(results: list[Rehearsal]) -> None:
    engines = [r.engine for r in results]
    print("\nRows per table at head, before the walk down and after the walk up again (tables the")
    print("first revision has no place for come back empty); digest: its first 12 hex digits")
    header = " | ".join(f"{e} rows | {e} digest" for e in engines)
    print(f"| table | {header} |" + (" same on both |" if len(results) == 2 else ""))
    print("|---" * (1 + 2 * len(results) + (len(results) == 2)) + "|")
    for table in sorted(set().union(*(r.at_head for r in results))):
        cells = []
        for r in results:
            before, after = r.at_head.get(table), r.after.get(table)
            rows = f"{before.rows:,}" if before else "-"
            if before and after and after.rows != before.rows:
                rows += f" ({after.rows:,} after)"
            cells += [rows, before.digest()[:12] if before else "-"]
        same = ""
        if len(results) == 2:
            a, b = (r.at_head.get(table) for r in results)
            same = " yes |" if a and b and a.digest() == b.digest() else " no |"
        print(f"| {table} | " + " | ".join(cells) + " |" + same)
    totals = [sum(f.rows for f in r.at_head.values()) for r in results]
    print("| **all** | " + " | ".join(f"{t:,} | " for t in totals) + (" |" if same else ""))

    print("\nSeconds per revision: down, up and down again (the round trip on the data), and up")
    print("from the first revision at the end")
    print("| revision | " + " | ".join(f"{e} down / up / down / final up" for e in engines) + " |")
    print("|---" * (1 + len(results)) + "|")
    for index, step in enumerate(results[0].steps):
        cells = []
        for r in results:
            s = r.steps[index]
            cells.append(f"{s.down:.2f} / {s.up:.2f} / {s.down_again:.2f} / {s.final_up:.2f}")
        print(f"| {step.revision} | " + " | ".join(cells) + " |")

    print("\nTotals (s)")
    print("| step | " + " | ".join(engines) + " |")
    print("|---" * (1 + len(results)) + "|")
    for name in results[0].timings:
        print(f"| {name} | " + " | ".join(f"{r.timings[name]:.1f}" for r in results) + " |")
    print("| **total** | " + " | ".join(f"{sum(r.timings.values()):.1f}" for r in results) + " |")

    print("\nNot kept by a round trip (the older revision has no place for it), per revision:")
    for step in results[0].steps:
        if step.not_kept:
            print(f"  {step.revision}: {'; '.join(step.not_kept)}")
    print("Derived again from the data by the upgrade, identical to before:")
    for step in results[0].steps:
        if step.rebuilt:
            print(f"  {step.revision}: {'; '.join(step.rebuilt)}")
    for r in results:
        kept = sum(len(c) for c in r.first_revision_columns.values())
        print(
            f"{r.engine}: at head after the walk up, the first revision's "
            f"{len(r.first_revision_columns)} tables and {kept} columns compared with before"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--small", action="store_true", help="the demo's own size")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    engines = ["sqlite"] + ([] if args.skip_postgres else ["postgresql"])
    started = datetime.now(UTC)
    results = []
    for engine in engines:
        print(f"{engine}: rehearsing ...", flush=True)
        with fresh_database(engine, args.postgres_url) as url:
            results.append(run(engine, url, production_sized(args.small)))
    finished = datetime.now(UTC)
    print(f"\nRun of {started:%Y-%m-%d %H:%M}-{finished:%H:%M} UTC, {len(revisions())} revisions")
    print_figures(results)
    failed = False
    for r in results:
        print(f"\n{r.engine}: {len(r.differences)} difference(s)")
        for difference in r.differences:
            print(f"  {difference}")
        failed |= bool(r.differences)
    print("\nFAILED: the rehearsal found differences" if failed else "\nOK: no difference")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

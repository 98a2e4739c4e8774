"""Declarative base, naming convention and the column types shared by the models."""

import enum
import select
import sqlite3
import time
import weakref
from datetime import UTC, datetime

import flask_sqlalchemy.session
from sqlalchemy import JSON, DateTime, Enum, MetaData, String, Text, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from surveyapp.text import clean_text, clean_value

#: Named constraints keep Alembic's batch migrations on SQLite and PostgreSQL identical.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class CleanString(TypeDecorator):
    """A String whose values are stored cleaned (surveyapp.text.clean_text): no unpaired
    surrogate, which no page, export or PDF could encode, and no control character, which
    PostgreSQL (NUL) and XLSX refuse. For every text column: the safety net behind the
    cleaning of requests, for the CLI, imports and code."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return clean_text(value) if isinstance(value, str) else value


class CleanText(CleanString):
    """Text (no length limit) stored cleaned, as CleanString."""

    impl = Text
    cache_ok = True


class CleanJSON(TypeDecorator):
    """JSON on SQLite, JSONB on PostgreSQL, with every string in the value (keys too)
    stored cleaned, as CleanString."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value, dialect):
        return clean_value(value)

    @property
    def should_evaluate_none(self):
        # As JSON: None is stored as the JSON null, not SQL NULL.
        return self.impl.should_evaluate_none


#: The type of every JSON column.
JSONType = CleanJSON()

#: Timestamps are stored in UTC with their zone where the engine keeps one.
UTCDateTime = DateTime(timezone=True)


class json_rows(FunctionElement):
    """Aggregate: the rows' values as one JSON array of arrays ([] without rows), so that rows
    can come with another query's one row. Columns of JSONType go in through json_value."""

    type = JSON()
    inherit_cache = True


class json_value(FunctionElement):
    """A JSONType column as JSON inside json_rows (SQLite stores JSON as text)."""

    type = JSON()
    inherit_cache = True


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    return f"coalesce(json_agg(json_build_array({compiler.process(element.clauses, **kw)})), '[]')"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw):
    return (
        f"coalesce(json_group_array(json_array({compiler.process(element.clauses, **kw)})), '[]')"
    )


@compiles(json_value, "postgresql")
def _json_value_postgresql(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(json_value, "sqlite")
def _json_value_sqlite(element, compiler, **kw):
    # A JSON column has NUMERIC affinity: SQLite keeps a number as REAL, and json() would
    # write it with 15 significant digits; 17 give back the stored double exactly.
    value = compiler.process(element.clauses, **kw)
    return (
        f"CASE typeof({value}) WHEN 'real' THEN json(printf('%!.17g', {value})) "
        f"ELSE json({value}) END"
    )


class comma_list(FunctionElement):
    """Aggregate: the values as text, comma-separated (None without rows).

    SQLAlchemy's aggregate_strings binds its separator as a literal rendered into the SQL at
    every execution (a pass over the statement's text each time); here it is written once.
    """

    type = String()
    inherit_cache = True


@compiles(comma_list, "postgresql")
def _comma_list_postgresql(element, compiler, **kw):
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS VARCHAR), ',')"


@compiles(comma_list, "sqlite")
def _comma_list_sqlite(element, compiler, **kw):
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


def StateEnum(enum_class: type[enum.Enum]) -> Enum:
    """An enum stored as its value in a short text column, with a named CHECK constraint."""
    return Enum(enum_class, native_enum=False, length=20, create_constraint=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite gives back the naive UTC it keeps,
    PostgreSQL and a value set in this process an aware one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Every SQLite connection: enforce foreign keys and use the write-ahead log.

    The busy timeout comes from the driver's ``timeout`` connect argument (see create_app).
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def autocommit(view):
    """Mark a view whose statements may each commit by itself (see register_autocommit_views)."""
    view.autocommit = True
    return view


#: Set in ``g`` while the request runs without a transaction.
_AUTOCOMMIT = "surveyapp_autocommit"
#: In ``app.extensions``: the engine for requests without a transaction (PostgreSQL only).
_AUTOCOMMIT_ENGINE = "surveyapp.autocommit_engine"


def create_autocommit_engine(app) -> None:
    """On PostgreSQL, the engine for requests without a transaction: the same database, with
    a pool of its own, of connections that stay in autocommit. Switching a pooled connection
    into autocommit and back (psycopg's switches, the reset at check-in) cost the worker about
    40 microseconds a request."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "isolation_level": "AUTOCOMMIT"}
        app.extensions[_AUTOCOMMIT_ENGINE] = create_engine(url, **options)


def autocommit_engine(app=None) -> Engine | None:
    """The app's engine for requests without a transaction; None on SQLite."""
    from flask import current_app

    return (app or current_app).extensions.get(_AUTOCOMMIT_ENGINE)


def all_engines(app=None) -> list[Engine]:
    """Every engine of the app (within its app context): Flask-SQLAlchemy's and ours."""
    extra = autocommit_engine(app)
    return [*_flask_sqlalchemy(app).engines.values(), *([extra] if extra is not None else [])]


def _flask_sqlalchemy(app=None):
    """The app's Flask-SQLAlchemy extension (``app.extensions["sqlalchemy"]``, as documented),
    so that this module, which extensions.py builds on, does not import it back."""
    from flask import current_app

    return (app or current_app).extensions["sqlalchemy"]


def register_autocommit_views(app) -> None:
    """On PostgreSQL, requests to views marked @autocommit run without a transaction.

    Each statement then commits by itself: no BEGIN before the first and no COMMIT or ROLLBACK
    after the last, two of a request's round trips to the server. The session takes their
    connections from the autocommit engine (Session.get_bind). Only for views that write
    nothing, or whose writes each stand alone in one statement; one that needs a transaction
    after all calls leave_autocommit() first. Registered before any hook that reads the
    database.
    """
    from flask import g, request

    if autocommit_engine(app) is None:
        return

    @app.before_request
    def _autocommit():
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "autocommit", False):
            setattr(g, _AUTOCOMMIT, True)

    @app.teardown_request
    def _forget_autocommit(exc):
        g.pop(_AUTOCOMMIT, None)  # the app context may outlive the request (tests)


def in_autocommit() -> bool:
    """Whether this request's statements each commit by themselves (no transaction)."""
    from flask import g, has_app_context

    return has_app_context() and g.get(_AUTOCOMMIT, False)


class Session(flask_sqlalchemy.session.Session):
    """Flask-SQLAlchemy's session; in a request without a transaction, on the autocommit
    engine."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and in_autocommit():
            return autocommit_engine()
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def leave_autocommit() -> None:
    """What follows in this request runs in a transaction (no-op when it did already).

    The session's commit here writes nothing (each statement so far committed by itself): it
    hands the autocommit connection back, and the next statement begins a transaction on the
    default engine. So operations may call this; they still never commit changes. The objects
    loaded so far are expired: each is read again when next used.
    """
    from flask import g, has_app_context

    if has_app_context() and g.get(_AUTOCOMMIT, False):
        _flask_sqlalchemy().session.commit()  # gives the autocommit connection back
        g.pop(_AUTOCOMMIT)


#: A connection back in the pool for longer than this (seconds) gets its round trip at
#: checkout; one handed back more recently, only the look at its socket (see ping).
PING_AFTER_IDLE = 1.0
#: When each PostgreSQL connection was last handed back to its pool (see configure_engines).
_IDLE_SINCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


#: Seconds a new PostgreSQL connection may take: a server that cannot be reached is an error
#: then (a 503 page, /readyz not ready), not a worker waiting for the system's TCP timeout.
CONNECT_TIMEOUT = 10


def engine_options(url: str) -> dict:
    """Pool options of an engine for ``url``: psycopg connections are checked at checkout by
    ``ping`` (configure_engines); other drivers by SQLAlchemy's own ``pool_pre_ping``;
    PostgreSQL's connections give up after CONNECT_TIMEOUT."""
    parsed = make_url(url)
    options: dict = {}
    if parsed.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    if parsed.get_driver_name() != "psycopg":
        options["pool_pre_ping"] = True
    return options


def configure_engines(app) -> None:
    """After Flask-SQLAlchemy made its engine: on PostgreSQL, the autocommit engine beside it,
    and every psycopg connection checked by ``ping`` at each checkout from the pool (a pool
    "checkout" listener, SQLAlchemy's documented place for a custom pessimistic check), which
    needs to know when each connection went back to the pool."""
    create_autocommit_engine(app)
    with app.app_context():
        for engine in all_engines():
            if engine.dialect.driver == "psycopg":
                event.listen(engine, "checkin", _note_idle_since)
                event.listen(engine, "checkout", _check_at_checkout)


def _note_idle_since(dbapi_connection, connection_record) -> None:
    if dbapi_connection is not None:
        _IDLE_SINCE[dbapi_connection] = time.monotonic()


def _check_at_checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    """A connection that fails ``ping`` is a DisconnectionError: the pool drops it and
    connects again (SQLAlchemy's "custom pessimistic ping" of pool events)."""
    import psycopg

    try:
        ping(dbapi_connection)
    except (psycopg.Error, OSError) as error:
        raise DisconnectionError(str(error)) from error


def ping(dbapi_connection) -> bool:
    """The check of a PostgreSQL connection at every checkout from the pool.

    A connection handed back less than PING_AFTER_IDLE ago, whose socket has nothing to read,
    is taken as it is, with no round trip: the server writes to an idle connection when it
    closes it (a restart, a crash, an administrator's terminate), and its last message, then
    the end, make the socket readable. Under load every connection comes back within
    milliseconds, and the round trip saved (the dialect's own ping is one: about 70
    microseconds of the server's CPU a request, with psycopg's cursor and its switch to
    autocommit and back) is worth having. Any other connection gets an empty query through
    libpq: it also finds a peer that vanished without a word (a firewall or NAT that dropped
    an idle connection, a failover), which leaves no trace on the socket. A query that fails
    raises, and the pool connects again. Checked with ``pg_ctlcluster restart -m fast`` and
    ``-m immediate``: the next request is served, where a pool without the check answers 500.
    """
    import psycopg
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    idle_since = _IDLE_SINCE.get(dbapi_connection)
    recent = idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE
    if recent and pgconn.status == pq.ConnStatus.OK:
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN)
        if not poller.poll(0):
            return True
    with dbapi_connection.lock:
        result = pgconn.exec_(b"")
    if result.status != pq.ExecStatus.EMPTY_QUERY:
        message = (result.error_message or b"").decode(errors="replace").strip()
        raise psycopg.OperationalError(message or "the connection failed its check")
    return True


def dispose_engines(close: bool = True) -> None:
    """Every engine's pool emptied (before a fork: a child must not use the parent's
    connections)."""
    for engine in all_engines():
        engine.dispose(close=close)

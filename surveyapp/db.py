"""Declarative base, naming convention and the column types shared by the models."""

import enum
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement

#: Named constraints keep Alembic's batch migrations on SQLite and PostgreSQL identical.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")

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


def StateEnum(enum_class: type[enum.Enum]) -> Enum:
    """An enum stored as its value in a short text column, with a named CHECK constraint."""
    return Enum(enum_class, native_enum=False, length=20, create_constraint=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


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


def register_autocommit_views(app) -> None:
    """On PostgreSQL, requests to views marked @autocommit run without a transaction.

    Each statement then commits by itself: no BEGIN before the first and no COMMIT or ROLLBACK
    after the last, two of a request's round trips to the server. Only for views that write
    nothing, or whose writes each stand alone in one statement; one that needs a transaction
    after all calls leave_autocommit() first. Registered before any hook that reads the
    database.
    """
    from flask import g, request

    from surveyapp.extensions import db

    @app.before_request
    def _autocommit():
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "autocommit", False) and db.engine.dialect.name == "postgresql":
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            setattr(g, _AUTOCOMMIT, True)

    @app.teardown_request
    def _forget_autocommit(exc):
        g.pop(_AUTOCOMMIT, None)  # the app context may outlive the request (tests)


def in_autocommit() -> bool:
    """Whether this request's statements each commit by themselves (no transaction)."""
    from flask import g, has_app_context

    return has_app_context() and g.get(_AUTOCOMMIT, False)


def leave_autocommit() -> None:
    """What follows in this request runs in a transaction (no-op when it did already).

    The session's commit here writes nothing (each statement so far committed by itself): it
    hands the connection back, and the next one begins a transaction. So operations may call
    this; they still never commit changes. The objects loaded so far are expired: each is read
    again when next used.
    """
    from flask import g, has_app_context

    from surveyapp.extensions import db

    if has_app_context() and g.pop(_AUTOCOMMIT, False):
        db.session.commit()  # gives the connection back; the next one is transactional

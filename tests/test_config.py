"""The factory and the configuration classes."""

import os
import sys
import time

import pytest
from sqlalchemy import text

from config import DevelopmentConfig, ProductionConfig, TestingConfig
from surveyapp import create_app
from surveyapp.db import all_engines, autocommit_engine
from surveyapp.extensions import db

IS_SQLITE = os.environ["TEST_DATABASE_URL"].startswith("sqlite")


def test_testing_config(app):
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == os.environ["TEST_DATABASE_URL"]


def test_development_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("SURVEYAPP_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/dev.db")
    app = create_app()
    assert app.debug
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/dev.db"


def test_config_by_name(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    assert create_app("testing").testing
    monkeypatch.setenv("SURVEYAPP_CONFIG", "development")
    assert create_app().debug


def test_unknown_config_name():
    with pytest.raises(SystemExit, match="unknown configuration 'staging'"):
        create_app("staging")


def test_default_database_is_a_file_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(DevelopmentConfig)
    expected = os.path.join(app.instance_path, "surveyapp.db")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"
    assert os.path.isdir(app.instance_path)


def test_testing_ignores_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://prod.example/real")
    app = create_app(TestingConfig)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == os.environ["TEST_DATABASE_URL"]


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, "SECRET_KEY and DATABASE_URL"),
        ({"SECRET_KEY": "s"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_secrets(monkeypatch, present, missing):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as excinfo:
        create_app(ProductionConfig)
    message = str(excinfo.value)
    assert f"needs {missing} in the environment" in message
    assert "\n" not in message


def test_production_uses_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    app = create_app(ProductionConfig)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"]
    assert not app.debug


def test_postgresql_connections_are_checked_at_checkout(monkeypatch):
    """psycopg connections get db.ping through a pool "checkout" listener (public SQLAlchemy
    events, no patched dialect); another driver gets SQLAlchemy's own pool_pre_ping."""
    from sqlalchemy import event

    from surveyapp.db import _check_at_checkout, engine_options

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://user@db.example/surveyapp")
    app = create_app(DevelopmentConfig)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"connect_args": {"connect_timeout": 10}}
    with app.app_context():
        default, autocommit = all_engines()
    assert autocommit.url == default.url
    for engine in (default, autocommit):
        assert event.contains(engine, "checkout", _check_at_checkout)
        assert engine.dialect.do_ping.__func__ is type(engine.dialect).do_ping  # not replaced
    assert engine_options("postgresql+psycopg2://user@db.example/x") == {
        "connect_args": {"connect_timeout": 10},
        "pool_pre_ping": True,
    }


def test_sqlite_has_one_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/one.db")
    app = create_app(DevelopmentConfig)
    with app.app_context():
        assert all_engines() == [db.engine]


def _backend_and_admin(engine):
    """The server process behind a pooled connection of ``engine`` (handed back), and a
    connection of our own to watch it with (autocommit)."""
    import psycopg

    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return backend, psycopg.connect(url, autocommit=True)


@pytest.mark.skipif(IS_SQLITE, reason="PostgreSQL connection pools")
@pytest.mark.parametrize("which", ["default", "autocommit"])
def test_a_connection_the_server_dropped_is_replaced(app, which):
    """R37: the pre-ping (an empty query, db.ping) finds a connection the
    server closed, as after a restart, and the pool connects again; no request fails."""
    engine = db.engine if which == "default" else autocommit_engine()
    dropped, admin = _backend_and_admin(engine)
    with admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dropped])
        for _ in range(50):  # the backend takes a moment to go
            if (
                admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [dropped]).rowcount
                == 0
            ):
                break
            time.sleep(0.05)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != dropped


@pytest.mark.skipif(IS_SQLITE, reason="PostgreSQL connection pools")
def test_the_pre_ping_asks_the_server_once_a_connection_sat_idle(app, monkeypatch):
    """A connection just handed back, with nothing to read, is taken without a round trip; one
    idle for longer gets the empty query (a peer that vanished silently leaves no trace)."""
    db_module = sys.modules["surveyapp.db"]
    engine = db.engine
    backend, admin = _backend_and_admin(engine)
    with admin:

        def last_query():
            sql = "SELECT query FROM pg_stat_activity WHERE pid = %s"
            return admin.execute(sql, [backend]).fetchone()[0]

        before = last_query()  # the SELECT, or the ROLLBACK that ended its transaction
        with engine.connect():
            pass
        assert last_query() == before
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0)
        with engine.connect():
            pass
        assert last_query() == ""


@pytest.mark.skipif(IS_SQLITE, reason="PostgreSQL connection pools")
def test_the_autocommit_engine_runs_without_transactions(app):
    with autocommit_engine().connect() as connection:
        assert connection.connection.dbapi_connection.autocommit
    with db.engine.connect() as connection:
        assert not connection.connection.dbapi_connection.autocommit


@pytest.mark.skipif(not IS_SQLITE, reason="SQLite connection settings")
def test_sqlite_connections_are_configured(app):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from surveyapp.assessments.models import Assessment

    db.session.add(Assessment(region_id=999999, round_id=999999))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_login_page_is_served(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"This page does not exist." in response.data


def test_production_refuses_mail_without_its_public_address(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.eu")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    with pytest.raises(SystemExit) as excinfo:
        create_app(ProductionConfig)
    assert "PUBLIC_URL" in str(excinfo.value)


def test_a_second_factor_for_a_role_that_does_not_exist_is_refused(monkeypatch):
    monkeypatch.setattr(DevelopmentConfig, "REQUIRE_2FA_FOR", frozenset({"admins", "expert"}))
    with pytest.raises(SystemExit) as excinfo:
        create_app(DevelopmentConfig)
    assert "REQUIRE_2FA_FOR names no role admins" in str(excinfo.value)


def test_production_refuses_metrics_without_a_token(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("METRICS_ENABLED", "1")
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    with pytest.raises(SystemExit) as excinfo:
        create_app(ProductionConfig)
    assert "METRICS_TOKEN" in str(excinfo.value)

"""The factory and the configuration classes."""

import os

import pytest
from sqlalchemy import text

from config import DevelopmentConfig, ProductionConfig, TestingConfig
from surveyapp import create_app
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


def test_postgresql_gets_pool_pre_ping(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://user@db.example/surveyapp")
    app = create_app(DevelopmentConfig)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


@pytest.mark.skipif(not IS_SQLITE, reason="SQLite connection settings")
def test_sqlite_connections_are_configured(app):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


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

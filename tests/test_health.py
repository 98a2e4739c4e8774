"""/healthz and /readyz: for load balancers, never cached, no session (issue 24, part 4)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade

from surveyapp import create_app
from surveyapp.db import dispose_engines
from tests.test_migrations import _Config


def test_healthz_answers_without_database_session_or_cache(app, client, login, create_user):
    """Alive means the process answers: not one statement, even for a signed-in browser's
    request (no user read, no session written)."""
    from sqlalchemy import event

    from surveyapp.extensions import db

    login(create_user())
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements == []
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    # The same signed-in request to a page reads the user (the check above can fail).
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/notifications")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements


def test_readyz_on_a_migrated_database(empty_database, monkeypatch):
    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    try:
        with app.app_context():
            upgrade()
        response = app.test_client().get("/readyz")
        assert response.status_code == 200, response.json
        assert response.json == {
            "status": "ready",
            "checks": {"database": "ok", "redis": "not configured"},
        }
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
        # Ahead of the code (a newer release migrated it during a rolling deploy): ready.
        with app.app_context():
            from sqlalchemy import text

            from surveyapp.extensions import db

            with db.engine.begin() as connection:
                current = connection.execute(text("SELECT version_num FROM alembic_version"))
                head = current.scalar_one()
                connection.execute(text("UPDATE alembic_version SET version_num = 'f0future'"))
        ahead = app.test_client().get("/readyz")
        assert ahead.status_code == 200, ahead.json
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
        # One revision behind the code: not ready, and it says why.
        with app.app_context():
            downgrade(revision="-1")
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"]["database"].startswith("migrations not current")
    finally:
        with app.app_context():
            dispose_engines()


def test_readyz_without_its_database_or_redis(monkeypatch, tmp_path, redis_url):
    # A database that is no database, and a Redis nobody listens on.
    missing = tmp_path / "missing" / "nowhere.db"
    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", f"sqlite:///{missing}")
    app = create_app(_Config, {"REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        checks = response.json["checks"]
        assert checks["database"].startswith("unreachable")
        assert checks["redis"].startswith("unreachable")
    finally:
        with app.app_context():
            dispose_engines()
    # With a Redis that answers, that part is ok.
    app = create_app(_Config, {"REDIS_URL": redis_url})
    try:
        assert app.test_client().get("/readyz").json["checks"]["redis"] == "ok"
    finally:
        with app.app_context():
            dispose_engines()

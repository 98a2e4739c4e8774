"""flask backup and flask restore: a round trip on the database under test compares every
table's rows (issue 24, part 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp import create_app
from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.reporting.models import RenderedReport
from tests.test_migrations import _Config


def every_row() -> dict[str, list[tuple]]:
    """Table -> its rows in primary-key order (the rendered PDFs' bytes included)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
    db.session.rollback()
    return rows


@pytest.fixture
def stored_report(scored_world):
    db.session.add(
        RenderedReport(
            key="k" * 64,
            report="working-group",
            round_id=scored_world["round"].id,
            lang="en",
            score="moderated",
            pdf=b"%PDF-1.7 a stored report",
            size=24,
        )
    )
    db.session.commit()


def restored_into_an_empty_database(cli, empty_database, monkeypatch, tmp_path, *options):
    """Back the test database up, restore it into a new one: that one's rows."""
    backup = tmp_path / "surveyapp.backup"
    result = cli.invoke(args=["backup", "--out", str(backup), *options])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    other = create_app(_Config)
    try:
        with other.app_context():  # the restore runs in the other app (current_app)
            restored = other.test_cli_runner().invoke(args=["restore", str(backup)])
            assert restored.exit_code == 0, restored.output
            return every_row()
    finally:
        with other.app_context():
            dispose_engines()


def test_a_round_trip_keeps_every_row(
    app, cli, scored_world, stored_report, empty_database, monkeypatch, tmp_path
):
    before = every_row()
    assert before["answers"] and before["rendered_reports"]
    after = restored_into_an_empty_database(cli, empty_database, monkeypatch, tmp_path)
    # Every table alike, but for the stored reports (left out unless asked for) and the audit
    # trail, which gains the restore's event (the backup's is written after its copy).
    assert after["rendered_reports"] == []
    for name, rows in before.items():
        if name in ("rendered_reports", "audit_events"):
            continue
        assert after[name] == rows, name
    position = [c.name for c in db.metadata.tables["audit_events"].columns].index("action")
    actions = [row[position] for row in after["audit_events"]]
    assert actions[-1] == "database.restored" and "database.backed_up" not in actions
    before_actions = actions[:-1]
    assert len(before_actions) == len(before["audit_events"])


def test_with_reports_the_stored_pdfs_come_back(
    app, cli, scored_world, stored_report, empty_database, monkeypatch, tmp_path
):
    before = every_row()
    after = restored_into_an_empty_database(
        cli, empty_database, monkeypatch, tmp_path, "--with-reports"
    )
    assert after["rendered_reports"] == before["rendered_reports"]


def test_restore_refuses_a_database_with_data(app, cli, scored_world, tmp_path):
    backup = tmp_path / "surveyapp.backup"
    assert cli.invoke(args=["backup", "--out", str(backup)]).exit_code == 0
    refused = cli.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0
    assert "the database is not empty" in refused.output and "--force" in refused.output
    forced = cli.invoke(args=["restore", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output


def test_a_file_that_is_no_backup_or_of_the_other_engine_is_refused(app, cli, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a backup")
    refused = cli.invoke(args=["restore", str(text)])
    assert "is not a backup made by flask backup" in refused.output
    other = "postgresql" if db.engine.url.get_backend_name() == "sqlite" else "sqlite"
    magic = b"PGDMP-custom" if other == "postgresql" else b"SQLite format 3\x00" + b"\x00" * 84
    foreign = tmp_path / "other.backup"
    foreign.write_bytes(magic)
    refused = cli.invoke(args=["restore", str(foreign)])
    assert f"is a {other} backup" in refused.output
    folder = cli.invoke(args=["backup", "--out", str(tmp_path)])
    assert "is a directory" in folder.output


def test_postgresql_restore_waits_for_the_app_to_stop(
    app, cli, scored_world, empty_database, monkeypatch, tmp_path
):
    """Another connection to the target database (the app still running there) refuses the
    restore; --force goes ahead."""
    if db.engine.url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL's sessions")
    from sqlalchemy import create_engine

    backup = tmp_path / "surveyapp.backup"
    assert cli.invoke(args=["backup", "--out", str(backup)]).exit_code == 0
    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    other = create_app(_Config)
    running = create_engine(empty_database)
    try:
        with running.connect(), other.app_context():
            runner = other.test_cli_runner()
            refused = runner.invoke(args=["restore", str(backup)])
            assert refused.exit_code != 0
            assert "other connections to the database are open" in refused.output
            forced = runner.invoke(args=["restore", str(backup), "--force"])
            assert forced.exit_code == 0, forced.output
    finally:
        running.dispose()
        with other.app_context():
            dispose_engines()

"""Alembic migrations build the same schema as the models, up, down and up again."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import LargeBinary, inspect

from config import TestingConfig
from surveyapp import create_app
from surveyapp.db import CleanJSON, dispose_engines
from surveyapp.extensions import db


class _Config(TestingConfig):
    DATABASE_URL_VARIABLE = "SURVEYAPP_MIGRATION_TEST_URL"


def schema_differences(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_matches_the_models(empty_database, monkeypatch):
    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            upgrade()
            assert schema_differences(app) == []
            downgrade(revision="base")
            tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert tables == set()
            upgrade()
            assert schema_differences(app) == []
            assert "assessments" in inspect(db.engine).get_table_names()
        finally:
            dispose_engines()


def test_migration_files_have_dated_names():
    versions = os.path.join(os.path.dirname(__file__), "..", "migrations", "versions")
    names = [n for n in os.listdir(versions) if n.endswith(".py")]
    assert names
    for name in names:
        assert name[:8].isdigit() and name[8] == "_", name


def test_migrating_down_and_up_keeps_seeded_rows(empty_database, monkeypatch):
    """Batch migrations rebuild SQLite tables; no cascade may delete rows on the way."""
    from sqlalchemy import func, select

    from surveyapp.assessments.models import Answer, Assessment
    from surveyapp.demo.operations import seed_demo

    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            upgrade()
            seed_demo(seed=1)
            db.session.commit()
            counts = [db.session.scalar(select(func.count(m.id))) for m in (Assessment, Answer)]
            db.session.remove()
            downgrade(revision="-2")  # rebuilds parent tables on SQLite (check constraints)
            upgrade()
            after = [db.session.scalar(select(func.count(m.id))) for m in (Assessment, Answer)]
            assert after == counts and counts[1] > 1000
            # The answers' sections, dropped on the way down, are filled in again from the
            # questionnaires' definitions on the way up.
            for assessment in db.session.scalars(select(Assessment)):
                definition = assessment.round.questionnaire.parsed
                for answer in assessment.answers:
                    assert answer.section_id == definition.item(answer.item_id).section_id
            assert schema_differences(app) == []
        finally:
            db.session.remove()
            dispose_engines()


def test_rounds_closed_before_the_closing_time_was_kept_keep_counting_every_validation(
    empty_database, monkeypatch, fixture_path
):
    """The migration that keeps when a round closed leaves the rounds closed before it without
    one, although their close is in the audit trail: their published figures counted the
    validations made after the close, and freezing them at the close would change them."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from surveyapp.audit.models import AuditEvent
    from surveyapp.questionnaires.operations import load_questionnaire
    from surveyapp.rounds.models import Round, RoundState

    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            upgrade()
            questionnaire = load_questionnaire(fixture_path("small-v1.yaml")).questionnaire
            round_ = Round(
                name="closed earlier",
                questionnaire=questionnaire,
                state=RoundState.closed,
                opens_on=date(2026, 3, 1),
                closes_on=date(2026, 5, 31),
                closed_at=datetime(2026, 6, 1, tzinfo=UTC),
            )
            db.session.add(round_)
            db.session.flush()
            db.session.add(
                AuditEvent(action="round.closed", object_type="round", object_id=round_.id)
            )
            db.session.commit()
            db.session.remove()
            downgrade(revision="a26e0001seal")  # before closed_at
            upgrade()
            assert db.session.scalar(select(Round.closed_at)) is None
        finally:
            db.session.remove()
            dispose_engines()


def test_rounds_closed_before_records_were_kept_get_one_that_changes_none_of_their_figures(
    empty_database, monkeypatch
):
    """The migration that keeps what a round's figures are built from records the rounds
    closed before it from the data as they are: the figures they showed stay the same, and an
    import after the upgrade leaves them as they are."""
    from sqlalchemy import delete, select

    from surveyapp.analysis import queries
    from surveyapp.analysis.versions import data_version
    from surveyapp.demo.operations import seed_demo
    from surveyapp.regions.models import Region, RegionCategory
    from surveyapp.rounds.closing import closing_record
    from surveyapp.rounds.models import Round, RoundClosingRecord, RoundState

    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            upgrade()
            seed_demo()
            db.session.commit()
            round_id = max(db.session.scalars(select(Round.id).filter_by(state=RoundState.closed)))
            db.session.execute(delete(RoundClosingRecord))  # closed before records were kept
            db.session.commit()

            def shown():
                results = queries.compute_round_scores(db.session.get(Round, round_id))
                groups = queries.round_peer_groups(results)
                return (
                    sorted((g.kind, g.value, sorted(g.members)) for g in groups),
                    results.assessments["population"].to_json(),
                    results.scores.to_json(),
                )

            before = shown()
            db.session.remove()
            downgrade(revision="a28e0001long")
            upgrade()
            assert shown() == before
            record = db.session.get(RoundClosingRecord, round_id)
            assert record is not None and record.regions and record.populations
            # The same record as closing the round now would keep.
            assert record.digest == closing_record(db.session.get(Round, round_id)).digest
            version = data_version(round_id)
            for region in db.session.scalars(select(Region)):
                region.category = RegionCategory.less_developed
                region.thematic_partnerships = ["hydrogen"]
            db.session.commit()
            assert shown() == before
            assert data_version(round_id) == version
        finally:
            db.session.remove()
            dispose_engines()


def _long_before_short(columns) -> list[str]:
    """The names of short values stored after a long one (``columns``: (name, is long), in
    the table's order)."""
    seen_long, misplaced = False, []
    for name, long in columns:
        if long:
            seen_long = True
        elif seen_long:
            misplaced.append(name)
    return misplaced


def _is_long(column) -> bool:
    """A column that holds long values: files and the questionnaires' texts (loaded on demand)."""
    return isinstance(column.type, LargeBinary) or (
        isinstance(column.type, CleanJSON) and column.table.name == "questionnaires"
    )


def test_long_values_are_stored_after_every_short_one(empty_database, monkeypatch):
    """SQLite keeps a row's values in order and a long row in a chain of overflow pages: a short
    value stored after a long one is read through the whole chain (the questionnaire's hashes,
    which every section page and autosave read, after 1.6 MB of texts). Long values come last,
    in the models (the schema the tests create) and in a database built by the migrations."""
    misplaced = {
        table.name: _long_before_short((c.name, _is_long(c)) for c in table.columns)
        for table in db.metadata.sorted_tables
    }
    assert {name: names for name, names in misplaced.items() if names} == {}

    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            upgrade()
            if db.engine.dialect.name != "sqlite":
                return  # PostgreSQL keeps long values apart from their rows (TOAST)
            inspector = inspect(db.engine)
            stored = {}
            for table in db.metadata.sorted_tables:
                long = {c.name for c in table.columns if _is_long(c)}
                order = [c["name"] for c in inspector.get_columns(table.name)]
                stored[table.name] = _long_before_short((name, name in long) for name in order)
            assert {name: names for name, names in stored.items() if names} == {}
        finally:
            dispose_engines()

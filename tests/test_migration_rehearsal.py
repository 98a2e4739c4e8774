"""Scenario F8's rehearsal (benchmarks/migration_rehearsal.py) on a tiny data set, on the test
database's engine: every revision down and up again with data in it. The production-sized run
is `make loadtest`."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from benchmarks.migration_rehearsal import (
    TableFigures,
    catalogue,
    catalogue_differences,
    kept_differences,
    normal,
    rehearse,
    snapshot,
)
from config import TestingConfig
from surveyapp import create_app
from surveyapp.db import dispose_engines
from surveyapp.extensions import db


class _Config(TestingConfig):
    DATABASE_URL_VARIABLE = "SURVEYAPP_REHEARSAL_TEST_URL"


def tiny_fill(fixture_path):
    """A region (leading a partnership), an officer and an expert, a round of the small
    questionnaire, an assessment with answers, moderated scores (one with a level, one only a
    decision on "not applicable"), a comment and audit events."""
    from surveyapp.assessments.models import Answer, Assessment
    from surveyapp.audit.operations import log_event
    from surveyapp.auth.models import Role, User
    from surveyapp.questionnaires.operations import load_questionnaire
    from surveyapp.regions.models import PartnershipRole, Region
    from surveyapp.regions.operations import RegionAttributes, set_region_attributes
    from surveyapp.reviews.models import ItemComment, ModeratedScore
    from surveyapp.rounds.models import Round, RoundState

    def fill():
        questionnaire = load_questionnaire(fixture_path("small-v1.yaml")).questionnaire
        region = Region(code="ES21", name="País Vasco", country="ES", level=2)
        officer = User(email="o@example.org", name="Olga", role=Role.officer, regions=[region])
        expert = User(email="e@example.org", name="Émile", role=Role.expert)
        for user in (officer, expert):
            user.set_password("correct horse battery staple")
        round_ = Round(
            name="2026 spring",
            questionnaire=questionnaire,
            opens_on=date(2026, 3, 1),
            closes_on=date(2026, 5, 31),
            state=RoundState.open,
        )
        assessment = Assessment(region=region, round=round_)
        db.session.add_all([region, officer, expert, round_, assessment])
        db.session.flush()
        set_region_attributes(
            region,
            RegionAttributes(partnerships={"photonics": PartnershipRole.lead}),
            "a test",
            only=("partnerships",),
        )
        items = list(questionnaire.parsed.items)[:3]
        for number, item in enumerate(items):
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    item_id=item.id,
                    section_id=item.section_id,
                    value={"level": number, "note": "ñ"} if number else "text",
                    updated_by_id=officer.id,
                    updated_at=datetime(2026, 4, 1, 10, number, tzinfo=UTC),
                )
            )
            log_event("answer.changed", "answer", None, user=officer, assessment_id=assessment.id)
        db.session.add_all(
            [
                ModeratedScore(
                    assessment_id=assessment.id, item_id=items[0].id, score=40.0, expert=expert
                ),
                ModeratedScore(
                    assessment_id=assessment.id,
                    item_id=items[1].id,
                    score=None,
                    na_decision="accepted",
                    expert=expert,
                ),
                ItemComment(assessment=assessment, item_id=items[0].id, author=expert, body="¿?"),
            ]
        )

    return fill


def test_every_revision_down_and_up_keeps_the_data(empty_database, monkeypatch, fixture_path):
    monkeypatch.setenv("SURVEYAPP_REHEARSAL_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            result = rehearse(app, tiny_fill(fixture_path))
        finally:
            db.session.remove()
            dispose_engines()
    assert result.differences == []
    assert result.at_head["answers"].rows == 3
    assert result.after["answers"].digest(result.first_revision_columns["answers"]) == (
        result.at_head["answers"].digest(result.first_revision_columns["answers"])
    )
    lost = {step.revision: step.not_kept for step in result.steps}
    # The older revision has no place for a moderated score without a level, nor for the role
    # of a region in a partnership: lost by design, and said so.
    assert any("1 rows of moderated_scores" in entry for entry in lost["a20e0001meth"])
    assert any("region_partnerships" in entry for entry in lost["a22e0001attr"])
    assert len(result.steps) > 20


def test_the_comparison_sees_a_changed_value_and_a_lost_row(app, create_assessment):
    assessment = create_assessment()
    with db.engine.connect() as connection:
        before = snapshot(connection)
    assessment.version += 1
    db.session.commit()
    with db.engine.connect() as connection:
        changed = snapshot(connection)
        schema = {"assessments": set(before["assessments"].columns)}
        assert kept_differences(before, changed, schema) == [
            "assessments: values changed in version"
        ]
        # A column outside the columns compared is not looked at.
        assert kept_differences(before, changed, {"assessments": {"id", "region_id"}}) == []
    db.session.delete(assessment)
    db.session.commit()
    with db.engine.connect() as connection:
        assert kept_differences(before, snapshot(connection), schema) == [
            "assessments: 1 rows before, 0 after"
        ]


def test_the_catalogue_sees_a_check_constraint_go(app):
    with db.engine.connect() as connection:
        before = catalogue(connection)
    checks = {entry[1] for entry in before["assessments"] if entry[0] == "check"}
    assert "ck_assessments_assessmentstate" in checks
    changed = {**before, "assessments": {e for e in before["assessments"] if e[0] != "check"}}
    assert any(
        "lost ('check', 'ck_assessments_assessmentstate'" in d
        for d in catalogue_differences(before, changed)
    )
    assert catalogue_differences(before, before) == []


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # SQLite keeps no time zone (the app writes UTC); PostgreSQL gives the session's zone.
        (datetime(2026, 1, 1, 12), datetime(2026, 1, 1, 13, tzinfo=timezone(timedelta(hours=1)))),
        # JSONB orders an object's keys its own way.
        ({"b": 1, "a": [1, 2]}, {"a": [1, 2], "b": 1}),
        (b"%PDF", memoryview(b"%PDF")),
    ],
)
def test_the_same_value_from_either_engine_has_one_normal_form(one, other):
    assert normal(one) == normal(other)


def test_digests_of_a_subset_of_columns():
    one = TableFigures(2, {"id": "a", "name": "b"})
    other = TableFigures(2, {"id": "a", "name": "c"})
    assert one.digest({"id"}) == other.digest({"id"})
    assert one.digest() != other.digest()
    assert one.differing(other, {"id", "name"}) == ["name"]


def test_the_rehearsal_data_leave_no_table_empty(app):
    """The demo at its own size and the rows the demo does not write: every table holds some,
    so that the full-size run (make loadtest) migrates data through every table."""
    from benchmarks.migration_rehearsal import TODAY, fill_the_rest
    from surveyapp.demo.operations import seed_demo

    seed_demo(seed=7, today=TODAY)
    fill_the_rest()
    db.session.commit()
    with db.engine.connect() as connection:
        empty = [table for table, figures in snapshot(connection).items() if not figures.rows]
    assert empty == []


def test_the_demo_plans_as_many_rounds_as_asked():
    from surveyapp.demo.operations import _round_plan

    plan = _round_plan(date(2026, 11, 30), 6)
    assert [p.name for p in plan] == [
        f"{year} {half} (demo)" for year in (2024, 2025, 2026) for half in ("spring", "autumn")
    ]
    assert [p.state.value for p in plan] == ["closed"] * 5 + ["open"]
    assert _round_plan(date(2026, 11, 30)) == plan[-3:]

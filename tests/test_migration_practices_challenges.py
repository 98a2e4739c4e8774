"""Migration a19e0004misc: one good practice per answer (merged, nothing lost) and one
challenge taxonomy (the questionnaire's kinds), on a database that had neither."""

import os
from datetime import UTC, date, datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from config import TestingConfig
from surveyapp import create_app
from surveyapp.assessments.models import Assessment
from surveyapp.challenges.operations import DEFAULT_CATEGORIES
from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round

BEFORE = "a19e0003revw"
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


class _Config(TestingConfig):
    DATABASE_URL_VARIABLE = "SURVEYAPP_MIGRATION_TEST_URL"


def test_duplicate_practices_merge_and_categories_take_the_questionnaires_kinds(
    empty_database, monkeypatch
):
    monkeypatch.setenv("SURVEYAPP_MIGRATION_TEST_URL", empty_database)
    app = create_app(_Config)
    with app.app_context():
        try:
            upgrade()
            questionnaire = load_questionnaire(os.path.join(FIXTURES, "small-v1.yaml"))
            region = Region(code="ES21", name="País Vasco", country="ES", level=2)
            round_ = Round(
                name="2026 spring",
                questionnaire=questionnaire.questionnaire,
                opens_on=date(2026, 3, 1),
                closes_on=date(2026, 5, 31),
            )
            assessment = Assessment(region=region, round=round_)
            db.session.add_all([region, round_, assessment])
            db.session.commit()
            assessment_id = assessment.id
            db.session.remove()
            downgrade(revision=BEFORE)

            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM challenge_categories"))
                for name in ("Funding", "Staff capacity", "Tourism"):
                    connection.execute(
                        text("INSERT INTO challenge_categories (name, active) VALUES (:n, :a)"),
                        {"n": name, "a": True},
                    )
                funding = connection.scalar(
                    text("SELECT id FROM challenge_categories WHERE name = 'Funding'")
                )
                connection.execute(
                    text(
                        "INSERT INTO challenge_tags (assessment_id, item_id, category_id, "
                        "created_at) VALUES (:a, 'practice', :c, :t)"
                    ),
                    {"a": assessment_id, "c": funding, "t": datetime.now(UTC)},
                )
                start = datetime(2026, 4, 1, tzinfo=UTC)
                for minutes, title, summary, tags in (
                    (2, "Exchanges", "Staff exchanges.", '["hydrogen"]'),
                    (0, "Exchanges", "Staff exchanges.", '["staff"]'),
                    (5, "Hydrogen valley", "A joint hydrogen valley.", '["staff"]'),
                ):
                    connection.execute(
                        text(
                            "INSERT INTO good_practices (assessment_id, item_id, title, summary,"
                            " aspects, dimensions, tags, created_at, updated_at) VALUES "
                            "(:a, 'practice', :title, :summary, '[]', '[]', :tags, :t, :t)"
                        ),
                        {
                            "a": assessment_id,
                            "title": title,
                            "summary": summary,
                            "tags": tags,
                            "t": start + timedelta(minutes=minutes),
                        },
                    )
            earliest = db.session.scalar(
                text("SELECT id FROM good_practices ORDER BY created_at LIMIT 1")
            )
            db.session.remove()

            upgrade()
            from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
            from surveyapp.practices.models import GoodPractice

            (practice,) = db.session.scalars(select(GoodPractice)).all()
            assert practice.id == earliest
            assert practice.title == "Exchanges"
            assert "Staff exchanges." in practice.summary
            assert "Hydrogen valley" in practice.summary
            assert "A joint hydrogen valley." in practice.summary
            assert practice.tags == ["staff", "hydrogen"]

            categories = {c.name: c for c in db.session.scalars(select(ChallengeCategory))}
            for code, name, _description in DEFAULT_CATEGORIES:
                assert categories[name].code == code
            assert categories["Tourism"].code is None
            assert len(categories) == len(DEFAULT_CATEGORIES) + 1
            tag = db.session.scalar(select(ChallengeTag))
            assert tag.category_id == funding == categories["Funding and co-financing"].id
        finally:
            db.session.remove()
            dispose_engines()

"""A round's data version (the key of its cached scores and stored reports) reads no answers:
it relies on answers changing only while their assessment does not count. These tests hold
that rule where it could break."""

import pytest

from surveyapp.analysis.versions import changed_at, query_data_versions
from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import NotEditable, save_answer, submit_assessment
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.reviews.operations import post_comment, request_changes, start_review


@pytest.fixture
def world(create_region, create_user, create_assessment):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    expert = create_user(email="eva@example.org", name="Eva", role=Role.expert)
    assessment = create_assessment(region=region)
    save_answer(assessment, "maturity", 2, officer)
    db.session.commit()
    return {"officer": officer, "expert": expert, "assessment": assessment}


def version(assessment):
    db.session.expire_all()
    return query_data_versions([assessment.round_id])[assessment.round_id]


def test_an_answer_of_a_counted_assessment_cannot_change(world):
    assessment, officer = world["assessment"], world["officer"]
    submit_assessment(assessment, officer, without_evidence_confirmed=True)
    db.session.commit()
    before = version(assessment)
    assert assessment.state not in assessment.EDITABLE_BY_REGION
    with pytest.raises(NotEditable):
        save_answer(assessment, "maturity", 4, officer)
    db.session.rollback()
    assert version(assessment) == before


def test_an_answer_changed_after_a_send_back_changes_the_rounds_data_version(world):
    assessment, officer, expert = world["assessment"], world["officer"], world["expert"]
    submit_assessment(assessment, officer, without_evidence_confirmed=True)
    db.session.commit()
    counted = version(assessment)
    start_review(assessment, expert)
    post_comment(assessment, "maturity", expert, "Which source?")
    request_changes(assessment, expert, "Please give the source.")
    db.session.commit()
    assert assessment.state == AssessmentState.changes_requested
    save_answer(assessment, "maturity", 4, officer)
    submit_assessment(assessment, officer, without_evidence_confirmed=True)
    db.session.commit()
    again = version(assessment)
    assert again != counted
    assert changed_at(again) > changed_at(counted)


def test_a_change_of_what_peer_groups_are_built_from_changes_the_rounds_data_version(world):
    from surveyapp.regions.models import PartnershipRole, RegionCategory
    from surveyapp.regions.operations import RegionAttributes, set_region_attributes

    assessment = world["assessment"]
    submit_assessment(assessment, world["officer"], without_evidence_confirmed=True)
    db.session.commit()
    seen = {version(assessment)}
    region = assessment.region
    for values in (
        RegionAttributes(category=RegionCategory.transition),
        RegionAttributes(category=RegionCategory.more_developed),
        RegionAttributes(
            category=RegionCategory.more_developed,
            partnerships={"photonics": PartnershipRole.member},
        ),
        RegionAttributes(
            category=RegionCategory.more_developed,
            partnerships={"photonics": PartnershipRole.lead},
        ),
    ):
        assert set_region_attributes(region, values, "a test")
        db.session.commit()
        now = version(assessment)
        assert now not in seen
        seen.add(now)


def test_two_regions_trading_their_populations_or_categories_change_the_data_version(
    world, create_region
):
    from surveyapp.regions.models import RegionCategory, RegionPopulation

    assessment = world["assessment"]
    submit_assessment(assessment, world["officer"], without_evidence_confirmed=True)
    first, second = assessment.region, create_region("ES22", "Navarra")
    db.session.add_all(
        [
            RegionPopulation(region_id=first.id, year=2025, population=2_200_000, source="test"),
            RegionPopulation(region_id=second.id, year=2025, population=660_000, source="test"),
        ]
    )
    first.category, second.category = RegionCategory.more_developed, RegionCategory.transition
    db.session.commit()
    before = version(assessment)
    for row in db.session.scalars(db.select(RegionPopulation)):
        row.population = 660_000 if row.region_id == first.id else 2_200_000
    db.session.commit()
    swapped = version(assessment)
    assert swapped != before
    first.category, second.category = RegionCategory.transition, RegionCategory.more_developed
    db.session.commit()
    assert version(assessment) not in (before, swapped)


def test_a_values_name_follows_the_readers_language_even_when_taken_at_import(app):
    """Form choices are built when their module is imported: the names must stay lazy."""
    from flask_babel import force_locale

    from surveyapp.admin.forms import UserFilterForm
    from surveyapp.auth.models import Role
    from surveyapp.i18n import label

    with app.test_request_context(), force_locale("fr"):
        assert str(label(Role.expert)) == "Expert du groupe de travail"
        choices = {
            str(value): str(name) for value, name, *_ in UserFilterForm().role.iter_choices()
        }
        assert choices["expert"] == "Expert du groupe de travail"

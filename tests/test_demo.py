"""flask demo seed: synthetic, deterministic, plausible, and careful with real data."""

import random
from collections import Counter
from dataclasses import replace
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.actions.models import Action
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import answer_of_event, missing_required
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.auth.operations import authenticate
from surveyapp.challenges.models import ChallengeTag
from surveyapp.demo.operations import (
    DEMO_POPULATION_RANGES,
    DEMO_POPULATION_SOURCE,
    REVIEW_LINES,
    _Profile,
)
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.questionnaires.loader import load_file, shipped_files
from surveyapp.questionnaires.types import DONT_KNOW, NOT_APPLICABLE
from surveyapp.regions.models import Region, RegionPopulation
from surveyapp.reviews.models import ChangeRequest, ItemComment, ModeratedScore, SectionRemark
from surveyapp.reviews.operations import self_score
from surveyapp.rounds.models import Round, RoundState

#: The states of an assessment its region has submitted (the v2 submit rule holds in them).
SUBMITTED_STATES = {
    AssessmentState.submitted,
    AssessmentState.under_review,
    AssessmentState.changes_requested,
    AssessmentState.validated,
}


def test_seed_on_an_empty_database(cli):
    result = cli.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert result.output.count("SYNTHETIC DEMO DATA") == 2
    assert DEMO_POPULATION_SOURCE in result.output

    rounds = list(db.session.scalars(select(Round).order_by(Round.opens_on)))
    assert [r.state for r in rounds] == [RoundState.closed, RoundState.closed, RoundState.open]

    regions = db.session.scalars(
        select(Region).where(Region.id.in_(select(Assessment.region_id)))
    ).all()
    assert 55 <= len(regions) <= 70
    assert len({r.country for r in regions}) >= 12

    # The closed rounds answer questionnaire version 1, the open round version 2 (method 2).
    assert [r.questionnaire.version for r in rounds] == [1, 1, 2]
    assert [r.questionnaire.parsed.format for r in rounds] == [1, 1, 2]
    assert all(r.reference_date == r.closes_on for r in rounds)

    for past in rounds[:2]:
        states = set(db.session.scalars(select(Assessment.state).filter_by(round=past)))
        assert states <= {AssessmentState.submitted, AssessmentState.validated}
    latest = set(db.session.scalars(select(Assessment.state).filter_by(round=rounds[2])))
    assert latest == set(AssessmentState)

    # Every login printed works.
    for line in result.output.splitlines():
        if "@demo.example" in line:
            email, password = line.split()
            assert authenticate(email, password) is not None, email


def test_demo_officer_has_a_half_filled_draft(cli):
    cli.invoke(args=["demo", "seed"])
    officer_region = db.session.scalar(select(Region).filter_by(code="ES21"))
    latest = db.session.scalar(select(Round).filter_by(state=RoundState.open))
    draft = db.session.scalar(select(Assessment).filter_by(region=officer_region, round=latest))
    assert draft.state == AssessmentState.draft
    items = list(latest.questionnaire.parsed.items)
    answered = len(draft.answers)
    assert len(items) * 0.25 < answered < len(items) * 0.6


def test_answers_are_valid_and_varied(cli):
    cli.invoke(args=["demo", "seed"])
    for assessment in db.session.scalars(select(Assessment).order_by(Assessment.id)):
        definition = assessment.round.questionnaire.parsed
        answers = {a.item_id: a.value for a in assessment.answers}
        for item_id, value in answers.items():
            item = definition.item(item_id)
            assert item.question_type.clean(item, value) == value
            # Hidden items (show_if) are not answered.
            assert item.is_visible(answers), item_id
    for round_ in db.session.scalars(select(Round)):
        definition = round_.questionnaire.parsed
        item = next(i for i in definition.items if i.type == "scale" and i.is_scored)
        levels = db.session.scalars(
            select(Answer.value)
            .join(Assessment, Answer.assessment_id == Assessment.id)
            .where(Assessment.round_id == round_.id, Answer.item_id == item.id)
        ).all()
        assert len(set(map(str, levels))) >= 4, round_.name


def _snapshot():
    return db.session.execute(
        select(
            Region.code,
            Region.category,
            Region.thematic_partnerships,
            Round.name,
            Assessment.state,
            Answer.item_id,
            Answer.value,
            Answer.na_reason,
            Answer.evidence,
            User.email,
        )
        .join(Assessment.region)
        .join(Assessment.round)
        .join(Answer, Answer.assessment_id == Assessment.id)
        .join(User, Answer.updated_by_id == User.id)
        .order_by(Region.code, Round.name, Answer.item_id)
    ).all()


def _reviews_snapshot():
    """The experts' scores, decisions and confirmations, and the regions' populations."""
    scores = db.session.execute(
        select(
            Region.code,
            Round.name,
            ModeratedScore.item_id,
            ModeratedScore.score,
            ModeratedScore.na_decision,
            ModeratedScore.confirmed,
            ModeratedScore.rationale,
        )
        .join(Assessment, ModeratedScore.assessment_id == Assessment.id)
        .join(Assessment.region)
        .join(Assessment.round)
        .order_by(Region.code, Round.name, ModeratedScore.item_id)
    ).all()
    populations = db.session.execute(
        select(Region.code, RegionPopulation.year, RegionPopulation.population)
        .join(RegionPopulation.region)
        .order_by(Region.code, RegionPopulation.year)
    ).all()
    return scores, populations


def _empty_database():
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def test_seed_is_deterministic(cli):
    cli.invoke(args=["demo", "seed", "--seed", "3"])
    first, first_reviews = _snapshot(), _reviews_snapshot()
    assert any(row.na_reason for row in first) and any(row.evidence for row in first)
    _empty_database()
    cli.invoke(args=["demo", "seed", "--seed", "3"])
    assert _snapshot() == first
    assert _reviews_snapshot() == first_reviews
    _empty_database()
    cli.invoke(args=["demo", "seed", "--seed", "4"])
    assert _snapshot() != first


def test_seed_refuses_a_database_with_assessments(cli, create_assessment):
    create_assessment()
    db.session.commit()
    result = cli.invoke(args=["demo", "seed"])
    assert result.exit_code == 1
    assert "use --force" in result.output
    assert db.session.scalar(select(func.count(Assessment.id))) == 1
    skipped = cli.invoke(args=["demo", "seed", "--if-empty"])
    assert skipped.exit_code == 0 and "nothing to do" in skipped.output


def test_force_adds_demo_data_without_overwriting_regions(cli, create_assessment, create_region):
    region = create_region("ES21", "País Vasco", thematic_partnerships=["photonics"])
    create_assessment(region=region)
    result = cli.invoke(args=["demo", "seed", "--force"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Region, region.id).thematic_partnerships == ["photonics"]


def test_reviewed_assessments_carry_a_review(cli):
    assert cli.invoke(args=["demo", "seed"]).exit_code == 0
    validated = db.session.scalars(
        select(Assessment).filter_by(state=AssessmentState.validated)
    ).all()
    assert validated
    for assessment in validated:
        assert assessment.reviewer.email == "expert@demo.example"
        scores = db.session.scalars(
            select(ModeratedScore).filter_by(assessment_id=assessment.id)
        ).all()
        assert scores
        for score in scores:
            changed = score.score is not None and score.score != self_score(
                assessment, score.item_id
            )
            if changed or score.na_decision == "rejected":
                assert score.rationale, (assessment.id, score.item_id)
            # A raised score is not justified with a reason for lowering it (a reviewer of
            # the demo's region report read "raised 80 -> 100: describes intentions").
            own = self_score(assessment, score.item_id)
            if changed and own is not None and score.score > own:
                lowering = {line[2] for line in REVIEW_LINES}
                assert score.rationale not in lowering, (assessment.id, score.item_id)
        comments = db.session.scalars(
            select(ItemComment).filter_by(assessment_id=assessment.id)
        ).all()
        assert comments and all(c.resolved for c in comments)
        assert db.session.scalar(select(SectionRemark).filter_by(assessment_id=assessment.id))
    assert db.session.scalar(select(func.count()).select_from(ChallengeTag)) > 0
    officer_region = db.session.scalar(select(Region).filter_by(code="ES21"))
    assert len(db.session.scalars(select(Action).filter_by(region=officer_region)).all()) == 3
    practices = db.session.scalars(select(GoodPractice)).all()
    assert practices and all(p.assessment.state == AssessmentState.validated for p in practices)


def test_each_demo_assessment_has_the_history_that_made_it(cli):
    """The history page of a demo assessment is not empty: every answer's trail ends with its
    stored value, by the officer and at the time the answer shows, and each state it went
    through has its event."""
    assert cli.invoke(args=["demo", "seed"]).exit_code == 0
    assessments = db.session.scalars(select(Assessment).order_by(Assessment.id)).all()
    for assessment in assessments:
        events = db.session.scalars(
            select(AuditEvent)
            .filter_by(assessment_id=assessment.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        last_change = {e.item_id: e for e in events if e.action == "answer.changed"}
        assert set(last_change) == {a.item_id for a in assessment.answers}
        for answer in assessment.answers:
            event = last_change[answer.item_id]
            # The value, with its reason for "not applicable" and its evidence where it has them.
            logged = answer_of_event(event.new_value)
            assert logged == (answer.value, answer.na_reason, answer.evidence)
            assert event.user_id == answer.updated_by_id
            assert event.created_at == answer.updated_at and event.object_id == answer.id
        actions = [e.action for e in events if e.item_id is None]
        expected = {
            AssessmentState.draft: ["assessment.started"],
            AssessmentState.submitted: ["assessment.started", "assessment.submitted"],
            AssessmentState.under_review: [
                "assessment.started",
                "assessment.submitted",
                "review.started",
                "remark.saved",
            ],
            AssessmentState.changes_requested: [
                "assessment.started",
                "assessment.submitted",
                "review.started",
                "remark.saved",
                "review.changes_requested",
            ],
            AssessmentState.validated: [
                "assessment.started",
                "assessment.submitted",
                "review.started",
                "remark.saved",
                "review.validated",
            ],
        }[assessment.state]
        assert actions == expected, (assessment.id, assessment.state)
        scores = db.session.scalars(
            select(ModeratedScore).filter_by(assessment_id=assessment.id)
        ).all()
        # Each expert's score, decision on a "not applicable" and confirmation has its event.
        by_kind = {
            "score.moderated": {
                s.item_id: s.score for s in scores if not s.confirmed and s.na_decision is None
            },
            "review.na_accepted": {
                s.item_id: s.score for s in scores if s.na_decision == "accepted"
            },
            "review.na_rejected": {
                s.item_id: s.score for s in scores if s.na_decision == "rejected"
            },
            "review.item_confirmed": {s.item_id: None for s in scores if s.confirmed},
        }
        for action, expected_values in by_kind.items():
            logged = {e.item_id: e.new_value for e in events if e.action == action}
            assert logged == expected_values, (assessment.id, action)


def _open_round() -> Round:
    return db.session.scalar(select(Round).filter_by(state=RoundState.open))


def _visible_scored(definition, values):
    return [i for i in definition.items if i.is_scored and i.is_visible(values)]


def test_the_open_round_exercises_every_method_2_rule(cli):
    """Don't know, "not applicable" with a reason (accepted and rejected), evidence given and
    missing, confirmations, and submitted assessments no expert has reviewed: each is there."""
    assert cli.invoke(args=["demo", "seed"]).exit_code == 0
    round_ = _open_round()
    definition = round_.questionnaire.parsed
    assessments = db.session.scalars(select(Assessment).filter_by(round=round_)).all()
    counts = Counter()
    for assessment in assessments:
        values = {a.item_id: a.value for a in assessment.answers}
        for answer in assessment.answers:
            item = definition.item(answer.item_id)
            if answer.value == DONT_KNOW:
                assert item.is_scored and item.allow_dk
                counts["dk"] += 1
            elif answer.value == NOT_APPLICABLE:
                assert item.allow_na and answer.na_reason, answer.item_id
                counts["na"] += 1
            elif item.asks_evidence(answer.value):
                counts["evidence" if answer.evidence else "evidence missing"] += 1
            if answer.value != NOT_APPLICABLE:
                assert answer.na_reason is None
        if assessment.state == AssessmentState.submitted:
            counts["unreviewed"] += assessment.reviewer is None
        decisions = db.session.scalars(
            select(ModeratedScore).filter_by(assessment_id=assessment.id)
        ).all()
        for decision in decisions:
            if decision.na_decision:
                assert values[decision.item_id] == NOT_APPLICABLE
                counts[f"na {decision.na_decision}"] += 1
            if decision.na_decision == "rejected":
                assert decision.rationale
            if decision.confirmed:
                assert decision.score is None and decision.na_decision is None
                counts["confirmed"] += 1
        if assessment.state == AssessmentState.validated:
            # Every "not applicable" of a validated assessment is decided (D12).
            decided = {d.item_id for d in decisions if d.na_decision}
            assert decided == {
                i for i, v in values.items() if v == NOT_APPLICABLE and definition.item(i).is_scored
            }
    for kind in (
        "dk",
        "na accepted",
        "na rejected",
        "evidence missing",
        "unreviewed",
        "confirmed",
    ):
        assert counts[kind] > 0, (kind, counts)
    # Evidence is there on most answers that ask for it.
    assert counts["evidence"] > 2 * counts["evidence missing"], counts
    assert db.session.scalar(
        select(func.count(ChangeRequest.id))
        .join(Assessment, ChangeRequest.assessment_id == Assessment.id)
        .where(Assessment.round_id == round_.id)
    )


def test_submitted_responses_satisfy_the_submit_rule(cli):
    """Every visible scored item of a submitted v2 response is answered, "Don't know", or "not
    applicable" with a reason; and the application's own check finds nothing missing."""
    assert cli.invoke(args=["demo", "seed"]).exit_code == 0
    round_ = _open_round()
    definition = round_.questionnaire.parsed
    submitted = db.session.scalars(
        select(Assessment).where(
            Assessment.round_id == round_.id, Assessment.state.in_(SUBMITTED_STATES)
        )
    ).all()
    assert len(submitted) >= 20
    for assessment in submitted:
        answers = {a.item_id: a for a in assessment.answers}
        values = {item_id: a.value for item_id, a in answers.items()}
        for item in _visible_scored(definition, values):
            answer = answers.get(item.id)
            assert answer is not None and answer.value is not None, (assessment.id, item.id)
            if answer.value == NOT_APPLICABLE:
                assert item.allow_na and answer.na_reason, (assessment.id, item.id)
        assert missing_required(assessment) == [], assessment.id


def test_panel_of_validated_regions_across_rounds(cli):
    """Trends need at least 5 regions validated in both the latest closed round and the open
    round; quartiles need 10 validated regions in the closed round."""
    assert cli.invoke(args=["demo", "seed"]).exit_code == 0
    rounds = list(db.session.scalars(select(Round).order_by(Round.opens_on)))

    def validated(round_):
        return set(
            db.session.scalars(
                select(Assessment.region_id).filter_by(
                    round=round_, state=AssessmentState.validated
                )
            )
        )

    assert len(validated(rounds[1])) >= 10
    assert len(validated(rounds[1]) & validated(rounds[2])) >= 5
    # The earlier rounds' regions also answered v1, so the v1 -> v2 trend has its panel.
    assert len(validated(rounds[0]) & validated(rounds[1])) >= 5


def test_populations_are_synthetic_and_plausible(cli):
    """Every demo region has a population, labelled synthetic, for each round's reference year,
    of a plausible magnitude for its NUTS level; counts per 12 months are of the order of the
    target relative to that population."""
    assert cli.invoke(args=["demo", "seed"]).exit_code == 0
    rounds = list(db.session.scalars(select(Round)))
    years = {r.reference_day.year for r in rounds}
    regions = db.session.scalars(
        select(Region).where(Region.id.in_(select(Assessment.region_id)))
    ).all()
    rows = db.session.scalars(select(RegionPopulation)).all()
    stored = {(p.region_id, p.year): p for p in rows}
    assert all(p.source == DEMO_POPULATION_SOURCE for p in rows)
    for region in regions:
        low, high = DEMO_POPULATION_RANGES[region.level]
        for year in years:
            population = stored[(region.id, year)].population
            assert low * 0.95 <= population <= high * 1.05, (region.code, year, population)
    round_ = _open_round()
    definition = round_.questionnaire.parsed
    counts = [
        item
        for item in definition.items
        if item.is_scored and item.type == "number" and item.relative_target
    ]
    assert {"sme_active_12m", "mon_projects_active_12m"} <= {item.id for item in counts}
    year = round_.reference_day.year
    for item in counts:
        rule = item.relative_target
        answers = db.session.execute(
            select(Answer.value, Assessment.region_id)
            .join(Assessment, Answer.assessment_id == Assessment.id)
            .where(Assessment.round_id == round_.id, Answer.item_id == item.id)
        ).all()
        assert answers
        for value, region_id in answers:
            if value in (DONT_KNOW, NOT_APPLICABLE):
                continue
            millions = stored[(region_id, year)].population / 1e6
            target = max(
                rule.get("floor", 1), rule["per_million"] * millions ** rule.get("exponent", 0.5)
            )
            assert isinstance(value, int) and 0 <= value <= 2 * target, (item.id, value, target)


@cache
def _shipped_definition(version: int):
    return next(d for d in map(load_file, shipped_files()) if d.version == version)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    no_multinationals=st.booleans(),
    population=st.integers(300_000, 7_000_000),
    round_number=st.integers(0, 2),
)
def test_every_full_v2_response_the_demo_draws_satisfies_the_submit_rule(
    seed, no_multinationals, population, round_number
):
    """For any region profile and generator state, a full (not draft) v2 response answers
    every visible scored item (a value, Don't know, or N/A with a reason), answers no hidden
    item, keeps a reason only with N/A, and gives evidence only where the answer asks for it."""
    v1, v2 = _shipped_definition(1), _shipped_definition(2)
    rng = random.Random(seed)  # noqa: S311 - the demo's own generator
    profile = replace(_Profile.draw(rng, v1), no_multinationals=no_multinationals)
    answers = profile.answers(rng, v2, round_number, population=population)
    for item_id, value in answers.values.items():
        item = v2.item(item_id)
        assert item.is_visible(answers.values), item_id
        assert item.question_type.clean(item, value) == value
    for item in _visible_scored(v2, answers.values):
        value = answers.values.get(item.id)
        assert value is not None, item.id
        if value == NOT_APPLICABLE:
            assert item.allow_na and answers.na_reasons.get(item.id), item.id
        if value == DONT_KNOW:
            assert item.allow_dk
    assert all(answers.values[i] == NOT_APPLICABLE for i in answers.na_reasons)
    assert all(v2.item(i).asks_evidence(answers.values[i]) for i in answers.evidence)

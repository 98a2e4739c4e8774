"""flask demo seed: synthetic, deterministic, plausible, and careful with real data."""

from sqlalchemy import func, select

from surveyapp.actions.models import Action
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.auth.operations import authenticate
from surveyapp.challenges.models import ChallengeTag
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.regions.models import Region
from surveyapp.reviews.models import ItemComment, ModeratedScore, SectionRemark
from surveyapp.reviews.operations import self_score
from surveyapp.rounds.models import Round, RoundState


def test_seed_on_an_empty_database(cli):
    result = cli.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert result.output.count("SYNTHETIC DEMO DATA") == 2

    rounds = list(db.session.scalars(select(Round).order_by(Round.opens_on)))
    assert [r.state for r in rounds] == [RoundState.closed, RoundState.closed, RoundState.open]

    regions = db.session.scalars(
        select(Region).where(Region.id.in_(select(Assessment.region_id)))
    ).all()
    assert 55 <= len(regions) <= 70
    assert len({r.country for r in regions}) >= 12

    for past in rounds[:2]:
        states = set(db.session.scalars(select(Assessment.state).filter_by(round=past)))
        assert states <= {AssessmentState.submitted, AssessmentState.validated}
    latest = set(db.session.scalars(select(Assessment.state).filter_by(round=rounds[2])))
    assert AssessmentState.draft in latest and AssessmentState.submitted in latest

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
    assessment = db.session.scalars(
        select(Assessment).filter_by(state=AssessmentState.validated)
    ).first()
    definition = assessment.round.questionnaire.parsed
    answers = {a.item_id: a.value for a in assessment.answers}
    for item_id, value in answers.items():
        item = definition.item(item_id)
        assert item.question_type.clean(item, value) == value
        assert item.is_visible(answers), item_id
    scale_item = next(item for item in definition.items if item.type == "scale")
    levels = db.session.scalars(select(Answer.value).where(Answer.item_id == scale_item.id)).all()
    assert len(set(map(str, levels))) >= 4


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
            User.email,
        )
        .join(Assessment.region)
        .join(Assessment.round)
        .join(Answer)
        .join(User, Answer.updated_by_id == User.id)
        .order_by(Region.code, Round.name, Answer.item_id)
    ).all()


def _empty_database():
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def test_seed_is_deterministic(cli):
    cli.invoke(args=["demo", "seed", "--seed", "3"])
    first = _snapshot()
    _empty_database()
    cli.invoke(args=["demo", "seed", "--seed", "3"])
    assert _snapshot() == first
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
        assert all(s.rationale for s in scores if s.score != self_score(assessment, s.item_id))
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
            assert event.new_value == answer.value and event.user_id == answer.updated_by_id
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
        moderated = {e.item_id: e.new_value for e in events if e.action == "score.moderated"}
        assert moderated == {s.item_id: s.score for s in scores}

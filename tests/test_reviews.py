"""The review cycle: submit, review, comment, moderate, ask for changes, resubmit, validate."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.analysis import queries
from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer, submit_assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.notifications.models import Notification
from surveyapp.reviews.models import ItemComment, ModeratedScore
from surveyapp.reviews.operations import ReviewError, set_moderated_score


@pytest.fixture
def cycle(app, create_region, create_user, create_round, create_assessment):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    expert = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    assessment = create_assessment(region=region, round_=create_round())
    save_answer(assessment, "maturity", 3, officer)
    # With it, the strategy dimension has 3 of its 4 weights answered (over the 2/3 needed).
    save_answer(assessment, "budget_share", 60, officer)
    submit_assessment(assessment, officer)
    db.session.commit()
    return {"officer": officer, "expert": expert, "assessment": assessment}


#: The strategy dimension once the expert scores maturity (weight 2) 100 beside budget_share 60.
STRATEGY_MODERATED = (2 * 100 + 60) / 3


#: The score form of the review page (posted to the page's own address).
SCORE = {"form": "score", "item": "maturity"}


def client_for(app, login, user):
    client = app.test_client()
    login(user, client=client)
    return client


def state_of(assessment):
    db.session.expire_all()
    return db.session.get(Assessment, assessment.id).state


def notes_for(user):
    return [n.kind for n in db.session.scalars(select(Notification).filter_by(user_id=user.id))]


def test_the_full_review_cycle(app, login, cycle):
    officer, expert, assessment = cycle["officer"], cycle["expert"], cycle["assessment"]
    aid = assessment.id
    reviewer = client_for(app, login, expert)
    region = client_for(app, login, officer)

    reviewer.post(f"/reviews/{aid}/start")
    assert state_of(assessment) == AssessmentState.under_review
    assert notes_for(officer) == ["review_started"]

    # No comment yet: nothing tells the region what to change, so the request is refused.
    refused = reviewer.post(
        f"/reviews/{aid}/request-changes", data={"message": "Fix it."}, follow_redirects=True
    )
    assert "Comment on the questions the region should change" in refused.text
    assert state_of(assessment) == AssessmentState.under_review

    reviewer.post(f"/assessments/{aid}/items/maturity/comments", data={"body": "Which budget?"})
    assert notes_for(officer) == ["review_started", "comment"]
    reviewer.post(f"/reviews/{aid}/request-changes", data={"message": "See my comment."})
    assert state_of(assessment) == AssessmentState.changes_requested
    assert notes_for(officer) == ["review_started", "comment", "changes_requested"]

    overview = region.get(f"/assessments/{aid}").text
    assert "Which budget?" in overview and "1 comment is still open." in overview
    section = region.get(f"/assessments/{aid}/sections/basics").text
    assert "Which budget?" in section
    region.post(f"/assessments/{aid}/items/maturity/comments", data={"body": "EUR 2 m, see p. 12."})
    assert "comment" in notes_for(expert)
    comment = db.session.scalar(select(ItemComment).filter_by(body="Which budget?"))
    region.post(f"/comments/{comment.id}/resolve")
    db.session.expire_all()
    assert db.session.get(ItemComment, comment.id).resolved

    region.post(f"/assessments/{aid}/answers/maturity", json={"value": ["4"], "version": 2})
    region.post(f"/assessments/{aid}/submit")
    # Back with the same expert, under review: no second "take into review".
    assert state_of(assessment) == AssessmentState.under_review
    assert "resubmitted" in notes_for(expert)

    reviewer.post(f"/reviews/{aid}/validate")
    assert state_of(assessment) == AssessmentState.validated
    assert "validated" in notes_for(officer)
    # Validated is final: the region cannot change it, the expert cannot decide again.
    locked = region.post(
        f"/assessments/{aid}/answers/maturity", json={"value": ["1"], "version": 3}
    )
    assert locked.status_code == 403
    assert reviewer.post(f"/reviews/{aid}/validate").status_code == 409
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "review.started",
        "comment.posted",
        "comment.resolved",
        "review.changes_requested",
        "assessment.submitted",
        "review.validated",
    } <= actions


def test_invalid_moves_are_conflicts(app, login, cycle, create_assessment, create_region):
    reviewer = client_for(app, login, cycle["expert"])
    draft = create_assessment(
        region=create_region("ES22", "Navarra"), round_=cycle["assessment"].round
    )
    # A draft is not even visible to experts.
    assert reviewer.post(f"/reviews/{draft.id}/validate").status_code == 404
    aid = cycle["assessment"].id
    assert reviewer.post(f"/reviews/{aid}/validate").status_code == 409  # not taken into review
    assert reviewer.post(f"/reviews/{aid}/request-changes").status_code == 409
    assert state_of(cycle["assessment"]) == AssessmentState.submitted


def test_moderated_scores_need_a_rationale_when_they_differ(app, login, cycle):
    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    refused = reviewer.post(f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "80"})
    assert refused.status_code == 422
    assert "Explain why your score differs" in refused.text
    assert db.session.scalar(select(func.count()).select_from(ModeratedScore)) == 0
    # The same score as the region's own (level 3 = 60) needs no rationale.
    assert (
        reviewer.post(f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "60"}).status_code
        == 302
    )
    bad = reviewer.post(f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "abc"})
    assert bad.status_code == 422 and "Give a score from 0 to 100." in bad.text
    assert (
        reviewer.post(
            f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "140", "rationale": "x"}
        ).status_code
        == 422
    )
    reviewer.post(
        f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "80", "rationale": "Budgeted."}
    )
    stored = db.session.scalar(select(ModeratedScore))
    assert (stored.score, stored.rationale) == (80, "Budgeted.")
    with pytest.raises(ReviewError):  # unscored items take no moderated score
        set_moderated_score(cycle["assessment"], "practice", 50, "x", cycle["expert"])


def test_moderated_scores_reach_the_benchmarks(app, login, cycle):
    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    results = queries.round_scores(cycle["assessment"].round)
    before = results.scores.query("kind == 'dimension' and key == 'strategy'")
    assert float(before["moderated"].iloc[0]) == 60
    reviewer.post(
        f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "100", "rationale": "x"}
    )
    after = queries.round_scores(cycle["assessment"].round).scores
    row = after.query("kind == 'dimension' and key == 'strategy'")
    assert float(row["self"].iloc[0]) == 60
    assert float(row["moderated"].iloc[0]) == pytest.approx(STRATEGY_MODERATED)


def test_officers_cannot_review(app, login, cycle):
    region = client_for(app, login, cycle["officer"])
    aid = cycle["assessment"].id
    for path in ("start", "validate", "request-changes", "take-over", "sections/basics"):
        data = SCORE | {"score": "100"}
        assert region.post(f"/reviews/{aid}/{path}", data=data).status_code == 403
    assert region.get(f"/reviews/{aid}/sections/basics").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ModeratedScore)) == 0


def test_notifications_page_lists_and_marks_read(app, login, cycle):
    reviewer = client_for(app, login, cycle["expert"])
    reviewer.post(f"/reviews/{cycle['assessment'].id}/start")
    region = client_for(app, login, cycle["officer"])
    page = region.get("/notifications").text
    assert "Emil started reviewing País Vasco, 2026 spring." in page
    assert '<span class="count">1</span>' in region.get("/").text
    region.post("/notifications/read")
    assert '<span class="count">' not in region.get("/").text


def test_officers_see_moderated_scores_only_once_released(app, login, cycle, create_user):
    from surveyapp.rounds.models import Round

    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    reviewer.post(
        f"/reviews/{aid}/sections/basics", data=SCORE | {"score": "100", "rationale": "x"}
    )
    reviewer.post(f"/assessments/{aid}/items/maturity/comments", data={"body": "Budget?"})
    reviewer.post(f"/reviews/{aid}/validate")
    round_id = cycle["assessment"].round_id
    region = client_for(app, login, cycle["officer"])
    api = f"/api/v1/rounds/{round_id}/regions/ES21/benchmark"

    hidden = region.get(api).json["scores"]["dimension"]["strategy"]
    assert hidden["self"] == 60.0 and "moderated" not in hidden  # not before the release
    expert_view = reviewer.get(api).json["scores"]["dimension"]["strategy"]
    assert expert_view["self"] == 60.0
    assert expert_view["moderated"] == pytest.approx(STRATEGY_MODERATED)
    from surveyapp.analysis.dashboard import region_dashboard

    round_ = db.session.get(Round, round_id)
    officer = cycle["officer"]
    data = region_dashboard(
        cycle["assessment"].region, round_, "en", round_.score_column_for(officer)
    )
    strategy = next(row for row in data["dimensions"] if row["key"] == "strategy")
    assert strategy["value"] == 60 and data["moderation"] is None

    admin = client_for(app, login, create_user(email="ada@example.org", role=Role.admin))
    admin.post(f"/admin/rounds/{round_id}/release?to=release")
    shown = region.get(api).json["scores"]["dimension"]["strategy"]
    assert shown["self"] == 60.0
    assert shown["moderated"] == pytest.approx(STRATEGY_MODERATED)
    db.session.expire_all()
    round_ = db.session.get(Round, round_id)
    assert round_.score_column_for(officer) == "moderated"


#: The fixture's scored items of each type, and the scores an answer to them earns (None: any
#: score from 0 to 100), written out here from the questionnaire's rules.
EARNED = {
    "maturity": {0, 20, 40, 60, 80, 100},  # scale: level x 20
    "has_unit": {0, 100},  # scored yes/no
    "role": None,  # single choice: its options' scores, read from the file below
    "platforms": {0, 40, 80, 100},  # four options of 40, the sum at most 100
    "unit_staff": None,  # a count against its target
    "budget_share": None,  # a share
}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    item_id=st.sampled_from(sorted(EARNED)),
    score=st.one_of(
        st.sampled_from([0, 20, 40, 50, 55.5, 60, 80, 100]),
        st.floats(min_value=0, max_value=100, allow_nan=False),
    ),
)
def test_a_moderated_score_is_one_an_answer_earns(app, login, cycle, item_id, score):
    """An expert gave a yes/no item 55.5 (METHOD: yes 100, no 0; the expert changes the
    answer): a moderated score is one an answer to the item earns; counts and shares take any
    score from 0 to 100."""
    assessment, expert = cycle["assessment"], cycle["expert"]
    if assessment.state != AssessmentState.under_review:
        client_for(app, login, expert).post(f"/reviews/{assessment.id}/start")
        db.session.expire_all()
    item = assessment.round.questionnaire.parsed.item(item_id)
    earned = EARNED[item_id]
    if item_id == "role":
        earned = {option["score"] for option in item.config["options"]}
    try:
        set_moderated_score(assessment, item_id, score, "Checked.", expert)
        accepted = True
    except ReviewError as error:
        accepted = False
        assert str(error) == "Choose one of the scores an answer to this question earns."
    finally:
        db.session.rollback()
    # Equal on the canonical value (rounded to 9 decimals), as scores are compared everywhere.
    assert accepted == (earned is None or round(score, 9) in {round(e, 9) for e in earned})


def test_the_review_page_offers_yes_or_no_for_a_yes_no_item(app, login, cycle):
    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    page = reviewer.get(f"/reviews/{aid}/sections/basics").text
    field = page[page.index('id="score-has_unit"') :][:600]
    assert field.startswith('id="score-has_unit" name="score"')  # a <select>, not a number
    assert '<option value="100">100 · Yes</option>' in field
    assert '<option value="0">0 · No</option>' in field
    assert 'type="number" id="score-unit_staff"' in page  # a count takes any score
    refused = reviewer.post(
        f"/reviews/{aid}/sections/basics",
        data={"form": "score", "item": "has_unit", "score": "55.5", "rationale": "x"},
    )
    assert refused.status_code == 422
    assert "Choose one of the scores an answer to this question earns." in refused.text


def test_validating_resolves_the_comments_still_open(app, login, cycle):
    """A comment left open at validation stayed "open" for good on a locked assessment that
    nobody could comment on any more."""
    from surveyapp.reviews.operations import post_comment, validate_assessment

    assessment, expert, officer = cycle["assessment"], cycle["expert"], cycle["officer"]
    reviewer = client_for(app, login, expert)
    reviewer.post(f"/reviews/{assessment.id}/start")
    db.session.expire_all()
    confirm = reviewer.get(f"/reviews/{assessment.id}/validate").text
    assert "Validating marks" not in confirm  # nothing open yet
    comment = post_comment(assessment, "maturity", expert, "Which budget line?")
    db.session.commit()
    confirm = reviewer.get(f"/reviews/{assessment.id}/validate").text
    assert "1 comment is still open" in confirm and "Validating marks it resolved" in confirm
    validate_assessment(assessment, expert)
    db.session.commit()
    db.session.expire_all()
    comment = db.session.get(ItemComment, comment.id)
    assert comment.resolved and comment.resolved_by_id == expert.id
    events = db.session.scalars(
        select(AuditEvent.action).filter_by(object_type="comment", object_id=comment.id)
    ).all()
    assert "comment.resolved" in events
    page = client_for(app, login, officer).get(f"/assessments/{assessment.id}").text
    assert "0 comments are still open." in page


def test_a_score_given_before_the_rule_is_kept_in_the_list_not_dropped(app, login, cycle):
    """A moderated score no answer earns (55.5 on a yes/no, given before scores were limited)
    matched no option: the page selected "No moderated score", and saving the form as shown
    deleted it. It is listed, selected, and saving it again is refused at the field."""
    assessment, expert = cycle["assessment"], cycle["expert"]
    reviewer = client_for(app, login, expert)
    reviewer.post(f"/reviews/{assessment.id}/start")
    db.session.add(
        ModeratedScore(
            assessment_id=assessment.id,
            item_id="has_unit",
            score=55.5,
            rationale="Old.",
            expert=expert,
        )
    )
    db.session.commit()
    page = reviewer.get(f"/reviews/{assessment.id}/sections/basics").text
    field = page[page.index('id="score-has_unit"') :][:900]
    assert '<option value="55.5" selected>55.5: given before moderated scores' in field
    assert field.count(" selected") == 1
    kept = reviewer.post(
        f"/reviews/{assessment.id}/sections/basics",
        data={"form": "score", "item": "has_unit", "score": "55.5", "rationale": "Old."},
    )
    assert kept.status_code == 422
    db.session.expire_all()
    stored = db.session.scalar(select(ModeratedScore).filter_by(item_id="has_unit"))
    assert stored is not None and stored.score == 55.5


def test_confirming_never_withdraws_a_score_the_page_did_not_show(app, login, cycle):
    """An expert's page, opened before a score of 80 was saved (another tab), offered "Confirm
    the region's answer unchanged": posting it withdrew the score and its rationale unseen."""
    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    stale = reviewer.get(f"/reviews/{aid}/sections/basics").text
    confirm = stale[stale.index('value="confirm"') - 400 :][:900]
    assert 'name="replaces" value=""' in confirm  # this page showed no score for the item
    saved = reviewer.post(
        f"/reviews/{aid}/sections/basics",
        data={"form": "score", "item": "maturity", "score": "80", "rationale": "Seen the plan."},
    )
    assert saved.status_code == 302
    refused = reviewer.post(
        f"/reviews/{aid}/sections/basics",
        data={"form": "confirm", "item": "maturity", "confirmed": "1", "replaces": ""},
    )
    assert refused.status_code == 422
    assert "A moderated score of 80 was given since this page was opened." in refused.text
    db.session.expire_all()
    row = db.session.scalar(select(ModeratedScore).filter_by(assessment_id=aid, item_id="maturity"))
    assert (row.score, row.rationale, row.confirmed) == (80, "Seen the plan.", False)
    # The page now says what confirming does, and carries the score it withdraws.
    assert "Withdraw the score and confirm the region's answer" in refused.text
    withdrawn = reviewer.post(
        f"/reviews/{aid}/sections/basics",
        data={"form": "confirm", "item": "maturity", "confirmed": "1", "replaces": "80"},
    )
    assert withdrawn.status_code == 302
    db.session.expire_all()
    row = db.session.scalar(select(ModeratedScore).filter_by(assessment_id=aid, item_id="maturity"))
    assert (row.score, row.confirmed) == (None, True)


def test_a_review_post_that_names_no_form_of_the_page_changes_nothing(app, login, cycle):
    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    reviewer.post(
        f"/reviews/{aid}/sections/basics",
        data={"form": "score", "item": "maturity", "score": "80", "rationale": "Seen the plan."},
    )
    for form in ("bogus", ""):
        bogus = reviewer.post(
            f"/reviews/{aid}/sections/basics", data={"form": form, "item": "maturity"}
        )
        assert bogus.status_code == 400
    db.session.expire_all()
    row = db.session.scalar(select(ModeratedScore).filter_by(assessment_id=aid, item_id="maturity"))
    assert row.score == 80


def test_a_refused_score_is_not_offered_back_as_a_stored_one(app, login, cycle):
    reviewer = client_for(app, login, cycle["expert"])
    aid = cycle["assessment"].id
    reviewer.post(f"/reviews/{aid}/start")
    refused = reviewer.post(
        f"/reviews/{aid}/sections/basics",
        data={"form": "score", "item": "has_unit", "score": "55", "rationale": "x"},
    )
    assert refused.status_code == 422
    assert "given before moderated scores were limited" not in refused.text


def test_a_decision_on_an_assessment_that_moved_on_says_so_and_keeps_the_message(app, login, cycle):
    """Validated meanwhile (another tab): asking for changes answered a bare 409 page and the
    typed message was gone; validating again, the same page."""
    from surveyapp.reviews.operations import validate_assessment

    assessment, expert = cycle["assessment"], cycle["expert"]
    reviewer = client_for(app, login, expert)
    reviewer.post(f"/reviews/{assessment.id}/start")
    db.session.expire_all()
    validate_assessment(db.session.get(Assessment, assessment.id), expert)
    db.session.commit()
    late = reviewer.post(
        f"/reviews/{assessment.id}/request-changes",
        data={"message": "Please add the 2025 budget figures."},
    )
    assert late.status_code == 409
    assert "Nothing was changed: this assessment is now Validated." in late.text
    assert "Please add the 2025 budget figures." in late.text  # kept, to copy
    assert "Send back to the region" not in late.text
    empty = reviewer.post(f"/reviews/{assessment.id}/request-changes", data={"message": ""})
    assert empty.status_code == 409 and "Send back to the region" not in empty.text
    old_link = reviewer.get(f"/reviews/{assessment.id}/validate", follow_redirects=True)
    assert "This assessment is now Validated." in old_link.text  # nothing was tried
    assert "Nothing was changed" not in old_link.text
    again = reviewer.post(f"/reviews/{assessment.id}/validate")
    assert again.status_code == 409
    assert "Nothing was changed: this assessment is now Validated." in again.text
    assert "Review:" in again.text  # the review page, not a bare error page
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.validated

"""Who acts on a review (the expert who holds it; another takes it over first), the decisions'
confirmation, the request for changes' message, the resubmission's return to the same expert,
the score form's errors on the review page, and the closed discussion of a validated assessment.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer, submit_assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.notifications.models import Notification
from surveyapp.reviews.models import ChangeRequest, ItemComment, ModeratedScore, SectionRemark
from surveyapp.reviews.operations import (
    NotReviewer,
    post_comment,
    request_changes,
    start_review,
    validate_assessment,
)


@pytest.fixture
def held(app, create_region, create_user, create_round, create_assessment):
    """An assessment under review by Emil, with his open comment; Erika is another expert."""
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    emil = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    erika = create_user(email="erika@example.org", name="Erika", role=Role.expert)
    admin = create_user(email="ada@example.org", name="Ada", role=Role.admin)
    assessment = create_assessment(region=region, round_=create_round())
    save_answer(assessment, "maturity", 3, officer)
    submit_assessment(assessment, officer)
    start_review(assessment, emil)
    comment = post_comment(assessment, "maturity", emil, "Which budget?")
    db.session.commit()
    return {
        "officer": officer,
        "emil": emil,
        "erika": erika,
        "admin": admin,
        "assessment": assessment,
        "comment": comment,
    }


def client_for(app, login, user):
    client = app.test_client()
    login(user, client=client)
    return client


def fresh(assessment):
    db.session.expire_all()
    return db.session.get(Assessment, assessment.id)


def kinds_for(user):
    return [n.kind for n in db.session.scalars(select(Notification).filter_by(user_id=user.id))]


def review_state(assessment):
    """Everything a review action may change, to check that a refused one changed nothing."""
    db.session.expire_all()
    a = db.session.get(Assessment, assessment.id)
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ItemComment, ModeratedScore, SectionRemark, ChangeRequest)
    )
    resolved = tuple(db.session.scalars(select(ItemComment.resolved).order_by(ItemComment.id)))
    return a.state, a.reviewer_id, counts, resolved


#: (what, method, URL, form): every review action on the held assessment, with valid data.
ACTIONS = {
    "validate": ("POST", "/reviews/{aid}/validate", {}),
    "request changes": ("POST", "/reviews/{aid}/request-changes", {"message": "Please fix."}),
    "score": (
        "POST",
        "/reviews/{aid}/sections/basics",
        {"form": "score", "item": "maturity", "score": "60"},
    ),
    "remark": ("POST", "/reviews/{aid}/sections/basics", {"form": "remark", "remark": "Good."}),
    "comment": ("POST", "/assessments/{aid}/items/maturity/comments", {"body": "And staff?"}),
    "resolve": ("POST", "/comments/{cid}/resolve", {"resolved": "1"}),
}

#: (role, action, expected status): only the expert who holds the review acts on it.
ACCESS = [
    ("emil", "validate", 302),
    ("emil", "request changes", 302),
    ("emil", "score", 302),
    ("emil", "remark", 302),
    ("emil", "comment", 302),
    ("emil", "resolve", 302),
    ("erika", "validate", 403),
    ("erika", "request changes", 403),
    ("erika", "score", 403),
    ("erika", "remark", 403),
    ("erika", "comment", 403),
    ("erika", "resolve", 403),
    ("admin", "validate", 403),
    ("admin", "request changes", 403),
    ("admin", "score", 403),
    ("admin", "remark", 403),
    ("admin", "comment", 403),
    ("officer", "validate", 403),
    ("officer", "score", 403),
    ("officer", "remark", 403),
]


@pytest.mark.parametrize(("role", "action", "expected"), ACCESS)
def test_only_the_expert_who_holds_the_review_acts_on_it(app, login, held, role, action, expected):
    method, url, data = ACTIONS[action]
    url = url.format(aid=held["assessment"].id, cid=held["comment"].id)
    client = client_for(app, login, held[role])
    before = review_state(held["assessment"])
    response = client.open(url, method=method, data=data)
    assert response.status_code == expected
    if expected == 403:
        assert review_state(held["assessment"]) == before
    else:
        assert review_state(held["assessment"]) != before


def test_another_expert_is_told_why_and_offered_the_takeover(app, login, held):
    aid = held["assessment"].id
    erika = client_for(app, login, held["erika"])
    refused = erika.post(f"/reviews/{aid}/validate")
    assert refused.status_code == 403
    assert "Emil is reviewing this assessment. Take the review over to act on it." in refused.text
    page = erika.get(f"/reviews/{aid}/sections/basics").text
    assert f'href="/reviews/{aid}/take-over"' in page
    assert "Save the score" not in page and "Comment on this question" not in page
    assert 'name="body"' not in page  # no reply form either
    # The holder is not offered a takeover, and has the decisions.
    own = client_for(app, login, held["emil"]).get(f"/reviews/{aid}/sections/basics").text
    assert "take-over" not in own and "Save the score" in own


def test_a_takeover_is_confirmed_notified_and_audited(app, login, held):
    aid = held["assessment"].id
    erika = client_for(app, login, held["erika"])
    confirm = erika.get(f"/reviews/{aid}/take-over")
    assert confirm.status_code == 200
    assert "Take over the review of País Vasco" in confirm.text
    assert f'action="/reviews/{aid}/take-over"' in confirm.text
    assert fresh(held["assessment"]).reviewer_id == held["emil"].id  # asking changed nothing

    assert erika.post(f"/reviews/{aid}/take-over").status_code == 302
    assessment = fresh(held["assessment"])
    assert assessment.reviewer_id == held["erika"].id
    assert assessment.state == AssessmentState.under_review
    assert "review_taken_over" in kinds_for(held["emil"])
    event = db.session.scalar(select(AuditEvent).filter_by(action="review.taken_over"))
    assert (event.user_id, event.old_value, event.new_value) == (held["erika"].id, "Emil", "Erika")
    notes = client_for(app, login, held["emil"]).get("/notifications").text
    assert "Erika took over your review of País Vasco, 2026 spring." in notes

    # Now Erika acts, and Emil is the one refused.
    emil = client_for(app, login, held["emil"])
    assert emil.post(f"/reviews/{aid}/validate").status_code == 403
    assert erika.post(f"/reviews/{aid}/validate").status_code == 302
    assert fresh(held["assessment"]).state == AssessmentState.validated


def test_operations_refuse_a_non_holder_too(held):
    """The CLI and the API share the operations: the same rule holds there."""
    with pytest.raises(NotReviewer):
        validate_assessment(held["assessment"], held["erika"])
    with pytest.raises(NotReviewer):
        request_changes(held["assessment"], held["erika"], "Please fix.")
    with pytest.raises(NotReviewer):
        post_comment(held["assessment"], "maturity", held["erika"], "Hello")


def test_decisions_ask_for_confirmation_first(app, login, held):
    aid = held["assessment"].id
    emil = client_for(app, login, held["emil"])
    page = emil.get(f"/reviews/{aid}/sections/basics").text
    # The review page has links to the confirmation pages, not buttons that act at once.
    assert f'action="/reviews/{aid}/validate"' not in page
    assert f'action="/reviews/{aid}/request-changes"' not in page
    assert f'href="/reviews/{aid}/validate"' in page
    assert f'href="/reviews/{aid}/request-changes"' in page
    confirm = emil.get(f"/reviews/{aid}/validate")
    assert confirm.status_code == 200
    assert "Once validated, the assessment is locked for good" in confirm.text
    assert "Which budget?" in confirm.text  # the open comment is named
    assert f'action="/reviews/{aid}/validate"' in confirm.text
    changes = emil.get(f"/reviews/{aid}/request-changes")
    assert changes.status_code == 200 and 'name="message"' in changes.text
    assert fresh(held["assessment"]).state == AssessmentState.under_review
    # Another expert does not get the confirmation pages either.
    erika = client_for(app, login, held["erika"])
    assert erika.get(f"/reviews/{aid}/validate").status_code == 403


def test_a_request_for_changes_needs_a_message_that_the_officers_read(app, login, held):
    aid = held["assessment"].id
    emil = client_for(app, login, held["emil"])
    missing = emil.post(f"/reviews/{aid}/request-changes", data={"message": "  "})
    assert missing.status_code == 422
    assert "Write something first." in missing.text
    assert 'id="message-error"' in missing.text
    assert fresh(held["assessment"]).state == AssessmentState.under_review

    message = "Please give the budget line & the staff <b>numbers</b>."
    sent = emil.post(f"/reviews/{aid}/request-changes", data={"message": message})
    assert sent.status_code == 302
    assert fresh(held["assessment"]).state == AssessmentState.changes_requested
    stored = db.session.scalar(select(ChangeRequest))
    assert (stored.message, stored.expert_id) == (message, held["emil"].id)

    officer = client_for(app, login, held["officer"])
    escaped = "Please give the budget line &amp; the staff &lt;b&gt;numbers&lt;/b&gt;."
    assert escaped in officer.get(f"/assessments/{aid}").text
    notes = officer.get("/notifications").text
    assert "Emil asked for changes to País Vasco, 2026 spring." in notes and escaped in notes


def test_a_resubmission_returns_to_the_same_expert_with_what_changed(app, login, held):
    assessment, officer = held["assessment"], held["officer"]
    aid = assessment.id
    request_changes(assessment, held["emil"], "Which budget, please?")
    db.session.commit()
    save_answer(fresh(assessment), "maturity", 4, officer)
    save_answer(fresh(assessment), "budget_share", 12, officer)
    save_answer(fresh(assessment), "budget_share", 15, officer)
    submit_assessment(fresh(assessment), officer)
    db.session.commit()

    assessment = fresh(assessment)
    assert assessment.state == AssessmentState.under_review  # no second "take into review"
    assert assessment.reviewer_id == held["emil"].id
    assert "resubmitted" in kinds_for(held["emil"])
    assert db.session.scalar(select(AuditEvent).filter_by(action="review.resumed")) is not None

    emil = client_for(app, login, held["emil"])
    page = emil.get(f"/reviews/{aid}/sections/networks").text
    assert "Which budget, please?" in page
    assert "Answers changed since then" in page
    # Before -> after, from the audit trail, one row per item (12 was a step on the way).
    assert "3: Fair" in page and "4: Strong" in page
    assert "(no answer)" in page and "15" in page
    assert ">12<" not in page
    # He can act again at once.
    assert emil.post(f"/reviews/{aid}/validate").status_code == 302


def test_a_resubmission_goes_to_the_queue_when_the_reviewer_left(app, login, held):
    assessment, officer = held["assessment"], held["officer"]
    request_changes(assessment, held["emil"], "Which budget, please?")
    held["emil"].active = False
    db.session.commit()
    submit_assessment(fresh(assessment), officer)
    db.session.commit()
    assert fresh(assessment).state == AssessmentState.submitted


def test_a_failed_score_save_stays_on_the_review_page(app, login, held):
    aid = held["assessment"].id
    emil = client_for(app, login, held["emil"])
    page_url = f"/reviews/{aid}/sections/basics"
    page = emil.get(page_url).text
    # The score form posts to the review page's own address (an error is shown there).
    assert f'action="{page_url}#item-maturity"' in page
    assert emil.post(f"/reviews/{aid}/items/maturity/score", data={"score": "80"}).status_code in (
        404,
        405,
    )
    typed = {"form": "score", "item": "maturity", "score": "80", "rationale": ""}
    refused = emil.post(page_url, data=typed)
    assert refused.status_code == 422
    assert 'id="rationale-maturity-error"' in refused.text
    assert "Explain why your score differs" in refused.text
    assert '<option value="80" selected>' in refused.text  # what was chosen stays
    bad = emil.post(page_url, data={**typed, "item": "budget_share", "score": "abc"})
    assert bad.status_code == 422 and 'id="score-budget_share-error"' in bad.text
    assert 'value="abc"' in bad.text
    saved = emil.post(page_url, data={**typed, "rationale": "Budgeted."})
    assert saved.status_code == 302 and saved.location.startswith(page_url)
    assert db.session.scalar(select(ModeratedScore.score)) == 80


def test_officers_cannot_reply_or_reopen_once_validated(app, login, held):
    aid, comment = held["assessment"].id, held["comment"]
    officer = client_for(app, login, held["officer"])
    assert officer.post(f"/comments/{comment.id}/resolve").status_code == 302  # still open
    validate_assessment(fresh(held["assessment"]), held["emil"])
    db.session.commit()
    before = review_state(held["assessment"])
    reply = officer.post(f"/assessments/{aid}/items/maturity/comments", data={"body": "More."})
    assert reply.status_code == 403
    assert "This assessment is validated" in reply.text
    reopen = officer.post(f"/comments/{comment.id}/resolve", data={"resolved": "0"})
    assert reopen.status_code == 403
    assert review_state(held["assessment"]) == before
    for url in (f"/assessments/{aid}", f"/assessments/{aid}/sections/basics"):
        page = officer.get(url).text
        assert "Which budget?" in page  # the thread is still shown...
        assert "Open again" not in page and 'name="body"' not in page  # ...without controls


def test_the_history_tells_takeovers_and_returns_in_words(app, login, held):
    """New audit kinds have their sentence (surveyapp/audit/catalogue.py), never a code."""
    aid = held["assessment"].id
    erika = client_for(app, login, held["erika"])
    erika.post(f"/reviews/{aid}/take-over")
    request_changes(fresh(held["assessment"]), held["erika"], "Which budget, please?")
    db.session.commit()
    submit_assessment(fresh(held["assessment"]), held["officer"])
    db.session.commit()
    expert_view = erika.get(f"/assessments/{aid}/history").text
    assert "Took over the review from Emil." in expert_view
    assert "went back into review with the same expert" in expert_view
    officer_view = client_for(app, login, held["officer"]).get(f"/assessments/{aid}/history").text
    assert "went back into review with the same expert" in officer_view
    assert "Took over" not in officer_view
    for view in (expert_view, officer_view):
        assert "review.taken_over" not in view and "review.resumed" not in view
        assert "this page does not describe" not in view


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(st.sampled_from([None, 0, 1, 2, 3, 4, 5]), min_size=1, max_size=4),
    after=st.lists(
        st.tuples(st.sampled_from(["maturity", "budget_share"]), st.integers(0, 5)), max_size=6
    ),
)
def test_the_changes_since_the_request_are_the_net_changes(held, before, after):
    """For any answers saved in an earlier round of changes and after the last request, the
    list names exactly the items whose answer now differs from the answer when the changes
    were last asked for, from -> to."""
    from surveyapp.reviews.queries import changes_since_request

    assessment, officer, emil = fresh(held["assessment"]), held["officer"], held["emil"]
    request_changes(assessment, emil, "First round.")
    for value in before:
        save_answer(fresh(assessment), "budget_share", value, officer)
    submit_assessment(fresh(assessment), officer)  # back with Emil, under review
    values = {"maturity": 3, "budget_share": before[-1]}
    asked = dict(values)
    request_changes(fresh(assessment), emil, "Please look again.")
    for item_id, value in after:
        save_answer(fresh(assessment), item_id, value, officer)
        values[item_id] = value
    changes = changes_since_request(fresh(assessment))
    expected = {i: (asked[i], values[i]) for i in values if asked[i] != values[i]}
    assert {c.item_id: (c.before, c.after) for c in changes} == expected
    db.session.rollback()


def test_a_refused_comment_stays_on_the_review_page(app, login, held):
    aid = held["assessment"].id
    emil = client_for(app, login, held["emil"])
    page_url = f"/reviews/{aid}/sections/basics"
    emil.post(page_url, data={"form": "score", "item": "maturity", "score": "60"})
    page = emil.get(page_url).text
    assert f'action="{page_url}#item-maturity" class="comment-form"' in page
    too_long = "x" * 5001
    refused = emil.post(page_url, data={"form": "comment", "item": "maturity", "body": too_long})
    assert refused.status_code == 422
    assert 'id="comment-maturity-error"' in refused.text and too_long in refused.text
    assert '<option value="60" selected>' in refused.text  # the saved score is still shown
    posted = emil.post(page_url, data={"form": "comment", "item": "maturity", "body": "Staff?"})
    assert posted.status_code == 302 and posted.location.startswith(page_url)
    assert db.session.scalar(select(ItemComment.body).order_by(ItemComment.id.desc())) == "Staff?"

"""What experts and officers see of the review's decisions in real Chromium: the confirmation
steps, the covering message of a request for changes, a takeover, a refused score."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer, submit_assessment
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.reviews.operations import post_comment, start_review
from tests.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def in_review(create_user, create_region, create_round, create_assessment):
    """País Vasco's assessment under review by Emil, with his open comment; Erika is another
    expert."""
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    emil = create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    create_user(email="erika@example.org", name="Erika Expert", role=Role.expert)
    assessment = create_assessment(region=region, round_=create_round("2026 spring"))
    save_answer(assessment, "maturity", 3, officer)
    submit_assessment(assessment, officer)
    start_review(assessment, emil)
    post_comment(assessment, "maturity", emil, "Which budget line funds this?")
    db.session.commit()
    return assessment


def state_of(assessment):
    db.session.expire_all()
    return db.session.get(Assessment, assessment.id)


def test_the_officer_reads_the_experts_message_and_the_expert_sees_what_changed(
    live_server, page, shoot, in_review
):
    sign_in(page, live_server, "emil@example.org")
    page.goto(f"{live_server}/reviews/{in_review.id}")
    page.get_by_role("link", name="Ask the region for changes…").click()
    expect(page.get_by_role("heading", name="Ask País Vasco for changes")).to_be_visible()
    expect(page.get_by_text("Which budget line funds this?")).to_be_visible()
    # Sent without a message: refused at the field, nothing sent.
    page.get_by_role("button", name="Send back to the region").click()
    expect(page.locator("#message-error")).to_have_text("Write something first.")
    assert state_of(in_review).state == AssessmentState.under_review
    page.get_by_label("Message to the region").fill(
        "Please name the budget line and raise the maturity if it is funded."
    )
    shoot(page, "review-request-changes")
    page.get_by_role("button", name="Send back to the region").click()
    expect(page.get_by_text("Sent back to the region")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "olga@example.org")
    page.get_by_role("link", name="País Vasco").click()
    message = page.locator(".change-request-message")
    expect(message).to_have_text(
        "Please name the budget line and raise the maturity if it is funded."
    )
    expect(page.get_by_text("Message from Emil Expert")).to_be_visible()
    shoot(page, "officer-reads-request")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("Emil Expert asked for changes to País Vasco")).to_be_visible()
    expect(page.locator(".notification-message")).to_contain_text("Please name the budget line")
    page.get_by_role("button", name="Sign out").click()

    # The region changes an answer and submits: back with Emil, who sees what changed.
    olga = db.session.scalar(select(User).filter_by(email="olga@example.org"))
    save_answer(state_of(in_review), "maturity", 4, olga)
    submit_assessment(state_of(in_review), olga)
    db.session.commit()
    sign_in(page, live_server, "emil@example.org")
    page.goto(f"{live_server}/reviews/{in_review.id}")
    changes = page.get_by_role("region", name="Changes asked for on")
    expect(changes.get_by_role("row", name="How mature is the strategy")).to_contain_text("3: Fair")
    expect(changes.get_by_role("row", name="How mature is the strategy")).to_contain_text(
        "4: Strong"
    )
    expect(page.get_by_role("link", name="Validate…")).to_be_visible()  # no second take-in
    shoot(page, "review-changes-since")


def test_validating_asks_first(live_server, page, shoot, in_review):
    sign_in(page, live_server, "emil@example.org")
    page.goto(f"{live_server}/reviews/{in_review.id}")
    page.get_by_role("link", name="Validate…").click()
    expect(
        page.get_by_role("heading", name="Validate the assessment of País Vasco")
    ).to_be_visible()
    expect(page.get_by_text("1 comment is still open:")).to_be_visible()
    shoot(page, "review-confirm-validate")
    page.get_by_role("link", name="Cancel").click()
    assert state_of(in_review).state == AssessmentState.under_review
    page.get_by_role("link", name="Validate…").click()
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validated. The assessment is now locked.")).to_be_visible()
    assert state_of(in_review).state == AssessmentState.validated


def test_another_expert_takes_the_review_over(live_server, page, shoot, in_review):
    sign_in(page, live_server, "erika@example.org")
    page.goto(f"{live_server}/reviews/{in_review.id}")
    expect(page.get_by_text("Emil Expert is reviewing this assessment")).to_be_visible()
    expect(page.get_by_role("button", name="Save the score")).to_have_count(0)
    expect(page.get_by_role("link", name="Validate…")).to_have_count(0)
    page.get_by_role("link", name="Take over this review…").click()
    expect(page.get_by_text("If you take the review over, Emil Expert is told")).to_be_visible()
    shoot(page, "review-confirm-take-over")
    page.get_by_role("button", name="Take over this review").click()
    expect(page.get_by_text("You have taken over this review.")).to_be_visible()
    expect(page.get_by_text("Reviewer: Erika Expert")).to_be_visible()
    expect(page.get_by_role("link", name="Validate…")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "emil@example.org")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("Erika Expert took over your review of País Vasco")).to_be_visible()
    page.goto(f"{live_server}/reviews/{in_review.id}")
    expect(page.get_by_role("link", name="Take over this review…")).to_be_visible()
    expect(page.get_by_role("button", name="Save the score")).to_have_count(0)


def test_a_refused_score_stays_on_the_review_page(live_server, page, in_review):
    sign_in(page, live_server, "emil@example.org")
    review_url = f"{live_server}/reviews/{in_review.id}/sections/basics"
    page.goto(review_url)
    item = page.locator("#item-maturity")
    item.get_by_label("Your score (0-100)").select_option("80")
    item.get_by_role("button", name="Save the score").click()
    expect(page.locator("#item-maturity .error")).to_contain_text("Explain why")
    assert page.url.split("#")[0] == review_url  # not the POST address of a score
    expect(page.locator("#item-maturity").get_by_label("Your score (0-100)")).to_have_value("80")

"""The history page in real headless Chromium: long values wrap instead of widening the page."""

import pytest

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.reviews.operations import post_comment, start_review

pytestmark = pytest.mark.browser

UNBROKEN = "x" * 200


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("email", ["olga@example.org", "emil@example.org"])
def test_an_unbroken_value_does_not_widen_the_history(
    live_server, browser, shoot, create_user, create_region, create_assessment, width, email
):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    expert = create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    assessment = create_assessment(region=region)
    save_answer(assessment, "practice", UNBROKEN, officer)
    save_answer(assessment, "practice", UNBROKEN + "y", officer, comment=UNBROKEN)
    assessment.state = AssessmentState.submitted
    assessment.submitted_at = assessment.state_changed_at
    start_review(assessment, expert)
    post_comment(assessment, "practice", expert, UNBROKEN)
    db.session.commit()

    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        for query in ("", "?item=practice"):
            page.goto(f"{live_server}/assessments/{assessment.id}/history{query}")
            assert page.locator("table.history").is_visible()
            shoot(page, f"history-{width}{'-item' if query else ''}")
            scroll, viewport = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= viewport, (query, scroll, viewport)
    finally:
        context.close()


def test_an_officer_reads_the_moderated_score_in_the_history_only_once_released(
    live_server, page, create_user, create_region, create_round, create_assessment
):
    from playwright.sync_api import expect

    from surveyapp.reviews.operations import set_moderated_score

    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    expert = create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    round_ = create_round()
    assessment = create_assessment(region=region, round_=round_)
    save_answer(assessment, "maturity", 3, officer)
    assessment.state = AssessmentState.submitted
    assessment.submitted_at = assessment.state_changed_at
    start_review(assessment, expert)
    set_moderated_score(assessment, "maturity", 40, "Too optimistic for the evidence.", expert)
    db.session.commit()

    sign_in(page, live_server, "olga@example.org")
    page.goto(f"{live_server}/assessments/{assessment.id}/history?item=maturity")
    table = page.locator("table.history")
    expect(table).to_contain_text("3: Fair")
    # What happened, who, before and after (not the time, which may hold a 40).
    shown = " ".join(table.locator("td:not(:first-child)").all_inner_texts())
    assert "40" not in shown and "moderated" not in shown and "Emil Expert" not in shown
    expect(page.locator("main")).not_to_contain_text("score.moderated")

    round_.moderated_released = True
    db.session.commit()
    page.reload()
    row = page.get_by_role("row", name="Emil Expert")
    expect(row).to_contain_text("Set the moderated score to 40.")
    expect(row.locator("td.value")).to_have_count(0)  # not an answer change

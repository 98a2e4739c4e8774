"""Pages in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

import pytest
from playwright.sync_api import expect

from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db

pytestmark = pytest.mark.browser


def test_officer_signs_in_with_the_keyboard_and_sees_their_region(
    live_server, page, shoot, create_user, create_region, create_round, create_assessment
):
    region = create_region("ES21", "País Vasco")
    create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    create_assessment(
        region=region, round_=create_round("2026 autumn"), state=AssessmentState.changes_requested
    )
    db.session.commit()

    page.goto(f"{live_server}/")
    assert page.url.endswith("/login?next=/")
    shoot(page, "login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The email or password is not correct.", exact=True)).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="2026 autumn")).to_be_visible()
    expect(page.get_by_role("row", name="País Vasco")).to_contain_text("Changes requested")
    shoot(page, "home-officer")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")


def test_officer_and_expert_open_their_benchmarks(
    live_server, page, shoot, scored_world, create_user
):
    create_user(email="olga@example.org", regions=[scored_world["regions"]["ES21"]])
    create_user(email="emil@example.org", role=Role.expert)
    sign_in(page, live_server, "olga@example.org")
    page.get_by_role("link", name="Benchmarks").first.click()
    page.get_by_role("link", name="País Vasco against its peers").click()
    expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    radar = page.get_by_role("img", name="Criterion-7 dimensions against the peer median")
    expect(radar).to_be_visible()
    assert radar.bounding_box()["width"] > 300
    strategy = page.locator("table.numbers tr", has_text="Strategy").first
    expect(strategy).to_contain_text("50.0")  # the median of 0, 20, ... 100
    expect(page.get_by_role("heading", name="Suggested partner regions")).to_be_visible()
    shoot(page, "benchmark-region")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "emil@example.org")
    page.goto(f"{live_server}/benchmarks")
    page.get_by_role("link", name="Open the working-group view").click()
    expect(page.get_by_role("heading", name="Critical aspects per region")).to_be_visible()
    heat = page.get_by_role("img", name="Critical-aspect indices per validated region")
    expect(heat).to_contain_text("Navarra (ES22)")
    expect(heat).not_to_contain_text("La Rioja")
    shoot(page, "benchmark-working-group")


def test_expert_asks_for_changes_and_the_officer_answers(
    live_server, page, shoot, create_user, create_region, create_round, create_assessment
):
    from surveyapp.assessments.operations import save_answer, submit_assessment

    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    assessment = create_assessment(region=region, round_=create_round("2026 spring"))
    save_answer(assessment, "maturity", 3, officer)
    submit_assessment(assessment, officer)
    db.session.commit()

    sign_in(page, live_server, "emil@example.org")
    page.get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="País Vasco").click()
    page.get_by_role("button", name="Take into review").click()
    expect(page.get_by_text("You are reviewing this assessment.")).to_be_visible()
    item = page.locator("#item-maturity")
    item.get_by_label("Your score (0-100)").select_option("80")
    item.get_by_role("button", name="Save the score").click()
    expect(page.locator("#item-maturity .error")).to_contain_text("Explain why")
    page.locator("#item-maturity").get_by_label("Rationale").fill("The budget is not yet agreed.")
    page.locator("#item-maturity").get_by_role("button", name="Save the score").click()
    moderation = page.locator("#item-maturity .moderation")
    moderated = moderation.locator("dt", has_text="Moderated score").locator("+ dd")
    expect(moderated).to_have_text("80.0")
    page.locator("#item-maturity").get_by_label("Comment on this question").fill(
        "Which budget line funds this?"
    )
    page.locator("#item-maturity").get_by_role("button", name="Post").click()
    shoot(page, "review-section")
    page.get_by_role("link", name="Ask the region for changes…").click()
    page.get_by_label("Message to the region").fill("Please say which budget funds it.")
    page.get_by_role("button", name="Send back to the region").click()
    expect(page.get_by_text("Sent back to the region")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "olga@example.org")
    expect(page.get_by_role("link", name="Notifications")).to_contain_text("3")
    page.get_by_role("link", name="País Vasco").click()
    comments = page.get_by_role("region", name="The experts' comments")
    expect(comments).to_contain_text("Which budget line funds this?")
    expect(comments).to_contain_text("1 comment is still open.")
    comments.get_by_label("Reply").fill("Line 1.2 of the 2026 budget.")
    comments.get_by_role("button", name="Post").click()
    page.get_by_role("button", name="Mark resolved").first.click()
    shoot(page, "officer-answers-comments")
    page.goto(f"{live_server}/assessments/{assessment.id}")
    expect(page.get_by_text("0 comments are still open.")).to_be_visible()


def test_admin_publishes_and_anyone_reads_the_working_group_report(
    live_server, page, browser, shoot, scored_world, create_user
):
    from surveyapp.rounds.models import RoundState

    round_ = scored_world["round"]
    round_.state = RoundState.closed
    create_user(email="ada@example.org", role=Role.admin)
    db.session.commit()
    sign_in(page, live_server, "ada@example.org")
    page.goto(f"{live_server}/admin/rounds")
    row = page.get_by_role("row", name=round_.name)
    expect(row).to_contain_text("Not published")
    row.get_by_role("link", name="Publish…").click()
    page.get_by_role("button", name="Publish the report").click()
    expect(page.get_by_text("is published: anyone can read it")).to_be_visible()

    visitor = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    visitor.goto(f"{live_server}/")
    visitor.get_by_role("link", name="Published reports").first.click()
    expect(visitor.get_by_role("heading", name=round_.name)).to_be_visible()
    shoot(visitor, "published")
    link = visitor.get_by_role("link", name="Working-group report (PDF)")
    response = visitor.request.get(live_server + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

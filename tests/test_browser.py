"""Pages in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

import pytest
from playwright.sync_api import expect

from surveyapp.assessments.models import AssessmentState
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
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="2026 autumn")).to_be_visible()
    expect(page.get_by_role("row", name="País Vasco")).to_contain_text("Changes requested")
    shoot(page, "home-officer")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

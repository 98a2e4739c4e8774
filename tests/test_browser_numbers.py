"""What an officer and an administrator see (issue 19 items 13, 15, 18), in headless Chromium."""

import re

import pytest
import yaml
from playwright.sync_api import expect

from surveyapp.assessments.models import AssessmentState
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.rounds.models import RoundState
from tests.test_browser_filling import PASSWORD, sign_in, status, stored

pytestmark = pytest.mark.browser


@pytest.fixture
def plain_text_round(fixture_path, tmp_path, create_round):
    """The small questionnaire whose short text item has the default limit (200) and no
    condition."""
    with open(fixture_path("small-v1.yaml"), encoding="utf-8") as source:
        definition = yaml.safe_load(source)
    definition["slug"] = "small-text"
    for section in definition["sections"]:
        for item in section["items"]:
            if item["id"] == "platform_note":
                item.pop("max_length", None)
                item.pop("show_if", None)
    path = tmp_path / "small-text-v1.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    return create_round(questionnaire=load_questionnaire(str(path)).questionnaire)


@pytest.fixture
def officer_on(create_region, create_user, create_assessment):
    def _on(round_=None):
        region = create_region("ES21", "País Vasco")
        olga = create_user(email="olga@example.org", name="Olga", regions=[region])
        assessment = create_assessment(region=region, round_=round_)
        db.session.commit()
        return olga.email, assessment.id

    return _on


def test_pasting_more_than_the_limit_keeps_every_character_and_says_so(
    live_server, browser, officer_on, plain_text_round
):
    email, assessment_id = officer_on(plain_text_round)
    page = browser.new_context().new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/assessments/{assessment_id}/sections/networks")
    pasted = "".join(f"{n % 10}" for n in range(250))
    field = page.locator('input[name="platform_note"]')
    field.focus()
    page.keyboard.insert_text(pasted)  # what a paste does
    field.blur()
    expect(page.locator('[data-error-for="platform_note"]')).to_have_text(
        "Shorten this to 200 characters (it has 250)."
    )
    expect(status(page)).to_contain_text("Not saved")
    expect(field).to_have_value(pasted)
    assert stored(assessment_id, "platform_note") is None

    # The plain save keeps it too, with the same message.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator('[data-error-for="platform_note"]')).to_contain_text(
        "Shorten this to 200 characters (it has 250)."
    )
    expect(page.locator('input[name="platform_note"]')).to_have_value(pasted)
    assert stored(assessment_id, "platform_note") is None


def test_a_number_is_typed_as_the_language_writes_it(live_server, browser, officer_on):
    email, assessment_id = officer_on()
    page = browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    page = page.new_page()
    sign_in_de(page, live_server, email)
    page.goto(f"{live_server}/assessments/{assessment_id}/sections/networks")
    field = page.locator('input[name="plain_number"]')
    with page.expect_response(lambda r: r.url.endswith("/answers/plain_number") and r.ok):
        field.fill("1.250.000,5")
        field.blur()
    assert stored(assessment_id, "plain_number") == 1250000.5
    expect(field).to_have_value("1250000,5")
    field.fill("2.5")
    field.blur()
    expect(page.locator('[data-error-for="plain_number"]')).to_contain_text("1.250.000,5")
    expect(field).to_have_value("2.5")
    assert stored(assessment_id, "plain_number") == 1250000.5


def sign_in_de(page, base, email):
    page.goto(f"{base}/login")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_url(re.compile(r".*/$"))


def test_publish_is_disabled_with_the_reason_below_the_minimum_group(
    app, live_server, page, create_user, create_round, create_region, create_assessment
):
    round_ = create_round(state=RoundState.closed)
    for number in range(2):
        region = create_region(f"ES3{number}", f"Region {number}")
        create_assessment(region=region, round_=round_, state=AssessmentState.submitted)
    admin = create_user(email="admin@example.org", role="admin")
    db.session.commit()
    sign_in(page, live_server, admin.email)
    page.goto(f"{live_server}/admin/rounds")
    button = page.get_by_role("button", name="Publish", exact=True)
    expect(button).to_be_disabled()
    minimum = app.config["MIN_GROUP_SIZE"]
    reason = page.locator(f"#{button.get_attribute('aria-describedby')}")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("2 submitted assessments")
    expect(reason).to_contain_text(f"at least {minimum}")

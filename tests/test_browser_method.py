"""Filling a format-2 section in headless Chromium: "Don't know", "not applicable" with its
reason, evidence at the levels that ask for it, all saved by the autosave and shown again."""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveyapp.assessments.models import Answer
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def section_url(live_server, fixture_path, create_region, create_user, create_round):
    from surveyapp.assessments.models import Assessment

    region = create_region("ES21", "País Vasco")
    create_user(email="olga@example.org", name="Olga", regions=[region])
    questionnaire = load_questionnaire(fixture_path("small-v2.yaml")).questionnaire
    round_ = create_round(questionnaire=questionnaire)
    assessment = Assessment(region=region, round=round_)
    db.session.add(assessment)
    db.session.commit()
    return assessment.id, f"{live_server}/assessments/{assessment.id}/sections/networks"


def sign_in(page, base):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))


def stored(assessment_id, item_id):
    db.session.expire_all()
    return db.session.scalar(select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id))


def saved(assessment_id, item_id, check, seconds=10):
    """The stored answer once ``check`` holds for it (the autosave runs after a short pause)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = stored(assessment_id, item_id)
        if answer is not None and check(answer):
            return answer
        assert time.monotonic() < deadline, (item_id, answer and answer.value)
        time.sleep(0.1)


def test_reason_evidence_and_dont_know_are_saved_as_the_officer_chooses(
    live_server, page, section_url, shoot
):
    assessment_id, url = section_url
    sign_in(page, live_server)
    page.goto(url)
    status = page.locator("#save-status")
    mnc = page.locator("#item-mnc_linkage")
    reason_box = mnc.locator("[data-na-reason-for]")
    expect(reason_box).to_be_hidden()

    # "Not applicable" opens the reason; without a reason nothing is saved and the reason says so.
    mnc.locator('input[value="na"]').check()
    expect(reason_box).to_be_visible()
    expect(status).to_contain_text("Not saved")
    reason = mnc.locator('input[name="mnc_linkage__na_reason"]')
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(mnc.locator('[data-error-for="mnc_linkage__na_reason"]')).to_contain_text("Say why")
    assert stored(assessment_id, "mnc_linkage") is None
    reason.fill("No multinational company has an establishment in the region")
    reason.blur()
    expect(status).to_contain_text("Saved")
    answer = saved(assessment_id, "mnc_linkage", lambda a: a.na_reason is not None)
    assert (answer.value, answer.na_reason) == (
        "na",
        "No multinational company has an establishment in the region",
    )

    # Level 2 asks for no evidence, level 4 does; evidence typed is saved with the answer.
    services = page.locator("#item-sme_services")
    evidence_box = services.locator("[data-evidence-for]")
    services.locator('input[value="2"]').check()
    saved(assessment_id, "sme_services", lambda a: a.value == 2)
    expect(evidence_box).to_be_hidden()
    services.locator('input[value="4"]').check()
    expect(evidence_box).to_be_visible()
    services.locator('input[name="sme_services__evidence"]').fill("keep.eu project 1234")
    services.locator('input[name="sme_services__evidence"]').blur()
    answer = saved(assessment_id, "sme_services", lambda a: a.evidence is not None)
    assert (answer.value, answer.evidence) == (4, "keep.eu project 1234")
    expect(status).to_contain_text("Saved")

    # "Don't know" is an answer of its own, distinct from "not applicable".
    page.locator("#item-tp_role").locator('input[value="member"]').check()
    activity = page.locator("#item-tp_activity")
    expect(activity).to_be_visible()
    activity.locator('input[value="dk"]').check()
    saved(assessment_id, "tp_activity", lambda a: a.value == "dk")
    expect(status).to_contain_text("Saved")
    shoot(page, "section-method-v2")

    # Reloaded, the page shows what was saved: the reason, the evidence, the choices.
    page.reload()
    expect(page.locator('input[name="mnc_linkage__na_reason"]')).to_have_value(
        "No multinational company has an establishment in the region"
    )
    expect(page.locator('input[name="sme_services__evidence"]')).to_have_value(
        "keep.eu project 1234"
    )
    expect(page.locator("#item-tp_activity").locator('input[value="dk"]')).to_be_checked()
    expect(page.locator("#item-mnc_linkage").locator('input[value="na"]')).to_be_checked()

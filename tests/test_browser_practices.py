"""Marking good practices in real headless Chromium: one entry per answer."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.reviews.operations import start_review

pytestmark = pytest.mark.browser


def test_an_expert_marks_an_answer_once_and_then_finds_its_entry(
    live_server, page, shoot, create_user, create_region, create_assessment
):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", regions=[region])
    expert = create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    assessment = create_assessment(region=region)
    save_answer(assessment, "practice", "Staff exchanges on hydrogen.", officer)
    assessment.state = AssessmentState.submitted
    assessment.submitted_at = assessment.state_changed_at
    start_review(assessment, expert)
    db.session.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("emil@example.org")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/reviews/{assessment.id}/sections/networks")
    page.get_by_text("Mark as a good practice").click()
    page.get_by_label("Title").fill("Hydrogen staff exchanges")
    page.get_by_role("button", name="Add to the library").click()
    expect(page.get_by_text("Added to the good-practice library.")).to_be_visible()
    expect(page.get_by_role("link", name="Hydrogen staff exchanges")).to_be_visible()
    expect(page.get_by_text("Mark as a good practice")).to_have_count(0)
    shoot(page, "practice-marked-once")
    assert db.session.scalar(select(func.count()).select_from(GoodPractice)) == 1

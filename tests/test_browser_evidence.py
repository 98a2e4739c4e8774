"""Evidence files in real headless Chromium: an officer attaches one, a wrong one is refused
at its field, and an expert downloads what the officer attached."""

import pytest
from playwright.sync_api import expect

from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from tests.test_browser import sign_in
from tests.test_evidence import HTML, PDF

pytestmark = pytest.mark.browser


def test_an_officer_attaches_a_file_and_an_expert_downloads_it(
    live_server, page, shoot, create_user, create_region, create_assessment, tmp_path
):
    region = create_region("ES21", "País Vasco")
    create_user(email="olga@example.org", regions=[region])
    create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    assessment = create_assessment(region=region)
    good, bad = tmp_path / "Informe 2026.pdf", tmp_path / "notes.pdf"
    good.write_bytes(PDF)
    bad.write_bytes(HTML)

    sign_in(page, live_server, "olga@example.org")
    page.goto(f"{live_server}/assessments/{assessment.id}")
    page.get_by_role("link", name="Evidence files").click()
    page.get_by_label("File", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Attach the file").click()
    error = page.locator("#file-error")
    expect(error).to_contain_text("whatever its name says")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    shoot(page, "evidence-refused")
    page.get_by_label("File", exact=True).set_input_files(str(good))
    page.get_by_label("What it supports").select_option("maturity")
    page.get_by_role("button", name="Attach the file").click()
    expect(page.get_by_text("Attached Informe 2026.pdf.")).to_be_visible()
    expect(page.get_by_role("link", name="Informe 2026.pdf")).to_be_visible()
    shoot(page, "evidence-attached")

    assessment.state = AssessmentState.submitted
    db.session.commit()
    page.context.clear_cookies()
    sign_in(page, live_server, "emil@example.org")
    page.goto(f"{live_server}/assessments/{assessment.id}/evidence")
    expect(page.get_by_role("button", name="Attach the file")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Informe 2026.pdf").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "Informe 2026.pdf"
    assert saved.read_bytes() == PDF

"""Publishing a round's working-group report: public page, public PDF, withdrawal, consent."""

import shutil

import pytest
from sqlalchemy import select

from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.rounds.models import RoundState
from tests.conftest import SCORED_REGIONS
from tests.test_reports import pdf_text

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


@pytest.fixture
def admin_client(app, login, create_user):
    client = app.test_client()
    login(create_user(email="admin@example.org", role="admin"), client=client)
    return client


def add_practice(assessment, title):
    db.session.add(GoodPractice(assessment_id=assessment.id, title=title, summary="How it works."))


def test_a_published_report_is_public_until_withdrawn(app, scored_world, admin_client, tmp_path):
    from surveyapp.assessments.models import AssessmentState

    round_ = scored_world["round"]
    for code in ("ES22", "ES23"):  # Navarra agreed to be named, La Rioja did not
        scored_world["assessments"][code].state = AssessmentState.validated
    add_practice(scored_world["assessments"]["ES22"], "Named desk")
    add_practice(scored_world["assessments"]["ES23"], "Unnamed desk")
    db.session.commit()
    public = app.test_client()
    pdf_url = f"/published/rounds/{round_.id}/working-group.pdf"
    assert public.get(pdf_url).status_code == 404
    assert "Named desk" not in public.get("/published").text

    # An open round cannot be published: its answers may still change.
    refused = admin_client.post(
        f"/admin/rounds/{round_.id}/publication?to=publish", follow_redirects=True
    )
    assert "Only a closed round can be published" in refused.text
    round_.state = RoundState.closed
    db.session.commit()
    admin_client.post(f"/admin/rounds/{round_.id}/publication?to=publish")
    admin_client.post(f"/admin/rounds/{round_.id}/publication?to=publish")  # a double submit
    page = public.get("/published")
    assert page.status_code == 200 and round_.name in page.text
    assert "Named desk" in page.text and "Unnamed desk" not in page.text
    # The questionnaire by its version, not by the key only the application uses ("small:1").
    version = round_.questionnaire.version
    assert f"Questionnaire version {version}" in page.text
    assert round_.questionnaire.label not in page.text
    response = public.get(pdf_url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    for name, _level, consent in SCORED_REGIONS.values():
        assert (name in text) == consent, name
    assert "Self-assessed by the regions" in text  # moderated scores are not released

    admin_client.post(f"/admin/rounds/{round_.id}/publication?to=withdraw")
    assert public.get(pdf_url).status_code == 404
    assert round_.name not in public.get("/published").text
    actions = db.session.scalars(select(AuditEvent.action).filter_by(object_id=round_.id)).all()
    assert {"round.report_published", "round.report_withdrawn"} <= set(actions)


def test_public_downloads_are_rate_limited(app, scored_world, admin_client):
    round_ = scored_world["round"]
    round_.state = RoundState.closed
    db.session.commit()
    admin_client.post(f"/admin/rounds/{round_.id}/publication?to=publish")
    app.config["PUBLIC_REPORT_LIMIT"] = "2 per minute"
    public = app.test_client()
    url = f"/published/rounds/{round_.id}/working-group.pdf"
    assert [public.get(url).status_code for _ in range(3)] == [200, 200, 429]

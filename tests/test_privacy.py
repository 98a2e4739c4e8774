"""Personal data: an export of everything held about an account, its erasure (pseudonymised,
audit trail consistent), and the retention job."""

import json
from datetime import timedelta

from sqlalchemy import select

from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token
from surveyapp.assessments.operations import save_answer
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import create_user as create_account
from surveyapp.db import utcnow
from surveyapp.evidence.operations import attach_file
from surveyapp.extensions import db
from surveyapp.notifications.models import Notification
from surveyapp.notifications.operations import notify
from surveyapp.privacy.operations import erase_user, purge
from tests.conftest import PASSWORD


def _world(create_region, create_user, create_assessment):
    region = create_region()
    admin = create_user(email="admin@example.org", name="Ada Admin", role=Role.admin)
    officer = create_account(
        "olga@example.org", "Olga Officer", Role.officer, PASSWORD, [region], admin
    )
    expert = create_user(email="erik@example.org", name="Erik Expert", role=Role.expert)
    assessment = create_assessment(region=region)
    save_answer(assessment, "maturity", 3, officer)
    notify([expert], "resubmitted", assessment, officer)
    notify([officer], "comment", assessment, expert, item_id="maturity")
    issue_token(officer, "laptop")
    attach_file(officer, assessment, "plan.pdf", b"%PDF-1.4\n%%EOF\n")
    db.session.commit()
    return admin, officer, expert, assessment


def test_an_export_holds_the_account_and_what_it_did(
    app, client, login, create_region, create_user, create_assessment
):
    admin, officer, _expert, assessment = _world(create_region, create_user, create_assessment)
    login(admin)
    answer = client.post(f"/admin/users/{officer.id}/export")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(answer.get_data(as_text=True))
    assert data["account"]["email"] == "olga@example.org"
    assert data["account"]["regions"] == ["ES21"]
    assert data["answers_last_changed"][0]["assessment_id"] == assessment.id
    assert [t["name"] for t in data["api_tokens"]] == ["laptop"]
    assert [n["kind"] for n in data["notifications"]] == ["comment"]
    assert [f["name"] for f in data["evidence_files_attached"]] == ["plan.pdf"]
    assert "user.created" in {e["action"] for e in data["audit_events"]}
    exported = db.session.scalars(select(AuditEvent).filter_by(action="user.data_exported")).one()
    assert exported.user_id == admin.id and exported.object_id == officer.id


def test_erasure_pseudonymises_and_keeps_the_work(
    app, client, login, create_region, create_user, create_assessment
):
    admin, officer, expert, assessment = _world(create_region, create_user, create_assessment)
    officer_id = officer.id
    erase_user(officer, admin)
    db.session.commit()
    db.session.expire_all()
    erased = db.session.get(User, officer_id)
    assert erased.name == f"Former user {officer_id}"
    assert erased.email == f"erased-{officer_id}@invalid.invalid"
    assert not erased.active and erased.regions == [] and not erased.check_password(PASSWORD)
    # sign-in means and personal traces gone
    assert db.session.scalars(select(ApiToken).filter_by(user_id=officer_id)).all() == []
    assert db.session.scalars(select(Notification).filter_by(user_id=officer_id)).all() == []
    # the expert's notification names the pseudonym, not the person
    note = db.session.scalars(select(Notification).filter_by(user_id=expert.id)).one()
    assert note.actor_name == f"Former user {officer_id}"
    # the answer stays the region's, attributed to the pseudonym
    assert assessment.answers[0].updated_by_id == officer_id
    # the audit trail keeps its events under the same id, without name or email
    events = db.session.scalars(
        select(AuditEvent).where(
            (AuditEvent.user_id == officer_id) | (AuditEvent.object_id == officer_id)
        )
    ).all()
    text = json.dumps([[e.old_value, e.new_value] for e in events])
    assert "olga@example.org" not in text and "Olga Officer" not in text
    assert {"user.created", "user.erased"} <= {e.action for e in events}
    assert client.post("/login", data={"email": "olga@example.org", "password": PASSWORD})
    assert client.get("/").status_code == 302


def test_erasure_is_refused_for_oneself_and_the_last_administrator(app, client, login, create_user):
    admin = create_user(email="admin@example.org", role=Role.admin)
    other = create_user(email="other@example.org", role=Role.admin)
    login(admin)
    page = client.post(f"/admin/users/{admin.id}/erase", data={"confirm": "admin@example.org"})
    assert page.status_code == 422 and "your own account" in page.get_data(as_text=True)
    wrong = client.post(f"/admin/users/{other.id}/erase", data={"confirm": "someone@else.org"})
    assert wrong.status_code == 422
    done = client.post(f"/admin/users/{other.id}/erase", data={"confirm": "Other@example.org"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, other.id).email.startswith("erased-")


def test_the_cli_exports_erases_and_purges(
    app, cli, tmp_path, create_region, create_user, create_assessment
):
    _admin, officer, expert, _assessment = _world(create_region, create_user, create_assessment)
    out = tmp_path / "olga.json"
    result = cli.invoke(args=["privacy", "export", "olga@example.org", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["account"]["name"] == "Olga Officer"
    refused = cli.invoke(args=["privacy", "erase", "olga@example.org"])
    assert refused.exit_code != 0 and "--yes" in refused.output
    done = cli.invoke(args=["privacy", "erase", "olga@example.org", "--yes"])
    assert done.exit_code == 0 and f"Former user {officer.id}" in done.output
    # retention: a notification past its period goes, a recent one stays
    old = db.session.scalars(select(Notification).filter_by(user_id=expert.id)).one()
    old.created_at = utcnow() - timedelta(days=app.config["NOTIFICATION_RETENTION_DAYS"] + 1)
    notify([expert], "validated", _assessment, None)
    db.session.commit()
    counts = purge()
    db.session.commit()
    assert counts["notifications"] == 1
    assert [n.kind for n in db.session.scalars(select(Notification))] == ["validated"]
    assert "notifications: 0" in cli.invoke(args=["privacy", "purge"]).output


def test_erasure_changes_whole_values_only_and_only_the_persons_notifications(
    app, create_region, create_user, create_assessment
):
    from surveyapp.audit.operations import log_event

    admin = create_user(email="admin@example.org", name="Ada Admin", role=Role.admin)
    region = create_region("DE71", "Annaberg")
    short = create_user(email="an@example.org", name="An", regions=[region])
    namesake = create_user(email="an2@example.org", name="An", regions=[region])
    assessment = create_assessment(region=region)
    log_event("user.changed", "user", short.id, user=admin, new_value={"region": "Annaberg"})
    notify([admin], "resubmitted", assessment, short)
    notify([admin], "validated", assessment, namesake)
    db.session.commit()
    erase_user(short, admin)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).filter_by(action="user.changed")).one()
    assert event.new_value == {"region": "Annaberg"}
    names = {n.kind: n.actor_name for n in db.session.scalars(select(Notification))}
    assert names == {"resubmitted": f"Former user {short.id}", "validated": "An"}

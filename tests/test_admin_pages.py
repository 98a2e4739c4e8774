"""Administrators manage rounds and accounts through pages."""

from datetime import timedelta

from sqlalchemy import select

from surveyapp.auth.models import Role, User
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState


def admin_client(app, login, create_user):
    client = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=client)
    return client


def test_plan_open_and_close_a_round(app, login, create_user, small_questionnaire):
    client = admin_client(app, login, create_user)
    data = {
        "name": "2027 spring",
        "questionnaire": str(small_questionnaire.id),
        "opens_on": "2027-03-01",
        "closes_on": "2027-02-01",
    }
    refused = client.post("/admin/rounds", data=data)
    assert refused.status_code == 422
    assert "The round cannot close before it opens." in refused.text
    # A date that is no date says so (it read "This field is required.").
    no_date = client.post("/admin/rounds", data=data | {"closes_on": "2028-02-30"})
    assert no_date.status_code == 422
    assert "Not a valid date value." in no_date.text
    assert "This field is required." not in no_date.text
    assert 'value="2027 spring"' in refused.text  # what was typed stays
    data["closes_on"] = "2027-05-31"
    assert client.post("/admin/rounds", data=data).status_code == 302
    round_ = db.session.scalar(select(Round).filter_by(name="2027 spring"))
    assert round_.state == RoundState.planned
    again = client.post("/admin/rounds", data=data)
    assert "A round with this name already exists." in again.text
    assert client.post(f"/admin/rounds/{round_.id}/close").status_code == 409
    # Opening asks first (it was one click), and says when the round's dates open it.
    rounds = client.get("/admin/rounds").text
    assert f'action="/admin/rounds/{round_.id}/open"' not in rounds
    assert f'href="/admin/rounds/{round_.id}/open"' in rounds
    confirm = client.get(f"/admin/rounds/{round_.id}/open").text
    assert "Open the round 2027 spring?" in confirm
    early = round_.opens_on > utcnow().date()
    assert ("opening it now lets officers answer from today" in confirm) == early
    assert f'action="/admin/rounds/{round_.id}/open"' in confirm
    client.post(f"/admin/rounds/{round_.id}/open")
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.open
    assert client.post(f"/admin/rounds/{round_.id}/open").status_code == 302  # a second click
    assert "The round 2027 spring is already open." in client.get("/admin/rounds").text
    client.post(f"/admin/rounds/{round_.id}/close")
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.closed
    assert client.post(f"/admin/rounds/{round_.id}/open").status_code == 409  # never again
    asked = client.get(f"/admin/rounds/{round_.id}/open", follow_redirects=True).text
    assert "The round 2027 spring is already closed." in asked


def test_create_an_account_with_a_one_time_link(app, login, create_user, create_region):
    create_region("ES21", "País Vasco")
    client = admin_client(app, login, create_user)
    no_region = client.post(
        "/admin/users/new", data={"email": "olga@example.org", "name": "Olga", "role": "officer"}
    )
    assert no_region.status_code == 422
    assert "An officer needs at least one region." in no_region.text
    created = client.post(
        "/admin/users/new",
        data={"email": "Olga@Example.org", "name": "Olga", "role": "officer", "codes": "es21"},
    )
    assert created.status_code == 200 and "/reset/" in created.text
    user = db.session.scalar(select(User).filter_by(email="olga@example.org"))
    assert [r.code for r in user.regions] == ["ES21"]
    duplicate = client.post(
        "/admin/users/new",
        data={"email": "olga@example.org", "name": "Olga", "role": "expert"},
    )
    assert "An account with this email already exists." in duplicate.text
    invalid = client.post(
        "/admin/users/new", data={"email": "olga@", "name": "Olga", "role": "expert"}
    )
    assert invalid.status_code == 422
    # Every field's message at once: the address's came only after the regions' was mended.
    both = client.post(
        "/admin/users/new", data={"email": "not-an-email", "name": "Ana", "role": "officer"}
    )
    assert both.status_code == 422
    assert "This is not an email address." in both.text
    assert "An officer needs at least one region." in both.text


def test_a_role_change_never_drops_the_regions_unseen(app, login, create_user, create_region):
    """An officer of ES21 and ES22 changed to expert lost both regions with only "saved" said;
    an expert created with a region code had it thrown away."""
    regions = [create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")]
    officer = create_user(email="olga@example.org", regions=regions)
    admin = admin_client(app, login, create_user)
    kept = admin.post(
        f"/admin/users/{officer.id}/edit",
        data={"name": "Olga", "role": "expert", "codes": "ES21 ES22"},
    )
    assert kept.status_code == 422
    assert "Only officers have regions: empty this field to give this role." in kept.text
    db.session.expire_all()
    again = db.session.get(User, officer.id)
    assert again.role == Role.officer and {r.code for r in again.regions} == {"ES21", "ES22"}
    created = admin.post(
        "/admin/users/new",
        data={"email": "emil@example.org", "name": "Emil", "role": "expert", "codes": "ES21"},
    )
    assert created.status_code == 422 and "Only officers have regions" in created.text
    assert db.session.scalar(select(User).filter_by(email="emil@example.org")) is None


def test_role_and_region_changes_apply_at_once(app, login, create_user, create_region):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", regions=[region])
    own = app.test_client()
    login(officer, client=own)
    assert own.get("/reviews").status_code == 403
    admin = admin_client(app, login, create_user)
    response = admin.post(
        f"/admin/users/{officer.id}/edit", data={"name": "Olga", "role": "expert", "codes": ""}
    )
    assert response.status_code == 302
    assert own.get("/reviews").status_code == 200  # the next request already sees the new role


def test_admins_cannot_demote_themselves(app, login, create_user):
    client = admin_client(app, login, create_user)
    me = db.session.scalar(select(User).filter_by(email="ada@example.org"))
    response = client.post(f"/admin/users/{me.id}/edit", data={"name": "Ada", "role": "expert"})
    assert "You cannot remove your own administrator role." in response.text
    db.session.expire_all()
    assert db.session.get(User, me.id).role == Role.admin


def test_closing_a_round_asks_first_and_names_the_regions_that_did_not_submit(
    app, login, create_user, create_region, create_round, create_assessment
):
    from surveyapp.assessments.models import AssessmentState

    client = admin_client(app, login, create_user)
    round_ = create_round()
    states = {
        "ES21": AssessmentState.draft,
        "ES22": AssessmentState.changes_requested,
        "ES30": AssessmentState.submitted,
        "ES41": AssessmentState.validated,
    }
    for code, state in states.items():
        create_assessment(region=create_region(code, f"Region {code}"), round_=round_, state=state)
    other_round = create_round(name="2026 autumn")
    create_assessment(region=create_region("FR10", "Île-de-France"), round_=other_round)
    db.session.commit()
    rounds_page = client.get("/admin/rounds").text
    confirm_url = f"/admin/rounds/{round_.id}/close"
    assert f'href="{confirm_url}"' in rounds_page  # a link to the question, not the close itself

    page = client.get(confirm_url)
    assert page.status_code == 200
    assert "Close the round 2026 spring?" in page.text
    assert "2 assessments are submitted." in page.text
    assert "2 regions have not submitted their assessment." in page.text
    assert "Region ES21" in page.text and "Region ES22" in page.text
    assert "Changes requested" in page.text
    assert "Region ES30" not in page.text and "Île-de-France" not in page.text
    # Before its deadline (the fixture's round closes on 31 May 2026), closing says so.
    early = round_.closes_on > utcnow().date()
    assert ("closing it now ends the answering before then" in page.text) == early
    round_.closes_on = utcnow().date() + timedelta(days=400)
    db.session.commit()
    assert "closing it now ends the answering before then" in client.get(confirm_url).text
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.open  # asking changes nothing

    assert client.post(confirm_url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.closed
    closed_page = client.get(f"/admin/rounds/{round_.id}").text
    assert "Closed</span> on " in closed_page  # when, not only that
    # Closed already (a second click, another administrator): said, not an error.
    client.get("/admin/rounds")  # shows the close's own message
    for method in ("GET", "POST"):
        assert client.open(confirm_url, method=method).status_code == 302
        assert "The round 2026 spring is already closed." in client.get("/admin/rounds").text
    planned = create_round(name="2027 spring", state=RoundState.planned)
    db.session.commit()
    assert client.get(f"/admin/rounds/{planned.id}/close").status_code == 409


def test_the_users_list_filters_by_text_role_and_status(app, login, create_user, create_region):
    client = admin_client(app, login, create_user)
    basque, navarre = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    create_user(email="olga@example.org", name="Olga Officer", regions=[basque])
    create_user(email="nina@example.org", name="Nina 50%_off", regions=[navarre], active=False)
    create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    db.session.commit()

    def shown(**params):
        page = client.get("/admin/users", query_string=params)
        assert page.status_code == 200
        return {email for email in ("olga@", "nina@", "emil@", "ada@") if email in page.text}

    assert shown() == {"olga@", "nina@", "emil@", "ada@"}
    assert shown(q="vasco") == {"olga@"}  # a region's name, in any case
    assert shown(q="es22") == {"nina@"}  # a region's code
    assert shown(q="EMIL@EXAMPLE") == {"emil@"}
    assert shown(q="%_") == {"nina@"}  # typed characters match as themselves
    assert shown(q="%") == {"nina@"}
    assert shown(role="expert") == {"emil@"}
    assert shown(role="officer", status="active") == {"olga@"}
    assert shown(status="deactivated") == {"nina@"}
    assert shown(role="no-such-role") == {"olga@", "nina@", "emil@", "ada@"}
    page = client.get("/admin/users", query_string={"q": "nobody"}).text
    assert "No account matches these filters." in page
    assert 'value="nobody"' in page  # what was typed stays in the box


def test_the_rounds_table_counts_the_submitted_assessments_the_close_page_counts(
    app, login, create_user, create_region, create_round, create_assessment
):
    """An assessment the experts sent back for changes was submitted once (it has a submission
    time) and is the region's to change again: the rounds table does not count it, as the close
    page, the publication and the benchmarks do not."""
    import re
    from datetime import UTC, datetime

    from surveyapp.assessments.models import AssessmentState

    client = admin_client(app, login, create_user)
    round_ = create_round()
    once = datetime(2026, 3, 1, tzinfo=UTC)
    states = [
        AssessmentState.draft,
        AssessmentState.changes_requested,
        AssessmentState.submitted,
        AssessmentState.under_review,
        AssessmentState.validated,
    ]
    for number, state in enumerate(states):
        assessment = create_assessment(create_region(f"ES{number}1", f"R{number}"), round_, state)
        if state != AssessmentState.draft:
            assessment.submitted_at = once
    db.session.commit()
    row = re.search(
        rf">{round_.name}</a></td>.*?<td class=\"number\">(\d+)</td>",
        client.get("/admin/rounds").text,
        re.S,
    )
    assert row and int(row.group(1)) == 3
    assert "3 assessments are submitted." in client.get(f"/admin/rounds/{round_.id}/close").text


def test_a_deactivated_account_is_not_offered_a_reset_link(app, login, create_user):
    """The link an administrator made for a deactivated account said "It works once, for
    three days" and then told its reader it was not valid any more."""
    from surveyapp.audit.models import AuditEvent

    sleeper = create_user(email="sleeper@example.org", name="Sam")
    sleeper.active = False
    db.session.commit()
    admin = admin_client(app, login, create_user)
    users = admin.get("/admin/users").text
    assert f'action="/admin/users/{sleeper.id}/reset-link"' not in users
    refused = admin.post(f"/admin/users/{sleeper.id}/reset-link", follow_redirects=True)
    assert "account is deactivated: reactivate it before sending a link." in refused.text
    assert "/reset/" not in refused.text
    assert not db.session.scalars(
        select(AuditEvent).filter_by(action="user.reset_link_issued", object_id=sleeper.id)
    ).all()


def test_administrators_read_the_audit_log(app, login, create_user, create_round):
    """The trail was written but no page showed it: opening, closing, publishing, role changes
    and deactivations could not be checked in the application."""
    from surveyapp.audit.operations import log_event
    from surveyapp.audit.queries import PAGE_SIZE

    client = admin_client(app, login, create_user)
    ada = db.session.scalar(select(User).filter_by(email="ada@example.org"))
    other = create_user(email="bob@example.org", name="Bob Bauer", role=Role.expert)
    round_ = create_round(state=RoundState.planned)
    db.session.commit()
    client.post(f"/admin/rounds/{round_.id}/open")
    client.post(f"/admin/users/{other.id}/deactivate")
    log_event("user.changed", "user", other.id, user=other, new_value={"note": "<b>x</b>"})
    db.session.commit()
    page = client.get("/admin/audit").text
    assert "<code>round.opened</code>" in page and "<code>user.deactivated</code>" in page
    assert page.index("user.changed") < page.index("round.opened")  # newest first
    assert "&lt;b&gt;x&lt;/b&gt;" in page  # values shown as text, escaped
    rounds_only = client.get("/admin/audit?kind=round").text
    assert "round.opened" in rounds_only and "user.deactivated" not in rounds_only
    by_bob = client.get("/admin/audit?q=bauer").text
    assert "user.changed" in by_bob and "round.opened" not in by_bob
    assert ada.email in page
    # A page at a time, with a link to the older events.
    for number in range(PAGE_SIZE + 1):
        log_event("region_group.created", "region_group", number, user=ada)
    db.session.commit()
    first = client.get("/admin/audit?kind=region_group").text
    assert first.count("<code>region_group.created</code>") == PAGE_SIZE
    assert "page=2" in first
    second = client.get("/admin/audit?kind=region_group&page=2").text
    assert second.count("<code>region_group.created</code>") == 1 and "Older events" not in second
    refused = client.get("/admin/audit?kind=nothing&page=-4")
    # Refused values are dropped: every kind, the first page.
    assert refused.status_code == 200 and "<code>region_group.created</code>" in refused.text
    assert "Newer events" not in refused.text
    expert = app.test_client()
    login(create_user(email="eve@example.org", role=Role.expert), client=expert)
    assert expert.get("/admin/audit").status_code == 403

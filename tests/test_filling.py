"""Officers fill, save and submit a section: round trips, validation, conflicts, submit."""

import os
import re
import threading
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import missing_required, save_answer, submit_assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.db import all_engines
from surveyapp.extensions import db


@pytest.fixture
def region(create_region):
    return create_region("ES21", "País Vasco")


@pytest.fixture
def officer(create_user, region):
    return create_user(email="olga@example.org", name="Olga", regions=[region])


@pytest.fixture
def assessment(create_assessment, region):
    assessment = create_assessment(region=region)
    db.session.commit()
    return assessment


def section_url(assessment, section="basics"):
    return f"/assessments/{assessment.id}/sections/{section}"


def autosave(client, assessment, item_id, value, version=0, **extra):
    return client.post(
        f"/assessments/{assessment.id}/answers/{item_id}",
        json={"value": value, "version": version, **extra},
    )


def stored(assessment, item_id):
    db.session.expire_all()
    return db.session.scalar(select(Answer).filter_by(assessment_id=assessment.id, item_id=item_id))


def commit_right_after(monkeypatch, owner, name, statement):
    """Another request commits ``statement`` right after ``owner.name`` has run (the moment
    between a read and the write that depends on it)."""
    original = getattr(owner, name)

    def then_another_request(*args, **kwargs):
        result = original(*args, **kwargs)
        with db.engine.begin() as other:
            other.execute(statement)
        return result

    monkeypatch.setattr(owner, name, then_another_request)


# Raw form values as a browser posts them -> the stored JSON value.
ROUND_TRIPS = [
    ("maturity", ["4"], 4),
    ("maturity", ["na"], "na"),
    ("has_unit", ["yes"], True),
    ("has_unit", ["no"], False),
    ("unit_staff", ["3"], 3),
    ("budget_share", ["12.5"], 12.5),
    ("role", ["member"], "member"),
    ("platforms", ["energy", "agri_food"], ["agri_food", "energy"]),
    ("platform_note", ["Solar"], "Solar"),
    ("practice", ["Line one\nLine two"], "Line one\nLine two"),
    (
        "evidence",
        ["https://example.org/a\nhttps://example.org/b"],
        ["https://example.org/a", "https://example.org/b"],
    ),
    ("plain_number", ["-2.5"], -2.5),
]


@pytest.mark.parametrize(("item_id", "raw", "expected"), ROUND_TRIPS)
def test_autosave_round_trips_every_type(
    client, login, officer, assessment, item_id, raw, expected
):
    login(officer)
    response = autosave(client, assessment, item_id, raw)
    assert response.status_code == 200, response.json
    assert response.json["version"] == 1
    assert stored(assessment, item_id).value == expected
    # Reloading the page shows the saved answer in the form.
    section = (
        "basics"
        if item_id in {"maturity", "has_unit", "unit_staff", "budget_share"}
        else "networks"
    )
    page = client.get(section_url(assessment, section)).get_data(as_text=True)
    for value in raw:
        for part in value.splitlines():
            assert part in page


def test_the_page_shows_every_stored_answer_as_stored(
    app, officer, region, create_user, assessment
):
    """The section page reads the answers as JSON with the assessment's row: every type's value,
    the comment, version, time and author come back as the answers hold them."""
    from flask_login import login_user

    from surveyapp.assessments.permissions import load_section_page
    from surveyapp.assessments.seam import answers_shown, section_answers

    other_officer = create_user(email="otto@example.org", name="Otto", regions=[region])

    for item_id, _raw, value in ROUND_TRIPS:
        save_answer(assessment, item_id, value, officer, comment=f"Note on {item_id} \u00e9")
    save_answer(assessment, "maturity", 2, other_officer)
    # All 17 significant digits (SQLite keeps numbers as REAL; its json() writes 15).
    save_answer(assessment, "plain_number", 0.30000000000000004, officer)
    db.session.commit()
    definition = assessment.round.questionnaire.parsed
    assessment_id = assessment.id
    db.session.expire_all()
    with app.test_request_context():
        login_user(officer)
        with_row = {}
        for section in definition.sections:
            shown_with_row, rows = load_section_page(assessment_id, section.id)[:2]
            assert shown_with_row.id == assessment_id
            with_row[section.id] = answers_shown(section, rows)
        plain = db.session.get(Assessment, assessment_id)  # read on their own
        alone = {s.id: section_answers(plain, s) for s in definition.sections}
        pairs = [(s, with_row[s.id], alone[s.id]) for s in definition.sections]
    shown_items = set()
    for section, with_row, alone in pairs:
        assert with_row == alone
        assert set(with_row) <= {item.id for item in section.items}
        for item_id, shown in with_row.items():
            answer = db.session.scalar(
                select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id)
            )
            author = answer.updated_by.name
            expected = (answer.value, answer.comment, answer.version, answer.updated_at, author)
            assert (shown.value, shown.comment, shown.version, shown.updated_at, shown.author) == (
                expected
            )
            shown_items.add(item_id)
    assert shown_items == {item_id for item_id, _raw, _value in ROUND_TRIPS}


def test_the_page_reads_its_own_sections_answers_only(app, officer, assessment):
    """Each answer keeps its item's section: a section page's read carries that section's
    answers, not the whole assessment's."""
    from flask_login import login_user

    from surveyapp.assessments.permissions import load_section_page

    save_answer(assessment, "maturity", 2, officer)
    save_answer(assessment, "plain_number", 7, officer)
    db.session.commit()
    assert {(a.item_id, a.section_id) for a in assessment.answers} == {
        ("maturity", "basics"),
        ("plain_number", "networks"),
    }
    assessment_id = assessment.id
    with app.test_request_context():
        login_user(officer)
        for section_id, item_id in (("basics", "maturity"), ("networks", "plain_number")):
            _loaded, rows = load_section_page(assessment_id, section_id)[:2]
            assert [row[0] for row in rows] == [item_id]


@pytest.mark.parametrize(("item_id", "raw", "expected"), ROUND_TRIPS)
def test_section_form_round_trips_every_type(
    client, login, officer, assessment, item_id, raw, expected
):
    login(officer)
    section = (
        "basics"
        if item_id in {"maturity", "has_unit", "unit_staff", "budget_share"}
        else "networks"
    )
    data = MultiDict([(item_id, value) for value in raw] + [(f"{item_id}__version", "0")])
    response = client.post(section_url(assessment, section), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(assessment, item_id).value == expected


@pytest.mark.parametrize(
    ("item_id", "raw", "message"),
    [
        ("maturity", ["7"], "Not a valid choice"),
        ("unit_staff", ["many"], "Enter a whole number, for example 12."),
        ("unit_staff", ["900"], "Enter a number of at most 500."),
        ("budget_share", ["101"], "Enter a number of at most 100."),
        ("role", ["chair"], "Not a valid choice"),
        ("platforms", ["energy", "blue", "agri_food", "industrial"], "at most 3"),
        ("platform_note", ["x" * 51], "Shorten this to 50 characters (it has 51)."),
        ("evidence", ["javascript:alert(1)"], "Not a web address starting with https://"),
    ],
)
def test_invalid_values_get_a_message_at_the_field(
    client, login, officer, assessment, item_id, raw, message
):
    login(officer)
    response = autosave(client, assessment, item_id, raw)
    assert response.status_code == 422
    assert message in response.json["error"]
    assert stored(assessment, item_id) is None

    section = "basics" if item_id in {"maturity", "unit_staff", "budget_share"} else "networks"
    data = MultiDict([(item_id, v) for v in raw] + [(f"{item_id}__version", "0")])
    page = client.post(section_url(assessment, section), data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    error_start = html.index(f'id="{item_id}-error"')
    assert message in html[error_start : error_start + 500]


def test_valid_answers_are_saved_even_when_another_is_invalid(client, login, officer, assessment):
    login(officer)
    response = client.post(
        section_url(assessment),
        data={
            "maturity": "3",
            "maturity__version": "0",
            "unit_staff": "lots",
            "unit_staff__version": "0",
        },
    )
    assert response.status_code == 422
    assert stored(assessment, "maturity").value == 3
    assert 'value="lots"' in response.get_data(as_text=True)


def test_stale_version_is_refused_with_both_values(client, login, officer, assessment, create_user):
    colleague = create_user(email="oscar@example.org", name="Oscar", regions=[officer.regions[0]])
    db.session.commit()
    login(officer)
    assert autosave(client, assessment, "maturity", ["2"]).json["version"] == 1
    # The colleague saves on top of version 1...
    other = client.application.test_client()
    other.post(
        "/login", data={"email": colleague.email, "password": "correct horse battery staple"}
    )
    assert autosave(other, assessment, "maturity", ["4"], version=1).status_code == 200
    # ...and Olga, still on version 1, is refused instead of overwriting.
    response = autosave(client, assessment, "maturity", ["1"], version=1)
    assert response.status_code == 409
    assert response.json["current"]["value"] == 4
    assert response.json["current"]["updated_by"] == "Oscar"
    assert response.json["current"]["version"] == 2
    assert stored(assessment, "maturity").value == 4
    # Keeping hers means saving again on the version she has now seen.
    assert autosave(client, assessment, "maturity", ["1"], version=2).status_code == 200
    assert stored(assessment, "maturity").value == 1


def test_conflict_times_are_in_the_applications_zone(app, client, login, officer, assessment):
    """The conflict panel writes the newer answer's time as the pages do (the application's
    time zone), not by the browser's clock."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    conflict = autosave(client, assessment, "maturity", ["3"], version=0).json["current"]
    stored_at = stored(assessment, "maturity").updated_at
    expected = format_datetime(stored_at, "short", tzinfo=zone, locale="en")
    assert conflict["updated_at_text"] == expected
    assert expected in conflict["updated_by_text"]


def checked(html: str, item_id: str) -> list[str]:
    return re.findall(rf'name="{item_id}" value="([^"]+)" checked', html)


def without_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)


def test_the_section_page_shows_every_change_at_once(
    client, login, officer, assessment, create_user
):
    """Item blocks are kept once rendered: a changed answer, author or language is never stale."""
    colleague = create_user(email="oscar@example.org", name="Oscar", regions=[officer.regions[0]])
    db.session.commit()
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    autosave(client, assessment, "budget_share", ["12.5"])
    autosave(client, assessment, "unit_staff", ["3"])
    html = client.get(section_url(assessment)).get_data(as_text=True)
    assert checked(html, "maturity") == ["2"]
    assert 'name="maturity__version" value="1"' in html
    assert "Last changed by Olga" in html
    assert 'name="budget_share" value="12.5"' in html and 'name="unit_staff" value="3"' in html
    # The same page again, byte for byte, but for the CSRF token (it carries a timestamp).
    again = client.get(section_url(assessment)).get_data(as_text=True)
    assert 'name="csrf_token" value=""' in without_token(html)
    assert without_token(html) == without_token(again)
    # Another officer changes it: the next page shows their answer, version and name.
    save_answer(assessment, "maturity", 4, colleague, expected_version=1)
    db.session.commit()
    html = client.get(section_url(assessment)).get_data(as_text=True)
    assert checked(html, "maturity") == ["4"]
    assert 'name="maturity__version" value="2"' in html
    assert "Last changed by Oscar" in html
    # The same answers in another language: translated blocks, not the English ones kept.
    french = client.get(section_url(assessment), headers={"Accept-Language": "fr"})
    assert "Dernière modification par Oscar" in french.get_data(as_text=True)


def statements_of(request):
    """The SQL statements that ``request()`` sends, and its response."""
    from sqlalchemy import event

    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    engines = all_engines()  # the autocommit engine too (PostgreSQL)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", remember)
    try:
        response = request()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", remember)
    return statements, response


def test_the_section_page_reads_the_user_then_the_page(client, login, officer, assessment):
    """The user loader reads the user alone; then one statement reads the assessment with its
    answers and the header's unread count (assessments.seam)..."""
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    statements, response = statements_of(lambda: client.get(section_url(assessment)))
    assert response.status_code == 200
    assert checked(response.get_data(as_text=True), "maturity") == ["2"]
    # ...and nothing else: no query of its own for anything the page shows.
    assert len(statements) == 2, statements
    user, page = statements
    assert "FROM users" in user and "assessments" not in user and "notifications" not in user
    assert "FROM assessments" in page and "answers" in page and "notifications" in page


def test_the_signed_in_user_is_a_user_with_its_regions(
    client, login, officer, region, create_region, assessment
):
    """One type for the signed-in user on every page: the User, loaded with the ids of its
    regions (the permission checks), the header's unread count read by the page."""
    from flask_login import current_user

    from surveyapp.auth.models import User
    from surveyapp.notifications.models import Notification

    second = create_region(code="XY02", name="Second region")
    officer.regions.append(second)
    db.session.add(Notification(user_id=officer.id, kind="comment", extra={}))
    db.session.commit()
    login(officer)
    for url in (section_url(assessment), f"/assessments/{assessment.id}"):
        with client:
            page = client.get(url)
            assert page.status_code == 200
            user = current_user._get_current_object()
        assert type(user) is User
        assert user.region_ids == {region.id, second.id}
        assert '<span class="count">1</span>' in page.get_data(as_text=True)


def test_an_autosave_reads_the_user_then_the_assessment_and_the_answer(
    client, login, officer, assessment
):
    """Before it writes, an autosave reads the user alone, then the assessment with the stored
    answer in one statement."""
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    statements, reply = statements_of(
        lambda: autosave(client, assessment, "maturity", ["3"], version=1)
    )
    assert reply.status_code == 200
    writes = [i for i, s in enumerate(statements) if not s.lstrip().startswith("SELECT")]
    reads = statements[: writes[0]]  # (SQLite's lock reads the assessment again after a write)
    assert len(reads) == 2, statements
    assert "FROM users" in reads[0] and "assessments" not in reads[0]
    assert "FROM assessments" in reads[1] and "JOIN answers" in reads[1]


def test_the_assessment_read_with_the_user_is_checked_as_ever(
    client, login, officer, assessment, create_assessment, create_region
):
    """Read in the user's query or not, another region's assessment and one that does not
    exist are both 404 to the page and to autosave, and a deactivated user gets nothing."""
    elsewhere = create_assessment(
        region=create_region("FR10", "Île-de-France"), round_=assessment.round
    )
    db.session.commit()
    login(officer)
    assert client.get(section_url(elsewhere)).status_code == 404
    assert client.get("/assessments/987654/sections/basics").status_code == 404
    assert client.get(section_url(assessment)).status_code == 200
    assert autosave(client, elsewhere, "maturity", ["2"]).status_code == 404
    assert client.post("/assessments/987654/answers/maturity", json={}).status_code == 404
    assert stored(elsewhere, "maturity") is None
    officer.active = False
    db.session.commit()
    response = client.get(section_url(assessment))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert autosave(client, assessment, "maturity", ["2"]).status_code == 401
    assert stored(assessment, "maturity") is None


def test_section_form_conflict_shows_theirs_and_keeps_mine(client, login, officer, assessment):
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    autosave(client, assessment, "maturity", ["5"], version=1)
    response = client.post(
        section_url(assessment), data={"maturity": "3", "maturity__version": "1"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "changed this answer" in html and "5: Excellent" in html
    assert 'name="maturity__version" value="2"' in html
    assert 'value="3" checked' in html
    assert stored(assessment, "maturity").value == 5


def test_show_if_hides_and_ignores(app, officer, assessment):
    save_answer(assessment, "has_unit", False, officer)
    save_answer(assessment, "unit_staff", 3, officer)
    definition = assessment.round.questionnaire.parsed
    values = {a.item_id: a.value for a in assessment.answers}
    assert not definition.item("unit_staff").is_visible(values)


def test_hidden_required_items_are_not_required(app, officer, assessment, small_questionnaire):
    assert [i.id for i in missing_required(assessment)] == ["maturity"]
    save_answer(assessment, "maturity", 3, officer)
    assert missing_required(assessment) == []


def test_a_cleared_answer_keeps_its_row_and_its_version(client, login, officer, assessment):
    """Clearing an answer stores no value but keeps counting versions: a writer still holding
    the version before the clearing is refused."""
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    reply = autosave(client, assessment, "maturity", [], version=1)
    assert reply.status_code == 200, reply.json
    assert reply.json["version"] == 2
    answer = stored(assessment, "maturity")
    assert (answer.value, answer.version) == (None, 2)
    events = db.session.scalars(
        select(AuditEvent).filter_by(item_id="maturity").order_by(AuditEvent.id)
    ).all()
    assert [(e.old_value, e.new_value) for e in events] == [(None, 2), (2, None)]
    assert autosave(client, assessment, "maturity", ["4"], version=1).status_code == 409
    assert stored(assessment, "maturity").value is None


def test_answer_changes_are_audited(client, login, officer, assessment):
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    autosave(client, assessment, "maturity", ["3"], version=1, comment="Checked with the agency")
    events = db.session.scalars(
        select(AuditEvent)
        .filter_by(assessment_id=assessment.id, item_id="maturity")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.old_value, e.new_value, e.user_id) for e in events] == [
        ("answer.changed", None, 2, officer.id),
        ("answer.changed", 2, 3, officer.id),
        ("answer.comment_changed", None, "Checked with the agency", officer.id),
    ]
    history = client.get(f"/assessments/{assessment.id}/history?item=maturity")
    assert history.status_code == 200
    assert "Checked with the agency" in history.get_data(as_text=True)


def test_submit_needs_every_required_answer(client, login, officer, assessment):
    login(officer)
    review = client.get(f"/assessments/{assessment.id}/submit").get_data(as_text=True)
    assert "How mature is the strategy for cooperation?" in review
    assert f"/assessments/{assessment.id}/sections/basics#item-maturity" in review
    response = client.post(f"/assessments/{assessment.id}/submit")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.draft


def test_submit_makes_the_assessment_read_only(client, login, officer, assessment):
    login(officer)
    autosave(client, assessment, "maturity", ["3"])
    client.post(f"/assessments/{assessment.id}/submit")
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.submitted
    assert autosave(client, assessment, "maturity", ["4"], version=1).status_code == 403
    # A page opened before the submit, saved after it: nothing is saved, the page says so and
    # shows what was sent (it was a 403 page, and the typed answers were gone).
    stale = client.post(
        section_url(assessment),
        data={"maturity": "4", "maturity__version": "1", "maturity__comment": "Typed late"},
    )
    assert stale.status_code == 409
    sent = stale.get_data(as_text=True).split('id="unsaved"', 1)[1].split("</div>", 1)[0]
    assert "Not saved: this assessment can no longer be changed." in sent
    assert "4: Strong" in sent and "Typed late" in sent
    assert stored(assessment, "maturity").value == 3
    page = client.get(section_url(assessment)).get_data(as_text=True)
    assert "<form" not in page.split("<main", 1)[1].split("</main>")[0].replace(
        'action="/logout"', ""
    )
    assert stored(assessment, "maturity").value == 3


@pytest.mark.parametrize(("posted", "expected"), [({}, False), ({"consent_named": "yes"}, True)])
def test_submit_records_whether_the_region_may_be_named(
    client, login, officer, assessment, posted, expected
):
    login(officer)
    autosave(client, assessment, "maturity", ["3"])
    assert 'name="consent_named"' in client.get(f"/assessments/{assessment.id}/submit").text
    client.post(f"/assessments/{assessment.id}/submit", data=posted)
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).consent_named is expected


def test_submit_twice_is_one_submission(client, login, officer, assessment):
    login(officer)
    autosave(client, assessment, "maturity", ["3"])
    client.post(f"/assessments/{assessment.id}/submit")
    second = client.post(f"/assessments/{assessment.id}/submit", follow_redirects=True)
    assert "already submitted" in second.get_data(as_text=True)
    count = db.session.scalar(
        select(func.count()).select_from(AuditEvent).filter_by(action="assessment.submitted")
    )
    assert count == 1


def test_concurrent_submits_make_one_submission(app, officer, assessment):
    save_answer(assessment, "maturity", 3, officer)
    db.session.commit()
    statuses = []
    email, submit_url = officer.email, f"/assessments/{assessment.id}/submit"

    def submit():
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "correct horse battery staple"})
        statuses.append(client.post(submit_url).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    count = db.session.scalar(
        select(func.count()).select_from(AuditEvent).filter_by(action="assessment.submitted")
    )
    assert count == 1


@pytest.mark.parametrize("stored_before", [0, 1], ids=["first-answer", "change"])
def test_concurrent_autosaves_of_one_version_save_once(app, officer, assessment, stored_before):
    """Two officers' saves based on the same version: one is saved, the other gets a 409.

    A first answer is inserted under the lock; a change is, on PostgreSQL, one statement.
    """
    for level in range(1, stored_before + 1):
        save_answer(assessment, "maturity", level, officer)
    db.session.commit()
    email, url = officer.email, f"/assessments/{assessment.id}/answers/maturity"
    clients = []
    for _ in range(2):
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "correct horse battery staple"})
        clients.append(client)
    start = threading.Barrier(2)
    statuses = []

    def save(client, level):
        start.wait()
        reply = client.post(url, json={"value": [level], "version": stored_before})
        statuses.append(reply.status_code)

    threads = [
        threading.Thread(target=save, args=(client, level))
        for client, level in zip(clients, ["2", "4"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    assert stored(assessment, "maturity").version == stored_before + 1
    changes = db.session.scalar(
        select(func.count()).select_from(AuditEvent).filter_by(action="answer.changed")
    )
    assert changes == stored_before + 1


@pytest.mark.parametrize(("theirs", "conflict"), [(4, True), (3, False)])
def test_an_answer_changed_between_the_read_and_the_lock(
    app, officer, assessment, monkeypatch, theirs, conflict
):
    """The answer is read before the lock (shorter lock) or before the one statement that
    changes it (PostgreSQL); a change in between is never lost."""
    from sqlalchemy import update

    from surveyapp.assessments import operations

    save_answer(assessment, "maturity", 2, officer)
    db.session.commit()
    commit_right_after(
        monkeypatch,
        operations,
        "_read_answer",
        update(Answer)
        .where(Answer.assessment_id == assessment.id, Answer.item_id == "maturity")
        .values(value=theirs, version=Answer.version + 1),
    )
    if conflict:
        with pytest.raises(operations.StaleAnswer) as caught:
            save_answer(assessment, "maturity", 3, officer, expected_version=1)
        assert (caught.value.current.value, caught.value.current.version) == (4, 2)
        db.session.rollback()
    else:  # they saved what we send: nothing to change, no conflict
        answer = save_answer(assessment, "maturity", 3, officer, expected_version=1)
        assert answer.version == 2
        db.session.commit()
    assert (stored(assessment, "maturity").value, stored(assessment, "maturity").version) == (
        theirs,
        2,
    )


@pytest.mark.parametrize("change", ["submitted", "round closed"])
def test_an_answer_cannot_land_after_a_change_that_came_first(app, officer, assessment, change):
    """A submit (or the round's closing) commits between the save's read of the assessment and
    its write."""
    from sqlalchemy import update

    from surveyapp.assessments.operations import NotEditable
    from surveyapp.rounds.models import Round, RoundState

    save_answer(assessment, "maturity", 3, officer)
    db.session.commit()
    db.session.refresh(assessment)  # the save has read the assessment: still a draft
    db.session.refresh(assessment.round)
    with db.engine.connect() as other:  # another request changes it meanwhile
        if change == "submitted":
            other.execute(
                update(Assessment)
                .where(Assessment.id == assessment.id)
                .values(state=AssessmentState.submitted, version=Assessment.version + 1)
            )
        else:
            other.execute(
                update(Round).where(Round.id == assessment.round_id).values(state=RoundState.closed)
            )
        other.commit()
    with pytest.raises(NotEditable):
        save_answer(assessment, "maturity", 4, officer)
    db.session.rollback()
    assert db.session.scalar(select(Answer.value).filter_by(item_id="maturity")) == 3


@pytest.mark.skipif(
    os.environ["TEST_DATABASE_URL"].startswith("sqlite"), reason="PostgreSQL's one statement"
)
def test_a_change_is_one_statement_on_postgresql(client, login, officer, assessment):
    """An autosave that changes a stored answer writes it and its audit event in one statement,
    without the lock that a first answer takes (four round trips to the server fewer)."""
    login(officer)
    autosave(client, assessment, "maturity", ["2"])
    statements, reply = statements_of(
        lambda: autosave(client, assessment, "maturity", ["3"], version=1)
    )
    assert reply.status_code == 200
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and "INSERT INTO audit_events" in writes[0]
    assert not any("FOR UPDATE" in s for s in statements)
    assert (stored(assessment, "maturity").value, stored(assessment, "maturity").version) == (3, 2)


@pytest.mark.parametrize(
    ("meanwhile", "status", "kept"),
    [
        ("their answer", 409, 4),
        ("the same answer", 200, 3),
        ("submitted", 403, 2),
        ("round closed", 403, 2),
    ],
)
def test_autosave_decides_on_what_changed_after_its_read(
    app, client, login, officer, assessment, monkeypatch, meanwhile, status, kept
):
    """Another request commits between the autosave's read of the answer and its write (on
    PostgreSQL the one statement that changes it; on SQLite the lock): nothing is lost and
    nothing lands on a submitted assessment or a closed round."""
    from sqlalchemy import update

    from surveyapp.assessments import views
    from surveyapp.rounds.models import Round, RoundState

    save_answer(assessment, "maturity", 2, officer)
    db.session.commit()
    changes = {
        "their answer": update(Answer).values(value=4, version=Answer.version + 1),
        "the same answer": update(Answer).values(value=3, version=Answer.version + 1),
        "submitted": update(Assessment).values(
            state=AssessmentState.submitted, version=Assessment.version + 1
        ),
        "round closed": update(Round).values(state=RoundState.closed),
    }
    # What the autosave reads before it writes.
    commit_right_after(monkeypatch, views, "load_assessment_and_answer", changes[meanwhile])
    login(officer)
    reply = autosave(client, assessment, "maturity", ["3"], version=1)
    assert reply.status_code == status, reply.json
    assert stored(assessment, "maturity").value == kept
    if status == 409:
        assert reply.json["current"]["value"] == 4


def test_a_plain_save_after_a_submit_that_came_first_says_so(
    app, client, login, officer, assessment, monkeypatch
):
    from sqlalchemy import update

    from surveyapp.assessments import operations

    commit_right_after(
        monkeypatch,
        operations,
        "_read_answer",
        update(Assessment).values(state=AssessmentState.submitted, version=Assessment.version + 1),
    )
    login(officer)
    data = {"maturity": "3", "maturity__version": "0", "maturity__comment": "Typed late"}
    reply = client.post(section_url(assessment), data=data, follow_redirects=True)
    assert reply.status_code == 409
    sent = reply.get_data(as_text=True).split('id="unsaved"', 1)[1].split("</div>", 1)[0]
    assert "Not saved: this assessment can no longer be changed." in sent
    assert "3: Fair" in sent and "Comment: Typed late" in sent  # shown, not lost
    assert stored(assessment, "maturity") is None


def waits_for_the_commit(saving: threading.Thread, other) -> None:
    """``saving`` starts and waits while ``other`` (a connection) holds its locks, and ends
    once it commits."""
    saving.start()
    saving.join(timeout=1)
    assert saving.is_alive()  # waiting for the other transaction
    other.commit()
    saving.join(timeout=30)


def test_an_autosave_waits_for_a_submit_in_progress(app, client, login, officer, assessment):
    """A submit holds the assessment until it commits; an autosave meanwhile waits for it and
    is then refused (on PostgreSQL the one statement's share lock, on SQLite the write lock)."""
    from sqlalchemy import update

    save_answer(assessment, "maturity", 2, officer)
    db.session.commit()
    login(officer)
    replies = []
    saving = threading.Thread(
        target=lambda: replies.append(autosave(client, assessment, "maturity", ["3"], version=1))
    )
    with db.engine.connect() as submitting:
        submitting.execute(
            select(Assessment.id).where(Assessment.id == assessment.id).with_for_update()
        )
        submitting.execute(
            update(Assessment)
            .where(Assessment.id == assessment.id)
            .values(state=AssessmentState.submitted, version=Assessment.version + 1)
        )
        waits_for_the_commit(saving, submitting)
    assert replies[0].status_code == 403
    assert stored(assessment, "maturity").value == 2


@pytest.mark.parametrize("stored_first", [True, False], ids=["change", "first-answer"])
def test_an_autosave_waits_for_the_round_closing_and_is_then_refused(
    app, client, login, officer, assessment, stored_first
):
    """Closing a round holds it until the commit; an autosave meanwhile waits for it and then
    reads the round as closed (a change: PostgreSQL's one statement; a first answer: the lock)."""
    from sqlalchemy import update

    from surveyapp.rounds.models import Round, RoundState

    if stored_first:
        save_answer(assessment, "maturity", 2, officer)
        db.session.commit()
    login(officer)
    replies = []
    version = 1 if stored_first else 0
    saving = threading.Thread(
        target=lambda: replies.append(
            autosave(client, assessment, "maturity", ["3"], version=version)
        )
    )
    round_ = Round.__table__
    with db.engine.connect() as closing:  # as rounds.operations.round_for_moving
        closing.execute(
            select(round_.c.id).where(round_.c.id == assessment.round_id).with_for_update()
        )
        closing.execute(
            update(round_).where(round_.c.id == assessment.round_id).values(state=RoundState.closed)
        )
        waits_for_the_commit(saving, closing)
    assert replies[0].status_code == 403
    answer = stored(assessment, "maturity")
    assert (answer.value if answer else None) == (2 if stored_first else None)


def test_closing_a_round_waits_for_a_save_in_progress(
    app, client, login, create_user, officer, assessment, monkeypatch
):
    """A save holds the round (shared) until it commits: the close waits for it, so the answer
    saved is the last before the close."""
    from surveyapp.assessments import operations
    from surveyapp.rounds.models import Round, RoundState

    in_save, release = threading.Event(), threading.Event()
    original = operations.log_event

    def log_then_wait(*args, **kwargs):
        result = original(*args, **kwargs)
        in_save.set()
        release.wait(timeout=30)
        return result

    monkeypatch.setattr(operations, "log_event", log_then_wait)
    admin = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=admin)
    login(officer)
    answer_url = f"/assessments/{assessment.id}/answers/maturity"
    close_url = f"/admin/rounds/{assessment.round_id}/close"
    replies = {}
    saving = threading.Thread(
        target=lambda: replies.setdefault(
            "save", client.post(answer_url, json={"value": ["3"], "version": 0})
        )
    )
    closing = threading.Thread(target=lambda: replies.setdefault("close", admin.post(close_url)))
    saving.start()
    assert in_save.wait(timeout=10)  # the save holds its locks, not committed yet
    closing.start()
    closing.join(timeout=1)
    still_waiting = closing.is_alive()
    release.set()
    saving.join(timeout=30)
    closing.join(timeout=30)
    assert still_waiting  # the close waited for the save
    assert replies["save"].status_code == 200 and replies["close"].status_code == 302
    assert stored(assessment, "maturity").value == 3
    db.session.expire_all()
    assert db.session.get(Round, assessment.round_id).state == RoundState.closed


def test_submit_checks_the_answers_as_they_are_under_its_lock(
    app, officer, assessment, monkeypatch
):
    """A required answer cleared after the submit loaded the answers, before its lock."""
    from sqlalchemy import update

    from surveyapp.assessments import operations

    save_answer(assessment, "maturity", 3, officer)
    db.session.commit()
    assert missing_required(assessment) == []  # the answers are loaded
    lock = operations.lock_for_writing

    def cleared_first(target):
        with db.engine.begin() as other:
            other.execute(
                update(Answer)
                .where(Answer.assessment_id == target.id, Answer.item_id == "maturity")
                .values(value=None, version=Answer.version + 1)
            )
        lock(target)

    monkeypatch.setattr(operations, "lock_for_writing", cleared_first)
    with pytest.raises(operations.Incomplete):
        submit_assessment(assessment, officer)
    db.session.rollback()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.draft


def test_submit_is_atomic(app, officer, assessment, monkeypatch):
    save_answer(assessment, "maturity", 3, officer)
    db.session.commit()

    def failing_log(*args, **kwargs):
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr("surveyapp.assessments.operations.log_event", failing_log)
    with pytest.raises(RuntimeError):
        submit_assessment(assessment, officer)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.draft


def test_changes_requested_can_be_edited_and_resubmitted(client, login, officer, assessment):
    assessment.state = AssessmentState.changes_requested
    save_answer(assessment, "maturity", 2, officer)
    db.session.commit()
    login(officer)
    assert autosave(client, assessment, "maturity", ["3"], version=1).status_code == 200
    client.post(f"/assessments/{assessment.id}/submit")
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.submitted


def test_mass_assignment_is_ignored(client, login, officer, assessment, create_region):
    other = create_region("FR10", "Ile-de-France")
    db.session.commit()
    login(officer)
    client.post(
        section_url(assessment),
        data={
            "maturity": "3",
            "maturity__version": "0",
            "region_id": str(other.id),
            "state": "validated",
            "version": "99",
            "score": "100",
            "assessment_id": "999",
            "updated_by_id": "999",
        },
    )
    db.session.expire_all()
    fresh = db.session.get(Assessment, assessment.id)
    assert (fresh.region_id, fresh.state) == (officer.regions[0].id, AssessmentState.draft)
    answer = stored(assessment, "maturity")
    assert answer.value == 3 and answer.updated_by_id == officer.id and answer.version == 1


def test_officer_starts_an_assessment_from_home(client, login, officer, create_round):
    round_ = create_round("2027 spring")
    db.session.commit()
    login(officer)
    assert "Start the self-assessment" in client.get("/").get_data(as_text=True)
    response = client.post(f"/rounds/{round_.id}/regions/ES21/assessment")
    assert response.status_code == 302
    assert db.session.scalar(select(Assessment).filter_by(round_id=round_.id)) is not None


def test_print_view_lists_visible_answers(client, login, officer, assessment):
    save_answer(assessment, "maturity", 4, officer)
    save_answer(assessment, "has_unit", False, officer)
    save_answer(assessment, "unit_staff", 3, officer)  # hidden: has_unit is no
    db.session.commit()
    login(officer)
    page = client.get(f"/assessments/{assessment.id}/print").get_data(as_text=True)
    assert "4: Strong" in page
    assert "How many people work in it?" not in page


def test_expert_reads_but_never_writes(client, login, create_user, officer, assessment):
    save_answer(assessment, "maturity", 3, officer)
    assessment.submit()
    db.session.commit()
    login(create_user(email="emil@example.org", role=Role.expert))
    assert client.get(section_url(assessment)).status_code == 200
    assert autosave(client, assessment, "maturity", ["5"], version=1).status_code == 403
    assert (
        client.post(
            section_url(assessment), data={"maturity": "5", "maturity__version": "1"}
        ).status_code
        == 403
    )
    assert stored(assessment, "maturity").value == 3


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_answers_posted_after_the_session_ended_come_back_after_sign_in(app, officer, assessment):
    client = app.test_client()
    client.post("/login", data={"email": officer.email, "password": "correct horse battery staple"})
    token = client.get("/csrf-token").json["token"]
    # Signed out elsewhere (the session token rotates) while this page was open.
    other = app.test_client()
    other.post("/login", data={"email": officer.email, "password": "correct horse battery staple"})
    other.post("/logout")
    app.config["WTF_CSRF_ENABLED"] = True
    data = {
        "maturity": "4",
        "maturity__version": "0",
        "maturity__comment": "Typed for an hour",
        "csrf_token": token,
    }
    response = client.post(section_url(assessment), data=data)
    assert response.status_code == 302
    assert (
        "/login?next=" in response.headers["Location"] and "kept=1" in response.headers["Location"]
    )
    assert stored(assessment, "maturity") is None
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The answers you sent are kept" in login_page
    login_page_token = csrf_token_of(login_page)
    after_login = client.post(
        response.headers["Location"],
        data={
            "email": officer.email,
            "password": "correct horse battery staple",
            "csrf_token": login_page_token,
        },
    )
    assert after_login.headers["Location"] == section_url(assessment)
    page = client.get(section_url(assessment)).get_data(as_text=True)
    assert "not saved yet" in page
    assert 'value="4" checked' in page and "Typed for an hour" in page
    # Shown once: the next visit shows what is stored.
    assert "Typed for an hour" not in client.get(section_url(assessment)).get_data(as_text=True)


def test_a_stale_csrf_token_shows_the_answers_again(app, client, login, officer, assessment):
    login(officer)
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"maturity": "4", "maturity__version": "0", "csrf_token": "stale"}
    response = client.post(section_url(assessment), data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="4" checked' in page and "not saved yet" in page
    assert stored(assessment, "maturity") is None


def test_too_large_a_request_gets_a_friendly_page_and_loses_nothing(
    client, login, officer, assessment
):
    login(officer)
    autosave(client, assessment, "practice", ["Saved before"])
    huge = "x" * (3 * 1024 * 1024)
    response = client.post(
        section_url(assessment, "networks"), data={"practice": huge, "practice__version": "1"}
    )
    assert response.status_code == 413
    assert "Nothing that was already saved has been lost" in response.get_data(as_text=True)
    assert stored(assessment, "practice").value == "Saved before"


def test_largest_real_section_fits_the_request_limits(
    app, client, login, officer, create_round, create_assessment
):
    """Every item of the biggest real section at its maximum length, in Greek (6 bytes a
    character once form-encoded), saves with 200/302, not 413."""
    from surveyapp.questionnaires.operations import load_questionnaire

    real = load_questionnaire("questionnaires/criterion7-interregional-v1.yaml").questionnaire
    db.session.commit()
    assessment = create_assessment(
        region=officer.regions[0], round_=create_round("Real", questionnaire=real)
    )
    section = max(
        real.parsed.sections,
        key=lambda s: sum(
            i.question_type.max_length(i) for i in s.items if i.type in ("text", "long_text")
        ),
    )
    data = MultiDict()
    for item in section.items:
        data.add(f"{item.id}__version", "0")
        data.add(f"{item.id}__comment", "λ" * 4000)
        if item.type in ("long_text", "text"):
            data.add(item.id, "Ω" * item.question_type.max_length(item))
    encoded = urlencode(list(data.items(multi=True)))
    assert len(encoded) < app.config["MAX_CONTENT_LENGTH"]
    login(officer)
    response = client.post(section_url(assessment, section.id), data=data)
    assert response.status_code in (302, 422), response.status_code


def test_long_histories_come_in_pages(client, login, officer, assessment, monkeypatch):
    monkeypatch.setattr("surveyapp.assessments.queries.HISTORY_PAGE_SIZE", 3)
    for level in range(5):
        save_answer(assessment, "maturity", level, officer)
    db.session.commit()
    login(officer)
    url = f"/assessments/{assessment.id}/history?item=maturity"
    first = client.get(url).get_data(as_text=True)
    assert first.count('<td class="value">') == 6 and "Older changes" in first
    second = client.get(url + "&page=2").get_data(as_text=True)
    assert second.count('<td class="value">') == 4 and "Older changes" not in second
    assert "Newer changes" in second
    assert client.get(url + "&page=0").status_code == 404


def test_a_cross_site_post_is_not_kept(app, officer, assessment):
    """Another site's form (no token, no cookie) must not plant answers for after sign-in."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post(
        section_url(assessment), data={"maturity": "0", "maturity__version": "0"}
    )
    assert "kept=1" not in response.headers.get("Location", "")
    from surveyapp.assessments.models import FormStash

    assert db.session.scalar(select(func.count()).select_from(FormStash)) == 0


def test_stale_token_on_a_missing_section_is_a_400_not_a_crash(
    app, client, login, officer, assessment
):
    login(officer)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        f"/assessments/{assessment.id}/sections/nope", data={"csrf_token": "stale"}
    )
    assert response.status_code == 400


def test_the_same_answer_sent_again_on_an_old_version_is_not_a_conflict(
    client, login, officer, assessment
):
    login(officer)
    autosave(client, assessment, "maturity", ["3"])
    response = autosave(client, assessment, "maturity", ["3"], version=0)
    assert response.status_code == 200 and response.json["version"] == 1


def test_nul_characters_are_dropped_from_text_and_comments(officer, assessment):
    save_answer(assessment, "practice", "a\x00b", officer, comment="c\x00d", keep_comment=False)
    db.session.commit()
    assert stored(assessment, "practice").value == "ab"
    assert stored(assessment, "practice").comment == "cd"


def test_a_comment_too_long_is_marked_at_the_comment(client, login, officer, assessment):
    """The message sat under the answer's options, and the comment box said nothing."""
    login(officer)
    posted = client.post(
        section_url(assessment),
        data={"maturity": "3", "maturity__version": "0", "maturity__comment": "c" * 4001},
    )
    assert posted.status_code == 422
    page = posted.get_data(as_text=True)
    block = page.split('id="item-maturity"', 1)[1].split("</fieldset>", 1)[0]
    box = re.search(r'<textarea id="maturity__comment"[^>]*>', block).group(0)
    assert 'aria-invalid="true"' in box and 'aria-describedby="maturity__comment-error"' in box
    error = re.search(r'<p class="error" id="maturity__comment-error">([^<]+)</p>', block)
    assert error and "Shorten this to 4000 characters (it has 4001)." in error.group(1)
    answer_error = re.search(r'id="maturity-error"[^>]*>([^<]*)</p>', block).group(1)
    assert "Shorten" not in answer_error
    assert "c" * 4001 in block  # what was typed stays

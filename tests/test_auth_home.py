"""Signing in and out, and the first page each role sees."""

import re

import pytest
from markupsafe import escape

from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture
def officer(create_user, create_region):
    return create_user(email="olga@example.org", name="Olga", regions=[create_region("ES21")])


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"


def test_login_with_wrong_password_shows_error_at_the_form(client, officer):
    response = client.post("/login", data={"email": officer.email, "password": "wrong password"})
    assert response.status_code == 422
    assert b"The email or password is not correct." in response.data
    assert b'value="olga@example.org"' in response.data


def test_login_with_empty_fields(client):
    response = client.post("/login", data={})
    assert response.status_code == 422
    assert b"This field is required." in response.data


def test_login_and_logout(client, login, officer):
    response = login(officer)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    old_token = officer.session_token
    assert client.post("/logout").status_code == 302
    db.session.refresh(officer)
    assert officer.session_token != old_token
    assert client.get("/").status_code == 302


def test_logout_ends_other_sessions(app, login, officer):
    other = app.test_client()
    other.post("/login", data={"email": officer.email, "password": "correct horse battery staple"})
    assert other.get("/").status_code == 200
    first = app.test_client()
    first.post("/login", data={"email": officer.email, "password": "correct horse battery staple"})
    first.post("/logout")
    assert other.get("/").status_code == 302


def test_deactivated_user_loses_access_at_once(client, login, officer):
    login(officer)
    officer.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_login(client, login, officer):
    officer.active = False
    db.session.commit()
    assert login(officer).status_code == 422


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/rounds/1", "/rounds/1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_to_local_paths(client, officer, next_url, expected):
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={"email": officer.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"] == expected


def test_officer_home_lists_their_region_assessments(
    client, login, officer, create_assessment, create_round, create_region
):
    round_ = create_round(name="2026 spring")
    create_assessment(region=officer.regions[0], round_=round_, state=AssessmentState.submitted)
    create_assessment(region=create_region("FR10", "Ile-de-France"), round_=round_)
    db.session.commit()
    login(officer)
    page = client.get("/").get_data(as_text=True)
    assert "2026 spring" in page
    assert "País Vasco" in page and "Submitted" in page
    assert "Ile-de-France" not in page


def test_expert_home_counts_assessments_per_state(
    client, login, create_user, create_assessment, create_round, create_region
):
    expert = create_user(email="emil@example.org", role=Role.expert)
    round_ = create_round()
    for code in ("ES21", "ES22"):
        create_assessment(
            region=create_region(code), round_=round_, state=AssessmentState.validated
        )
    db.session.commit()
    login(expert)
    page = client.get("/").get_data(as_text=True)
    assert "Validated</span> 2" in page


def test_csrf_is_enforced_when_enabled(app, officer):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/login", data={"email": officer.email, "password": "x"})
    assert response.status_code == 400


def test_the_kept_header_signs_out_with_this_sessions_token(app, create_user, create_region):
    """The header is rendered once per name, role and language; each page gets its own token."""
    app.config["WTF_CSRF_ENABLED"] = True
    region = create_region("ES21")
    first = create_user(email="ana@example.org", name="Ana", regions=[region])
    second = create_user(email="bea@example.org", name="Ana", regions=[region])
    db.session.commit()
    tokens = []
    for user in (first, second):
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
        client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        home = client.get("/").get_data(as_text=True)
        assert "Ana · Regional officer" in home
        tokens.append(re.search(r'action="/logout">\s*<input[^>]+value="([^"]+)"', home)[1])
        assert client.post("/logout", data={"csrf_token": tokens[-1]}).status_code == 302
        assert client.get("/").status_code == 302  # signed out: home sends to the login page
    assert tokens[0] != tokens[1]


def test_an_officer_of_several_regions_reaches_each_and_no_other(
    client, login, create_user, create_region, create_assessment
):
    """The regions' ids come with the user in the request's one query (a comma list)."""
    mine = [create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")]
    other = create_region("ES23", "La Rioja")
    officer = create_user(email="multi@example.org", regions=mine)
    first = create_assessment(region=mine[0])
    second, theirs = (create_assessment(region=r, round_=first.round) for r in (mine[1], other))
    login(officer)
    for assessment in (first, second):
        assert client.get(f"/assessments/{assessment.id}/sections/basics").status_code == 200
    assert client.get(f"/assessments/{theirs.id}/sections/basics").status_code == 404


def test_expert_home_lists_the_states_in_the_workflows_order_with_the_queue_behind_each(
    client, login, create_user, create_assessment, create_round, create_region
):
    expert = create_user(email="emil@example.org", role=Role.expert)
    round_ = create_round()
    states = [AssessmentState.validated, AssessmentState.changes_requested]
    states += [AssessmentState.draft, AssessmentState.submitted, AssessmentState.under_review]
    for number, state in enumerate(states):
        create_assessment(region=create_region(f"ES2{number}"), round_=round_, state=state)
    db.session.commit()
    login(expert)
    page = client.get("/").get_data(as_text=True)
    shown = re.findall(r'<span class="badge badge-([a-z_]+)">', page.split('class="counts"')[1])
    assert shown == [state.value for state in AssessmentState]
    for state in states:
        link = f'href="/reviews?round={round_.id}&amp;state={state.value}"'
        assert (link in page) == (state != AssessmentState.draft), state


def test_the_home_page_names_the_questionnaire_in_the_pages_language(
    client, login, create_user, create_round
):
    from surveyapp.questionnaires.operations import load_questionnaire

    questionnaire = load_questionnaire("questionnaires/criterion7-interregional-v2.yaml")
    definition = questionnaire.questionnaire.parsed
    create_round(questionnaire=questionnaire.questionnaire)
    user = create_user(email="emil@example.org", role=Role.expert)
    user.language = "fr"
    db.session.commit()
    login(user)
    page = client.get("/").get_data(as_text=True)
    french, english = definition.localized("title", "fr"), definition.localized("title", "en")
    assert french != english
    assert str(escape(french)) in page and str(escape(english)) not in page

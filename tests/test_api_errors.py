"""Numbers too large for the database, and the API's errors as problem details (RFC 9457)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.api.operations import issue_token
from surveyapp.auth.models import Role
from surveyapp.bounds import INTEGER_MAX, db_int
from surveyapp.extensions import db

HUGE = 2**64
PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
def expert_headers(app, create_user):
    token = issue_token(create_user(email="e@example.org", role=Role.expert), "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@given(number=st.integers())
def test_db_int_accepts_only_what_an_integer_column_holds(number):
    if 0 <= number <= INTEGER_MAX:
        assert db_int(str(number)) == number
    else:
        with pytest.raises(ValueError):
            db_int(str(number))


def test_a_huge_id_is_404_for_anyone(app):
    response = app.test_client().get(f"/published/rounds/{HUGE}/working-group.pdf")
    assert response.status_code == 404


def test_every_int_route_answers_a_huge_id_without_a_server_error(app, client, login, create_user):
    login(create_user(email="admin@example.org", role=Role.admin))
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and "<int:" in r.rule]
    assert rules
    for rule in rules:
        url = rule.rule
        for part in url.split("<")[1:]:
            name = part.split(">")[0]
            url = url.replace(f"<{name}>", str(HUGE) if name.startswith("int:") else "x")
        assert client.get(url).status_code in (404, 405), url


@pytest.mark.parametrize(
    "url",
    ["/reviews?round={n}", "/good-practices?round={n}", "/challenges?round={n}"],
)
def test_a_huge_number_in_the_query_is_no_server_error(client, login, create_user, url):
    login(create_user(email="admin@example.org", role=Role.admin))
    assert client.get(url.format(n=HUGE)).status_code < 500


def test_a_huge_page_of_history_is_no_server_error(client, login, create_user, create_assessment):
    assessment = create_assessment()
    login(create_user(email="o@example.org", regions=[assessment.region]))
    assert client.get(f"/assessments/{assessment.id}/history").status_code == 200
    assert client.get(f"/assessments/{assessment.id}/history?page={HUGE}").status_code < 500


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body.keys() >= PROBLEM_KEYS and body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_api_errors_are_problem_details(app, client, expert_headers):
    assert_problem(client.get("/api/v1/rounds"), 401)
    assert_problem(client.get("/api/v1/nowhere", headers=expert_headers), 404)
    assert_problem(client.get(f"/api/v1/rounds/{HUGE}/groups", headers=expert_headers), 404)
    assert_problem(client.get("/api/v1/rounds/999/groups", headers=expert_headers), 404)
    not_allowed = assert_problem(client.post("/api/v1/rounds", headers=expert_headers), 405)
    assert not_allowed


def test_405_says_which_methods_are_allowed(client, expert_headers):
    for path in ("/api/v1/rounds", "/login"):
        response = client.delete(path, headers=expert_headers)
        assert response.status_code == 405
        assert {"GET", "HEAD"} <= set(response.headers["Allow"].replace(" ", "").split(","))


def test_api_server_error_is_problem_details(app, client, expert_headers, monkeypatch):
    import surveyapp.api.views as views

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "list_rounds", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = assert_problem(client.get("/api/v1/rounds", headers=expert_headers), 500)
    assert "boom" not in str(body)


def test_an_unknown_score_is_a_400_naming_the_parameter(client, expert_headers, scored_world):
    round_id = scored_world["round"].id
    for path in ("/groups/all", "/regions/ES21/benchmark", "/regions/ES21/partners"):
        response = client.get(f"/api/v1/rounds/{round_id}{path}?score=best", headers=expert_headers)
        body = assert_problem(response, 400)
        assert (
            "score" in body["detail"] and "moderated" in body["detail"] and "self" in body["detail"]
        )
        good = client.get(f"/api/v1/rounds/{round_id}{path}?score=self", headers=expert_headers)
        assert good.status_code == 200

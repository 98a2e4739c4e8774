"""The JSON API: token and session sign-in, access rules, suppression, consent, OpenAPI."""

import re

import pytest
from sqlalchemy import select

from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token
from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from tests.conftest import SCORED_REGIONS


@pytest.fixture
def world(scored_world):
    return scored_world


@pytest.fixture
def token_for(app):
    def _issue(user):
        token = issue_token(user, "tests")
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return _issue


def url(world, path):
    return f"/api/v1/rounds/{world['round'].id}{path}"


def test_a_token_signs_in_for_the_api_only(app, world, create_user, token_for):
    client = app.test_client()
    officer = create_user(email="o@example.org", regions=[world["regions"]["ES21"]])
    headers = token_for(officer)
    assert client.get("/api/v1/rounds", headers=headers).status_code == 200
    assert client.get("/api/v1/rounds").status_code == 401
    assert client.get("/api/v1/rounds").json["detail"]
    wrong = {"Authorization": "Bearer s3t_not-a-token"}
    assert client.get("/api/v1/rounds", headers=wrong).status_code == 401
    # Pages do not accept tokens: they need a session.
    assert client.get("/benchmarks", headers=headers).status_code == 302
    officer.active = False
    db.session.commit()
    assert client.get("/api/v1/rounds", headers=headers).status_code == 401


def test_officers_read_only_their_own_region(app, world, create_user, token_for):
    client = app.test_client()
    officer = token_for(create_user(email="o@example.org", regions=[world["regions"]["ES21"]]))
    expert = token_for(create_user(email="e@example.org", role=Role.expert))
    own, other = url(world, "/regions/ES21/benchmark"), url(world, "/regions/ES22/benchmark")
    assert client.get(own, headers=officer).status_code == 200
    assert client.get(other, headers=officer).status_code == 403
    assert client.get(url(world, "/regions/ES22/partners"), headers=officer).status_code == 403
    assert client.get(other, headers=expert).status_code == 200
    # A draft is never benchmarked, for anyone.
    assert client.get(url(world, "/regions/FR10/benchmark"), headers=expert).status_code == 404


def test_benchmark_figures_match_the_engine(app, world, create_user, token_for):
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    body = client.get(url(world, "/regions/ES21/benchmark"), headers=headers).json
    assert body["scores"]["dimension"]["strategy"] == {"self": 20.0, "moderated": 20.0}
    everyone = next(g for g in body["groups"] if g["key"] == "all")
    strategy = everyone["statistics"]["dimension"]["strategy"]
    assert (strategy["n"], strategy["median"], strategy["q1"], strategy["q3"]) == (6, 50, 25, 75)
    assert strategy["rank"] == 25


def test_small_groups_are_suppressed_in_the_api(app, world, create_user, token_for):
    for code in ("ES25", "ES26"):
        world["assessments"][code].state = AssessmentState.draft
    db.session.commit()
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    body = client.get(url(world, "/regions/ES21/benchmark"), headers=headers).json
    assert body["groups"] and all(g["suppressed"] for g in body["groups"])
    assert all("statistics" not in g for g in body["groups"])
    aggregate = client.get(url(world, "/groups/all"), headers=headers).json
    assert aggregate["suppressed"] is True and "statistics" not in aggregate
    listed = client.get(url(world, "/groups"), headers=headers).json["groups"]
    assert all(g["suppressed"] and "size" not in g for g in listed)


def test_group_aggregates_and_the_differencing_guard(app, world, create_user, token_for):
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    body = client.get(url(world, "/groups/all"), headers=headers).json
    assert body["statistics"]["overall"]["overall"]["n"] == 6
    assert "rank" not in body["statistics"]["overall"]["overall"]
    # The photonics partnership holds the same six regions as "all": nothing to subtract.
    assert (
        client.get(url(world, "/groups/partnership:photonics"), headers=headers).json["suppressed"]
        is False
    )
    assert client.get(url(world, "/groups/country:XX"), headers=headers).status_code == 404


def test_partners_respect_consent(app, world, create_user, token_for):
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    partners = client.get(url(world, "/regions/ES23/partners"), headers=headers).json["partners"]
    text = str(partners)
    for code, (name, _level, consent) in SCORED_REGIONS.items():
        if code != "ES23" and not consent:
            assert name not in text and code not in text


def test_openapi_document_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    documented = set(document["paths"])
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json")
    }
    assert routes == documented


def test_token_command_prints_a_working_token(app, cli, create_user):
    create_user(email="cli@example.org", role=Role.expert)
    result = cli.invoke(args=["users", "token", "cli@example.org", "--name", "script"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = app.test_client().get("/api/v1/rounds", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert cli.invoke(args=["users", "token", "nobody@example.org"]).exit_code != 0


def test_users_issue_see_once_and_revoke_their_tokens(app, client, login, create_user):
    user = create_user(email="script@example.org", role=Role.expert)
    login(user)
    empty = client.post("/account/api-tokens", data={"name": "  "})
    assert empty.status_code == 422 and "Give the token a name" in empty.text
    page = client.post("/account/api-tokens", data={"name": "nightly export"}).text
    token = re.search(r'<code class="token">(s3t_[^<]+)</code>', page).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/rounds", headers=headers).status_code == 200
    listing = client.get("/account/api-tokens").text
    assert "nightly export" in listing and token not in listing  # shown once only
    stored = db.session.scalar(select(ApiToken))
    other = create_user(email="other@example.org", role=Role.expert)
    other_client = app.test_client()
    login(other, client=other_client)
    assert other_client.post(f"/account/api-tokens/{stored.id}/revoke").status_code == 404
    assert app.test_client().get("/api/v1/rounds", headers=headers).status_code == 200
    client.post(f"/account/api-tokens/{stored.id}/revoke")
    assert app.test_client().get("/api/v1/rounds", headers=headers).status_code == 401

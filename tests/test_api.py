"""The JSON API: token and session sign-in, access rules, suppression, consent, OpenAPI."""

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from surveyapp.analysis import queries
from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token
from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState
from tests.conftest import SCORED_REGIONS

#: The budget share each region gives (strategy needs it beside maturity: 2/3 of the weight).
SHARES = {"ES21": 40.25, "ES22": 10.0, "ES23": 63.05, "ES24": 60.2, "ES25": 30.0, "ES26": 50.0}


@pytest.fixture
def world(scored_world, create_user):
    writer = create_user(email="api-writer@example.org")
    for code, assessment in scored_world["assessments"].items():
        assessment.state = AssessmentState.draft  # to add answers; validated below
        save_answer(assessment, "budget_share", SHARES[code], writer)
        save_answer(assessment, "has_unit", code < "ES24", writer)
        assessment.state = AssessmentState.validated
    db.session.commit()
    return scored_world


def add_regions(world, create_region, create_assessment, create_user, codes, state):
    writer = create_user(email=f"more-{codes[0]}@example.org")
    for number, code in enumerate(codes):
        region = create_region(code, f"Region {code}", thematic_partnerships=["photonics"])
        assessment = create_assessment(region=region, round_=world["round"])
        save_answer(assessment, "maturity", number % 6, writer)
        save_answer(assessment, "role", "member", writer)
        save_answer(assessment, "budget_share", 5.0 * number, writer)
        save_answer(assessment, "has_unit", True, writer)
        assessment.state = state
    db.session.commit()


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
    """Scores by kind index/dimension/aspect with coverage and no overall; group statistics n
    and median only (six regions), never min/max/mean; figures at full precision, as the
    engine computed them (the pages and PDFs print these floats)."""
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    body = client.get(url(world, "/regions/ES21/benchmark"), headers=headers).json
    assert set(body["scores"]) <= {"index", "dimension", "aspect"}
    assert "overall" not in body["scores"] and "c7" in body["scores"]["index"]
    assert body["validated"] is True and body["peers"] == {
        "validated": 6,
        "left_out": 0,
        "validated_late": 0,
    }
    # strategy: maturity 1 (20, weight 2) and budget share 40.25 (weight 1) of weight 4.
    strategy = body["scores"]["dimension"]["strategy"]
    assert strategy["self"] == strategy["moderated"] == pytest.approx((2 * 20 + 40.25) / 3)
    assert strategy["coverage_moderated"] == 0.75
    assert (strategy["counted"], strategy["total"], strategy["dk"]) == (2, 3, 0)
    results = queries.round_scores(world["round"])
    focal = queries.assessment_of(results, world["regions"]["ES21"].id)
    engine = results.scores[results.scores["assessment_id"] == focal]
    for row in engine.itertuples():
        value = body["scores"][row.kind][row.key]["moderated"]
        assert (value is None and pd.isna(row.moderated)) or value == row.moderated
    everyone = next(g for g in body["groups"] if g["key"] == "all")
    statistic = everyone["statistics"]["dimension"]["strategy"]
    assert not {"mean", "min", "max"} & set(statistic)
    values = sorted(
        (2 * 20 * level + SHARES[code]) / 3
        for code, (_name, level, _consent) in SCORED_REGIONS.items()
    )
    assert statistic["n"] == 6
    assert statistic["median"] == pytest.approx(float(np.median(values)))
    assert statistic["q1"] is None and statistic["q3"] is None  # 5-9 regions: median only
    assert statistic["rank"] == pytest.approx(100 * 1.5 / 6)  # second lowest of six
    assert statistic["band"] == "q2"  # PR 25 is not below 25


def test_quartiles_from_ten_regions_and_only_validated_ones(
    app, world, create_region, create_assessment, create_user, token_for
):
    add_regions(
        world,
        create_region,
        create_assessment,
        create_user,
        ["ES41", "ES42", "ES43", "ES51"],
        AssessmentState.validated,
    )
    add_regions(
        world,
        create_region,
        create_assessment,
        create_user,
        ["ES52", "ES53"],
        AssessmentState.submitted,
    )
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    body = client.get(url(world, "/groups/all"), headers=headers).json
    assert body["peers"] == {"validated": 10, "left_out": 2, "validated_late": 0}
    statistics = body["statistics"]
    strategy = statistics["dimension"]["strategy"]
    # Ten validated regions: quartiles shown; the two submitted ones are left out.
    assert strategy["n"] == 10
    assert strategy["q1"] is not None and strategy["q3"] is not None
    assert strategy["q1"] <= strategy["median"] <= strategy["q3"]


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
    c7 = body["statistics"]["index"]["c7"]
    assert c7["n"] == 6 and "overall" not in body["statistics"]
    assert "rank" not in c7 and not {"mean", "min", "max"} & set(c7)
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
    made = client.post("/account/api-tokens", data={"name": "nightly export"})
    # Sent back to the page, which shows the token once: a reload issues no second one.
    assert made.status_code == 302
    cookie = made.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    carried = app.session_interface.get_signing_serializer(app).loads(cookie)
    page = client.get(made.headers["Location"]).text
    token = re.search(r'<code class="token">(s3t_[^<]+)</code>', page).group(1)
    # On its way to the page the token is sealed: the session cookie is signed, not encrypted.
    assert token not in str(carried) and token[4:12] not in str(carried)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/rounds", headers=headers).status_code == 200
    listing = client.get("/account/api-tokens").text
    assert "nightly export" in listing and token not in listing  # shown once only
    stored = db.session.scalar(select(ApiToken))
    other = create_user(email="other@example.org", role=Role.expert)
    other_client = app.test_client()
    login(other, client=other_client)
    assert other_client.post(f"/account/api-tokens/{stored.id}/revoke").status_code == 404
    assert other_client.get(f"/account/api-tokens/{stored.id}/revoke").status_code == 404
    # Revoking asks first: the list links to a page that says what it does.
    assert f'href="/account/api-tokens/{stored.id}/revoke"' in listing
    assert f'action="/account/api-tokens/{stored.id}/revoke"' not in listing
    confirm = client.get(f"/account/api-tokens/{stored.id}/revoke").text
    assert "Revoke the token nightly export?" in confirm
    assert f'action="/account/api-tokens/{stored.id}/revoke"' in confirm
    assert app.test_client().get("/api/v1/rounds", headers=headers).status_code == 200
    client.post(f"/account/api-tokens/{stored.id}/revoke")
    assert app.test_client().get("/api/v1/rounds", headers=headers).status_code == 401


def test_trend_is_over_the_panel_with_its_n(
    app, world, create_region, create_assessment, create_user, token_for
):
    """Regions validated in both rounds only: a newcomer and an unvalidated one are left out."""
    later = Round(
        name="2027 spring",
        questionnaire=world["round"].questionnaire,
        opens_on=date(2027, 3, 1),
        closes_on=date(2027, 5, 31),
        state=RoundState.open,
    )
    db.session.add(later)
    writer = create_user(email="later@example.org")
    for code, (_name, level, _consent) in SCORED_REGIONS.items():
        assessment = create_assessment(region=world["regions"][code], round_=later)
        save_answer(assessment, "maturity", min(5, level + 1), writer)
        save_answer(assessment, "role", "member", writer)
        save_answer(assessment, "budget_share", SHARES[code], writer)
        save_answer(assessment, "has_unit", True, writer)
        validated = code != "ES26"
        assessment.state = AssessmentState.validated if validated else AssessmentState.submitted
    newcomer = create_assessment(region=create_region("ES61", "Newcomer"), round_=later)
    save_answer(newcomer, "maturity", 5, writer)
    newcomer.state = AssessmentState.validated
    db.session.commit()
    client = app.test_client()
    headers = token_for(create_user(email="e@example.org", role=Role.expert))
    body = client.get(f"/api/v1/rounds/{later.id}/trend", headers=headers).json
    assert body["previous_round"]["name"] == world["round"].name
    strategy = body["trend"]["dimension"]["strategy"]
    assert strategy["n"] == 5 and strategy["suppressed"] is False
    # Each panel region's maturity rose one level: strategy + 40/3 (ES25 was at 5 already).
    assert strategy["median_change"] == pytest.approx(40 / 3)
    assert strategy["cross_version"] is False
    first = client.get(url(world, "/trend"), headers=headers).json
    assert first["previous_round"] is None and first["trend"] == {}


def test_officers_see_their_self_scores_before_release(app, world, create_user, token_for):
    client = app.test_client()
    officer = token_for(create_user(email="o@example.org", regions=[world["regions"]["ES21"]]))
    body = client.get(url(world, "/regions/ES21/benchmark"), headers=officer).json
    strategy = body["scores"]["dimension"]["strategy"]
    assert "moderated" not in strategy and strategy["self"] is not None
    assert body["score"] == "self"


def test_the_group_list_tells_nothing_of_small_or_unvalidated_groups(
    app, world, create_user, create_region, create_assessment, token_for
):
    """GET /groups listed groups of every assessment, drafts included ("country:FR", size 1)
    and sized them so; a small group answered "suppressed" where an unknown one answered 404:
    either told an officer that a region of a small country took part."""
    add_regions(world, create_region, create_assessment, create_user, ["HU11"], "validated")
    world_regions = {**world["regions"]}
    client = app.test_client()
    officer = create_user(email="o@example.org", regions=[world_regions["ES21"]])
    headers = token_for(officer)
    listed = {
        g["key"]: g for g in client.get(url(world, "/groups"), headers=headers).json["groups"]
    }
    assert "country:FR" not in listed and "country:HU" not in listed
    validated = 7  # the six of the world and HU11; FR10 is a draft
    assert listed["all"]["size"] == validated
    assert all(g["size"] <= validated for g in listed.values())
    unknown = client.get(url(world, "/groups/country:XX"), headers=headers)
    for key in ("country:HU", "country:FR"):
        answer = client.get(url(world, f"/groups/{key}"), headers=headers)
        assert answer.status_code == 404 and answer.json["detail"] == unknown.json["detail"]
    assert client.get(url(world, "/groups/all"), headers=headers).status_code == 200

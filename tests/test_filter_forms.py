"""The list pages read their filters from the query string through WTForms filter forms: a
valid filter filters, an unknown value is dropped with its message at its control, never a
server error (issue 21)."""

import re

import pytest
from sqlalchemy import select

from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.challenges.models import ChallengeCategory
from surveyapp.challenges.operations import ensure_default_categories
from surveyapp.extensions import db
from surveyapp.regions.models import RegionCategory

HUGE = 2**63


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    """Two rounds; in the newer one, three submitted assessments that differ in country,
    state, category and partnership."""
    ensure_default_categories()
    autumn, spring = create_round("2025 autumn"), create_round("2026 spring")
    regions = {
        "ES21": create_region(
            "ES21",
            "País Vasco",
            category=RegionCategory.more_developed,
            thematic_partnerships=["photonics"],
        ),
        "ES22": create_region("ES22", "Navarra", category=RegionCategory.transition),
        "FR10": create_region("FR10", "Île-de-France", category=RegionCategory.more_developed),
    }
    for code, state in (
        ("ES21", AssessmentState.validated),
        ("ES22", AssessmentState.submitted),
        ("FR10", AssessmentState.submitted),
    ):
        assessment = create_assessment(region=regions[code], round_=spring, state=state)
        assessment.submitted_at = assessment.state_changed_at
    old = create_assessment(region=regions["ES22"], round_=autumn, state=AssessmentState.submitted)
    old.submitted_at = old.state_changed_at
    admin = create_user(email="ada@example.org", name="Ada Admin", role=Role.admin)
    db.session.commit()
    return {"admin": admin, "rounds": (autumn, spring)}


@pytest.fixture
def admin(app, login, world):
    client = app.test_client()
    login(world["admin"], client=client)
    return client


def queue_regions(client, **params) -> set[str]:
    page = client.get("/reviews", query_string=params)
    assert page.status_code == 200
    return set(re.findall(r'<span class="code">(\w+)</span></td>', page.text))


def errors(html: str) -> dict[str, str]:
    """The messages shown at the filter controls, by the control's name."""
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', html))


def selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option selected value="([^"]*)"', select.group(1))


def test_the_review_queue_filters(admin, world):
    autumn = world["rounds"][0]
    assert queue_regions(admin) == {"ES21", "ES22", "FR10"}  # the newest round by default
    assert queue_regions(admin, round=autumn.id) == {"ES22"}
    assert queue_regions(admin, round="") == {"ES21", "ES22", "FR10"}  # empty: the default
    assert queue_regions(admin, state="validated") == {"ES21"}
    assert queue_regions(admin, country="FR") == {"FR10"}
    assert queue_regions(admin, country="es") == {"ES21", "ES22"}  # in capitals
    assert queue_regions(admin, country="ESP") == {"ES21", "ES22"}  # cut to two letters
    assert queue_regions(admin, category="transition") == {"ES22"}
    assert queue_regions(admin, partnership="photonics") == {"ES21"}
    assert queue_regions(admin, category="more_developed", state="submitted") == {"FR10"}
    page = admin.get("/reviews", query_string={"state": "validated", "country": "ES"}).text
    assert errors(page) == {} and selected(page, "state") == ["validated"]
    assert 'name="country" size="3" type="text" value="ES"' in page


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"round": "999"}, "round", "Choose one of the options."),
        ({"round": str(HUGE)}, "round", "Choose one of the options."),
        ({"round": "x"}, "round", "Choose one of the options."),
        ({"state": "draft"}, "state", "Choose one of the options."),  # never in the queue
        ({"country": "E1"}, "country", "Give a two-letter country code."),
        ({"country": "E"}, "country", "Give a two-letter country code."),
        ({"category": "rich"}, "category", "Choose one of the options."),
        ({"partnership": "no-such"}, "partnership", "Choose one of the options."),
    ],
)
def test_an_unknown_queue_filter_is_dropped_at_its_control(admin, world, params, field, message):
    page = admin.get("/reviews", query_string={"category": "more_developed", **params})
    assert page.status_code == 200
    assert errors(page.text) == {field: message}
    assert f'aria-invalid="true" id="{field}"' in page.text
    expected = {"ES21", "ES22", "FR10"} if field == "category" else {"ES21", "FR10"}
    assert set(re.findall(r'<span class="code">(\w+)</span></td>', page.text)) == expected
    if field == "round":  # back to the newest round
        assert selected(page.text, "round") == [str(world["rounds"][1].id)]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/users?role=superuser", "role"),
        ("/admin/users?status=asleep", "status"),
        ("/good-practices?aspect=no-such-aspect", "aspect"),
        ("/good-practices?dimension=no-such-dimension", "dimension"),
        ("/good-practices?country=1", "country"),
        ("/good-practices?round=999", "round"),
        (f"/good-practices?round={HUGE}", "round"),
        ("/challenges?round=999", "round"),
        ("/challenges?round=-1", "round"),
        ("/challenges?round=x", "round"),
        ("/challenges/{category}?round=999", "round"),
    ],
)
def test_an_unknown_filter_is_dropped_with_a_message_at_its_control(admin, world, url, field):
    category = db.session.scalar(select(ChallengeCategory.id).limit(1))
    page = admin.get(url.format(category=category))
    assert page.status_code == 200
    assert errors(page.text) == {
        field: "Give a two-letter country code."
        if field == "country"
        else "Choose one of the options."
    }
    if field != "country":
        assert selected(page.text, field) == [""]  # the filter is dropped: any


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users",
        "/admin/users?q=&role=&status=",
        "/reviews",
        "/good-practices",
        "/good-practices?q=&aspect=&dimension=&country=&round=",
        "/challenges",
        "/challenges?round=",
    ],
)
def test_no_filter_is_no_message(admin, url):
    page = admin.get(url)
    assert page.status_code == 200 and errors(page.text) == {}


def test_valid_filters_keep_filtering(admin, world):
    autumn, spring = world["rounds"]
    users = admin.get("/admin/users", query_string={"role": "admin", "q": "ada"}).text
    assert errors(users) == {} and "ada@example.org" in users
    assert selected(users, "role") == ["admin"]
    assert "No account matches" in admin.get("/admin/users?role=expert").text
    long = admin.get("/admin/users", query_string={"q": "ada" + "x" * 500})
    assert long.status_code == 200 and errors(long.text) == {}  # cut to 200 characters
    overview = admin.get(f"/challenges?round={autumn.id}").text
    assert errors(overview) == {} and selected(overview, "round") == [str(autumn.id)]
    assert f"round={autumn.id}" in overview  # the answers' links keep the round
    library = admin.get(f"/good-practices?round={spring.id}&country=es").text
    assert errors(library) == {} and selected(library, "round") == [str(spring.id)]
    assert 'name="country" size="3" type="text" value="ES"' in library

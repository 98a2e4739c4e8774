"""Publishing needs the minimum group of counted assessments (issue 19 item 13).

A round with fewer counted assessments than MIN_GROUP_SIZE has nothing the public report may
show: publishing it is refused, with the count and the minimum, on every path.
"""

import re

import pytest
from sqlalchemy import select

from surveyapp.assessments.models import AssessmentState
from surveyapp.extensions import db
from surveyapp.publication.models import Publication
from surveyapp.publication.operations import PublicationError, publish
from surveyapp.rounds.models import RoundState


@pytest.fixture
def admin(create_user):
    return create_user(email="admin@example.org", role="admin")


@pytest.fixture
def closed_round(create_round):
    round_ = create_round()
    round_.state = RoundState.closed
    db.session.commit()
    return round_


def add_assessments(create_region, create_assessment, round_, count, state):
    for number in range(count):
        region = create_region(f"ES{30 + number}", f"Region {number}")
        create_assessment(region=region, round_=round_, state=state)
    db.session.commit()


def test_a_round_without_enough_counted_assessments_is_not_published(
    app, admin, closed_round, create_region, create_assessment
):
    minimum = app.config["MIN_GROUP_SIZE"]
    # Drafts are not counted, however many there are.
    add_assessments(create_region, create_assessment, closed_round, minimum, None)
    with pytest.raises(PublicationError) as excinfo:
        publish(closed_round, admin)
    message = str(excinfo.value)
    assert re.search(r"\b0 submitted assessments\b", message), message
    assert f"at least {minimum}" in message
    assert db.session.scalar(select(Publication)) is None


def test_the_minimum_group_is_enough(app, admin, closed_round, create_region, create_assessment):
    minimum = app.config["MIN_GROUP_SIZE"]
    add_assessments(
        create_region, create_assessment, closed_round, minimum - 1, AssessmentState.submitted
    )
    with pytest.raises(PublicationError) as excinfo:
        publish(closed_round, admin)
    assert f"{minimum - 1} submitted assessment" in str(excinfo.value)
    db.session.rollback()
    create_assessment(
        region=create_region("ES99", "The fifth"),
        round_=closed_round,
        state=AssessmentState.validated,
    )
    db.session.commit()
    assert publish(closed_round, admin).live


def test_the_rounds_page_disables_publish_and_says_why(
    app, client, login, admin, closed_round, create_region, create_assessment
):
    add_assessments(create_region, create_assessment, closed_round, 2, AssessmentState.submitted)
    login(admin)
    page = client.get("/admin/rounds").get_data(as_text=True)
    button = re.search(r"<button[^>]*>Publish</button>", page)
    assert button and "disabled" in button.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', button.group(0)).group(1)
    reason = re.search(rf'id="{described}"[^>]*>([^<]*)<', page).group(1)
    minimum = app.config["MIN_GROUP_SIZE"]
    assert "2 submitted assessments" in reason and f"at least {minimum}" in reason
    # Posting anyway (a stale page, a script) is refused with the same reason.
    refused = client.post(
        f"/admin/rounds/{closed_round.id}/publication", follow_redirects=True
    ).get_data(as_text=True)
    assert "2 submitted assessments" in refused
    assert db.session.scalar(select(Publication)) is None

"""Answers kept when a session ended (assessments.stash) are bounded (issue 19, item 9): a
browser keeps one stash, a user at most a few, and a post naming no real user keeps none."""

import time

import pytest
from sqlalchemy import func, select

from surveyapp.assessments import stash
from surveyapp.assessments.models import FormStash
from surveyapp.extensions import db

PASSWORD = "correct horse battery staple"
#: About what a long section posts; five of them were five rows of this size.
LONG_TEXT = "x" * 200_000


@pytest.fixture
def officer(create_user, create_region):
    return create_user(email="olga@example.org", regions=[create_region()])


@pytest.fixture
def assessment(create_assessment, officer):
    return create_assessment(region=officer.regions[0])


def section_url(assessment):
    return f"/assessments/{assessment.id}/sections/basics"


def stashes():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(FormStash))


def expired_browser(app, user):
    """A browser whose officer signed in 13 hours ago: the session has ended."""
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 13 * 3600
    return client


def post_section(client, assessment, comment):
    data = {"maturity": "4", "maturity__version": "0", "maturity__comment": comment}
    return client.post(section_url(assessment), data=data)


def sign_in_again_and_read(client, user, assessment):
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client.get(section_url(assessment)).text


def test_one_browser_keeps_one_stash_the_latest(app, officer, assessment):
    client = expired_browser(app, officer)
    for n in range(5):
        response = post_section(client, assessment, f"attempt {n} " + LONG_TEXT)
        assert "kept=1" in response.headers["Location"]
    assert stashes() == 1
    page = sign_in_again_and_read(client, officer, assessment)
    assert "attempt 4 " in page and "attempt 3 " not in page


def test_a_user_keeps_at_most_a_few_stashes_the_newest(app, officer, assessment):
    browsers = [expired_browser(app, officer) for _ in range(stash.PER_USER + 3)]
    for n, client in enumerate(browsers):
        post_section(client, assessment, f"browser {n} " + LONG_TEXT)
    assert stashes() == stash.PER_USER
    newest = sign_in_again_and_read(browsers[-1], officer, assessment)
    assert f"browser {len(browsers) - 1} " in newest
    oldest = sign_in_again_and_read(browsers[0], officer, assessment)
    assert "browser 0 " not in oldest  # replaced by newer ones


def test_a_session_naming_no_real_user_keeps_nothing(app, officer, assessment):
    client = app.test_client()
    with client.session_transaction() as session:
        session[stash.EXPIRED_USER_KEY] = 987654  # no such user
    response = post_section(client, assessment, LONG_TEXT)
    assert response.status_code == 302 and "kept=1" not in response.headers["Location"]
    assert stashes() == 0


def test_a_deactivated_user_keeps_nothing(app, officer, assessment):
    client = expired_browser(app, officer)
    officer.active = False
    db.session.commit()
    response = post_section(client, assessment, LONG_TEXT)
    assert "kept=1" not in response.headers["Location"]
    assert stashes() == 0

"""The interface language: chosen on a page, kept in a cookie and with the account."""

import re

import pytest

from surveyapp.auth.models import User
from surveyapp.extensions import db
from surveyapp.i18n import LANGUAGE_COOKIE


def _lang(page) -> str:
    return re.search(r'<html lang="([^"]+)">', page.get_data(as_text=True)).group(1)


def test_the_page_offers_every_language_named_in_itself(app, client):
    page = client.get("/language")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for code in app.config["LANGUAGES"]:
        assert f'value="{code}"' in html and f'<span lang="{code}">' in html
    assert '<span lang="fr">Français</span>' in html and '<span lang="de">Deutsch</span>' in html


def test_a_visitor_choice_is_kept_in_a_cookie(client):
    answer = client.post("/language", data={"language": "de", "next": "/login"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie.value == "de" and cookie.http_only
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert _lang(page) == "de" and "Anmelden" in page.get_data(as_text=True)


def test_a_signed_in_choice_follows_the_account(app, client, create_user, login):
    user = create_user(email="officer@example.org")
    login(user)
    client.post("/language", data={"language": "fr", "next": "/"})
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "fr"
    other = app.test_client()  # another browser: no cookie, an English browser
    login(user, client=other)
    assert _lang(other.get("/", headers={"Accept-Language": "en"})) == "fr"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "\\\\evil"])
def test_it_goes_back_only_to_this_site(client, target):
    answer = client.post("/language", data={"language": "fr", "next": target})
    assert answer.headers["Location"] == "/"


def test_an_unknown_language_is_refused_at_its_field(client):
    page = client.post("/language", data={"language": "xx", "next": "/"})
    assert page.status_code == 200
    assert 'id="language-error"' in page.get_data(as_text=True)
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def test_the_header_links_to_the_choice_with_the_page(client):
    html = client.get("/login?next=/x").get_data(as_text=True)
    assert 'href="/language?next=/login%3Fnext%3D/x"' in html


def test_the_languages_follow_the_eus_protocol_order(app, client):
    """The Interinstitutional Style Guide's protocol order: each language by its name in
    itself (français before Gaeilge and hrvatski)."""
    protocol = [
        "bg", "es", "cs", "da", "de", "et", "el", "en", "fr", "ga", "hr", "it",
        "lv", "lt", "hu", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "fi", "sv",
    ]  # fmt: skip
    assert app.config["LANGUAGES"] == protocol
    html = client.get("/language").get_data(as_text=True)
    assert re.findall(r'<span lang="([a-z]{2})">', html) == protocol

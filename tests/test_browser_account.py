"""Account pages in real headless Chromium (issue 19, items 3, 5 and 10): the reason a
password is refused, the wait after wrong passwords, a token's expiry."""

import re

import pytest
from playwright.sync_api import expect

from surveyapp.auth.models import Role
from surveyapp.extensions import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def sign_in(page, live_server, email, password=PASSWORD):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_common_password_is_refused_at_its_field_with_the_reason(
    live_server, page, shoot, create_user
):
    create_user(email="erik@example.org", role=Role.expert)
    db.session.commit()
    sign_in(page, live_server, "erik@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("New password again").fill("password1234")
    page.get_by_role("button", name="Save the new password").click()
    field = page.locator(".field", has=page.get_by_label("New password", exact=True))
    expect(field).to_contain_text("This is a common password")
    shoot(page, "password-refused")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("violet staircase under rain")
    page.get_by_label("New password again").fill("violet staircase under rain")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()


def test_wrong_passwords_say_how_long_to_wait(live_server, app, page, create_user):
    create_user(email="erik@example.org", role=Role.expert)
    db.session.commit()
    for _ in range(app.config["LOGIN_FREE_FAILURES"] + 1):
        sign_in(page, live_server, "erik@example.org", "wrong guess")
    field = page.locator(".field", has=page.get_by_label("Password"))
    expect(field).to_contain_text(re.compile(r"Too many wrong passwords .* Wait \d+ seconds?"))


def test_a_token_is_made_with_an_expiry_that_the_list_shows(live_server, page, create_user):
    create_user(email="erik@example.org", role=Role.expert)
    db.session.commit()
    sign_in(page, live_server, "erik@example.org")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("nightly export")
    expect(page.get_by_label("Expires")).to_have_value("90")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create the token").click()
    expect(page.get_by_text("Copy the token now")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("nightly export"))
    cells = row.get_by_role("cell")
    expect(cells.nth(2)).not_to_have_text(re.compile("Never"))
    expect(cells.nth(2)).to_have_text(re.compile(r"\d"))

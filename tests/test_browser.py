"""Pages in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

import os
import shutil
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from surveyapp.assessments.models import AssessmentState
from surveyapp.extensions import db

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        yield context.new_page()
        context.close()
        browser.close()


def shoot(page, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_officer_signs_in_with_the_keyboard_and_sees_their_region(
    live_server, page, create_user, create_region, create_round, create_assessment
):
    region = create_region("ES21", "País Vasco")
    create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    create_assessment(
        region=region, round_=create_round("2026 autumn"), state=AssessmentState.changes_requested
    )
    db.session.commit()

    page.goto(f"{live_server}/")
    assert page.url.endswith("/login?next=/")
    shoot(page, "login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="2026 autumn")).to_be_visible()
    expect(page.get_by_role("row", name="País Vasco")).to_contain_text("Changes requested")
    shoot(page, "home-officer")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

"""Filling a section in headless Chromium: autosave, show_if, conflicts, lost sessions, submit."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def setup(create_region, create_user, create_assessment):
    region = create_region("ES21", "País Vasco")
    olga = create_user(email="olga@example.org", name="Olga", regions=[region])
    oscar = create_user(email="oscar@example.org", name="Oscar", regions=[region])
    assessment = create_assessment(region=region)
    return {"olga": olga.email, "oscar": oscar.email, "id": assessment.id}


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))


def networks_in_own_context(browser, base, setup):
    """Olga signed in, in a browser context of her own, on the networks section: (page, url)."""
    page = browser.new_context().new_page()
    sign_in(page, base, setup["olga"])
    url = f"{base}/assessments/{setup['id']}/sections/networks"
    page.goto(url)
    return page, url


def stored(assessment_id, item_id):
    db.session.expire_all()
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id)
    )
    return answer.value if answer else None


def status(page):
    return page.locator("#save-status")


def test_the_saved_time_is_the_applications_not_the_browsers(app, live_server, browser, setup):
    """An officer whose browser runs on New York time sees "Saved" with the time the pages
    use (the application's zone), as in "Last changed ..." beside it."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    before = datetime.now(UTC)
    page.locator('[name="maturity"][value="3"]').check()
    expect(status(page)).to_contain_text("Saved")
    after = datetime.now(UTC)
    shown = status(page).inner_text()
    context.close()

    def clock(moment, tz):
        local = moment.astimezone(tz)
        return f"{local.hour % 12 or 12}:{local.minute:02d}"

    assert any(clock(moment, zone) in shown for moment in (before, after)), shown
    new_york = ZoneInfo("America/New_York")
    assert not any(clock(moment, new_york) in shown for moment in (before, after)), shown


def test_autosave_confirms_and_survives_a_reload(live_server, page, shoot, setup):
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
    page.locator('[name="maturity"][value="3"]').check()
    expect(status(page)).to_contain_text("Saved")
    assert stored(setup["id"], "maturity") == 3
    maturity = page.locator('[data-item="maturity"]')
    expect(maturity.locator("[data-changed-by]")).to_contain_text("Last changed by Olga")
    expect(maturity.get_by_role("link", name="History")).to_have_attribute(
        "href", f"/assessments/{setup['id']}/history?item=maturity"
    )

    # show_if: the staff question appears only when there is a unit.
    staff = page.locator('[data-item="unit_staff"]')
    expect(staff).to_be_hidden()
    page.locator('[name="has_unit"][value="yes"]').check()
    expect(staff).to_be_visible()
    # "Saved" is already shown for the first answer: wait for this answer's own save.
    with page.expect_response(lambda r: r.url.endswith("/answers/unit_staff") and r.ok):
        staff.locator('input[name="unit_staff"]').fill("4")
    expect(status(page)).to_contain_text("Saved")
    shoot(page, "section-autosaved")

    page.reload()
    expect(page.locator('[name="maturity"][value="3"]')).to_be_checked()
    expect(staff.locator('input[name="unit_staff"]')).to_have_value("4")
    assert stored(setup["id"], "unit_staff") == 4


def test_invalid_value_is_marked_at_the_field(live_server, page, setup):
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
    page.locator('input[name="budget_share"]').fill("140")
    expect(page.locator('[data-error-for="budget_share"]')).to_contain_text("at most 100")
    expect(status(page)).to_contain_text("Not saved")


def both_on_the_basics_page(browser, live_server, setup):
    """Olga and Oscar, each in their own browser, open the same section."""
    pages = []
    for who in ("olga", "oscar"):
        page = browser.new_context().new_page()
        sign_in(page, live_server, setup[who])
        page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
        pages.append(page)
    return pages


def test_two_officers_editing_one_answer_see_the_conflict(live_server, browser, shoot, setup):
    olga, oscar = both_on_the_basics_page(browser, live_server, setup)
    oscar.locator('[name="maturity"][value="5"]').check()
    expect(status(oscar)).to_contain_text("Saved")
    olga.locator('[name="maturity"][value="2"]').check()
    conflict = olga.locator('[data-item="maturity"] .conflict')
    expect(conflict).to_contain_text("Oscar changed this answer")
    expect(conflict).to_contain_text("5: Excellent")
    shoot(olga, "section-conflict")
    assert stored(setup["id"], "maturity") == 5
    olga.get_by_role("button", name="Keep my answer").click()
    expect(status(olga)).to_contain_text("Saved")
    assert stored(setup["id"], "maturity") == 2


def test_use_their_answer_takes_the_newer_value(live_server, browser, setup):
    olga, oscar = both_on_the_basics_page(browser, live_server, setup)
    oscar.locator('[name="maturity"][value="4"]').check()
    expect(status(oscar)).to_contain_text("Saved")
    olga.locator('[name="maturity"][value="1"]').check()
    olga.get_by_role("button", name="Use their answer").click()
    expect(olga.locator('[name="maturity"][value="4"]')).to_be_checked()
    assert stored(setup["id"], "maturity") == 4


def test_typing_while_the_session_ends_loses_nothing(live_server, browser, shoot, setup):
    page, _url = networks_in_own_context(browser, live_server, setup)
    # The session ends elsewhere (signing out everywhere rotates the session token).
    elsewhere = browser.new_context().new_page()
    sign_in(elsewhere, live_server, setup["olga"])
    elsewhere.get_by_role("button", name="Sign out").click()

    page.locator('textarea[name="practice"]').fill("An hour of careful writing")
    expect(status(page)).to_contain_text("session has ended")
    shoot(page, "section-signed-out")
    assert stored(setup["id"], "practice") is None

    # Signing in again in another tab of the same browser: the waiting save goes through.
    tab = page.context.new_page()
    sign_in(tab, live_server, setup["olga"])
    expect(status(page)).to_contain_text("Saved", timeout=20000)
    assert stored(setup["id"], "practice") == "An hour of careful writing"


def test_unsaved_answers_come_back_after_the_browser_closed(live_server, browser, setup):
    page, url = networks_in_own_context(browser, live_server, setup)
    page.route("**/answers/**", lambda route: route.abort())  # the network is down
    page.locator('textarea[name="practice"]').fill("Written offline")
    expect(status(page)).to_contain_text("retrying")
    page.unroute("**/answers/**")
    page.close()
    again = page.context.new_page()
    again.goto(url)
    expect(again.locator('textarea[name="practice"]')).to_have_value("Written offline")
    expect(status(again)).to_contain_text("Saved")
    assert stored(setup["id"], "practice") == "Written offline"


def test_a_plain_save_that_fails_keeps_the_typed_answer(live_server, browser, setup):
    page, url = networks_in_own_context(browser, live_server, setup)
    page.route("**/answers/**", lambda route: route.abort())  # no autosave gets through
    page.route(
        "**/sections/networks",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.locator('textarea[name="practice"]').fill("Typed before a failed save")
    page.get_by_role("button", name="Save", exact=True).click()  # the post fails too
    page.unroute("**/answers/**")
    page.unroute("**/sections/networks")
    again = page.context.new_page()
    again.goto(url)
    expect(again.locator('textarea[name="practice"]')).to_have_value("Typed before a failed save")
    expect(status(again)).to_contain_text("Saved")
    assert stored(setup["id"], "practice") == "Typed before a failed save"
    again.reload()  # saved now: the copy kept in the browser is gone, nothing is sent again
    expect(again.locator('textarea[name="practice"]')).to_have_value("Typed before a failed save")
    expect(status(again)).to_have_text("")


def test_submit_and_see_the_read_only_view(live_server, page, shoot, setup):
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/submit")
    expect(page.get_by_role("link", name="How mature is the strategy")).to_be_visible()
    page.get_by_role("link", name="How mature is the strategy").click()
    # The click only waits for the new page to begin: its autosave script (deferred) listens
    # once the page has loaded, and on a busy machine a choice made before that is not sent.
    page.wait_for_load_state("load")
    page.locator('[name="maturity"][value="3"]').check()
    expect(status(page)).to_contain_text("Saved")
    page.goto(f"{live_server}/assessments/{setup['id']}/submit")
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_text("Submitted.")).to_be_visible()
    expect(page.get_by_text("read-only")).to_be_visible()
    shoot(page, "assessment-submitted")
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
    expect(page.locator("form.section-form")).to_have_count(0)
    expect(page.locator('[data-item="maturity"] .answer')).to_have_text("3: Fair")
    db.session.expire_all()
    assert db.session.get(Assessment, setup["id"]).state == AssessmentState.submitted


def test_leaving_the_section_right_after_typing_still_saves(live_server, page, setup):
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/networks")
    page.locator('textarea[name="practice"]').fill("Typed just before clicking away")
    page.get_by_role("link", name="Basics").first.click()  # within the 800 ms debounce
    page.wait_for_url(re.compile(r".*/sections/basics$"))
    page.wait_for_timeout(500)
    assert stored(setup["id"], "practice") == "Typed just before clicking away"


def test_the_field_shows_what_was_saved_once_the_officer_leaves_it(live_server, page, setup):
    """An address given twice is saved once: the field shows that, but not while in use."""
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/networks")
    evidence = page.locator('textarea[name="evidence"]')
    saves = []
    page.on("request", lambda r: saves.append(r) if r.url.endswith("/answers/evidence") else None)
    typed = "https://a.example/report\nhttps://a.example/report\n"
    with page.expect_response(lambda r: r.url.endswith("/answers/evidence") and r.ok):
        evidence.fill(typed)
    expect(status(page)).to_contain_text("Saved")
    assert stored(setup["id"], "evidence") == ["https://a.example/report"]
    expect(evidence).to_have_value(typed)  # the cursor is still there: nothing moves under it
    evidence.press("Tab")
    expect(evidence).to_have_value("https://a.example/report\n")  # the new line, for the next
    page.wait_for_timeout(1200)  # longer than the autosave's pause after typing
    assert len(saves) == 1  # leaving the field ("change") sends nothing saved already

    # Typed on after the save: what is typed stays, and goes in the next save.
    with page.expect_response(lambda r: r.url.endswith("/answers/evidence") and r.ok):
        evidence.fill("https://b.example\nhttps://b.example")
    evidence.press("Control+End")
    with page.expect_response(lambda r: r.url.endswith("/answers/evidence") and r.ok) as saved:
        evidence.press_sequentially("/more")
        evidence.press("Tab")
    assert "/more" in saved.value.request.post_data
    expect(evidence).to_have_value("https://b.example\nhttps://b.example/more")
    assert stored(setup["id"], "evidence") == ["https://b.example", "https://b.example/more"]


def test_a_token_that_expired_while_the_page_was_open_is_renewed(app, live_server, page, setup):
    """CSRF tokens with a time limit (not the app's default): the save refused for its expired
    token gets a new one and goes through, with nothing for the officer to do."""
    replies = []
    page.on("response", lambda r: replies.append(r.status) if "/answers/" in r.url else None)
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/networks")
    # Only now tokens last a second: signing in on a busy machine could take longer.
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    page.wait_for_timeout(2500)  # the page's token is older than its limit now
    page.locator('textarea[name="practice"]').fill("Typed with an old token")
    expect(status(page)).to_contain_text("Saved")
    assert replies == [400, 200]
    assert stored(setup["id"], "practice") == "Typed with an old token"


def test_an_expired_token_of_an_ended_session_asks_to_sign_in(app, live_server, browser, setup):
    """The token expired and the session ended too: the page says to sign in again (not that
    it is retrying), and the save goes through once the officer has."""
    page, _url = networks_in_own_context(browser, live_server, setup)
    elsewhere = browser.new_context().new_page()
    sign_in(elsewhere, live_server, setup["olga"])
    elsewhere.get_by_role("button", name="Sign out").click()  # ends every session of Olga's
    # Only now tokens last a second (signing in and out above, on a busy machine, would take
    # longer than that): the page's expires while it waits.
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    page.wait_for_timeout(2500)
    page.locator('textarea[name="practice"]').fill("Typed after the session ended")
    expect(status(page)).to_contain_text("session has ended")
    assert stored(setup["id"], "practice") is None
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600  # the new sign-in's form is not raced either
    sign_in(page.context.new_page(), live_server, setup["olga"])
    expect(status(page)).to_contain_text("Saved", timeout=20000)
    assert stored(setup["id"], "practice") == "Typed after the session ended"


def test_a_new_line_typed_at_the_end_stays_for_what_comes_next(live_server, page, setup):
    """The server trims an answer; the field keeps what the officer typed at its end, so text
    written there later is not glued to the line before (found by the F7 scenario)."""
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/networks")
    practice = page.locator('textarea[name="practice"]')
    practice.click()
    with page.expect_response(lambda r: r.url.endswith("/answers/practice") and r.ok):
        practice.press_sequentially("First paragraph.\n")
    practice.press("Tab")
    expect(practice).to_have_value("First paragraph.\n")
    practice.click()
    practice.press("Control+End")
    with page.expect_response(lambda r: r.url.endswith("/answers/practice") and r.ok):
        practice.press_sequentially("Second.")
    assert stored(setup["id"], "practice") == "First paragraph.\nSecond."


def test_a_choice_made_before_the_autosave_script_ran_is_saved(live_server, page, setup):
    """The autosave script is deferred: on a slow network an officer can choose before it
    runs. What differs from the page as the server wrote it is sent once it runs."""
    sign_in(page, live_server, setup["olga"])
    page.route("**/js/section.js", lambda route: route.abort())  # not loaded yet
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
    page.locator('[name="maturity"][value="4"]').check()
    page.wait_for_timeout(300)
    assert stored(setup["id"], "maturity") is None  # nothing listened
    page.unroute("**/js/section.js")
    page.add_script_tag(url=f"{live_server}/static/js/section.js")  # it arrives
    expect(status(page)).to_contain_text("Saved")
    assert stored(setup["id"], "maturity") == 4
    # An untouched page sends nothing when the script runs.
    saves = []
    page.on("request", lambda r: saves.append(r.url) if "/answers/" in r.url else None)
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(1200)  # beyond the autosave's debounce
    assert saves == []


def test_keeping_my_answer_keeps_their_comment_i_did_not_touch(live_server, browser, setup):
    """Oscar changes the level and writes a comment; Olga, on a page opened before, changes
    the level only. Keeping her answer keeps her level and his comment: her page only showed
    the comment as it was, it must not write that back over his."""
    olga, oscar = both_on_the_basics_page(browser, live_server, setup)
    oscar.locator('[name="maturity"][value="5"]').check()
    oscar.locator('[data-item="maturity"] details.comment summary').click()
    oscar.locator('[name="maturity__comment"]').fill("Source: the 2025 strategy review")
    expect(status(oscar)).to_contain_text("Saved")
    oscar.wait_for_timeout(1000)  # the comment's own save, after the debounce
    expect(status(oscar)).to_contain_text("Saved")
    olga.locator('[name="maturity"][value="2"]').check()
    conflict = olga.locator('[data-item="maturity"] .conflict')
    expect(conflict).to_contain_text("Their comment: Source: the 2025 strategy review")
    olga.get_by_role("button", name="Keep my answer").click()
    expect(status(olga)).to_contain_text("Saved")
    db.session.expire_all()
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=setup["id"], item_id="maturity")
    )
    assert (answer.value, answer.comment) == (2, "Source: the 2025 strategy review")
    expect(olga.locator('[name="maturity__comment"]')).to_have_value(
        "Source: the 2025 strategy review"
    )
    expect(olga.locator('[name="maturity__comment"]')).to_be_visible()


def test_a_page_the_browser_put_back_by_itself_sends_nothing(live_server, page, setup):
    """Back to a section another officer changed since: the browser fetches it again (no
    store) and puts back what was chosen before. Nobody edited it: nothing is sent, and the
    other officer's answer stays (the choice the browser put back had overwritten it)."""
    sign_in(page, live_server, setup["olga"])
    page.goto(f"{live_server}/assessments/{setup['id']}/sections/basics")
    page.wait_for_load_state("load")
    page.locator('[name="maturity"][value="2"]').check()
    expect(status(page)).to_contain_text("Saved")
    page.get_by_role("link", name="Networks").first.click()
    page.wait_for_url(re.compile(r".*/sections/networks$"))
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=setup["id"], item_id="maturity")
    )
    answer.value, answer.version = 5, answer.version + 1  # another officer, meanwhile
    db.session.commit()
    saves = []
    page.on("request", lambda r: saves.append(r.url) if "/answers/" in r.url else None)
    # Chromium puts the fields back after the deferred script ran, Firefox before it: the
    # script is held back here until the browser has put them back, as in Firefox.
    page.route("**/js/section.js", lambda route: route.abort())
    page.go_back()
    page.wait_for_load_state("load")
    put_back = page.locator('[name="maturity"][value="2"]')
    assert put_back.is_checked() and not put_back.evaluate("e => e.defaultChecked")
    page.unroute("**/js/section.js")
    page.add_script_tag(url=f"{live_server}/static/js/section.js")
    page.wait_for_timeout(1200)  # beyond the autosave's debounce
    assert saves == []
    assert stored(setup["id"], "maturity") == 5

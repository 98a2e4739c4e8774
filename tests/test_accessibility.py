"""axe (the npm package axe-core, injected by Playwright) on every page type, for every role,
at desktop width and at 320 px, including forms with errors and the conflict panel: no serious
or critical violation (WCAG 2.1 AA, issue 23)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token
from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.regions.models import RegionGroup
from surveyapp.reviews.operations import start_review
from tests.conftest import PASSWORD
from tests.test_benchmarks import reviewed

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0/2.1 A and AA rules, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WIDTHS = (1024, 320)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is required in CI and was not found at {AXE} (npm ci)")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text()


def violations(page, axe_source: str) -> list[str]:
    """The page's serious and critical violations, one line each (rule, impact, elements)."""
    page.add_script_tag(content=axe_source)
    found = page.evaluate(
        """async (tags) => (await axe.run(document, {
               runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]}))
           .violations.map(v => ({id: v.id, impact: v.impact,
                                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))""",
        TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def world(scored_world, create_region, create_user):
    world = reviewed(scored_world, create_region, create_user)
    users = {
        "officer": create_user(
            email="olga@example.org", name="Olga", regions=[world["regions"]["ES21"]]
        ),
        "drafter": create_user(email="fran@example.org", name="Fran", regions=[]),
        "colleague": create_user(email="oscar@example.org", name="Oscar", regions=[]),
        "expert": create_user(email="emil@example.org", name="Emil", role=Role.expert),
        "admin": create_user(email="ada@example.org", name="Ada", role=Role.admin),
    }
    users["drafter"].regions = [world["draft"].region]
    users["colleague"].regions = [world["draft"].region]
    es26 = world["assessments"]["ES26"]
    start_review(es26, users["expert"])
    es22 = world["assessments"]["ES22"]
    db.session.add(GoodPractice(assessment_id=es22.id, title="Vouchers", summary="How."))
    db.session.commit()
    practice = db.session.scalar(db.select(GoodPractice.id))
    group = RegionGroup(name="Atlantic", regions=[world["regions"]["ES21"]])
    db.session.add(group)
    issue_token(users["officer"], "nightly export")
    db.session.commit()
    token_id = db.session.scalar(db.select(ApiToken.id))
    return world | {
        "users": users,
        "review": es26.id,
        "practice": practice,
        "group": group.id,
        "token": token_id,
    }


def pages_of(world) -> dict[str, list[str]]:
    round_id, draft, review = world["round"].id, world["draft"].id, world["review"]
    es21 = world["assessments"]["ES21"].id
    return {
        "anonymous": ["/login", "/published", "/language", "/forgot-password"],
        "officer": [
            "/",
            f"/assessments/{es21}",
            f"/assessments/{es21}/history",
            "/benchmarks",
            f"/benchmarks/rounds/{round_id}/regions/ES21",
            "/good-practices",
            f"/contacts/new?practice={world['practice']}",
            "/contacts",
            "/notifications",
            "/regions/ES21/action-plan",
            "/account/password",
            "/account/api-tokens",
            f"/account/api-tokens/{world['token']}/revoke",
            "/account/email",
            "/account/two-factor",
            "/login/setup",
        ],
        "drafter": [
            f"/assessments/{draft}",
            f"/assessments/{draft}/sections/basics",
            f"/assessments/{draft}/sections/networks",
            f"/assessments/{draft}/submit",
            f"/assessments/{draft}/print",
            f"/assessments/{draft}/evidence",
            f"/assessments/{draft}/assignments",
        ],
        "expert": [
            "/",
            "/reviews",
            f"/reviews/{review}",
            f"/reviews/{review}/sections/basics",
            f"/assessments/{review}/evidence",
            f"/reviews/{review}/request-changes",
            f"/reviews/{review}/validate",
            f"/benchmarks/rounds/{round_id}",
            f"/benchmarks/rounds/{round_id}/regions/ES22",
            "/challenges",
            "/action-plans",
            f"/good-practices/{world['practice']}/edit",
        ],
        "admin": [
            "/admin/users",
            "/admin/users/new",
            "/admin/rounds",
            f"/admin/rounds/{round_id}",
            f"/admin/rounds/{round_id}/close",
            "/admin/regions",
            "/admin/regions/ES21",
            "/admin/regions/ES21/attributes",
            "/admin/groups",
            f"/admin/groups/{world['group']}/delete",
            "/admin/challenges",
            "/admin/audit",
        ],
    }


def signed_in(browser, live_server, user, width: int):
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800})
    page = context.new_page()
    if user is not None:
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/$"))
    return context, page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["anonymous", "officer", "drafter", "expert", "admin"])
def test_every_page_type_has_no_serious_violation(
    app, live_server, browser, axe_source, world, role, width
):
    user = world["users"].get(role)
    context, page = signed_in(browser, live_server, user, width)
    found = {}
    for path in pages_of(world)[role]:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        if problems := violations(page, axe_source):
            found[path] = problems
    context.close()
    assert found == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_forms_with_errors_and_the_conflict_panel(
    app, live_server, browser, axe_source, world, width
):
    found = {}
    # Signing in with a wrong password.
    context, page = signed_in(browser, live_server, None, width)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#password-error")).to_have_text("The email or password is not correct.")
    # The GOV.UK error pattern: "Error:" in the title, a summary that has the focus and links
    # to the field, the error tied to its field.
    assert page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#password")
    expect(page.get_by_label("Password")).to_have_attribute("aria-describedby", "password-error")
    found["login"] = violations(page, axe_source)
    context.close()
    # A new user with nothing filled in.
    context, page = signed_in(browser, live_server, world["users"]["admin"], width)
    page.goto(f"{live_server}/admin/users/new")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".error").first).to_be_visible()
    found["new user"] = violations(page, axe_source)
    context.close()
    # An answer out of range, then a conflict with a colleague's newer answer.
    drafter = world["users"]["drafter"]
    colleague = world["users"]["colleague"]
    section = f"{live_server}/assessments/{world['draft'].id}/sections/basics"
    context, page = signed_in(browser, live_server, drafter, width)
    other, their_page = signed_in(browser, live_server, colleague, width)
    page.goto(section)
    their_page.goto(section)
    page.locator('input[name="budget_share"]').fill("140")
    expect(page.locator('[data-error-for="budget_share"]')).to_contain_text("at most 100")
    found["invalid answer"] = violations(page, axe_source)
    their_page.locator('[name="maturity"][value="4"]').check()
    expect(their_page.locator("#save-status")).to_contain_text("Saved")
    page.locator('[name="maturity"][value="2"]').check()
    expect(page.locator('[data-item="maturity"] .conflict')).to_be_visible()
    found["conflict"] = violations(page, axe_source)
    context.close()
    other.close()
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_checker_finds_a_violation(live_server, browser, axe_source):
    """The check can fail: a page with an unlabelled field and an image without text."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><head><title>x</title></head><body><main>'
        '<input type="text"><img src="x.png"></main></body></html>'
    )
    found = violations(page, axe_source)
    context.close()
    assert any(line.startswith("label") for line in found)
    assert any(line.startswith("image-alt") for line in found)


def focused(page) -> str:
    """The focused element, as ``tag[name=value]`` or its text."""
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return e.tagName.toLowerCase() + "[" + (e.name || "") + "=" + (e.value || "")
                          + "] " + (e.innerText || "").trim().slice(0, 40); }"""
    )


def tab_to(page, wanted: str, limit: int = 80) -> None:
    """Press Tab until the focused element's description contains ``wanted``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if wanted in focused(page):
            return
    raise AssertionError(f"{wanted!r} never took the focus (last: {focused(page)})")


def test_a_section_is_filled_saved_and_submitted_with_the_keyboard_alone(
    app, live_server, browser, world
):
    """Sign in, choose a level, type a share, move on (autosave), then submit: Tab, arrows,
    typing, Space and Enter only, never a click."""
    from surveyapp.assessments.models import Answer, Assessment

    draft = world["draft"]
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    tab_to(page, "input[email=")
    page.keyboard.type("fran@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"{live_server}/assessments/{draft.id}/sections/basics")
    # The level: Tab reaches the chosen radio of the group (5, saved before), arrows move it.
    tab_to(page, "input[maturity=")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert focused(page).startswith("input[maturity=3]")
    tab_to(page, "input[budget_share=")
    page.keyboard.type("35")
    page.keyboard.press("Tab")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.goto(f"{live_server}/assessments/{draft.id}/submit")
    tab_to(page, "Submit the assessment")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Submitted.")).to_be_visible()
    context.close()
    db.session.expire_all()
    assert db.session.get(Assessment, draft.id).state == AssessmentState.submitted
    values = dict(
        db.session.execute(
            db.select(Answer.item_id, Answer.value).filter_by(assessment_id=draft.id)
        ).all()
    )
    assert values["maturity"] == 3 and values["budget_share"] == 35

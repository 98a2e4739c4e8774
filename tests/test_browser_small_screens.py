"""The section page on a phone, measured in headless Chromium (issue 25, part 5): the list of
sections folds away so that the first question is on the first screen, and every radio and
check box offers a target of at least 24 x 24 px (WCAG 2.5.8)."""

import itertools

import pytest

from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from tests.test_browser_filling import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1024, "height": 768}


@pytest.fixture
def real_assessment(create_region, create_user, create_round, create_assessment):
    """An officer's assessment of the real questionnaire (13 sections, long titles, six
    languages: the page offers the questionnaire's language above the sections)."""
    real = load_questionnaire("questionnaires/criterion7-interregional-v2.yaml").questionnaire
    db.session.commit()
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    assessment = create_assessment(
        region=region, round_=create_round("2026 spring", questionnaire=real)
    )
    return {"email": officer.email, "id": assessment.id, "definition": real.parsed}


def open_section(browser, base, email, url, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_in(page, base, email)
    page.goto(f"{base}{url}")
    return context, page


def test_on_a_phone_the_sections_fold_away_and_the_first_question_is_on_the_first_screen(
    live_server, browser, real_assessment
):
    definition = real_assessment["definition"]
    first = definition.sections[0]
    url = f"/assessments/{real_assessment['id']}/sections/{first.id}"
    context, page = open_section(browser, live_server, real_assessment["email"], url, PHONE)
    nav = page.get_by_role("navigation", name="Sections")
    summary = nav.locator("summary")
    assert summary.is_visible()
    assert summary.inner_text() == f"Sections: 1 of {len(definition.sections)}"
    links = nav.locator("a")
    assert links.count() == len(definition.sections) and not links.first.is_visible()
    label = page.locator(".section-form .item").first.locator("legend, label").first
    box = label.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert page.evaluate("window.scrollY") == 0
    # Opened, the list is there to go to another section; the current one is marked.
    summary.click()
    assert links.nth(len(definition.sections) - 1).is_visible()
    assert nav.locator("[aria-current=page]").inner_text() == first.localized("title", "en")
    context.close()


def test_beside_the_form_the_list_of_sections_is_always_open(live_server, browser, real_assessment):
    definition = real_assessment["definition"]
    url = f"/assessments/{real_assessment['id']}/sections/{definition.sections[2].id}"
    context, page = open_section(browser, live_server, real_assessment["email"], url, DESKTOP)
    nav = page.get_by_role("navigation", name="Sections")
    assert not nav.locator("summary").is_visible()
    links = nav.get_by_role("link")
    assert all(links.nth(i).is_visible() for i in range(links.count()))
    assert nav.locator("[aria-current=page]").inner_text() == definition.sections[2].localized(
        "title", "en"
    )
    context.close()


#: Every radio and check box of the form: the box around the input and its label together
#: (a click on either chooses it), and the input's own box.
TARGETS = """() => [...document.querySelectorAll(
    '.section-form input[type=radio], .section-form input[type=checkbox]')]
  .filter(input => input.offsetParent !== null)
  .map(input => {
    const own = input.getBoundingClientRect();
    const label = input.closest('label') || document.querySelector(`label[for="${input.id}"]`);
    const box = label ? label.getBoundingClientRect() : own;
    const left = Math.min(own.left, box.left), right = Math.max(own.right, box.right);
    const top = Math.min(own.top, box.top), bottom = Math.max(own.bottom, box.bottom);
    return {name: input.name, value: input.value, type: input.type, labelled: !!label,
            width: right - left, height: bottom - top, left, right, top, bottom,
            input: [own.width, own.height]};
  })"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1024px"])
@pytest.mark.parametrize(
    ("section", "names"),
    [("basics", {"has_unit", "maturity"}), ("networks", {"role", "platforms"})],
)
def test_yes_no_and_radio_targets_are_at_least_24_px(
    live_server, browser, create_region, create_user, create_assessment, viewport, section, names
):
    """A yes/no answer, a single choice, a scale and check boxes, each with "Don't know"."""
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    assessment = create_assessment(region=region)
    url = f"/assessments/{assessment.id}/sections/{section}"
    context, page = open_section(browser, live_server, officer.email, url, viewport)
    targets = page.evaluate(TARGETS)
    assert names <= {target["name"] for target in targets}
    assert any(target["type"] == "radio" for target in targets)
    for target in targets:
        assert target["labelled"], target
        assert target["width"] >= 24 and target["height"] >= 24, target
    # No target covers another's (the spacing exception is not needed, but nothing overlaps).
    for a, b in itertools.pairwise(targets):
        apart = a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
        assert apart or a["right"] <= b["left"] or b["right"] <= a["left"], (a, b)
    # The label is the target: a click on its far end chooses the answer.
    yes = page.locator('.section-form input[type=radio][name="has_unit"][value="yes"]')
    if yes.count():
        label = yes.locator("xpath=ancestor::label")
        label.scroll_into_view_if_needed()
        box = label.bounding_box()
        page.mouse.click(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)
        assert yes.is_checked()
    context.close()


@pytest.mark.parametrize("path", ["/assessments/{id}", "/good-practices"])
def test_on_a_phone_a_page_never_scrolls_sideways(live_server, browser, real_assessment, path):
    """At 390 px the sections table made the assessment page 417 px wide, and the filters of
    the good-practice library stuck out of their card: wide tables scroll in their own box."""
    url = path.format(id=real_assessment["id"])
    context, page = open_section(
        browser, live_server, real_assessment["email"], url, {"width": 390, "height": 844}
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    context.close()

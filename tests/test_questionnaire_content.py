"""Issue 20, defects 6, 7 and 8: what the shipped questionnaire asks, read as a criterion-7
methodologist would. Each rule is checked on version 2 and shown to fail on version 1, where
the defect was found."""

import re

import pytest

from surveyapp.questionnaires.loader import load_file

ASPECTS = ("sme_adoption", "universities_rtos", "innovation_agencies", "multinationals")
OUTSIDE = re.compile(r"outside (your|the|its) Member State", re.IGNORECASE)
#: Items that quote the Common Provisions Regulation's own wording: a programme's
#: "interregional, cross-border and transnational actions with beneficiaries located in at
#: least one other Member State" (Regulation (EU) 2021/1060, Art. 22(3)(d)(vi)).
CPR_WORDING = {"fun_programme_provision"}
#: Quantities of a countable set that a reader cannot check (issue 20, defect 8). "Some data
#: are collected" says that any exist, which is observable; "some priority areas" is not.
VAGUE = re.compile(
    r"\ba visible share\b|(?<!how )\bmany\b|\bseveral\b|\bsome\b(?! data\b)", re.IGNORECASE
)


@pytest.fixture(scope="module", params=[1, 2])
def version(request):
    return request.param, load_file(
        f"questionnaires/criterion7-interregional-v{request.param}.yaml"
    )


def _scored(definition):
    return [item for item in definition.items if item.is_scored]


def _home(item) -> str | None:
    home = getattr(item, "home", None)
    return home if home is not None else item.config.get("dimension")


def _words(item) -> str:
    parts = [str(item.text), str(item.config.get("help") or "")]
    for level in item.config.get("levels") or []:
        parts += [str(level.get("label", "")), str(level.get("anchor", ""))]
    for option in item.config.get("options") or []:
        parts.append(str(option.get("label", "")))
    return " ".join(parts)


def _anchors(item) -> list[str]:
    return [str(level.get("anchor", "")) for level in item.config.get("levels") or []]


def defect_6(definition) -> list[str]:
    """Scored items that ask about "other Member States" only, leaving non-EU partners out."""
    return [
        item.id
        for item in _scored(definition)
        if "Member State" in str(item.text)
        and not OUTSIDE.search(str(item.text))
        and item.id not in CPR_WORDING
    ]


def defect_7(definition) -> list[str]:
    """Scored critical-aspect items with nothing about cooperation outside the Member State."""
    return [
        item.id
        for item in _scored(definition)
        if _home(item) in ASPECTS and not OUTSIDE.search(_words(item))
    ]


def defect_8(definition) -> list[str]:
    """Scale items whose levels are not observable and distinct: a vague quantity in an
    anchor, or two levels with the same anchor."""
    weak = []
    for item in _scored(definition):
        anchors = _anchors(item)
        if not anchors:
            continue
        if any(VAGUE.search(anchor) for anchor in anchors) or len(set(anchors)) < len(anchors):
            weak.append(item.id)
    return weak


@pytest.mark.parametrize("defect", [defect_6, defect_7, defect_8])
def test_the_questionnaire_rules(version, defect):
    number, definition = version
    found = defect(definition)
    if number == 1:
        assert found, f"{defect.__name__} should reproduce on v1"
    else:
        assert found == []


def test_non_eu_partners_count_inside_the_same_items_not_as_a_bonus(version):
    number, definition = version
    non_eu = [item for item in definition.items if "non_eu" in item.id]
    assert all(not item.is_scored for item in non_eu)
    if number == 2:
        # The index item of the strategy names both kinds of partner.
        text = str(definition.item("str_cooperation_in_s3").text)
        assert "non-EU countries" in text and OUTSIDE.search(text)


def test_context_questions_are_marked_and_unscored():
    definition = load_file("questionnaires/criterion7-interregional-v2.yaml")
    context = [item for item in definition.items if getattr(item, "is_context", False)]
    assert context and all(not item.is_scored for item in context)

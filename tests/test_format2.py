"""Questionnaire format 2 (method 2.0): every loader rule refuses a bad file with file, line, item
and reason and accepts the good one; "don't know" and "not applicable" through the types and the
forms; counts against a size-relative target; format 1 files load as before."""

import copy
import itertools
from collections import Counter
from pathlib import Path

import pytest
import yaml
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from surveyapp.assessments.forms import parse_item_input
from surveyapp.questionnaires.checks import is_half_multiple
from surveyapp.questionnaires.definition import (
    DEFAULT_ASPECT_SHORT_TITLES,
    DefinitionError,
    parse_definition,
)
from surveyapp.questionnaires.loader import load_file, shipped_files
from surveyapp.questionnaires.types import (
    DONT_KNOW,
    NOT_APPLICABLE,
    AnswerError,
    count_score,
    count_target,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL_V2 = ROOT / "tests" / "fixtures" / "small-v2.yaml"
V1 = ROOT / "questionnaires" / "criterion7-interregional-v1.yaml"
V2 = ROOT / "questionnaires" / "criterion7-interregional-v2.yaml"
C7_DIMENSIONS = ["strategy", "governance", "partnerships", "funding", "value_chains", "monitoring"]
ASPECTS = ["sme_adoption", "universities_rtos", "innovation_agencies", "multinationals"]
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def small() -> dict:
    return yaml.safe_load(SMALL_V2.read_text())


def item(data: dict, item_id: str) -> dict:
    return next(i for s in data["sections"] for i in s["items"] if i["id"] == item_id)


def problems(data: dict) -> list[str]:
    """The loader's errors for this data (none when it loads)."""
    try:
        parse_definition(data, source="small-v2.yaml")
    except DefinitionError as exc:
        return exc.errors
    return []


def refused(data: dict, reason: str, item_id: str | None = None) -> None:
    errors = problems(data)
    matching = [e for e in errors if reason in e]
    assert matching, errors
    if item_id:
        assert any(f"item {item_id!r}" in e for e in matching), matching


@pytest.fixture
def v2():
    return load_file(SMALL_V2)


@pytest.fixture
def write(tmp_path):
    def _write(data, name="broken-v2.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    return _write


# --- The definition API ------------------------------------------------------------------------


def test_the_small_format_2_file_loads_with_its_api(v2):
    assert (v2.format, v2.method) == (2, "2.0")
    assert [g.id for g in v2.c7_dimensions] == ["strategy", "partnerships"]
    assert [(a.id, a.short_title) for a in v2.aspects] == [
        ("sme_adoption", "SME technology adoption"),
        ("multinationals", "Knowledge transfer from multinationals"),
    ]
    homes = {i.id: (i.home_kind, i.home) for i in v2.scored_items}
    assert homes == {
        "maturity": ("dimension", "strategy"),
        "has_plan": ("dimension", "strategy"),
        "budget_share": ("dimension", "strategy"),
        "tp_role": ("dimension", "partnerships"),
        "tp_activity": ("dimension", "partnerships"),
        "projects_12m": ("dimension", "partnerships"),
        "sme_services": ("aspect", "sme_adoption"),
        "mnc_linkage": ("aspect", "multinationals"),
    }
    maturity = v2.item("maturity")
    assert maturity.relates_to == ("sme_adoption",)
    assert maturity.weight == 1.5 and maturity.required and maturity.allow_dk
    assert not maturity.allow_na and maturity.aspects == () and maturity.dimension == "strategy"
    assert v2.item("has_plan").weight == 0.5  # a scored yes/no's default in format 2
    mnc = v2.item("mnc_linkage")
    assert mnc.allow_na and mnc.na_reason.startswith("Explain why")
    assert mnc.dimension is None and mnc.aspects == ()
    context = v2.item("sme_analysis")
    assert context.is_context and not context.is_scored and context.home_kind is None
    assert not context.allow_dk and not context.required
    projects = v2.item("projects_12m")
    assert projects.period == "last_12_months"
    assert projects.relative_target == {"per_million": 2.0, "exponent": 0.5, "floor": 1.0}
    assert v2.item("plain_count").period == "since_previous_round"
    assert not v2.item("plain_count").is_scored
    assert [i.id for i in v2.home_items("aspect", "sme_adoption")] == ["sme_services"]


def test_localized_items_tell_dont_know_and_the_na_reason(app, v2):
    shown = v2.localized_items("en")
    assert shown["mnc_linkage"].allow_na and shown["mnc_linkage"].allow_dk
    assert shown["mnc_linkage"].na_reason.startswith("Explain why")
    assert shown["maturity"].options[0][1] == "Absent / no evidence"  # level 0 from the file
    assert not shown["sme_analysis"].allow_dk and shown["sme_analysis"].na_reason == ""


def test_format_1_keeps_its_items_and_maps_homes(app):
    definition = load_file(V1)
    assert (definition.format, definition.method) == (1, "1.0")
    assert [g.id for g in definition.c7_dimensions] == C7_DIMENSIONS
    assert [a.id for a in definition.aspects] == ASPECTS
    for aspect in definition.aspects:
        assert aspect.short_title is DEFAULT_ASPECT_SHORT_TITLES[aspect.id]
        assert aspect.label("en") == str(DEFAULT_ASPECT_SHORT_TITLES[aspect.id])
    scored = definition.scored_items
    for scored_item in scored:
        expected = "aspect" if scored_item.dimension in ASPECTS else "dimension"
        assert (scored_item.home_kind, scored_item.home) == (expected, scored_item.dimension)
        assert not scored_item.allow_dk and scored_item.relates_to == ()
        assert not scored_item.asks_evidence(5) and not scored_item.asks_evidence(True)
    assert Counter(i.home_kind for i in scored) == {"dimension": 36, "aspect": 20}
    # the item aspect lists of format 1 are kept for the method 1.0 scores
    assert any(i.aspects for i in scored)
    unscored = [i for i in definition.items if not i.is_scored]
    assert all(i.home_kind is None and i.home is None for i in unscored)
    assert all(i.allow_na == bool(i.config.get("allow_na")) for i in definition.items)


def test_format_1_refuses_the_format_2_keys(app, fixture_path):
    data = yaml.safe_load(Path(fixture_path("small-v1.yaml")).read_text())
    item(data, "maturity")["na_reason"] = "Why"
    item(data, "maturity")["aspect"] = "sme_adoption"
    data["aspects"][0]["short_title"] = "SME"
    errors = "\n".join(problems(data))
    assert "unknown key(s) in a scale item: aspect, na_reason" in errors
    assert "unknown key(s) in 'aspects': short_title" in errors
    data = yaml.safe_load(Path(fixture_path("small-v1.yaml")).read_text())
    item(data, "unit_staff")["target"] = {"per_million": 1}
    refused(data, "'target' must be a number", "unit_staff")


# --- Loader rules: each refused with file, line, item and reason; the good case loads ------------


def test_an_error_names_file_line_item_and_reason(write):
    data = small()
    del item(data, "sme_services")["actions"]
    path = write(data)
    with pytest.raises(DefinitionError) as excinfo:
        load_file(path)
    (message,) = excinfo.value.errors
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).splitlines()
    line = next(n for n, row in enumerate(text, 1) if row.strip() == "- id: sme_services")
    assert message.startswith(f"{path}:{line}: item 'sme_services': ")
    assert "a scored item needs its own 'actions'" in message


@pytest.mark.parametrize(
    ("mutate", "reason", "item_id"),
    [
        (
            lambda d: item(d, "maturity").update(aspect="sme_adoption"),
            "has both 'dimension' and 'aspect'",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").pop("dimension"),
            "a scored item needs one home",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(dimension=["strategy"]),
            "'dimension' must be one dimension id, not a list",
            "maturity",
        ),
        (
            lambda d: item(d, "sme_services").update(aspect=["sme_adoption"]),
            "'aspect' must be one aspect id, not a list",
            "sme_services",
        ),
        (
            lambda d: item(d, "maturity").update(dimension="governance"),
            "unknown dimension 'governance'",
            "maturity",
        ),
        (
            lambda d: item(d, "sme_services").update(aspect="strategy"),
            "unknown aspect 'strategy'",
            "sme_services",
        ),
        (
            lambda d: item(d, "maturity").update(aspects=["sme_adoption"]),
            "unknown key(s) in a scale item: aspects",
            "maturity",
        ),
        (
            lambda d: item(d, "sme_analysis").update(dimension="strategy"),
            "a context item has no home",
            "sme_analysis",
        ),
        (
            lambda d: item(d, "practice").update(dimension="strategy"),
            "an unscored item has no home",
            "practice",
        ),
        (
            lambda d: item(d, "sme_analysis").update(weight=1),
            "'weight' is only allowed on scored items",
            "sme_analysis",
        ),
        (
            lambda d: item(d, "sme_analysis").update(context="yes"),
            "'context' must be true or false",
            "sme_analysis",
        ),
        (
            lambda d: item(d, "has_plan").pop("actions"),
            "a scored item needs its own 'actions'",
            "has_plan",
        ),
        (
            lambda d: item(d, "maturity").update(weight=0.75),
            "'weight' must be a multiple of 0.5",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(weight=0),
            "'weight' must be a multiple of 0.5",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(required=False),
            "a scored item is always required",
            "maturity",
        ),
        (
            lambda d: item(d, "mnc_linkage").pop("na_reason"),
            "'allow_na: true' needs 'na_reason'",
            "mnc_linkage",
        ),
        (
            lambda d: item(d, "maturity").update(na_reason="Why not?"),
            "'na_reason' is only allowed with 'allow_na: true'",
            "maturity",
        ),
        (
            lambda d: item(d, "mnc_linkage").update(na_reason=""),
            "'na_reason' must be text",
            "mnc_linkage",
        ),
        (
            lambda d: item(d, "practice").update(allow_na=True, na_reason="Why"),
            "'allow_na' is only allowed on items that can be scored",
            "practice",
        ),
        (
            lambda d: item(d, "has_plan").update(allow_na="yes"),
            "'allow_na' must be true or false",
            "has_plan",
        ),
        (
            lambda d: (
                item(d, "projects_12m").pop("period") and item(d, "projects_12m").update(target=10)
            ),
            "a scored count needs a 'period'",
            "projects_12m",
        ),
        (
            lambda d: item(d, "projects_12m").update(period="since_2021"),
            "'period' must be one of last_12_months, since_previous_round",
            "projects_12m",
        ),
        (
            lambda d: item(d, "maturity").update(period="last_12_months"),
            "'period' is only allowed on number items",
            "maturity",
        ),
        (
            lambda d: item(d, "projects_12m")["target"].update(per_million=0),
            "'target: per_million' must be a number greater than 0",
            "projects_12m",
        ),
        (
            lambda d: item(d, "projects_12m")["target"].update(exponent=1.5),
            "'target: exponent' must be a number from 0 to 1",
            "projects_12m",
        ),
        (
            lambda d: item(d, "projects_12m")["target"].update(floor=-1),
            "'target: floor' must be a number greater than 0",
            "projects_12m",
        ),
        (
            lambda d: item(d, "projects_12m")["target"].update(cap=5),
            "unknown key(s) in 'target': cap",
            "projects_12m",
        ),
        (
            lambda d: item(d, "maturity").update(relates_to="sme_adoption"),
            "'relates_to' must be a list of aspect ids",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(relates_to=["space"]),
            "'relates_to' names 'space', which is not an aspect",
            "maturity",
        ),
        (
            lambda d: item(d, "sme_services").update(relates_to=["multinationals"]),
            "'relates_to' is for dimension items",
            "sme_services",
        ),
        (
            lambda d: item(d, "tp_role")["options"].reverse(),
            "option scores must never decrease",
            "tp_role",
        ),
        (
            lambda d: item(d, "tp_role")["options"][0].update(score=10),
            "must score 0",
            "tp_role",
        ),
        (
            lambda d: item(d, "tp_role")["options"][1].update(score=-10),
            "score must be a number from 0 to 100",
            "tp_role",
        ),
        (
            lambda d: [o.update(score=50) for o in item(d, "platforms")["options"]],
            "multi_choice items are not scored in format 2",
            "platforms",
        ),
        (
            lambda d: item(d, "tp_activity").update(show_if={"item": "tp_role", "in": ["member"]}),
            "missing: lead",
            "tp_activity",
        ),
        (
            lambda d: item(d, "tp_activity").update(show_if={"item": "maturity", "in": [3, 4, 5]}),
            "a scored item's gate must be a yes_no item or a single_choice item with option scores",
            "tp_activity",
        ),
        (
            lambda d: item(d, "budget_share").update(show_if={"item": "has_plan", "equals": False}),
            "must be 'equals: true'",
            "budget_share",
        ),
    ],
)
def test_each_rule_refuses_a_bad_item(mutate, reason, item_id):
    data = small()
    assert problems(data) == []
    mutate(data)
    refused(data, reason, item_id)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: item(d, "has_plan").update(weight=1),  # an explicit yes/no weight
        lambda d: item(d, "maturity").update(weight=2.5),
        lambda d: item(d, "maturity").update(required=True),
        lambda d: item(d, "projects_12m").pop("period"),  # a relative target alone
        lambda d: item(d, "projects_12m").update(target=10),  # absolute, with a period
        lambda d: item(d, "projects_12m").update(target={"per_million": 3}),  # defaults
        lambda d: item(d, "has_plan").update(allow_na=True, na_reason="Why"),
        lambda d: item(d, "tp_activity").update(show_if={"item": "tp_role", "in": ["lead"]}),
        lambda d: item(d, "budget_share").update(show_if={"item": "has_plan", "equals": True}),
        lambda d: item(d, "budget_share").update(show_if={"item": "has_plan", "in": [True]}),
        # an unscored item may be gated on anything an earlier item answers
        lambda d: item(d, "practice").update(show_if={"item": "maturity", "in": [1]}),
        lambda d: item(d, "sme_analysis").update(relates_to=["sme_adoption"], actions=["Act."]),
        lambda d: item(d, "tp_role")["options"][2].update(score=50),  # equal steps are fine
        lambda d: d["dimensions"][0].update(short_title="Strategy"),
    ],
)
def test_the_good_variant_loads(mutate):
    data = small()
    mutate(data)
    assert problems(data) == []


def test_a_scored_count_needs_a_period_or_a_relative_target():
    data = small()
    projects = item(data, "projects_12m")
    del projects["period"]
    projects["target"] = 10
    refused(data, "a scored count needs a 'period'", "projects_12m")
    projects["period"] = "since_previous_round"
    assert problems(data) == []
    del projects["period"]
    projects["target"] = {"per_million": 2}
    assert problems(data) == []


def test_aspects_need_a_short_title_and_dimensions_no_aspect():
    data = small()
    del data["aspects"][0]["short_title"]
    assert any("the short_title of 'sme_adoption' must be text" in e for e in problems(data))
    data = small()
    data["dimensions"].append({"id": "sme_adoption", "title": "SME adoption"})
    assert any("dimensions id 'sme_adoption' is an aspect" in e for e in problems(data))


def test_unknown_keys_are_still_refused():
    data = small()
    item(data, "maturity")["colour"] = "red"
    data["aspects"][0]["colour"] = "red"
    errors = "\n".join(problems(data))
    assert "unknown key(s) in a scale item: colour" in errors
    assert "unknown key(s) in 'aspects': colour" in errors


# --- Properties: gates and ladders ------------------------------------------------------------


@st.composite
def ladders(draw):
    """A ladder of 2-6 option scores, never decreasing, the first 0."""
    steps = draw(st.lists(st.integers(0, 40), min_size=1, max_size=5))
    scores = [0]
    for step in steps:
        scores.append(min(100, scores[-1] + step))
    return scores


def _with_ladder(scores: list[int]) -> dict:
    data = small()
    item(data, "tp_role")["options"] = [
        {"value": f"o{n}", "label": f"Option {n}", "score": score} for n, score in enumerate(scores)
    ]
    item(data, "tp_activity")["show_if"] = {"item": "tp_role", "in": ["o0"]}
    return data


@SETTINGS
@given(ladders(), st.data())
def test_a_gate_is_accepted_exactly_when_upward_closed(scores, data):
    chosen = data.draw(
        st.lists(st.sampled_from(range(len(scores))), min_size=1, unique=True), label="in"
    )
    definition = _with_ladder(scores)
    item(definition, "tp_activity")["show_if"] = {
        "item": "tp_role",
        "in": [f"o{n}" for n in chosen],
    }
    lowest = min(scores[n] for n in chosen)
    upward_closed = all(n in chosen for n, score in enumerate(scores) if score >= lowest)
    gate_errors = [e for e in problems(definition) if "gate" in e]
    assert (gate_errors == []) is upward_closed, gate_errors


@SETTINGS
@given(st.lists(st.integers(0, 100), min_size=2, max_size=6))
def test_a_ladder_is_accepted_exactly_when_it_never_decreases_from_0(scores):
    definition = _with_ladder(scores)
    item(definition, "tp_activity")["show_if"] = {
        "item": "tp_role",
        "in": [f"o{n}" for n in range(len(scores))],
    }
    good = scores[0] == 0 and all(a <= b for a, b in itertools.pairwise(scores))
    assert (problems(definition) == []) is good


@SETTINGS
@given(st.floats(-10, 10, allow_nan=False) | st.integers(-10, 10))
def test_a_weight_is_accepted_exactly_when_a_positive_multiple_of_a_half(weight):
    data = small()
    item(data, "maturity")["weight"] = weight
    assert (problems(data) == []) is (weight > 0 and (weight * 2) == int(weight * 2))
    assert is_half_multiple(weight) is (problems(data) == [])


# --- Answers: "don't know", "not applicable", counts, evidence -----------------------------------


@pytest.mark.parametrize("item_id", ["maturity", "has_plan", "budget_share", "tp_role"])
def test_dont_know_on_a_scored_item_is_an_answer_that_scores_0(app, v2, item_id):
    scored = v2.item(item_id)
    qtype = scored.question_type
    assert qtype.clean(scored, DONT_KNOW) == DONT_KNOW
    assert qtype.score(scored, DONT_KNOW) == 0.0
    assert qtype.display(scored, DONT_KNOW) == "Don't know"
    with pytest.raises(AnswerError):
        qtype.clean(scored, NOT_APPLICABLE)  # not allowed on these items


def test_dont_know_and_not_applicable_on_counts(app, v2):
    projects = v2.item("projects_12m")
    assert projects.question_type.clean(projects, DONT_KNOW) == DONT_KNOW
    assert count_score(projects, DONT_KNOW, 4.0) == 0.0
    assert projects.question_type.display(projects, DONT_KNOW) == "Don't know"


def test_dont_know_is_refused_where_not_offered(app, v2, fixture_path):
    for unoffered in (v2.item("sme_analysis"), v2.item("plain_count")):
        with pytest.raises(AnswerError):
            unoffered.question_type.clean(unoffered, DONT_KNOW)
    v1_items = load_file(fixture_path("small-v1.yaml")).items_by_id
    for item_id in ("maturity", "has_unit", "unit_staff", "budget_share", "role"):
        v1_item = v1_items[item_id]
        with pytest.raises(AnswerError):
            v1_item.question_type.clean(v1_item, DONT_KNOW)


def test_not_applicable_is_left_out(app, v2):
    mnc = v2.item("mnc_linkage")
    assert mnc.question_type.clean(mnc, NOT_APPLICABLE) == NOT_APPLICABLE
    assert mnc.question_type.score(mnc, NOT_APPLICABLE) is None
    assert mnc.question_type.display(mnc, NOT_APPLICABLE) == "Not applicable"
    assert mnc.question_type.score(mnc, 0) == 0.0


def test_a_context_item_has_no_score(v2):
    context = v2.item("sme_analysis")
    assert context.question_type.score(context, 5) is None


def test_counts_score_against_the_size_relative_target(v2):
    projects = v2.item("projects_12m")  # per_million 2, exponent 0.5, floor 1
    assert count_target(projects, 4.0) == 4.0
    assert count_target(projects, 0.1) == 1.0  # the floor
    assert count_score(projects, 2, 4.0) == 50.0
    assert count_score(projects, 9, 4.0) == 100.0
    assert count_score(projects, 0, 4.0) == 0.0
    assert count_score(projects, 2, None) is None  # never guessed
    assert projects.question_type.score(projects, 2, population_millions=16.0) == 25.0


@SETTINGS
@given(
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.floats(0.01, 100, allow_nan=False),
)
def test_a_larger_count_never_scores_less(v2, low, high, population):
    projects = v2.item("projects_12m")
    low, high = sorted((low, high))
    low_score, high_score = (
        count_score(projects, low, population),
        count_score(projects, high, population),
    )
    assert 0.0 <= low_score <= high_score <= 100.0
    assert count_score(projects, DONT_KNOW, population) <= low_score


def test_an_absolute_target_with_a_period_still_scores(app):
    data = small()
    item(data, "projects_12m")["target"] = 8
    projects = parse_definition(data).item("projects_12m")
    assert projects.relative_target is None
    assert count_score(projects, 4, None) == 50.0


def test_format_1_scores_as_before(app, fixture_path):
    items = load_file(fixture_path("small-v1.yaml")).items_by_id
    staff = items["unit_staff"]
    assert staff.question_type.score(staff, 2) == 50.0  # target 4
    assert count_score(staff, 2, None) == 50.0
    assert items["maturity"].question_type.score(items["maturity"], "na") is None


@pytest.mark.parametrize(
    ("item_id", "value", "asks"),
    [
        ("maturity", 2, False),
        ("maturity", 3, True),
        ("maturity", 5, True),
        ("maturity", DONT_KNOW, False),
        ("maturity", True, False),
        ("has_plan", True, True),
        ("has_plan", False, False),
        ("has_plan", DONT_KNOW, False),
        ("budget_share", 90, False),
        ("tp_role", "lead", False),
        ("sme_analysis", 5, False),  # context
        ("mnc_linkage", 4, True),
        ("mnc_linkage", NOT_APPLICABLE, False),
    ],
)
def test_which_answers_ask_for_evidence(v2, item_id, value, asks):
    assert v2.item(item_id).asks_evidence(value) is asks


# --- Form fields -------------------------------------------------------------------------------


def _form(items, data):
    class SectionForm(FlaskForm):
        pass

    for each in items:
        setattr(SectionForm, each.id, each.question_type.make_field(each))
    return SectionForm(formdata=MultiDict(data), meta={"csrf": False})


def test_choice_fields_offer_dont_know_and_not_applicable(app, v2):
    with app.test_request_context():
        form = _form(v2.items, [])
        assert [c.value for c in form.maturity.choices][-1] == DONT_KNOW
        assert [c.value for c in form.mnc_linkage.choices][-2:] == [DONT_KNOW, NOT_APPLICABLE]
        assert [c.value for c in form.has_plan.choices] == ["yes", "no", DONT_KNOW]
        assert [c.value for c in form.tp_role.choices][-1] == DONT_KNOW
        assert DONT_KNOW not in [c.value for c in form.sme_analysis.choices]


def test_posted_dont_know_becomes_the_answer(app, v2):
    with app.test_request_context():
        form = _form(
            v2.items,
            [
                ("maturity", "dk"),
                ("has_plan", "dk"),
                ("tp_role", "dk"),
                ("mnc_linkage", "na"),
                ("projects_12m", ""),
                ("projects_12m", "dk"),
                ("budget_share", "12,5"),  # typed text and the box ticked: don't know wins
                ("budget_share", "dk"),
            ],
        )
        assert form.validate(), form.errors
        answers = {
            each.id: each.question_type.from_form(each, form[each.id].data) for each in v2.items
        }
        assert form.budget_share._value() == "12,5"  # the typed text stays in the box
        html = str(form.projects_12m())
    assert answers["maturity"] == answers["has_plan"] == answers["tp_role"] == DONT_KNOW
    assert answers["projects_12m"] == answers["budget_share"] == DONT_KNOW
    assert answers["mnc_linkage"] == NOT_APPLICABLE
    assert 'type="checkbox"' in html and 'value="dk"' in html and "checked" in html


def test_a_number_without_dont_know_refuses_it(app, v2):
    with app.test_request_context():
        form = _form(v2.items, [("plain_count", "dk")])
        assert not form.validate()
        assert "plain_count" in form.errors


def test_dont_know_through_the_autosave_path(app, v2):
    """Autosave posts the item's values as a list of strings (assessments.forms)."""
    projects, plain = v2.item("projects_12m"), v2.item("plain_count")

    def posted(each, raw):
        return parse_item_input("h2", each, raw, None)[0]  # (value, comment, ...)

    with app.test_request_context():
        assert posted(projects, ["", "dk"]) == DONT_KNOW
        assert posted(projects, ["dk"]) == DONT_KNOW
        assert posted(projects, ["7"]) == 7
        assert posted(projects, [""]) is None
        assert posted(v2.item("maturity"), ["dk"]) == DONT_KNOW
        assert posted(v2.item("has_plan"), ["dk"]) == DONT_KNOW
        with pytest.raises(AnswerError):
            posted(plain, ["dk"])


def test_stored_dont_know_goes_back_into_the_form(app, v2):
    projects = v2.item("projects_12m")
    qtype = projects.question_type
    assert qtype.to_form(projects, DONT_KNOW) == DONT_KNOW  # the check box's value
    assert qtype.form_text(projects, DONT_KNOW) == ""  # the text box stays empty
    for each, value in [
        (v2.item("has_plan"), DONT_KNOW),
        (v2.item("maturity"), DONT_KNOW),
        (v2.item("mnc_linkage"), NOT_APPLICABLE),
        (projects, DONT_KNOW),
        (projects, 12),
    ]:
        assert each.question_type.from_form(each, each.question_type.to_form(each, value)) == value


# --- The shipped files ------------------------------------------------------------------------


def test_both_versions_are_shipped_and_load(app):
    paths = shipped_files()
    assert V1 in paths
    for path in paths:
        load_file(path)


@pytest.mark.skipif(not V2.exists(), reason="questionnaire v2 not written yet")
def test_the_v2_questionnaire_has_47_scored_items_each_with_one_home(app):
    definition = load_file(V2)
    assert (definition.format, definition.version) == (2, 2)
    assert definition.slug == "criterion7-interregional"
    assert [g.id for g in definition.c7_dimensions] == C7_DIMENSIONS
    assert [a.id for a in definition.aspects] == ASPECTS
    scored = definition.scored_items
    assert len(scored) == 47
    assert Counter(i.home_kind for i in scored) == {"dimension": 33, "aspect": 14}
    per_home = Counter(i.home for i in scored)
    assert [per_home[d] for d in C7_DIMENSIONS] == [6, 5, 6, 5, 5, 6]
    assert [per_home[a] for a in ASPECTS] == [4, 3, 4, 3]
    assert all(i.actions and i.allow_dk and i.required for i in scored)
    assert not any(i.type == "multi_choice" for i in scored)
    assert all(i.period or i.relative_target for i in scored if i.type == "number")
    assert all(i.na_reason for i in definition.items if i.allow_na)


@pytest.mark.skipif(not V2.exists(), reason="questionnaire v2 not written yet")
def test_validate_accepts_the_v2_questionnaire(cli):
    result = cli.invoke(args=["questionnaires", "validate", str(V2)])
    assert result.exit_code == 0, result.output
    assert "valid (criterion7-interregional v2" in result.output
    assert "47 scored: 33 in dimensions, 14 in aspects; format 2, method 2.0" in result.output


def test_validate_tells_format_method_and_homes(cli):
    result = cli.invoke(args=["questionnaires", "validate", str(V1), str(SMALL_V2)])
    assert result.exit_code == 0, result.output
    assert "56 scored: 36 in dimensions, 20 in aspects; format 1, method 1.0" in result.output
    assert "8 scored: 6 in dimensions, 2 in aspects; format 2, method 2.0" in result.output


@pytest.mark.parametrize(
    ("mutate", "reason", "item_id"),
    [
        (
            lambda d: item(d, "sme_services").pop("actions"),
            "needs its own 'actions'",
            "sme_services",
        ),
        (
            lambda d: (
                item(d, "projects_12m").pop("period") and item(d, "projects_12m").update(target=5)
            ),
            "a scored count needs a 'period'",
            "projects_12m",
        ),
        (lambda d: item(d, "mnc_linkage").pop("na_reason"), "needs 'na_reason'", "mnc_linkage"),
    ],
)
def test_validate_command_names_the_item(cli, write, mutate, reason, item_id):
    data = small()
    mutate(data)
    path = write(data)
    result = cli.invoke(args=["questionnaires", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:" in result.output
    assert f"item {item_id!r}: " in result.output and reason in result.output


def test_a_small_v2_file_can_be_stored_beside_v1(app, fixture_path):
    from surveyapp.questionnaires.operations import load_questionnaire

    first = load_questionnaire(fixture_path("small-v1.yaml"))
    second = load_questionnaire(SMALL_V2)
    assert (first.outcome, second.outcome) == ("created", "created")
    assert second.questionnaire.parsed.format == 2
    assert first.questionnaire.parsed.format == 1
    # the stored definition parses to the same items as the file
    assert copy.deepcopy(second.questionnaire.definition) == small()

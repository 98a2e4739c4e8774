"""The questionnaire loader: one test per kind of error, and the shipped questionnaire."""

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from surveyapp.assessments.operations import save_answer
from surveyapp.questionnaires.definition import DefinitionError, parse_definition
from surveyapp.questionnaires.loader import load_file, read_file, shipped_files
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.operations import QuestionnaireInUse, load_questionnaire

REAL = Path(__file__).resolve().parents[1] / "questionnaires" / "criterion7-interregional-v1.yaml"


@pytest.fixture
def base(fixture_path):
    return yaml.safe_load(Path(fixture_path("small-v1.yaml")).read_text())


@pytest.fixture
def write(tmp_path):
    def _write(data, name="broken-v1.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    return _write


def item(data, item_id):
    return next(i for s in data["sections"] for i in s["items"] if i["id"] == item_id)


def errors_for(path) -> str:
    with pytest.raises(DefinitionError) as excinfo:
        load_file(path)
    message = str(excinfo.value)
    assert str(path) in message
    return message


def test_small_fixture_is_valid(app, fixture_path):
    definition = load_file(fixture_path("small-v1.yaml"))
    assert definition.slug == "small"
    assert [s.id for s in definition.sections] == ["basics", "networks"]
    assert definition.item("maturity").weight == 2.0


@pytest.mark.parametrize(
    ("mutate", "reason", "item_id"),
    [
        (lambda d: item(d, "role").update(type="ranking"), "unknown type 'ranking'", "role"),
        (
            lambda d: d["sections"][1]["items"].append(copy.deepcopy(item(d, "role"))),
            "duplicate item id",
            "role",
        ),
        (
            lambda d: item(d, "unit_staff").update(show_if={"item": "nowhere", "equals": True}),
            "'nowhere', which is not an earlier item",
            "unit_staff",
        ),
        (
            lambda d: item(d, "has_unit").update(show_if={"item": "role", "equals": "lead"}),
            "'role', which is not an earlier item",
            "has_unit",
        ),
        (
            lambda d: item(d, "unit_staff").update(show_if={"item": "has_unit", "equals": "yes"}),
            "not one of its answers",
            "unit_staff",
        ),
        (
            lambda d: item(d, "practice").update(weight=2),
            "'weight' is only allowed on scored",
            "practice",
        ),
        (
            lambda d: item(d, "plain_number").update(aspects=["sme_adoption"]),
            "'aspects' are only allowed on scored",
            "plain_number",
        ),
        (
            lambda d: item(d, "maturity")["levels"][3].update(anchor=""),
            "level 3 has no anchor",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity")["levels"].pop(),
            "levels must be exactly 0, 1, 2, 3, 4, 5",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(dimension="finance"),
            "unknown dimension 'finance'",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").pop("dimension"),
            "a scored item needs a 'dimension'",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(aspects=["space"]),
            "unknown aspect 'space'",
            "maturity",
        ),
        (
            lambda d: item(d, "maturity").update(colour="red"),
            "unknown key(s) in a scale item: colour",
            "maturity",
        ),
        (lambda d: item(d, "maturity").update(text=""), "'text' must be text", "maturity"),
        (
            lambda d: item(d, "maturity").update(weight=0),
            "'weight' must be a number greater than 0",
            "maturity",
        ),
        (
            lambda d: item(d, "role")["options"][1].update(value="lead"),
            "option value 'lead' is used twice",
            "role",
        ),
        (
            lambda d: item(d, "role")["options"][1].pop("score"),
            "either every option has a score",
            "role",
        ),
        (
            lambda d: item(d, "unit_staff").update(min=600),
            "'min' is greater than 'max'",
            "unit_staff",
        ),
        (
            lambda d: item(d, "platforms").update(max_choices=0),
            "'max_choices' must be",
            "platforms",
        ),
        (
            lambda d: item(d, "has_unit").update(required="yes"),
            "'required' must be true or false",
            "has_unit",
        ),
    ],
)
def test_item_errors_name_file_line_item_and_reason(base, write, mutate, reason, item_id):
    mutate(base)
    message = errors_for(write(base))
    assert reason in message
    assert f"item {item_id!r}" in message
    assert f"broken-v1.yaml:{_line_of(base, item_id)}" in message


def _line_of(data, item_id) -> int:
    """The line an item starts on in the file written by `write` (its last copy if repeated)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).splitlines()
    return [n for n, line in enumerate(text, 1) if line.strip() == f"- id: {item_id}"][-1]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.update(format=3), "unknown format 3"),
        (lambda d: d.update(format=True), "unknown format True"),
        (lambda d: d.update(colour="red"), "unknown key(s) in the questionnaire: colour"),
        (lambda d: d.update(slug="Small Questionnaire"), "'slug' must be"),
        (lambda d: d.update(version=0), "'version' must be a whole number"),
        (lambda d: d.update(sections=[]), "'sections' must be a non-empty list"),
        (lambda d: d["sections"][1].update(id="basics"), "section id 'basics' is used twice"),
        (lambda d: d["sections"][0].update(items=[]), "must have a non-empty 'items' list"),
        (
            lambda d: d["dimensions"].append({"id": "strategy", "title": "Again"}),
            "dimensions id 'strategy' is used twice",
        ),
        (lambda d: d.pop("aspects"), "'aspects' must be a non-empty list"),
    ],
)
def test_file_level_errors(base, write, mutate, reason):
    mutate(base)
    assert reason in errors_for(write(base))


def test_every_error_is_reported_at_once(base, write):
    item(base, "role").update(type="ranking")
    item(base, "practice").update(weight=3)
    message = errors_for(write(base))
    assert "unknown type 'ranking'" in message and "'weight' is only allowed" in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "bad-v1.yaml"
    path.write_text("format: 1\nslug: bad\nsections: [\n  {id: x\n")
    assert f"{path}:" in errors_for(path)
    assert "not valid YAML" in errors_for(path)


def test_missing_file(tmp_path):
    assert "cannot read the file" in errors_for(tmp_path / "missing.yaml")


def test_translations_are_accepted(base, write):
    item(base, "maturity")["text"] = {"en": "How mature?", "fr": "Quelle maturité ?"}
    definition = load_file(write(base))
    assert definition.item("maturity").localized("text", "fr") == "Quelle maturité ?"
    assert definition.item("maturity").localized("text", "de") == "How mature?"


def test_translation_without_english_is_refused(base, write):
    item(base, "maturity")["text"] = {"fr": "Quelle maturité ?"}
    assert "including 'en'" in errors_for(write(base))


def test_shipped_questionnaire_is_valid_and_substantial(app):
    _data, definition = read_file(REAL)
    items = list(definition.items)
    scored = [i for i in items if i.is_scored]
    assert len(items) >= 60
    assert len(scored) > len(items) / 2
    assert {d.id for d in definition.dimensions} >= {
        "strategy",
        "governance",
        "partnerships",
        "funding",
        "value_chains",
        "monitoring",
    }
    assert {a.id for a in definition.aspects} == {
        "sme_adoption",
        "universities_rtos",
        "innovation_agencies",
        "multinationals",
    }
    for aspect in definition.aspects:
        assert any(aspect.id in i.aspects for i in scored), aspect.id
    for scale in (i for i in items if i.type == "scale"):
        assert all(level["anchor"].strip() for level in scale.config["levels"])
    assert REAL in shipped_files()


def test_loading_twice_is_a_no_op(app, fixture_path):
    first = load_questionnaire(fixture_path("small-v1.yaml"))
    second = load_questionnaire(fixture_path("small-v1.yaml"))
    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert second.questionnaire.id == first.questionnaire.id
    from surveyapp.extensions import db

    assert db.session.scalar(select(func.count(Questionnaire.id))) == 1


def test_changed_version_without_answers_is_updated(app, base, write):
    first = load_questionnaire(write(base, "small-v1.yaml"))
    item(base, "maturity")["help"] = "Changed help."
    second = load_questionnaire(write(base, "small-v1.yaml"))
    assert second.outcome == "updated"
    assert second.questionnaire.parsed.item("maturity").help == "Changed help."
    assert second.questionnaire.id == first.questionnaire.id


def test_changed_version_with_answers_is_refused(app, base, write, create_assessment, create_round):
    stored = load_questionnaire(write(base, "small-v1.yaml")).questionnaire
    assessment = create_assessment(round_=create_round(questionnaire=stored))
    save_answer(assessment, "maturity", 3, user=None)
    item(base, "maturity")["help"] = "Changed help."
    with pytest.raises(QuestionnaireInUse, match="already has answers"):
        load_questionnaire(write(base, "small-v1.yaml"))
    assert stored.parsed.item("maturity").help == "Think of the last two years."


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: item(d, "maturity").update(dimension=["strategy"]), "unknown dimension"),
        (
            lambda d: item(d, "unit_staff").update(show_if={"item": ["has_unit"], "equals": True}),
            "'show_if: item' must be an item id",
        ),
        (lambda d: item(d, "maturity").update({1: "a", "colour": "b"}), "unknown key(s)"),
        (
            lambda d: item(d, "maturity")["levels"][1].update(level=True),
            "levels must be exactly 0, 1, 2, 3, 4, 5",
        ),
        (lambda d: item(d, "maturity").update(weight=float("inf")), "'weight' must be a number"),
        (lambda d: item(d, "maturity").update(weight=float("nan")), "'weight' must be a number"),
        (
            lambda d: item(d, "evidence").update(show_if={"item": "practice", "equals": "x"}),
            "'show_if' can only test",
        ),
        (lambda d: item(d, "maturity").update(text={"en": "x", 3: "y"}), "'text' must be text"),
        (
            lambda d: d["dimensions"][0].update(description=["a", "list"]),
            "the description of 'strategy'",
        ),
        (
            lambda d: d["sections"][0].update(description={"fr": "seulement"}),
            "the description of section 'basics'",
        ),
        (lambda d: item(d, "maturity").update(id="maturity\n"), "must match [a-z0-9_]+"),
        (lambda d: d.update(slug="small\n"), "'slug' must be"),
        (
            lambda d: item(d, "platform_note").update(show_if={"item": "unit_staff", "equals": 3}),
            "'show_if' can only test",
        ),
        (
            lambda d: item(d, "maturity").update(show_if={"item": "maturity", "equals": 1}),
            "cannot point to the item itself",
        ),
        (lambda d: d["sections"][0]["items"].insert(0, "just a string"), "must be a mapping"),
    ],
)
def test_malformed_values_are_errors_not_crashes(base, write, mutate, reason):
    mutate(base)
    assert reason in errors_for(write(base))


def test_show_if_chains_are_refused(base, write):
    item(base, "platform_note")["show_if"] = {"item": "platforms", "in": ["energy"]}
    item(base, "practice")["show_if"] = {"item": "platform_note", "equals": "x"}
    assert "'show_if' can only test" in errors_for(write(base))


def test_show_if_on_a_conditional_item_is_refused(base, write):
    item(base, "role")["show_if"] = {"item": "has_unit", "equals": True}
    item(base, "platforms")["show_if"] = {"item": "role", "equals": "lead"}
    assert "which has a show_if itself" in errors_for(write(base))


@pytest.mark.parametrize(
    ("priority_areas", "message"),
    [
        ("not-a-list", "must be a list of item ids"),
        (["nowhere"], "'nowhere', which is not an item"),
        (["maturity"], "must be a multi_choice item"),
    ],
)
@pytest.mark.parametrize("key", ["priority_areas", "challenge_items"])
def test_item_lists_must_name_multi_choice_items(base, key, priority_areas, message):
    data = base
    data[key] = priority_areas
    with pytest.raises(DefinitionError) as error:
        parse_definition(data)
    assert any(message in problem for problem in error.value.errors)


def test_item_lists_are_kept(base):
    data = base
    data["priority_areas"] = ["platforms"]
    data["challenge_items"] = ["platforms"]
    definition = parse_definition(data)
    assert definition.priority_areas == definition.challenge_items == ("platforms",)

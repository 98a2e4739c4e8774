"""Every question type: valid and invalid values, empty answers, scores, form fields."""

from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from surveyapp.assessments.models import Answer
from surveyapp.extensions import db
from surveyapp.questionnaires.loader import load_file
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.questionnaires.types import ALONE_OPTIONS, AnswerError


@pytest.fixture
def items(app, fixture_path):
    return load_file(fixture_path("small-v1.yaml")).items_by_id


def clean(items, item_id, value):
    item = items[item_id]
    return item.question_type.clean(item, value)


def score(items, item_id, value):
    item = items[item_id]
    return item.question_type.score(item, value)


@pytest.mark.parametrize(
    ("item_id", "value", "expected"),
    [
        ("maturity", 0, 0),
        ("maturity", 5, 5),
        ("maturity", "na", "na"),
        ("has_unit", True, True),
        ("has_unit", False, False),
        ("unit_staff", 3, 3),
        ("unit_staff", 3.0, 3),
        ("budget_share", 12.5, 12.5),
        ("budget_share", 0, 0),
        ("role", "member", "member"),
        ("platforms", ["blue", "agri_food"], ["agri_food", "blue"]),
        ("platform_note", "  Solar  ", "Solar"),
        ("practice", "A practice", "A practice"),
        (
            "evidence",
            ["https://example.org/s3.pdf", " http://example.org/a "],
            ["https://example.org/s3.pdf", "http://example.org/a"],
        ),
        (  # an address repeated is kept once; the limit (2) counts the addresses kept
            "evidence",
            ["https://b.example", "https://a.example", " https://b.example"],
            ["https://b.example", "https://a.example"],
        ),
        ("plain_number", -2.5, -2.5),
    ],
)
def test_valid_values_are_cleaned(items, item_id, value, expected):
    assert clean(items, item_id, value) == expected


@pytest.mark.parametrize(
    ("item_id", "value", "message"),
    [
        ("maturity", 6, "level from 0 to 5"),
        ("maturity", -1, "level from 0 to 5"),
        ("maturity", True, "level from 0 to 5"),
        ("maturity", "3", "level from 0 to 5"),
        ("has_unit", "yes", "yes or no"),
        ("has_unit", 1, "yes or no"),
        ("unit_staff", 2.5, "whole number"),
        ("unit_staff", -1, "at least 0"),
        ("unit_staff", 501, "at most 500"),
        ("unit_staff", float("nan"), "Enter a number"),
        ("unit_staff", "4", "Enter a number"),
        ("budget_share", 100.1, "at most 100"),
        ("budget_share", -0.1, "at least 0"),
        ("role", "chair", "one of the options"),
        ("platforms", ["energy", "space"], "from the options"),
        ("platforms", "energy", "from the options"),
        ("platforms", ["energy", "energy"], "once"),
        ("platforms", ["energy", "blue", "agri_food", "industrial"], "at most 3"),
        ("platform_note", "x" * 51, "Shorten this to 50 characters (it has 51)"),
        ("practice", 12, "Enter text"),
        ("evidence", ["ftp://example.org/x"], "Not a web address"),
        ("evidence", ["javascript:alert(1)"], "Not a web address"),
        ("evidence", "https://example.org", "one per line"),
        ("evidence", ["https://a.example", "https://b.example", "https://c.example"], "at most 2"),
    ],
)
def test_invalid_values_are_refused_with_a_message(items, item_id, value, message):
    with pytest.raises(AnswerError) as excinfo:
        clean(items, item_id, value)
    assert message in str(excinfo.value)


def test_not_applicable_only_where_allowed(app, fixture_path, tmp_path):
    text = (
        Path(fixture_path("small-v1.yaml")).read_text().replace("allow_na: true", "allow_na: false")
    )
    path = tmp_path / "small-v1.yaml"
    path.write_text(text)
    item = load_file(path).item("maturity")
    with pytest.raises(AnswerError):
        item.question_type.clean(item, "na")


@pytest.mark.parametrize(
    ("item_id", "value", "expected"),
    [
        ("maturity", 0, 0.0),
        ("maturity", 3, 60.0),
        ("maturity", 5, 100.0),
        ("maturity", "na", None),
        ("maturity", None, None),
        ("has_unit", True, 100.0),
        ("has_unit", False, 0.0),
        ("unit_staff", 2, 50.0),
        ("unit_staff", 10, 100.0),
        ("budget_share", 37.5, 37.5),
        ("role", "lead", 100.0),
        ("role", "member", 50.0),
        ("platforms", ["energy"], 40.0),
        ("platforms", ["energy", "blue", "agri_food"], 100.0),
        ("platform_note", "anything", None),
        ("practice", "anything", None),
        ("evidence", ["https://example.org"], None),
        ("plain_number", 7, None),
    ],
)
def test_scores(items, item_id, value, expected):
    assert score(items, item_id, value) == expected


@pytest.mark.parametrize(
    ("item_id", "scored"),
    [
        ("maturity", True),
        ("has_unit", True),
        ("unit_staff", True),
        ("budget_share", True),
        ("role", True),
        ("platforms", True),
        ("platform_note", False),
        ("practice", False),
        ("evidence", False),
        ("plain_number", False),
    ],
)
def test_which_items_are_scored(items, item_id, scored):
    assert items[item_id].is_scored is scored


@pytest.mark.parametrize("value", [None, "", "   ", []])
def test_empty_answers(items, value):
    for item in items.values():
        assert item.question_type.is_empty(value), item.id


def test_non_empty_answers(items):
    assert not items["maturity"].question_type.is_empty(0)
    assert not items["has_unit"].question_type.is_empty(False)
    assert not items["practice"].question_type.is_empty("x")


def make_form(items, data):
    class SectionForm(FlaskForm):
        pass

    for item in items.values():
        setattr(SectionForm, item.id, item.question_type.make_field(item))
    return SectionForm(formdata=MultiDict(data), meta={"csrf": False})


def test_form_fields_turn_submitted_data_into_answers(app, items):
    with app.test_request_context():
        form = make_form(
            items,
            [
                ("maturity", "na"),
                ("has_unit", "yes"),
                ("unit_staff", "3"),
                ("budget_share", "12.5"),
                ("role", "lead"),
                ("platforms", "energy"),
                ("platforms", "blue"),
                ("platform_note", " Solar "),
                ("practice", ""),
                ("evidence", "https://example.org/a\n\nhttps://example.org/b\n"),
            ],
        )
        assert form.validate(), form.errors
        answers = {
            item_id: item.question_type.from_form(item, getattr(form, item_id).data)
            for item_id, item in items.items()
        }
    assert answers == {
        "maturity": "na",
        "has_unit": True,
        "unit_staff": 3,
        "budget_share": 12.5,
        "role": "lead",
        "platforms": ["energy", "blue"],
        "platform_note": "Solar",
        "practice": None,
        "evidence": ["https://example.org/a", "https://example.org/b"],
        "plain_number": None,
    }


def test_form_fields_report_errors_at_the_field(app, items):
    with app.test_request_context():
        form = make_form(
            items,
            [
                ("unit_staff", "many"),
                ("budget_share", "140"),
                ("role", "chair"),
                ("platform_note", "x" * 60),
            ],
        )
        assert not form.validate()
    assert set(form.errors) == {"unit_staff", "budget_share", "role", "platform_note"}


def test_form_round_trip_of_stored_values(app, items):
    for item_id, value in [
        ("maturity", 4),
        ("has_unit", False),
        ("evidence", ["https://a.example"]),
    ]:
        item = items[item_id]
        qtype = item.question_type
        assert qtype.from_form(item, qtype.to_form(item, value)) == value


def test_scale_field_lists_levels_and_not_applicable(app, items):
    with app.test_request_context():
        form = make_form(items, [])
        choices = [choice.value for choice in form.maturity.choices]
    assert choices == ["0", "1", "2", "3", "4", "5", "na"]


def test_show_if_visibility(items):
    unit_staff, note = items["unit_staff"], items["platform_note"]
    assert unit_staff.is_visible({"has_unit": True})
    assert not unit_staff.is_visible({"has_unit": False})
    assert not unit_staff.is_visible({})
    assert not unit_staff.is_visible({"has_unit": 1})
    assert note.is_visible({"platforms": ["agri_food", "blue"]})
    assert not note.is_visible({"platforms": ["agri_food"]})


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://:80",
        "https://exa mple.org",
        "https://example.org/\tx",
        "mailto:someone@example.org",
        "//example.org/x",
    ],
)
def test_malformed_urls_are_refused_not_crashes(items, url):
    with pytest.raises(AnswerError):
        clean(items, "evidence", [url])


def test_numbers_too_large_are_refused(items):
    with pytest.raises(AnswerError):
        clean(items, "plain_number", 10**400)


def test_scale_form_data_that_is_not_a_level(items):
    item = items["maturity"]
    assert item.question_type.from_form(item, "\x85") is None  # whitespace only: no answer
    with pytest.raises(AnswerError):
        item.question_type.from_form(item, "three")


#: Version 2's multiple choices with an option that stands alone ("None", "No analysis done",
#: "Not known"), and that option.
V2_WITH_ALONE = [
    (item, alone)
    for item in load_file("questionnaires/criterion7-interregional-v2.yaml").items
    if item.type == "multi_choice"
    for alone in item.question_type.possible_answers(item)
    if alone in ALONE_OPTIONS
]


def test_version_2_asks_none_on_its_own_in_its_multiple_choices():
    assert {(item.id, alone) for item, alone in V2_WITH_ALONE} >= {
        ("par_interreg_strands", "none"),
        ("par_horizon_europe", "none"),
        ("vch_sources", "no_analysis"),
        ("par_i3_strands", "not_known"),
    }


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_none_is_refused_beside_any_other_option(app, data):
    """Any choice of a multiple choice with "None" (or "No analysis done", "Not known"):
    refused with another option, with a message that names the option, and accepted on its own
    or without it."""
    item, alone = data.draw(st.sampled_from(V2_WITH_ALONE))
    label = next(o["label"] for o in item.config["options"] if o["value"] == alone)
    others = [v for v in item.question_type.possible_answers(item) if v != alone]
    chosen = data.draw(st.lists(st.sampled_from(others), unique=True, max_size=len(others)))
    with_alone = data.draw(st.permutations([*chosen, alone]))
    with app.test_request_context():
        if chosen:
            with pytest.raises(AnswerError) as refused:
                item.question_type.clean(item, with_alone)
            assert str(refused.value) == f"Choose \u201c{label}\u201d on its own, or untick it."
            assert item.question_type.clean(item, chosen) == [v for v in others if v in chosen]
        else:
            assert item.question_type.clean(item, with_alone) == [alone]


def test_none_beside_another_option_gets_a_message_at_the_field(
    app,
    fixture_path,
    tmp_path,
    client,
    login,
    create_user,
    create_region,
    create_round,
    create_assessment,
):
    text = Path(fixture_path("small-v1.yaml")).read_text()
    text = text.replace(
        "{value: blue, label: Blue Economy, score: 40}",
        "{value: blue, label: Blue Economy, score: 40}\n"
        "          - {value: none, label: {en: None, fr: Aucune}, score: 0}",
    )
    path = tmp_path / "small-v1.yaml"
    path.write_text(text)
    questionnaire = load_questionnaire(path).questionnaire
    region = create_region()
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    assessment = create_assessment(region=region, round_=create_round(questionnaire=questionnaire))
    login(officer)
    url = f"/assessments/{assessment.id}/answers/platforms"
    refused = client.post(url, json={"value": ["energy", "none"], "version": 0})
    assert refused.status_code == 422
    assert refused.json["error"] == "Choose \u201cNone\u201d on its own, or untick it."
    data = MultiDict([("platforms", "energy"), ("platforms", "none"), ("platforms__version", "0")])
    page = client.post(f"/assessments/{assessment.id}/sections/networks", data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    error = html[html.index('id="platforms-error"') :][:500]
    assert "Choose \u201cNone\u201d on its own, or untick it." in error.replace("&#8220;", "\u201c")
    stored = db.session.scalar(
        select(Answer).filter_by(assessment_id=assessment.id, item_id="platforms")
    )
    assert stored is None
    assert client.post(url, json={"value": ["none"], "version": 0}).status_code == 200

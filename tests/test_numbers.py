"""Numbers as readers see and type them: locale formats, one message per error, no silent cuts.

Issue 19, items 12 (1.25e+06 in the response PDF), 15 (number errors), 16 (web address errors)
and 18 (an over-long text cut to its limit and shown as saved).
"""

import io
import re
import zipfile
from decimal import Decimal
from html import unescape

import pandas as pd
import pytest
from babel.numbers import parse_decimal
from flask_babel import force_locale, gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from surveyapp.assessments.models import Answer, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.numbers import NumberInputError, format_number, parse_number
from surveyapp.questionnaires.loader import load_file
from surveyapp.questionnaires.types import AnswerError

LANGS = ["en", "fr", "de"]
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: Every number an answer may hold (the question types refuse 1e15 and more).
numbers_in_range = st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1) | st.floats(
    min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False, exclude_max=True
).filter(lambda x: abs(x) < 1e15)


@pytest.fixture
def items(app, fixture_path):
    return load_file(fixture_path("small-v1.yaml")).items_by_id


@pytest.fixture
def region(create_region):
    return create_region("ES21", "País Vasco")


@pytest.fixture
def officer(create_user, region):
    return create_user(email="olga@example.org", name="Olga", regions=[region])


@pytest.fixture
def assessment(create_assessment, region):
    assessment = create_assessment(region=region)
    db.session.commit()
    return assessment


def autosave(client, assessment, item_id, value, lang="en", version=0):
    return client.post(
        f"/assessments/{assessment.id}/answers/{item_id}",
        json={"value": value, "version": version},
        headers={"Accept-Language": lang},
    )


def post_section(client, assessment, section, item_id, raw, lang="en"):
    data = MultiDict([(item_id, value) for value in raw] + [(f"{item_id}__version", "0")])
    return client.post(
        f"/assessments/{assessment.id}/sections/{section}",
        data=data,
        headers={"Accept-Language": lang},
    )


def stored(assessment, item_id):
    db.session.expire_all()
    return db.session.scalar(select(Answer).filter_by(assessment_id=assessment.id, item_id=item_id))


def field_error(html: str, item_id: str) -> str:
    match = re.search(rf'<p class="error" id="{item_id}-error"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no error paragraph for {item_id}"
    return unescape(match.group(1))


def input_value(html: str, item_id: str) -> str:
    match = re.search(rf'<input type="text"[^>]* name="{item_id}" value="([^"]*)"', html)
    assert match, f"no text input for {item_id}"
    return unescape(match.group(1))


# -- item 12: numbers shown in the reader's language, never in exponent form -------------------


@PROPERTY
@given(value=numbers_in_range, lang=st.sampled_from(LANGS))
def test_every_number_reads_back_as_itself_in_every_language(app, items, value, lang):
    item = items["plain_number"]
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    with app.test_request_context(), force_locale(lang):
        for text in (
            format_number(value, lang),
            item.question_type.display(item, value, lang),
            item.question_type.form_text(item, value),
        ):
            assert "e+" not in text.lower() and "e-" not in text.lower(), text
            assert parse_decimal(text, locale=lang) == exact, text
            assert parse_number(text, lang) == exact, text
        # What the box shows is what the form reads back: the stored number, unchanged.
        assert item.question_type.from_form(item, item.question_type.form_text(item, value)) == (
            item.question_type.clean(item, value)
        )


def test_a_large_answer_is_written_as_the_language_writes_it(app, items):
    item = items["plain_number"]
    shown = {lang: item.question_type.display(item, 1250000.0, lang) for lang in LANGS}
    assert shown["en"] == "1,250,000"
    assert shown["de"] == "1.250.000"
    assert shown["fr"].replace("\u202f", " ") == "1 250 000"
    share = items["budget_share"]
    assert share.question_type.display(share, 12.5, "en") == "12.5%"
    assert share.question_type.display(share, 12.5, "de").startswith("12,5")


def test_the_response_report_writes_numbers_for_its_reader(app, create_user, assessment):
    from surveyapp.reporting.catalog import RESPONSE, Job, build_context, definition
    from surveyapp.reporting.render import render_html

    writer = create_user(email="w@example.org")
    save_answer(assessment, "has_unit", True, writer)
    save_answer(assessment, "unit_staff", 250, writer)
    save_answer(assessment, "plain_number", 1250000.0, writer)
    assessment.state = AssessmentState.submitted
    db.session.commit()
    for lang, expected in [("en", "1,250,000"), ("de", "1.250.000")]:
        job = Job(RESPONSE, assessment.round_id, assessment.region_id, lang=lang)
        html = render_html(definition(job), build_context(job), lang)
        assert expected in html
        assert "e+06" not in html


def test_report_scores_are_written_in_the_reports_language(app):
    from surveyapp.reporting.render import load_report, report_environment

    environment = report_environment(load_report("region"))
    template = environment.from_string(
        '{% import "_macros.html" as m %}{{ m.score(value) }}|{{ m.score(none) }}'
    )
    for lang in LANGS:
        with force_locale(lang):
            shown, missing = template.render(value=1234.56).split("|")
        assert parse_decimal(shown, locale=lang) == Decimal("1234.6"), shown
        assert missing == "\u2013"


def test_page_scores_are_written_in_the_readers_language(app):
    template = app.jinja_env.from_string(
        '{% from "analysis/_macros.html" import score %}{{ score(value) }}'
    )
    for lang in LANGS:
        with app.test_request_context(), force_locale(lang):
            shown = template.render(value=1234.56)
        assert parse_decimal(shown, locale=lang, strict=True) == Decimal("1234.6"), shown


def test_pages_show_answers_in_the_readers_language(client, login, officer, assessment):
    save_answer(assessment, "plain_number", 1250000.5, officer)
    assessment.state = AssessmentState.submitted
    db.session.commit()
    login(officer)
    page = client.get(f"/assessments/{assessment.id}/print", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert "1.250.000,5" in page.get_data(as_text=True)


def test_csv_export_writes_plain_numbers_and_xlsx_numbers(
    app, client, login, create_user, assessment
):
    writer = create_user(email="w@example.org", role=Role.expert)
    save_answer(assessment, "plain_number", 1250000.0, writer)
    save_answer(assessment, "budget_share", 0.00001, writer)
    assessment.state = AssessmentState.submitted
    db.session.commit()
    login(writer)
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/rounds/{assessment.round_id}/export.csv").data)
    )
    answers_csv = archive.read("answers.csv").decode("utf-8-sig")
    assert "e+" not in answers_csv.lower() and "e-0" not in answers_csv.lower()
    answers = pd.read_csv(io.StringIO(answers_csv), dtype={"self_value": str})
    values = answers.set_index("item_id")["self_value"]
    assert values["plain_number"] == "1250000"
    assert Decimal(values["budget_share"]) == Decimal("0.00001")
    assert "e-" not in archive.read("results.csv").decode().lower()

    import openpyxl

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/rounds/{assessment.round_id}/export.xlsx").data)
    )
    rows = list(book["wide"].iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    assert first[header.index("plain_number")] == 1250000
    assert isinstance(first[header.index("budget_share")], float)


# -- item 15: numbers typed as the language writes them; one message that says what to type ----


@pytest.mark.parametrize("via", ["autosave", "form"])
@pytest.mark.parametrize(
    ("lang", "typed", "expected"),
    [
        ("de", "1.250.000", 1250000),
        ("de", "1,5", 1.5),
        ("fr", "1,5", 1.5),
        ("fr", "1 250 000", 1250000),
        ("fr", "1\u202f250\u202f000,25", 1250000.25),
        ("en", "1,250,000", 1250000),
        ("en", "2.5", 2.5),
        # Groups set apart by spaces, as much of Europe writes them, in every language.
        ("en", "1 250 000", 1250000),
        ("de", "1 250 000,5", 1250000.5),
    ],
)
def test_numbers_typed_in_the_pages_language_are_saved(
    client, login, officer, assessment, via, lang, typed, expected
):
    login(officer)
    if via == "autosave":
        response = autosave(client, assessment, "plain_number", [typed], lang=lang)
        assert response.status_code == 200, response.json
        # The box then shows the number as the language writes it, read back the same.
        shown = response.json["form_values"]
        assert autosave(client, assessment, "plain_number", shown, lang, 1).status_code == 200
    else:
        response = post_section(client, assessment, "networks", "plain_number", [typed], lang)
        assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(assessment, "plain_number").value == expected
    assert stored(assessment, "plain_number").version == 1


WHOLE = "Enter a whole number, for example %(example)s."
ANY = "Enter a number, for example %(example)s."


@pytest.mark.parametrize(
    ("lang", "item_id", "section", "typed", "message"),
    [
        ("en", "unit_staff", "basics", "2.5", (WHOLE, "12")),
        ("en", "plain_number", "networks", "1,5", (ANY, "1,250,000.5")),
        ("en", "plain_number", "networks", "1.250.000", (ANY, "1,250,000.5")),
        ("de", "plain_number", "networks", "2.5", (ANY, "1.250.000,5")),
        ("en", "unit_staff", "basics", "lots", (WHOLE, "12")),
        ("en", "budget_share", "basics", "12,5", (ANY, "12.5")),
        # An exponent: nobody answers so, and "1e9" FTE was saved as a thousand million.
        ("en", "unit_staff", "basics", "1e9", (WHOLE, "12")),
        ("de", "plain_number", "networks", "2,5E3", (ANY, "1.250.000,5")),
        ("en", "plain_number", "networks", "1 5", (ANY, "1,250,000.5")),
        # Spaced groups with the other language's decimal mark: never read as more groups
        # (1000123, a thousand times the 1000.123 meant).
        ("en", "plain_number", "networks", "1 000,123", (ANY, "1,250,000.5")),
        ("de", "plain_number", "networks", "1 000.123", (ANY, "1.250.000,5")),
    ],
)
def test_a_number_not_understood_gets_one_message_saying_what_to_type(
    app, client, login, officer, assessment, lang, item_id, section, typed, message
):
    template, example = message
    with app.test_request_context(), force_locale(lang):
        message = gettext(template, example=example)  # the reader's language, as translated
    login(officer)
    response = autosave(client, assessment, item_id, [typed], lang=lang)
    assert response.status_code == 422
    assert response.json["error"] == message
    response = post_section(client, assessment, section, item_id, [typed], lang=lang)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, item_id) == message
    assert input_value(html, item_id) == typed  # what was typed stays in the box
    assert stored(assessment, item_id) is None


def test_out_of_range_numbers_are_named_in_the_readers_format(app, items):
    item = items["plain_number"]
    item.config["min"] = 1000
    try:
        with app.test_request_context(), force_locale("de"):
            with pytest.raises(AnswerError) as excinfo:
                item.question_type.clean(item, 12)
            assert "1.000" in str(excinfo.value) and "1000" not in str(excinfo.value)
    finally:
        del item.config["min"]


# -- item 16: every refused web address named, with its line -------------------------------


def test_every_bad_address_is_named_with_its_line(client, login, officer, assessment):
    login(officer)
    text = "https://example.org/a\nnot a url\n\nftp://example.org/b"
    response = autosave(client, assessment, "evidence", [text])
    assert response.status_code == 422
    message = response.json["error"]
    assert message == (
        "Not web addresses starting with https:// or http://: "
        'line 2 ("not a url") and line 4 ("ftp://example.org/b").'
    )
    page = post_section(client, assessment, "networks", "evidence", [text])
    assert field_error(page.get_data(as_text=True), "evidence") == message
    one = autosave(client, assessment, "evidence", ["not a url"]).json["error"]
    assert one == 'Not a web address starting with https:// or http://: line 1 ("not a url").'


# -- item 18: an over-long text is an error at the field, never cut ------------------------


def test_over_long_text_is_an_error_and_is_kept_in_the_field(client, login, officer, assessment):
    login(officer)
    page = client.get(f"/assessments/{assessment.id}/sections/networks").get_data(as_text=True)
    assert "maxlength" not in page  # the browser would cut a paste silently
    typed = "x" * 60
    response = autosave(client, assessment, "platform_note", [typed])
    assert response.status_code == 422
    assert response.json["error"] == "Shorten this to 50 characters (it has 60)."
    response = post_section(client, assessment, "networks", "platform_note", [typed])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "platform_note") == "Shorten this to 50 characters (it has 60)."
    assert input_value(html, "platform_note") == typed
    assert stored(assessment, "platform_note") is None


COMMA_DECIMAL_SPACE_GROUPS = ["fr", "pl", "sv", "cs", "fi", "hu"]


@PROPERTY
@given(
    number=st.integers(min_value=1000, max_value=10**12),
    lang=st.sampled_from(COMMA_DECIMAL_SPACE_GROUPS),
)
def test_a_thousand_grouped_with_dots_is_never_read_as_a_smaller_number(number, lang):
    """Belgian French (and a German habit) write a thousand "1.000"; in a language that groups
    with spaces and marks decimals with a comma, Babel read it as 1, a thousandth of what was
    meant, and the app saved it without a word. Such text is refused, or read as itself."""
    text = f"{number:,}".replace(",", ".")
    try:
        read = parse_number(text, lang)
    except NumberInputError:
        return
    assert read == number


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("1.5", "fr", Decimal("1.5")),  # one or two decimals, or four: only a decimal point
        ("2500000.75", "fr", Decimal("2500000.75")),
        ("1.0001", "pl", Decimal("1.0001")),
        ("0.500", "fr", Decimal("0.5")),  # after a lone 0 a dot groups nothing
        ("-0.250", "sv", Decimal("-0.25")),
        ("1,5", "fr", Decimal("1.5")),
        ("1.000", "de", Decimal(1000)),  # where the dot groups, it groups
        ("1.000", "en", Decimal(1)),  # where the dot is the decimal point, it is one
    ],
)
def test_a_dot_that_can_only_mean_one_thing_is_read(text, lang, expected):
    assert parse_number(text, lang) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("99999999999999999999999", "Enter a number of at most 999,999,999,999,999."),
        ("1000000000000000", "Enter a number of at most 999,999,999,999,999."),
        ("-1000000000000000", "Enter a number of at least -999,999,999,999,999."),
    ],
)
def test_a_number_too_large_to_keep_is_told_so_at_the_field(
    client, login, officer, assessment, typed, message
):
    """A number beyond what an answer holds was refused with "Enter a number.", which tells
    whoever typed it that it is not one."""
    login(officer)
    response = autosave(client, assessment, "plain_number", [typed])
    assert response.status_code == 422 and response.json["error"] == message
    response = post_section(client, assessment, "networks", "plain_number", [typed])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "plain_number") == message
    assert input_value(html, "plain_number") == typed
    assert stored(assessment, "plain_number") is None


@PROPERTY
@given(
    mantissa=st.decimals(min_value=-1000, max_value=1000, allow_nan=False, places=2),
    exponent=st.integers(min_value=-5, max_value=12),
    letter=st.sampled_from("eE"),
    lang=st.sampled_from([*COMMA_DECIMAL_SPACE_GROUPS, "en", "de", "it"]),
)
def test_a_number_with_an_exponent_is_never_read(mantissa, exponent, letter, lang):
    with pytest.raises(NumberInputError):
        parse_number(f"{mantissa}{letter}{exponent}", lang)


def test_a_phone_offers_digits_alone_for_a_count(client, login, officer, assessment):
    """A whole number that cannot be negative gets the digit keyboard; others keep the one
    with a decimal separator."""
    login(officer)
    page = client.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    count = re.search(r'<input type="text" inputmode="(\w+)" id="unit_staff"', page)
    share = re.search(r'<input type="text" inputmode="(\w+)" id="budget_share"', page)
    assert count.group(1) == "numeric" and share.group(1) == "decimal"

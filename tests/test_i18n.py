"""Every interface string goes through gettext: no bare text in templates."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(
    [*(ROOT / "surveyapp").glob("**/templates/**/*.html"), *(ROOT / "reports").glob("*/*.html")]
)
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
TAG = re.compile(r"<[^>]*>", re.DOTALL)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_untranslated_text(template):
    text = TAG.sub(" ", JINJA.sub(" ", template.read_text(encoding="utf-8")))
    leftovers = re.findall(r"[^\W\d_]{2,}", text)
    assert leftovers == [], f"{template.name}: wrap these in _(): {leftovers}"


def test_attributes_with_words_are_translated():
    for template in TEMPLATES:
        source = template.read_text(encoding="utf-8")
        for attribute in re.findall(
            r'(?:aria-label|title|placeholder|alt)="([^"{]*[^\W\d_]{2}[^"{]*)"', source
        ):
            if attribute.startswith("http"):
                continue  # an example address, not a sentence
            pytest.fail(f"{template.name}: untranslated attribute text {attribute!r}")


@pytest.mark.parametrize(
    ("language", "sign_in", "email"),
    [("fr", "Se connecter", "Adresse"), ("de", "Anmelden", "E-Mail"), ("en", "Sign in", "Email")],
)
def test_pages_follow_the_browser_language(client, language, sign_in, email):
    page = client.get("/login", headers={"Accept-Language": f"{language},en;q=0.5"})
    html = page.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert sign_in in html and email in html


def test_catalogues_are_complete_and_keep_placeholders():
    from babel.messages.pofile import read_po

    placeholder = re.compile(r"%\(\w+\)[sd]")
    folder = Path(__file__).resolve().parents[1] / "surveyapp" / "translations"
    catalogues = sorted(folder.glob("*/LC_MESSAGES/messages.po"))
    assert {path.parts[-3] for path in catalogues} >= {"fr", "de"}
    for path in catalogues:
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        for message in catalogue:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"{path.parts[-3]}: untranslated {ids[0]!r}"
            expected = set(placeholder.findall(ids[-1]))
            for string in strings:
                assert set(placeholder.findall(string)) <= expected | set(
                    placeholder.findall(ids[0])
                )


def test_field_messages_are_translated_with_plurals(app, fixture_path):
    from surveyapp.questionnaires.loader import load_file
    from surveyapp.questionnaires.types import AnswerError

    item = load_file(fixture_path("small-v1.yaml")).item("platforms")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with pytest.raises(AnswerError) as excinfo:
            item.question_type.clean(item, ["energy", "blue", "agri_food", "industrial"])
        assert str(excinfo.value) == "Choisissez au plus 3 options."

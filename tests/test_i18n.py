"""Every interface string goes through gettext: no bare text in templates."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(
    [
        *(ROOT / "surveyapp").glob("**/templates/**/*.html"),
        *(ROOT / "surveyapp").glob("**/templates/**/*.txt"),
        *(ROOT / "reports").glob("*/*.html"),
    ]
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


FOLDER = ROOT / "surveyapp" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _languages():
    from config import Config

    return [lang for lang in Config.LANGUAGES if lang != Config.BABEL_DEFAULT_LOCALE]


def test_every_offered_language_has_a_catalogue_and_no_other():
    found = {path.parts[-3] for path in FOLDER.glob("*/LC_MESSAGES/messages.po")}
    assert found == set(_languages())
    assert len(_languages()) == 23  # the EU's 24 official languages, English the source


@pytest.mark.parametrize("lang", _languages())
def test_a_catalogue_is_complete_with_its_placeholders_and_plurals(lang):
    """Every entry translated, no placeholder lost or invented, the language's plural forms
    (CLDR, through Babel), each string formats with the values the code passes, and the header
    says whether a person has reviewed the translation."""
    from babel import Locale
    from babel.messages.plurals import get_plural
    from babel.messages.pofile import read_po

    path = FOLDER / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    assert catalogue.locale == Locale.parse(lang)
    plural = get_plural(lang)
    assert catalogue.num_plurals == plural.num_plurals
    assert "NOT YET REVIEWED BY A PERSON" in catalogue.header_comment or (
        "Reviewed by" in catalogue.header_comment
    )
    template = FOLDER / "messages.pot"
    with template.open("rb") as handle:
        expected_ids = {m.id for m in read_po(handle) if m.id}
    assert {m.id for m in catalogue if m.id} == expected_ids, "run make messages"
    # Babel's own checks, as `pybabel compile` runs them (a failing entry is left out of the
    # compiled catalogue): e.g. a placeholder of the plural used in the singular's translation.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == [], f"{lang}: {problems}"
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(strings) == (plural.num_plurals if len(ids) > 1 else 1), ids[0]
        assert all(string.strip() for string in strings), f"{lang}: untranslated {ids[0]!r}"
        allowed = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        values = dict.fromkeys(re.findall(r"%\((\w+)\)", " ".join(ids)), 1)
        for string in strings:
            used = set(PLACEHOLDER.findall(string))
            assert used <= allowed, f"{lang}: {ids[0]!r} -> {string!r}"
            if len(ids) == 1:
                assert used == allowed, f"{lang}: a placeholder is lost in {string!r}"
            if "python-format" in message.flags:
                string % values


def test_field_messages_are_translated_with_plurals(app, fixture_path):
    from surveyapp.questionnaires.loader import load_file
    from surveyapp.questionnaires.types import AnswerError

    item = load_file(fixture_path("small-v1.yaml")).item("platforms")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with pytest.raises(AnswerError) as excinfo:
            item.question_type.clean(item, ["energy", "blue", "agri_food", "industrial"])
        assert str(excinfo.value) == "Choisissez au plus 3 options."

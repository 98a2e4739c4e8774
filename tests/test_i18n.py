"""Every interface string goes through gettext: no bare text in templates."""

import re
from pathlib import Path

import pytest

TEMPLATES = sorted(
    (Path(__file__).resolve().parents[1] / "surveyapp").glob("**/templates/**/*.html")
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

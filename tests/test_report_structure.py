"""Every report is a tagged PDF/UA-1 document: read back with pikepdf, its structure tree has
the headings, tables with header cells and a figure with alt text for every chart, and it
declares its language, title and PDF/UA conformance (issue 23)."""

import re
from collections import Counter

import pikepdf
import pytest

from surveyapp.reporting.catalog import REGION, RESPONSE, WORKING_GROUP, Job, build_context
from surveyapp.reporting.catalog import definition as report_definition
from surveyapp.reporting.render import html_to_pdf, render_html
from tests.test_benchmarks import reviewed


@pytest.fixture
def world(scored_world, create_region, create_user):
    return reviewed(scored_world, create_region, create_user)


def structure(pdf: pikepdf.Pdf) -> tuple[Counter, list]:
    """The structure elements by type, and the alt texts of the figures."""
    kinds, alts = Counter(), []
    pending = [pdf.Root.StructTreeRoot]
    while pending:
        node = pending.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if "/S" in node:
            kinds[str(node.S)] += 1
            if str(node.S) == "/Figure":
                alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            pending.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            pending.append(kids)
    return kinds, alts


@pytest.mark.parametrize("kind", [REGION, WORKING_GROUP, RESPONSE])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_report_is_a_tagged_pdf_ua_document(app, world, tmp_path, kind, lang):
    region = None if kind == WORKING_GROUP else world["regions"]["ES21"].id
    job = Job(kind, world["round"].id, region, lang)
    report = report_definition(job)
    html = render_html(report, build_context(job), lang)
    path = tmp_path / "report.pdf"
    path.write_bytes(html_to_pdf(report, html))
    with pikepdf.open(path) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == lang
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        title = str(pdf.docinfo["/Title"])
        assert title and title == re.search(r"<title>(.*?)</title>", html, re.S)[1].strip()
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"
        kinds, alts = structure(pdf)
    assert kinds["/H1"] == 1 and kinds["/H2"] >= 1
    assert kinds["/Table"] >= 1 and kinds["/TH"] >= kinds["/Table"]
    charts = html.count("<img ")
    assert len(alts) == charts and all(alt.strip() for alt in alts), alts


def test_questionnaire_text_in_another_language_is_marked_in_the_response_report(app, world):
    """The small questionnaire has no French: its texts in a French report are English, marked
    lang="en" for screen readers and PDF/UA; an English report marks nothing."""
    region = world["regions"]["ES21"].id
    marked = {}
    for lang in ("en", "fr"):
        job = Job(RESPONSE, world["round"].id, region, lang)
        html = render_html(report_definition(job), build_context(job), lang)
        marked[lang] = len(re.findall(r'<p class="question" lang="en">', html))
    assert marked["en"] == 0 and marked["fr"] > 0


@pytest.mark.parametrize("kind", [REGION, WORKING_GROUP])
def test_the_annexs_english_rules_are_marked_and_said_to_be_english(app, world, kind):
    """A French or German report's "Rules and formulas" came in English, unannounced and
    unmarked: they are marked lang="en" (screen readers, PDF/UA) and a sentence in the
    report's language says the English text is the reference."""
    region = None if kind == WORKING_GROUP else world["regions"]["ES21"].id
    for lang in ("en", "fr"):
        job = Job(kind, world["round"].id, region, lang)
        html = render_html(report_definition(job), build_context(job), lang)
        rules = html[html.index('<div lang="en">') :]
        assert rules.index("<h4>") < rules.index("</div>")  # the rules sit inside it
        said = "les paramètres qui suivent" in html
        assert said == (lang == "fr"), lang

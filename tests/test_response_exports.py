"""A region's own response as XLSX and DOCX, for its internal sign-off (issue 25, part 4)."""

import io

import docx
import openpyxl
import pytest

from surveyapp.assessments.models import Answer
from surveyapp.extensions import db
from surveyapp.reporting.context import response_report_context
from surveyapp.reviews.models import SectionRemark
from tests.test_evidence import PDF, attach

ANSWERS = {
    "maturity": (3, "Compañía «Ñandú» ещё: ok", "", "Plan estratégico 2024"),
    "has_unit": (False, "", "", ""),
    "budget_share": (None, "", "No presupuesto propio", ""),
    "role": ("lead", "", "", ""),
    "platforms": (["agri_food"], "", "", ""),
    "practice": ('=HYPERLINK("https://evil.example","x")+1', "", "", ""),
    "evidence": (["https://example.eu/plan", "Boletín oficial nº 12"], "", "", ""),
}


@pytest.fixture
def response(create_region, create_user, create_assessment, create_round):
    region, other = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    assessment = create_assessment(region=region, round_=create_round())
    for item_id, (value, comment, na_reason, evidence) in ANSWERS.items():
        section = "basics" if item_id in ("maturity", "has_unit", "budget_share") else "networks"
        db.session.add(
            Answer(
                assessment=assessment,
                item_id=item_id,
                section_id=section,
                value=value,
                comment=comment or None,
                na_reason=na_reason or None,
                evidence=evidence or None,
            )
        )
    db.session.add(
        SectionRemark(assessment_id=assessment.id, section_id="basics", body="Bien justificado.")
    )
    db.session.commit()
    return {
        "assessment": assessment,
        "officer": create_user(email="olga@example.org", name="Olga", regions=[region]),
        "stranger": create_user(email="otto@example.org", name="Otto", regions=[other]),
    }


def shown_items(app, assessment, lang="en"):
    """The response PDF's context, and its shown items: what both downloads must hold."""
    with app.test_request_context():
        context = response_report_context(db.session.get(type(assessment), assessment.id), lang)
    return context, [item for section in context["sections"] for item in section["items"]]


def test_the_xlsx_has_every_shown_question_and_its_answer_as_text(app, client, login, response):
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "Informe País Vasco.pdf", PDF, "maturity")
    got = client.get(f"/assessments/{assessment.id}/response.xlsx")
    assert got.status_code == 200
    assert got.mimetype.endswith("spreadsheetml.sheet")
    assert "response-ES21-2026-spring.xlsx" in got.headers["Content-Disposition"]

    sheet = openpyxl.load_workbook(io.BytesIO(got.data)).active
    assert sheet.title == "ES21"
    assert sheet["A1"].value == "Self-assessment of País Vasco"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows.index(["Section", "Question", "Answer", "Why it does not apply", "Evidence",
                         "Evidence files", "Comment"])  # fmt: skip
    assert sheet.freeze_panes == f"A{header + 2}"
    body = rows[header + 1 :]
    _context, items = shown_items(app, assessment)
    # unit_staff and platform_note are hidden by their show_if.
    shown = ["maturity", "has_unit", "budget_share", "role", "platforms", "practice", "evidence"]
    assert [item["id"] for item in items] == [*shown, "plain_number"]
    by_question = {row[1]: row for row in body}
    for item in items:
        answer = "\n".join(filter(None, [item["answer"], *item["links"]])) or "(no answer)"
        assert by_question[item["text"]][2] == answer
    assert by_question["Number of partner regions"][2] == "(no answer)"
    assert by_question["Role in Thematic Partnerships"][2] == "Lead"
    maturity = by_question["How mature is the strategy for cooperation?"]
    assert maturity[0] == "Basics"
    assert maturity[4] == "Plan estratégico 2024"
    assert maturity[5].startswith("Informe País Vasco.pdf (")
    assert maturity[6] == "Compañía «Ñandú» ещё: ok"
    assert by_question["Share of the S3 budget for interregional actions"][3] == (
        "No presupuesto propio"
    )
    evidence = by_question["Evidence"][2]
    assert "https://example.eu/plan" in evidence and "Boletín oficial nº 12" in evidence
    assert by_question["The experts' remark"][:3] == [
        "Basics",
        "The experts' remark",
        "Bien justificado.",
    ]

    # A text starting with "=" stays text: no formula, no link.
    practice = next(row for row in sheet.iter_rows() if row[1].value == "Describe a good practice")[
        2
    ]
    assert practice.data_type == "s"
    assert practice.value == ANSWERS["practice"][0]
    assert practice.hyperlink is None


def test_the_docx_has_a_heading_per_section_the_answers_and_the_language(
    app, client, login, response
):
    assessment = response["assessment"]
    login(response["officer"])
    got = client.get(
        f"/assessments/{assessment.id}/response.docx", headers={"Accept-Language": "fr"}
    )
    assert got.status_code == 200
    assert got.mimetype.endswith("wordprocessingml.document")
    assert "response-ES21-2026-spring.docx" in got.headers["Content-Disposition"]

    document = docx.Document(io.BytesIO(got.data))
    assert document.core_properties.language == "fr"
    assert "País Vasco" in document.core_properties.title
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    french, _items = shown_items(app, assessment, "fr")
    assert headings == [section["title"] for section in french["sections"]]
    texts = [p.text for p in document.paragraphs]
    for section in french["sections"]:
        for item in section["items"]:
            question = texts.index(item["text"])
            assert next(p for p in document.paragraphs if p.text == item["text"]).runs[0].bold
            if item["answer"]:
                assert texts[question + 1].startswith(item["answer"].split("\n")[0])
    assert "Compañía «Ñandú» ещё: ok" in " ".join(texts)
    assert ANSWERS["practice"][0] in texts
    assert "Bien justificado." in " ".join(texts)


@pytest.mark.parametrize("extension", ["xlsx", "docx"])
def test_an_officer_of_another_region_gets_404(client, login, response, extension):
    login(response["stranger"])
    assert (
        client.get(f"/assessments/{response['assessment'].id}/response.{extension}").status_code
        == 404
    )


def test_the_overview_offers_both(client, login, response):
    assessment = response["assessment"]
    login(response["officer"])
    page = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert f"/assessments/{assessment.id}/response.xlsx" in page
    assert f"/assessments/{assessment.id}/response.docx" in page

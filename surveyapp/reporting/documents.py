"""A region's own response as XLSX and DOCX, for its internal sign-off.

Both are written from the response PDF's context (reporting.context.response_report_context):
the same data, in the same words (the PDF's messages), so nothing is queried twice.
"""

import math
import re
from typing import IO

import docx
from docx.shared import Pt
from flask_babel import gettext as _

from surveyapp.reporting.exports import new_workbook

#: The XLSX's column widths in characters, in the order of column_headings().
WIDTHS = (18, 40, 40, 25, 30, 25, 35)

#: The height of one line of 11-point text in a spreadsheet row, in points.
LINE_HEIGHT = 15


def wrapped_lines(text: str, width: int) -> int:
    """About how many lines the text takes in a column this many characters wide.

    A column's width counts digits; a line of prose holds about a fifth more letters.
    """
    return sum(max(1, math.ceil(len(line) / (width * 1.2))) for line in text.split("\n"))


def column_headings() -> list[str]:
    # Spelled out so that the message extractor finds each one.
    return [
        _("Section"),
        _("Question"),
        _("Answer"),
        _("Why it does not apply"),
        _("Evidence"),
        _("Evidence files"),
        _("Comment"),
    ]


def title_of(context: dict) -> str:
    return _("Self-assessment of %(region)s", region=context["region"]["name"])


def facts(context: dict) -> list[tuple[str, str]]:
    """The title block below the title: (label, value), as on the PDF's cover."""
    rows = [
        (_("Region"), f"{context['region']['name']} ({context['region']['code']})"),
        (_("Round"), context["round"]),
        (_("Questionnaire"), _("version %(num)s", num=context["questionnaire_version"])),
        (_("State"), context["state_label"]),
    ]
    if context["submitted"]:
        rows.append((_("Submitted"), context["submitted"]))
    rows.append((_("Printed"), context["snapshot"]))
    return rows


def answer_text(item: dict) -> str:
    """The answer as displayed, its web links below it; "(no answer)" when there is none."""
    shown = "\n".join(part for part in (item["answer"], *item["links"]) if part)
    return shown or _("(no answer)")


def files_text(files: list[dict]) -> str:
    return "; ".join(_("%(name)s (%(size)s)", name=f["name"], size=f["size"]) for f in files)


def write_response_xlsx(context: dict, out: IO[bytes]) -> None:
    """One sheet: the title block, then a frozen header row and a row per shown question.

    Every value is written as a string (an answer "=1+1" stays text: new_workbook never
    turns strings into formulas or links).
    """
    workbook = new_workbook(out)
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", "-", context["region"]["code"])[:31])
    for c, width in enumerate(WIDTHS):
        sheet.set_column(c, c, width)
    sheet.write_string(0, 0, title_of(context), title)
    sheet.write_string(1, 0, _("Self-assessment, %(round)s", round=context["round"]))
    row = 3
    for label, value in facts(context):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, value)
        row += 1
    row += 1
    first = row
    sheet.write_row(row, 0, column_headings(), header)
    sheet.freeze_panes(row + 1, 0)

    def write(cells: list[str]) -> None:
        nonlocal row
        row += 1
        # A row as tall as its longest wrapped cell: LibreOffice does not measure the rows
        # of this file when it opens it (its lines overlapped the next row's).
        lines = max(
            wrapped_lines(value, width) for value, width in zip(cells, WIDTHS, strict=False)
        )
        if lines > 1:
            sheet.set_row(row, LINE_HEIGHT * lines)
        for c, value in enumerate(cells):
            if value:
                sheet.write_string(row, c, value, wrapped)

    for section in context["sections"]:
        for item in section["items"]:
            write(
                [
                    section["title"],
                    item["text"],
                    answer_text(item),
                    item["na_reason"],
                    item["evidence"],
                    files_text(item["files"]),
                    item["comment"],
                ]
            )
        for remark in section["remarks"]:
            write([section["title"], _("The experts' remark"), remark])
    if context["response_files"]:
        write([_("Evidence files"), "", "", "", "", files_text(context["response_files"])])
    sheet.autofilter(first, 0, row, len(WIDTHS) - 1)
    sheet.repeat_rows(first)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    workbook.set_properties({"title": title_of(context), "author": "surveyapp"})
    workbook.close()


def write_response_docx(context: dict, lang: str, out: IO[bytes]) -> None:
    """Headings in Word's own styles (a table of contents finds them), questions in bold."""
    document = docx.Document()
    properties = document.core_properties
    properties.title = f"{title_of(context)} · {context['round']}"
    properties.language = lang
    properties.author = "surveyapp"
    properties.subject = context["questionnaire_label"]
    document.styles["Normal"].font.size = Pt(10)

    document.add_heading(title_of(context), level=0)
    document.add_paragraph(_("Self-assessment, %(round)s", round=context["round"]))
    for label, value in facts(context):
        paragraph = document.add_paragraph()
        # "Region: País Vasco", the label's colon as the language writes it ("Région :").
        paragraph.add_run(_("%(label)s:", label=label)).bold = True
        paragraph.add_run(" " + value)

    for section in context["sections"]:
        document.add_heading(section["title"], level=1)
        for item in section["items"]:
            question = document.add_paragraph(style="Normal")
            question.paragraph_format.space_before = Pt(8)
            question.paragraph_format.keep_with_next = True
            question.add_run(item["text"]).bold = True
            answer = document.add_paragraph(answer_text(item))
            if not (item["answer"] or item["links"]):
                answer.runs[0].italic = True
            extras = [
                _("Why it does not apply: %(reason)s", reason=item["na_reason"])
                if item["na_reason"]
                else "",
                _("Evidence: %(evidence)s", evidence=item["evidence"]) if item["evidence"] else "",
                _("Evidence files: %(files)s", files=files_text(item["files"]))
                if item["files"]
                else "",
                _("Comment: %(text)s", text=item["comment"]) if item["comment"] else "",
            ]
            for extra in filter(None, extras):
                document.add_paragraph(extra).paragraph_format.left_indent = Pt(12)
        for remark in section["remarks"]:
            paragraph = document.add_paragraph()
            paragraph.add_run(_("The experts' remark")).bold = True
            paragraph.add_run("\n" + remark)
    if context["response_files"]:
        document.add_heading(_("Evidence files"), level=1)
        for file in context["response_files"]:
            document.add_paragraph(
                _("%(name)s (%(size)s)", name=file["name"], size=file["size"]),
                style="List Bullet",
            )
    document.save(out)

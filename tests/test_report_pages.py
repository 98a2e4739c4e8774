"""The working-group report leaves no page but its last more than two thirds empty (issue 25,
part 5), in the languages whose words run longest; measured as benchmarks/report_pages.py
measures it (each page rasterised, the share of its body below its last inked row)."""

import shutil

import pytest

from benchmarks.report_pages import pages_of
from surveyapp.reporting.catalog import WORKING_GROUP, Job, build_context
from surveyapp.reporting.catalog import definition as report_definition
from surveyapp.reporting.render import render_pdf
from tests.test_benchmarks import reviewed

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils")


@pytest.fixture
def world(scored_world, create_region, create_user):
    return reviewed(scored_world, create_region, create_user)


def working_group_pdf(round_id: int, lang: str) -> bytes:
    job = Job(WORKING_GROUP, round_id, None, lang)
    return render_pdf(report_definition(job), build_context(job), lang)


# Greek and Polish covers ran a line longer than the first page: the contents' last line stood
# alone on page 2 (98% empty). English for the common case.
@pytest.mark.parametrize("lang", ["en", "el", "pl"])
def test_no_page_but_the_last_is_two_thirds_empty(app, world, lang):
    pages = pages_of(working_group_pdf(world["round"].id, lang))
    assert len(pages) > 3
    empty = [(page.number, f"{page.tail:.0%}") for page in pages[:-1] if page.tail > 2 / 3]
    assert empty == [], empty


def test_the_measure_sees_an_empty_page():
    """A page with one line at the top is about 95% empty; a full page is not."""
    from weasyprint import HTML

    page = "<style>@page { size: A4; margin: 22mm 18mm 20mm }</style>"
    one_line = f"{page}<p>One line.</p><p style='break-before: page'>{'Text. ' * 3000}</p>"
    pages = pages_of(HTML(string=one_line).write_pdf())
    assert 0.9 < pages[0].tail < 1 and pages[1].tail < 0.1

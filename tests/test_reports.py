"""The region report: rendered by WeasyPrint, read back as text, and a fetcher that denies."""

import http.server
import shutil
import subprocess
import threading

import pytest

from surveyapp.numbers import format_score
from surveyapp.reporting.context import region_report_context
from surveyapp.reporting.render import ReportError, load_report, render_pdf, safe_fetcher
from tests.conftest import resubmitted_with
from tests.test_benchmarks import reviewed

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


@pytest.fixture
def world(scored_world, create_region, create_user):
    """ES21-ES25 and Norte validated, ES26 submitted (see tests.test_benchmarks.reviewed)."""
    return reviewed(scored_world, create_region, create_user)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    command = [shutil.which("pdftotext"), "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def test_region_report_shows_the_engines_numbers(app, world, tmp_path):
    region = world["regions"]["ES21"]
    context = region_report_context(region, world["round"], "en", "moderated")
    pdf = render_pdf(load_report("region"), context, "en")
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" not in pdf
    text = pdf_text(pdf, tmp_path)
    assert "País Vasco" in text and "2026 spring" in text
    assert "Validated by the working-group experts" in text
    strategy = next(row for row in context["dimensions"] if row["key"] == "strategy")
    assert strategy["median"] == 60
    assert format_score(strategy["value"]) in text and "60.0" in text
    assert "Criterion-7 index" in text and "Overall" not in text
    assert "Methodology" in text and "maturity" in text  # the annex's item table
    # A format-1 round's report says what its aspects and coverage are under method 1.0, not
    # method 2.0's "how cooperation with partners outside the Member State addresses" them.
    assert context["annex"]["method_version"] == "1.0"
    flat = " ".join(text.split())
    assert "Method 1.0 leaves blank and not applicable answers out" in flat
    assert "each from the items of its own section" in flat
    assert "addresses that aspect" not in flat and "Don't know answers" not in flat
    # Regions that did not consent are never named, even as partner suggestions.
    for name in ("La Rioja", "Aragón", "Cantabria", "Asturias", "Norte"):
        assert name not in text


def test_small_groups_are_suppressed_in_the_pdf(app, world, tmp_path):
    from surveyapp.assessments.models import AssessmentState
    from surveyapp.extensions import db

    for code in ("ES25", "PT11"):
        world["assessments"][code].state = AssessmentState.submitted  # not validated
    db.session.commit()
    region = world["regions"]["ES21"]
    context = region_report_context(region, world["round"], "en", "moderated")
    text = pdf_text(render_pdf(load_report("region"), context, "en"), tmp_path)
    assert "too few regions to compare" in text
    assert "60.0" not in text  # the median of the six is gone with them


@pytest.mark.parametrize("state", ["draft", "changes_requested"])
def test_the_cover_says_why_a_region_without_scores_has_none(app, world, tmp_path, state):
    """A region sent back for changes has an assessment: the cover names its state instead of
    saying there is none."""
    from surveyapp.assessments.models import AssessmentState
    from surveyapp.extensions import db
    from surveyapp.i18n import label

    assessment = world["assessments"]["ES21"]
    assessment.state = AssessmentState(state)
    db.session.commit()
    context = region_report_context(world["regions"]["ES21"], world["round"], "en", "moderated")
    text = " ".join(pdf_text(render_pdf(load_report("region"), context, "en"), tmp_path).split())
    assert f"{label(AssessmentState(state))}: not submitted, so not scored in this report" in text
    assert "No assessment in this round" not in text


def test_report_definitions_are_checked(tmp_path):
    with pytest.raises(ReportError, match="not a report name"):
        load_report("../etc")
    (tmp_path / "broken.yaml").write_text("format: 2\n")
    with pytest.raises(ReportError, match="unknown format"):
        load_report("broken", root=tmp_path)


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests = 0

    def do_GET(self):
        CountingHandler.requests += 1
        self.send_response(302)
        self.send_header("Location", "file:///etc/passwd")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_fetcher_refuses_files_network_and_redirects(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fetcher = safe_fetcher([tmp_path])
        for url in (
            "file:///etc/passwd",
            f"http://127.0.0.1:{server.server_port}/",
            f"file://{tmp_path}/../secret.css",
        ):
            with pytest.raises(ValueError, match="may not load"):
                fetcher.fetch(url)
        assert CountingHandler.requests == 0
        (tmp_path / "ok.css").write_text("p { color: red }")
        assert fetcher.fetch(f"file://{tmp_path}/ok.css").status == 200
        assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
        # A whole document that tries to load them still renders, without them.
        from weasyprint import HTML

        html = (
            f'<link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/x.css">'
            '<img src="file:///etc/passwd"><p>hello</p>'
        )
        pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
        assert pdf.startswith(b"%PDF") and CountingHandler.requests == 0
    finally:
        server.shutdown()
        server.server_close()


def officer_client(app, login, create_user, region):
    client = app.test_client()
    login(create_user(email="o@example.org", regions=[region]), client=client)
    return client


def test_reports_are_stored_and_served_until_the_data_change(
    app, login, create_user, world, monkeypatch
):
    from sqlalchemy import func, select

    from surveyapp.extensions import db
    from surveyapp.reporting.models import RenderedReport

    client = officer_client(app, login, create_user, world["regions"]["ES21"])
    url = f"/benchmarks/rounds/{world['round'].id}/regions/ES21/report.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF")

    def no_render(*args, **kwargs):
        raise AssertionError("an unchanged report must come from the store")

    monkeypatch.setattr("surveyapp.reporting.store.render_pdf", no_render)
    assert client.get(url).data == first.data
    count = select(func.count()).select_from(RenderedReport)
    assert db.session.scalar(count) == 1

    monkeypatch.undo()
    resubmitted_with(world["assessments"]["ES26"], "maturity", 5)
    # The data changed: a new report, while rendering is in the background the page says so.
    app.config["REPORTS_RENDER_INLINE"] = False
    monkeypatch.setattr("surveyapp.reporting.executor.PageRenders.submit", lambda *a: None)
    pending = client.get(url)
    assert pending.status_code == 202
    assert "is being prepared" in pending.text and "previous version" in pending.text
    previous = client.get(url + "?previous=1")
    assert previous.data == first.data
    app.config["REPORTS_RENDER_INLINE"] = True
    fresh = client.get(url)
    assert fresh.status_code == 200 and fresh.data != first.data
    assert db.session.scalar(count) == 2


def test_other_regions_cannot_download_the_report(app, login, create_user, create_region, world):
    client = officer_client(app, login, create_user, create_region("ES29", "Elsewhere"))
    url = f"/benchmarks/rounds/{world['round'].id}/regions/ES21/report.pdf"
    assert client.get(url).status_code == 403


def test_withdrawn_consent_drops_the_rounds_stored_reports(app, login, create_user, world):
    from sqlalchemy import func, select

    from surveyapp.assessments.models import AssessmentState
    from surveyapp.assessments.operations import submit_assessment
    from surveyapp.extensions import db
    from surveyapp.reporting.models import RenderedReport

    client = officer_client(app, login, create_user, world["regions"]["ES21"])
    client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES21/report.pdf")
    count = select(func.count()).select_from(RenderedReport)
    assert db.session.scalar(count) == 1
    navarra = world["assessments"]["ES22"]  # named in ES21's report as a partner
    navarra.state = AssessmentState.changes_requested
    db.session.commit()
    submit_assessment(navarra, create_user(email="n@example.org"), consent_named=False)
    db.session.commit()
    assert db.session.scalar(count) == 0


def test_an_officer_is_never_offered_a_version_made_for_the_experts(
    app, login, create_user, world, monkeypatch
):
    round_ = world["round"]
    round_.moderated_released = True  # both see moderated scores, with different trends
    expert = app.test_client()
    login(create_user(email="e@example.org", role="expert"), client=expert)
    url = f"/benchmarks/rounds/{round_.id}/regions/ES21/report.pdf"
    assert expert.get(url).status_code == 200
    officer = officer_client(app, login, create_user, world["regions"]["ES21"])

    # The data changed since the experts' version was made.
    resubmitted_with(world["assessments"]["ES26"], "maturity", 5)
    app.config["REPORTS_RENDER_INLINE"] = False
    monkeypatch.setattr("surveyapp.reporting.executor.PageRenders.submit", lambda *a: None)
    pending = officer.get(url)
    assert pending.status_code == 202 and "previous version" not in pending.text
    assert officer.get(url + "?previous=1").status_code == 404


def test_the_radar_legend_and_scale_are_in_the_region_report_and_on_the_page(
    app, world, tmp_path, client, login, create_user
):
    """Issue 25, part 5: the radar names the region, its peers' median and middle half, and
    its rings' scores, in the PDF and on the dashboard page alike."""
    region = world["regions"]["ES21"]
    context = region_report_context(region, world["round"], "en", "moderated")
    group = context["primary_group"]
    assert group
    text = " ".join(pdf_text(render_pdf(load_report("region"), context, "en"), tmp_path).split())
    # Six peers: a median but no quartiles (from 10 regions on), so no band to name.
    assert context["dimensions"][0]["median"] is not None and context["dimensions"][0]["q1"] is None
    words = [f"Peer median: {group}"]
    for phrase in [*words, "Rings: score from 0 to 100, every 20 points"]:
        assert phrase in text
    assert "Middle half" not in text
    login(create_user(email="legend@example.org", regions=[region]))
    page = client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES21").text
    radar = page[page.index('id="dimensions"') :]
    radar = radar[: radar.index("</svg>")]
    assert 'class="chart-legend"' in radar and "País Vasco" in radar
    assert all(phrase in radar for phrase in words)
    # Which of the region's scores the area draws (a reader could not tell self from moderated).
    shown = "moderated" if context["moderated_visible"] and context["validated"] else "self"
    said = "moderated scores" if shown == "moderated" else "self-assessed scores"
    assert f"País Vasco, {said}" in text


def test_ids_in_narrow_columns_wrap_between_words_only():
    """The annex's item table split "par_macro_regional" inside a word ("par_macro_regio nal"):
    ids and conditions may now wrap after an underscore, and stay escaped."""
    from surveyapp.reporting.render import breakable

    assert str(breakable("par_macro_regional = <b>")) == (
        "par_<wbr>macro_<wbr>regional = &lt;b&gt;"
    )
    assert str(breakable("maturity")) == "maturity"

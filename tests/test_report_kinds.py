"""The working-group report, the single response, bounded rendering, RQ jobs and reports build."""

import shutil

import pytest
from sqlalchemy import func, select

from surveyapp.assessments.models import Answer, AssessmentState
from surveyapp.extensions import db
from surveyapp.numbers import format_score
from surveyapp.reporting.catalog import RESPONSE, WORKING_GROUP, Job, build_context, definition
from surveyapp.reporting.models import RenderedReport
from surveyapp.reporting.render import render_pdf
from tests.conftest import SCORED_REGIONS, resubmitted_with
from tests.test_benchmarks import reviewed
from tests.test_reports import pdf_text

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")

NAMED = [name for name, _, consent in SCORED_REGIONS.values() if consent]
UNNAMED = [name for name, _, consent in SCORED_REGIONS.values() if not consent]
#: The reviewed world counts the six Spanish regions and Norte (unnamed).
COUNTED = len(SCORED_REGIONS) + 1


@pytest.fixture
def world(scored_world, create_region, create_user):
    """ES21-ES25 and Norte validated, ES26 submitted (see tests.test_benchmarks.reviewed)."""
    return reviewed(scored_world, create_region, create_user)


def render(job: Job) -> bytes:
    return render_pdf(definition(job), build_context(job), job.lang)


def test_working_group_report_matches_the_dashboard_and_names_only_consenting_regions(
    app, world, tmp_path
):
    from surveyapp.analysis.dashboard import working_group_dashboard

    round_ = world["round"]
    pdf = render(Job(WORKING_GROUP, round_.id, None))
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" not in pdf
    text = pdf_text(pdf, tmp_path)
    data = working_group_dashboard(round_, "en", "moderated")
    assert data["participation"]["assessments"] == COUNTED
    assert data["participation"]["validated"] == COUNTED - 1
    for row in [data["index"], *data["dimensions"]]:
        assert row["label"] in text
        assert format_score(row["median"]) in text
        assert row["q3"] is None  # six regions: the median only
    for name in NAMED:
        assert name in text
    for name in [*UNNAMED, "Ile-de-France", "Norte"]:  # the draft is not counted at all
        assert name not in text
    # The four unnamed regions are too few to be shown apart (fewer than five).
    assert "Region 1" not in text and "4 regions did not agree to be named" in text
    assert "1 submitted assessment is left out" in text
    assert "Methodology" in text and "Overall" not in text


def test_working_group_report_shows_no_aggregate_below_the_threshold(app, world, tmp_path):
    for code in ("ES25", "PT11"):
        world["assessments"][code].state = AssessmentState.draft
    db.session.commit()
    text = pdf_text(render(Job(WORKING_GROUP, world["round"].id, None)), tmp_path)
    assert "Fewer than 5 regions are validated" in text
    assert "Navarra" not in text  # no heat map either


def test_response_report_has_every_answer_and_comment(app, scored_world, tmp_path):
    assessment = scored_world["assessments"]["ES22"]
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=assessment.id, item_id="maturity")
    )
    answer.comment = "Interregional <desk> & partners"
    db.session.commit()
    region = scored_world["regions"]["ES22"]
    text = pdf_text(render(Job(RESPONSE, scored_world["round"].id, region.id)), tmp_path)
    assert "Navarra" in text and "ES22" in text
    assert "Interregional <desk> & partners" in text  # escaped in the HTML, intact in the PDF
    item = assessment.round.questionnaire.parsed.item("maturity")
    assert item.question_type.display(item, 2) in text


def test_the_render_pool_is_bounded_in_time_and_memory(app, scored_world):
    from surveyapp.reporting.executor import RenderPool
    from surveyapp.reporting.store import FAILED, RENDERED, report_key

    region = scored_world["regions"]["ES22"]
    job = Job(RESPONSE, scored_world["round"].id, region.id)
    context = build_context(job)
    big = {**context, "sections": context["sections"] * 150}  # a few thousand pages
    stored = select(func.count()).select_from(RenderedReport)
    with RenderPool(app, 1) as pool:
        pool.timeout = 60
        assert pool.outcome(pool.submit(job, context, "small-1")) == (RENDERED, "")
        pool.timeout = 0.5  # the worker runs already: the big render alone times out
        assert pool.outcome(pool.submit(job, big, "big")) == (
            FAILED,
            "rendering took more than 0.5 s",
        )
        pool.timeout = 60
        # The worker was killed; a fresh one renders the next job.
        assert pool.outcome(pool.submit(job, context, "small-2")) == (RENDERED, "")
    # About 100 MB of comment: the worker (about 400 MB of address space with its app) takes
    # it in, but cannot render it within 600 MB.
    section = context["sections"][0]
    items = [{**section["items"][0], "comment": "<desk> & " * 12_000_000}]
    huge = {**context, "sections": [{**section, "items": items}]}
    app.config["REPORTS_RENDER_MEMORY_MB"] = 600
    with RenderPool(app, 1) as pool:
        assert pool.outcome(pool.submit(job, huge, "huge")) == (
            FAILED,
            "the report needed more than 600 MB",
        )
        assert pool.outcome(pool.submit(job)) == (RENDERED, "")  # the pool goes on
    assert db.session.scalar(stored) == 3
    assert not set(db.session.scalars(select(RenderedReport.key))) & {"big", "huge"}
    assert report_key(definition(job), context, "en") in set(
        db.session.scalars(select(RenderedReport.key))
    )


def test_the_render_pool_recovers_when_an_idle_worker_is_killed(app, scored_world):
    import multiprocessing
    import os
    import signal
    import time

    from surveyapp.reporting.executor import RenderPool
    from surveyapp.reporting.store import RENDERED

    region = scored_world["regions"]["ES22"]
    job = Job(RESPONSE, scored_world["round"].id, region.id)
    context = build_context(job)
    with RenderPool(app, 1) as pool:
        assert pool.outcome(pool.submit(job, context, "first")) == (RENDERED, "")
        for worker in multiprocessing.active_children():
            os.kill(worker.pid, signal.SIGKILL)
            worker.join()
        deadline = time.monotonic() + 10
        while pool.pool.active and time.monotonic() < deadline:
            time.sleep(0.1)  # until Pebble has seen it and given the pool up
        assert not pool.pool.active
        assert pool.outcome(pool.submit(job, context, "second")) == (RENDERED, "")


def test_with_redis_reports_render_in_rq_jobs(app, world, login, create_user, redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from surveyapp.reporting.executor import RQ_QUEUE

    app.config.update(REDIS_URL=redis_url, REPORTS_RENDER_INLINE=False)
    client = app.test_client()
    login(create_user(email="e@example.org", role="expert"), client=client)
    url = f"/benchmarks/rounds/{world['round'].id}/working-group.pdf"
    assert client.get(url).status_code == 202
    assert client.get(url).status_code == 202  # still one job for one key
    queue = Queue(RQ_QUEUE, connection=Redis.from_url(redis_url))
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_reports_build_renders_each_report_once_and_then_only_what_changed(app, world, tmp_path):
    runner = app.test_cli_runner()
    round_id = world["round"].id
    count = select(func.count()).select_from(RenderedReport)
    result = runner.invoke(args=["reports", "build", "--round", str(round_id)])
    assert result.exit_code == 0, result.output
    reports = 1 + 2 * COUNTED  # working group; each region's report and response
    assert f"{reports} rendered" in result.output
    assert db.session.scalar(count) == reports
    again = runner.invoke(args=["reports", "build", "--round", str(round_id)])
    assert f"{reports} unchanged" in again.output
    resubmitted_with(world["assessments"]["ES26"], "maturity", 5)
    changed = runner.invoke(args=["reports", "build", "--round", str(round_id), "--jobs", "2"])
    assert changed.exit_code == 0, changed.output
    # The other regions' responses did not change; every aggregate did.
    unchanged = COUNTED - 1
    assert f"{unchanged} unchanged" in changed.output
    assert f"{reports - unchanged} rendered" in changed.output
    assert db.session.scalar(count) == reports + reports - unchanged


def test_reports_build_refuses_an_unknown_round(app):
    result = app.test_cli_runner().invoke(args=["reports", "build", "--round", "999"])
    assert result.exit_code != 0 and "no round with the id 999" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["reports", "render", "--report", "working-group", "--lang", "ja", "--out", "r.pdf"],
        ["reports", "build", "--lang", "en", "--lang", "ja"],
    ],
)
def test_an_unsupported_language_is_refused_naming_the_supported_ones(app, world, args):
    """Rather than English marked as Japanese (not an EU language)."""
    round_ = ["--round", str(world["round"].id)]
    result = app.test_cli_runner().invoke(args=[*args, *round_])
    assert result.exit_code == 2, result.output
    supported = ", ".join(app.config["LANGUAGES"])
    assert "ja: no such language here" in result.output and supported in result.output


def test_a_report_rendered_from_data_that_changed_meanwhile_is_not_kept(app, world):
    from surveyapp.reporting.store import data_version_of, report_key, store

    job = Job(WORKING_GROUP, world["round"].id, None)
    version = data_version_of(job)
    context = build_context(job)
    pdf = render_pdf(definition(job), context, "en")
    navarra = world["assessments"]["ES22"]
    navarra.state = AssessmentState.changes_requested  # e.g. sent back while it rendered
    db.session.commit()
    store(report_key(definition(job), context, "en"), job, pdf, version)
    assert db.session.scalar(select(func.count()).select_from(RenderedReport)) == 0


def test_a_failed_render_is_not_retried_at_once(app, world, monkeypatch):
    from concurrent.futures import Future

    from surveyapp.reporting import executor

    app.config["REPORTS_RENDER_INLINE"] = False
    submitted = []

    def submit(pool, *args):
        submitted.append(Future())
        return submitted[-1]

    monkeypatch.setattr(executor.RenderPool, "submit", submit)
    job = Job(WORKING_GROUP, world["round"].id, None)
    executor.queue_render("k1", job, {})
    executor.queue_render("k1", job, {})
    assert len(submitted) == 1 and executor.is_pending("k1")  # one render per key at a time
    submitted[0].set_result((executor.FAILED, "OSError: disk"))
    assert not executor.is_pending("k1")
    executor.queue_render("k1", job, {})
    assert len(submitted) == 1  # failed a moment ago: not queued again before RETRY_AFTER
    executor.queue_render("k2", job, {})
    assert len(submitted) == 2
    submitted[1].set_result((executor.FAILED, "TimeoutError"))


def test_withholding_moderated_scores_drops_stored_reports(app, world, login, create_user):
    client = app.test_client()
    login(create_user(email="ada@example.org", role="admin"), client=client)
    round_ = world["round"]
    assert client.get(f"/benchmarks/rounds/{round_.id}/working-group.pdf").status_code == 200
    count = select(func.count()).select_from(RenderedReport)
    assert db.session.scalar(count) == 1
    client.post(f"/admin/rounds/{round_.id}/release?to=release")
    assert db.session.scalar(count) == 0

"""A closed round keeps what its peer groups, size-relative targets and similar regions were
built from when it closed (METHOD §12): categories, Thematic Partnerships, administrators'
groups, populations and structural figures imported later leave its figures as they were,
while an open round's figures follow them."""

import csv
import html
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from surveyapp.analysis import queries, similar
from surveyapp.analysis.dashboard import region_dashboard, working_group_dashboard
from surveyapp.analysis.versions import data_version
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.regions.models import RegionCategory, RegionIndicator, RegionPopulation
from surveyapp.regions.operations import save_region_group
from surveyapp.reporting.catalog import REGION, WORKING_GROUP, Job, build_context
from surveyapp.reporting.catalog import definition as report_definition
from surveyapp.reporting.exports import export_round
from surveyapp.reporting.render import render_html
from surveyapp.reviews.queries import population_millions
from surveyapp.rounds.models import RoundClosingRecord
from surveyapp.rounds.operations import close_round
from tests.test_benchmarks import reviewed
from tests.test_report_method import method_world  # noqa: F401 (a fixture)

#: Structural indicators besides population, enough for two regions to be compared.
FIGURES = [name for name in similar.INDICATORS if name != "population"][: similar.MIN_SHARED]


@pytest.fixture
def world(scored_world, create_region, create_user):
    """ES21-ES25 and PT11 validated, ES26 submitted; every region in photonics, no category,
    no population, no structural figure, no administrators' group."""
    return reviewed(scored_world, create_region, create_user)


def _what_the_round_shows(round_, regions, tmp_path) -> dict:
    """The round's peer groups and figures as its pages, API and export show them."""
    results = queries.round_scores(round_)
    es21 = regions["ES21"].id
    path = tmp_path / "round.zip"
    export_round(round_, "csv", path)
    with zipfile.ZipFile(path) as bundle:
        exported = {
            name.rsplit("/", 1)[-1]: list(csv.reader(io.StringIO(bundle.read(name).decode())))
            for name in bundle.namelist()
            if name.endswith(("groups.csv", "regions.csv"))
        }
    benchmark = queries.region_benchmark(results, es21)
    return {
        "groups": sorted(
            (g.kind, g.value, sorted(g.members)) for g in queries.round_peer_groups(results)
        ),
        "es21": [
            (b.group.key, b.suppressed, None if b.table is None else b.table.to_json())
            for b in benchmark
        ],
        "similar": queries.similar_regions(results, es21).regions,
        "populations": results.assessments.set_index("region_id")["population"].to_json(),
        "dashboard": region_dashboard(regions["ES21"], round_, "en")["groups"],
        "working_group": working_group_dashboard(round_, "en")["dimensions"],
        "export": exported,
    }


def _change_every_input(regions, admin) -> None:
    """What administrators import after the close: a category for every region, ES22-ES25
    leaving photonics, a group of their own, populations and structural figures."""
    for number, region in enumerate(regions.values()):
        region.category = RegionCategory.more_developed
        if region.code in ("ES22", "ES23", "ES24", "ES25"):
            region.thematic_partnerships = ["hydrogen"]
        if region.code == "ES22":
            region.country = "PT"  # a recoded region (flask regions import)
        db.session.add(
            RegionPopulation(
                region=region, year=2020, population=100_000 * (number + 1), source="test"
            )
        )
        for offset, name in enumerate(FIGURES):
            db.session.add(
                RegionIndicator(
                    region=region,
                    indicator=name,
                    year=2020,
                    value=float((number + 1) * (offset + 2)),
                    source="test",
                )
            )
    codes = " ".join(code for code in regions if code != "ES26")
    save_region_group(None, "Atlantic arc", codes, "", admin)
    db.session.commit()


def test_data_imported_after_the_close_change_no_figure_of_the_round(
    app, world, create_user, tmp_path
):
    round_, regions = world["round"], {**world["regions"]}
    admin = create_user(email="admin@example.org", role=Role.admin)
    assert close_round(round_, admin)
    db.session.commit()
    record = db.session.get(RoundClosingRecord, round_.id)
    assert record is not None and str(regions["ES21"].id) in record.regions
    before = _what_the_round_shows(round_, regions, tmp_path)
    version = data_version(round_.id)

    _change_every_input(regions, admin)

    assert data_version(round_.id) == version  # nothing the round is built from moved
    after = _what_the_round_shows(round_, regions, tmp_path)
    for part in before:
        assert after[part] == before[part], part


def test_a_round_that_kept_no_record_follows_the_data_as_they_are(
    app, world, create_user, tmp_path
):
    """Rounds closed before records were kept (and open rounds) read the data as they are: the
    changes of the test above do show there, which is what that test proves is kept out."""
    round_, regions = world["round"], {**world["regions"]}
    admin = create_user(email="admin@example.org", role=Role.admin)
    assert close_round(round_, admin)
    db.session.delete(db.session.get(RoundClosingRecord, round_.id))
    db.session.commit()
    before = _what_the_round_shows(round_, regions, tmp_path)

    _change_every_input(regions, admin)

    after = _what_the_round_shows(round_, regions, tmp_path)
    for part in ("groups", "similar", "populations", "export"):
        assert after[part] != before[part], part


def test_the_record_is_kept_by_the_operation_that_closes_the_round(app, world, create_user):
    """The admin page and ``flask rounds close`` both close through close_round: one record,
    taken in the closing transaction, of every region with an assessment in the round."""
    round_ = world["round"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rounds", "close", str(round_.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    record = db.session.get(RoundClosingRecord, round_.id)
    assert record is not None
    in_round = {str(a.region_id) for a in world["assessments"].values()}
    assert in_round <= set(record.regions)
    assert len(record.digest) == 64
    assert db.session.scalars(select(RoundClosingRecord)).all() == [record]


def test_the_population_a_closed_round_used_is_the_one_its_pages_state(
    app,
    method_world,  # noqa: F811
):
    """The region report's "from its population of ..." and the expert's review (the region's
    own score of a size-relative count) state the population the round's scores use: of a
    closed round, the one it kept, also after a new figure is imported."""
    round_, region = method_world["round"], method_world["regions"]["ES21"]
    assessment = method_world["assessments"]["ES21"]
    assert close_round(round_)
    db.session.commit()
    shown = build_context(Job(REGION, round_.id, region.id))["population"]
    reviewed_with = population_millions(assessment)
    scored_with = queries.round_scores(round_).assessments.set_index("region_id")["population"]

    db.session.add(RegionPopulation(region=region, year=2025, population=2_227_581, source="later"))
    db.session.commit()

    context = build_context(Job(REGION, round_.id, region.id))
    assert context["population"] == shown
    assert population_millions(assessment) == reviewed_with
    after = queries.round_scores(round_).assessments.set_index("region_id")["population"]
    assert after.to_json() == scored_with.to_json()


def _annex_says(round_) -> str:
    """The working-group report's annex row on the regions' data, as text."""
    job = Job(WORKING_GROUP, round_.id, None, "en")
    page = html.unescape(render_html(report_definition(job), build_context(job), "en"))
    row = page.split("Regions' data behind the groups and targets", 1)[1]
    return row.split("</tr>", 1)[0]


def test_the_annex_says_when_the_regions_data_were_kept(app, world):
    """Open: read as they are; closed: kept when it closed (the cover's day); a record taken
    after the close (rounds closed before records were kept): that day, said to be later."""
    round_ = world["round"]
    assert "Read as they are when the figures are computed" in _annex_says(round_)

    assert close_round(round_)
    db.session.commit()
    day = round_.closed_at.strftime("%B %-d, %Y")
    assert f"Kept when the round closed on {day}:" in _annex_says(round_)

    record = db.session.get(RoundClosingRecord, round_.id)
    record.taken_at = round_.closed_at + timedelta(days=40)
    db.session.commit()
    later = record.taken_at.strftime("%B %-d, %Y")
    assert f"Kept on {later}, after the round closed" in _annex_says(round_)


def test_a_closed_round_says_it_kept_no_population_where_it_kept_none(
    app,
    method_world,  # noqa: F811
):
    """A region without a population when its round closed: the report says none was stored
    then (not that none is stored, which a later import makes false)."""
    round_, region = method_world["round"], method_world["regions"]["ES21"]
    job = Job(REGION, round_.id, region.id, "en")
    assert "No population of the region is stored:" in _report_text(job)
    assert close_round(round_)
    db.session.add(RegionPopulation(region=region, year=2025, population=2_227_581, source="later"))
    db.session.commit()
    text = _report_text(job)
    assert "No population of the region was stored when the round closed:" in text
    assert "2,227,581" not in text


def _report_text(job) -> str:
    return html.unescape(render_html(report_definition(job), build_context(job), job.lang))

"""A round's figures are frozen when it closes (METHOD §12): an assessment the experts validate
after the close keeps its validated scores, but counts in none of the round's figures, so that
two publications of the round never differ by a few regions."""

import csv
import io
import json
import zipfile

import pytest

from surveyapp.analysis import queries
from surveyapp.analysis.dashboard import region_dashboard, working_group_dashboard
from surveyapp.analysis.versions import data_version
from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.reporting.exports import export_round
from surveyapp.reviews.operations import start_review, validate_assessment
from surveyapp.rounds.operations import close_round
from tests.test_benchmarks import reviewed


@pytest.fixture
def world(scored_world, create_region, create_user):
    """ES21-ES25 and PT11 validated while the round is open; ES26 submitted, not validated."""
    return reviewed(scored_world, create_region, create_user)


def _figures(world):
    """What the round publishes: participation, the criterion-7 distribution, ES21's medians."""
    wg = working_group_dashboard(world["round"], "en")
    es21 = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    return {
        "validated": wg["participation"]["validated"],
        "index": wg["index"],
        "dimensions": wg["dimensions"],
        "es21_medians": [row["median"] for row in es21["dimensions"]],
    }


def _validate_late(world, create_user):
    expert = create_user(email="late-expert@example.org", role=Role.expert)
    late = world["assessments"]["ES26"]
    start_review(late, expert)
    validate_assessment(late, expert)
    db.session.commit()
    return late


def _api_benchmark(app, create_user, round_, code) -> dict:
    from surveyapp.api.operations import issue_token

    reader = create_user(email="api-reader@example.org", role=Role.expert)
    token = issue_token(reader, "frozen figures")
    db.session.commit()
    url = f"/api/v1/rounds/{round_.id}/regions/{code}/benchmark"
    response = app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.get_json()


def _export(round_, tmp_path) -> tuple[dict[str, str], dict]:
    """Per assessment of the export's regions.csv, whether it counts as validated; and the
    manifest's counts of assessments."""
    path = tmp_path / "round.zip"
    export_round(round_, "csv", path)
    with zipfile.ZipFile(path) as bundle:
        name = next(n for n in bundle.namelist() if n.endswith("regions.csv"))
        rows = csv.DictReader(io.StringIO(bundle.read(name).decode("utf-8-sig")))
        manifest = json.loads(bundle.read("manifest.json"))
        return {row["assessment"]: row["validated"] for row in rows}, manifest["assessments"]


def test_an_assessment_validated_after_the_close_changes_no_figure_of_the_round(
    app, world, create_user, tmp_path
):
    round_ = world["round"]
    assert close_round(round_)
    db.session.commit()
    assert round_.closed_at is not None
    before = _figures(world)
    exported_before, counts_before = _export(round_, tmp_path)
    version_before = data_version(round_.id)

    late = _validate_late(world, create_user)
    assert late.state == AssessmentState.validated
    assert data_version(round_.id) != version_before  # cached figures are not served stale
    assert _figures(world) == before
    wg = working_group_dashboard(round_, "en")
    assert wg["participation"]["validated_late"] == 1
    assert wg["participation"]["left_out"] == 0  # not "awaiting validation" either
    exported, counts = _export(round_, tmp_path)
    assert exported == exported_before
    # The manifest's validated are those the figures count; the late one is named apart.
    assert counts["validated"] == counts_before["validated"] == before["validated"]
    assert (counts_before["validated_late"], counts["validated_late"]) == (0, 1)
    assert counts["counted"] == counts_before["counted"]
    assert queries.peer_counts(queries.round_scores(round_))["validated_late"] == 1  # the API
    es26 = _api_benchmark(app, create_user, round_, "ES26")
    assert es26["validated"] is False and es26["validated_late"] is True

    own = region_dashboard(world["regions"]["ES26"], round_, "en")
    assert own["validated"] and not own["provisional"]  # its own scores are validated
    assert own["trend"]["provisional"] == [False]  # "Across rounds" says so too
    assert not own["ranked"]  # no rank column, under a text that says it has no rank
    assert own["groups"]["withheld"] and own["groups"]["withheld_until"] == "never"


def test_a_late_regions_good_practice_is_not_in_the_rounds_report(app, world, create_user):
    """The working-group report (and the public page) list the good practices of the regions
    its figures count: a region validated after the close is left out of both."""
    from surveyapp.practices.models import GoodPractice
    from surveyapp.reporting.context import published_practices

    round_ = world["round"]
    late = world["assessments"]["ES26"]
    late.consent_named = True
    db.session.add(GoodPractice(assessment_id=late.id, title="Late practice", summary="Done."))
    close_round(round_)
    db.session.commit()
    before = published_practices(round_, "en")
    _validate_late(world, create_user)
    assert published_practices(round_, "en") == before
    assert "Late practice" not in str(before)


def test_an_expert_cannot_send_back_an_assessment_of_a_closed_round(app, world, create_user, login):
    """Sent back, it could never be submitted again, and it would leave the round's frozen
    participation figures: refused, with the reason at the message."""
    from surveyapp.reviews.models import ItemComment
    from surveyapp.reviews.operations import ReviewError, request_changes

    expert = create_user(email="closing-expert@example.org", role=Role.expert)
    assessment = world["assessments"]["ES26"]
    start_review(assessment, expert)
    db.session.add(
        ItemComment(assessment_id=assessment.id, item_id="maturity", author=expert, body="Why?")
    )
    close_round(world["round"])
    db.session.commit()
    with pytest.raises(ReviewError) as refused:
        request_changes(assessment, expert, "")  # the reason, not "a message is needed"
    assert refused.value.field == "message" and "The round is closed" in str(refused.value)
    db.session.rollback()
    assert assessment.state == AssessmentState.under_review
    # The review page no longer offers it.
    client = app.test_client()
    login(expert, client=client)
    page = client.get(f"/reviews/{assessment.id}", follow_redirects=True).text
    assert "Validate…" in page and "Ask the region for changes…" not in page


def test_a_round_closed_before_its_closing_time_was_kept_counts_every_validation(
    app, world, create_user
):
    """Rounds closed before the closing time was kept (closed_at None) count validations as
    they come, as before; the same late validation then changes the figures."""
    round_ = world["round"]
    close_round(round_)
    round_.closed_at = None
    db.session.commit()
    before = _figures(world)
    _validate_late(world, create_user)
    after = _figures(world)
    assert after["validated"] == before["validated"] + 1
    assert working_group_dashboard(round_, "en")["participation"]["validated_late"] == 0


def test_an_assessment_validated_before_the_close_counts(app, world, create_user):
    round_ = world["round"]
    before = _figures(world)
    _validate_late(world, create_user)  # the round is still open
    close_round(round_)
    db.session.commit()
    assert _figures(world)["validated"] == before["validated"] + 1


def test_closing_warns_of_assessments_not_validated_yet(app, login, create_user, world):
    client = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=client)
    page = client.get(f"/admin/rounds/{world['round'].id}/close").text
    assert (
        "Submitted assessments not validated yet: 1. The round's figures are frozen when it "
        "closes" in page
    )

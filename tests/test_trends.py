"""Trends match items by id across questionnaire versions and leave out changed items."""

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from surveyapp.analysis import dashboard, queries
from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.rounds.models import Round, RoundState
from tests.conftest import resubmitted_with


@pytest.fixture
def two_versions(tmp_path, fixture_path, small_questionnaire):
    data = yaml.safe_load(Path(fixture_path("small-v1.yaml")).read_text())
    data["version"] = 2
    basics = data["sections"][0]["items"]
    share = next(item for item in basics if item["id"] == "budget_share")
    # The question changed meaning: it gets a new id, so it is never compared with the old one.
    share["id"] = "budget_share_total"
    share["text"] = "Share of the whole S3 budget spent with partners abroad"
    path = tmp_path / "small-v2.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return small_questionnaire, load_questionnaire(path).questionnaire


def make_round(name, questionnaire, year):
    round_ = Round(
        name=name,
        questionnaire=questionnaire,
        opens_on=date(year, 3, 1),
        closes_on=date(year, 5, 31),
        state=RoundState.open,
    )
    db.session.add(round_)
    return round_


def test_trend_compares_only_items_every_version_shares(
    app, two_versions, create_region, create_assessment, create_user
):
    first_version, second_version = two_versions
    first, second = (
        make_round("2025", first_version, 2025),
        make_round("2026", second_version, 2026),
    )
    writer = create_user(email="w@example.org")
    region = create_region("ES21", "País Vasco")
    answers = {
        first: {"maturity": 2, "budget_share": 100},  # strategy 40 on shared items, 60 in all
        second: {"maturity": 3, "budget_share_total": 0},  # strategy 60 shared, 40 in all
    }
    for round_, values in answers.items():
        assessment = create_assessment(region=region, round_=round_)
        for item_id, value in values.items():
            save_answer(assessment, item_id, value, writer)
        assessment.state = AssessmentState.submitted
    db.session.commit()

    trend = queries.trend(second, region.id, "self")
    assert [r.name for r in trend.rounds] == ["2025", "2026"]
    strategy = trend.region[("dimension", "strategy")]
    assert list(strategy) == [pytest.approx(40), pytest.approx(60)]
    # Each round on its own still counts every item it asked.
    own = queries.round_scores(second).scores
    row = own[(own.kind == "dimension") & (own.key == "strategy")]
    assert float(row["self"].iloc[0]) == pytest.approx((60 * 2 + 0) / 3)


def test_panel_trend_compares_the_same_validated_regions_with_n(
    app, small_questionnaire, create_region, create_assessment, create_user
):
    first = make_round("2025", small_questionnaire, 2025)
    second = make_round("2026", small_questionnaire, 2026)
    writer = create_user(email="p@example.org")
    # Regions 0-5 validated in both rounds (+1 level each); 6 only in the second round (high),
    # 7 validated in the first round and only submitted in the second.
    plan = {n: (n % 5, n % 5 + 1, "validated") for n in range(6)}
    plan[6] = (None, 5, "validated")
    plan[7] = (0, 5, "submitted")
    for n, (before, after, state) in plan.items():
        region = create_region(f"ES4{n}", f"R{n}")
        for round_, level, final in ((first, before, "validated"), (second, after, state)):
            if level is None:
                continue
            assessment = create_assessment(region=region, round_=round_)
            save_answer(assessment, "maturity", level, writer)
            save_answer(assessment, "budget_share", level * 20, writer)
            assessment.state = AssessmentState(final)
    db.session.commit()
    table = queries.panel_trend(second, first)
    strategy = table.loc[("dimension", "strategy")]
    assert strategy["n"] == 6  # regions 6 and 7 are not in the panel
    assert strategy["median_change"] == pytest.approx(20.0)
    assert not strategy["suppressed"] and not strategy["cross_version"]
    app.config["MIN_GROUP_SIZE"] = 7
    queries._cache.clear()
    assert queries.panel_trend(second, first).loc[("dimension", "strategy")]["suppressed"]
    app.config["MIN_GROUP_SIZE"] = 5


def test_snapshot_id_names_the_data_and_the_questionnaire(
    app, small_questionnaire, create_region, create_assessment, create_user
):
    import re

    round_ = make_round("2026", small_questionnaire, 2026)
    writer = create_user(email="s@example.org")
    assessment = create_assessment(region=create_region("ES50", "R"), round_=round_)
    save_answer(assessment, "maturity", 3, writer)
    assessment.state = AssessmentState.submitted
    db.session.commit()
    first = queries.snapshot_id(queries.round_scores(round_))
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{12}", first)
    assert queries.snapshot_id(queries.round_scores(round_)) == first  # same data, same id
    resubmitted_with(assessment, "maturity", 4)
    assert queries.snapshot_id(queries.round_scores(round_)) != first


def test_a_round_the_region_was_not_validated_in_is_marked_provisional(
    app, small_questionnaire, create_region, create_assessment, create_user
):
    """The region report's "Across rounds" showed a round whose assessment was only submitted
    beside validated rounds, unmarked."""
    from surveyapp.analysis.dashboard import region_dashboard

    first = make_round("2025", small_questionnaire, 2025)
    second = make_round("2026", small_questionnaire, 2026)
    writer = create_user(email="v@example.org")
    region = create_region("ES21", "País Vasco")
    for round_, state in ((first, "submitted"), (second, "validated")):
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "maturity", 3, writer)
        assessment.state = AssessmentState(state)
    db.session.commit()
    trend = queries.trend(second, region.id, "self")
    assert trend.provisional == frozenset({first.id})
    shown = region_dashboard(region, second, "en")["trend"]
    assert shown["rounds"] == ["2025", "2026"] and shown["provisional"] == [True, False]
    # The chart's vertical axis says what it measures (a reader saw bare 0-100 ticks).
    drawn = str(shown["chart"].draw())
    assert re.search(r'transform="rotate\(-90\)"[^>]*>Criterion-7 index<', drawn)
    # The provisional round's point is drawn hollow, and the legend says why.
    assert "Hollow point: provisional, not validated by the experts" in re.sub(
        r"</tspan><tspan[^>]*>", " ", drawn
    )


def test_a_validation_after_a_round_closed_counts_in_the_next_rounds_change(
    app, small_questionnaire, create_region, create_assessment, create_user
):
    """METHOD §12: the first round's figures are frozen when it closes, and a region validated
    there later counts in the next round's figures: the change since the first round."""
    from datetime import UTC, datetime, timedelta

    first = make_round("2025", small_questionnaire, 2025)
    second = make_round("2026", small_questionnaire, 2026)
    writer = create_user(email="late@example.org")
    assessments, later = [], []
    for n in range(6):
        region = create_region(f"ES5{n}", f"R{n}")
        for round_, level in ((first, n % 5), (second, n % 5 + 1)):
            assessment = create_assessment(region=region, round_=round_)
            save_answer(assessment, "maturity", level, writer)
            save_answer(assessment, "budget_share", level * 20, writer)
            assessment.state = AssessmentState.validated
            if round_ is first:
                assessments.append(assessment)
            else:
                later.append(assessment)
    now = datetime.now(UTC)
    first.state = RoundState.closed
    first.closed_at = now - timedelta(days=2)
    for assessment in assessments:
        assessment.state_changed_at = first.closed_at - timedelta(hours=1)
    assessments[0].state_changed_at = now - timedelta(days=1)  # validated after the close
    db.session.commit()
    frozen = queries.round_scores(first).assessments
    assert int(frozen["validated"].sum()) == 5  # the first round's own figures leave it out
    strategy = queries.panel_trend(second, first).loc[("dimension", "strategy")]
    assert strategy["n"] == 6  # the change since counts it
    # ... until the second round closes: its figures, the change included, are frozen then.
    second.state = RoundState.closed
    second.closed_at = now - timedelta(hours=12)
    for assessment in later:
        assessment.state_changed_at = second.closed_at - timedelta(hours=1)
    db.session.commit()
    assert queries.panel_trend(second, first).loc[("dimension", "strategy")]["n"] == 6
    assessments[0].state_changed_at = now  # validated after the second round closed
    db.session.commit()
    assert queries.panel_trend(second, first).loc[("dimension", "strategy")]["n"] == 5


def test_a_change_across_versions_says_how_many_items_each_index_rests_on(
    app, two_versions, create_region, create_assessment, create_user, login
):
    """A v1 -> v2 change is computed on the items both versions share: the table says how many
    of each index's items that is, and why its n may differ from the round's own figures."""
    first_version, second_version = two_versions
    first = make_round("2025", first_version, 2025)
    second = make_round("2026", second_version, 2026)
    writer = create_user(email="x@example.org")
    for n in range(5):
        region = create_region(f"ES3{n}", f"R{n}")
        for round_, item_ids in (
            (first, ("maturity", "budget_share")),
            (second, ("maturity", "budget_share_total")),
        ):
            assessment = create_assessment(region=region, round_=round_)
            for item_id in item_ids:
                value = n if item_id == "maturity" else 10 * n
                save_answer(assessment, item_id, value, writer)
            assessment.state = AssessmentState.validated
    db.session.commit()

    change = dashboard.working_group_dashboard(second, "en")["change"]
    assert change["cross_version"]
    earlier = {item.id for item in first_version.parsed.items}
    newer = second_version.parsed
    for row, (kind, key) in zip(change["rows"], dashboard.index_keys(newer), strict=True):
        if kind == "index":
            items = [i for i in newer.scored_items if i.home_kind == "dimension"]
        else:
            items = newer.home_items(kind, key)
        assert row["items_compared"] == (sum(i.id in earlier for i in items), len(items)), key
    strategy = next(r for r in change["rows"] if r["label"] == "Strategy")
    shared, total = strategy["items_compared"]
    assert shared == total - 1  # budget_share_total is new in version 2

    expert = create_user(email="ex@example.org", role=Role.expert)
    page = app.test_client()
    login(expert, client=page)
    html = page.get(f"/benchmarks/rounds/{second.id}").get_data(as_text=True)
    assert "Items compared" in html
    assert re.search(
        rf"<th scope=\"row\">Strategy</th><td>5</td><td>{shared} of {total}</td>", html
    )
    assert "with its own two-thirds coverage test" in html

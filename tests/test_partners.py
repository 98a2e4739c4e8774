"""Partner ranking on a constructed example."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis.partners import suggest_partners


def test_partners_are_ranked_by_shared_areas_and_complementarity():
    dimensions = pd.DataFrame(
        {
            "strategy": [80, 80, 30, 40, 80],
            "funding": [20, 20, 70, 20, None],
        },
        index=[1, 2, 3, 4, 5],
    )
    areas = {
        1: {"energy", "health"},
        2: {"energy", "health"},  # same areas, same scores: shares everything, teaches nothing
        3: {"energy", "digital"},  # strong in funding where 1 is weak, weak in strategy: mutual
        4: {"space"},  # only weaker
        5: set(),  # no areas, no funding score: its strategy equals 1's
    }
    suggestions = suggest_partners(1, dimensions, areas, margin=15)
    by_id = {s.region_id: s for s in suggestions}
    # 3 -> sqrt(mean(0, 50) * mean(50, 0)) / 50 = 25 / 50, absolute (not scaled to the best).
    assert by_id[3].complementarity == pytest.approx(0.5)
    assert 4 not in by_id
    assert by_id[3].shared_score == pytest.approx(1 / 3)
    assert by_id[2].shared_score == pytest.approx(1.0)
    # 4 and 5 match on nothing (no shared area, nothing to learn both ways): left out.
    assert [s.region_id for s in suggestions] == [2, 3]
    assert by_id[3].match == pytest.approx((1 / 3 + 0.5) / 2)
    assert by_id[3].shared == ["energy"]
    assert by_id[3].their_strengths == ["funding"]
    assert by_id[3].your_strengths == ["strategy"]


def test_a_region_better_everywhere_is_not_complementary():
    dimensions = pd.DataFrame({"strategy": [20, 60, 50], "funding": [60, 40, 90]}, index=[1, 2, 3])
    suggestions = {s.region_id: s for s in suggest_partners(1, dimensions, {1: {"x"}, 3: {"x"}})}
    # Gaps +40 (strategy) and -20 (funding): sqrt(20 x 10) / 50.
    assert suggestions[2].complementarity == pytest.approx(200**0.5 / 50)
    assert suggestions[2].their_strengths == ["strategy"]
    assert suggestions[2].your_strengths == ["funding"]
    assert suggestions[3].complementarity == 0  # better in both: nothing to learn in return
    assert suggestions[3].shared == ["x"]


def test_limit_and_unknown_region():
    dimensions = pd.DataFrame({"strategy": [10, 20, 30], "funding": [50, 5, 0]}, index=[1, 2, 3])
    assert len(suggest_partners(1, dimensions, {})) == 2
    assert len(suggest_partners(1, dimensions, {}, limit=1)) == 1
    assert suggest_partners(9, dimensions, {}) == []


def test_candidates_of_the_same_member_state_are_left_out():
    dimensions = pd.DataFrame({"strategy": [20, 60, 60], "funding": [60, 20, 20]}, index=[1, 2, 3])
    countries = {1: "ES", 2: "ES", 3: "FR"}
    suggestions = suggest_partners(1, dimensions, {}, countries=countries)
    assert [s.region_id for s in suggestions] == [3]
    # Over all dimensions, a missing score counting as no gap: sqrt(40/3 * 40/3) / 50.
    three = dimensions.assign(monitoring=[50, None, 50])
    (only,) = suggest_partners(1, three, {}, countries=countries)
    assert only.complementarity == pytest.approx((40 / 3) / 50)


def test_domestic_candidates_only_on_request_and_marked():
    dimensions = pd.DataFrame({"strategy": [20, 60, 60], "funding": [60, 20, 20]}, index=[1, 2, 3])
    countries = {1: "ES", 2: "ES", 3: "FR"}
    both = suggest_partners(1, dimensions, {}, countries=countries, domestic=True)
    assert {s.region_id: s.domestic for s in both} == {2: True, 3: False}


scores = st.one_of(st.none(), st.integers(0, 100))


@st.composite
def worlds(draw):
    """Regions with dimension scores, areas and Member States; region 1 is the focal one."""
    ids = draw(st.lists(st.integers(1, 60), min_size=2, max_size=15, unique=True))
    ids = [1, *[i for i in ids if i != 1]]
    dimensions = pd.DataFrame(
        {name: [draw(scores) for _ in ids] for name in ("strategy", "funding", "monitoring")},
        index=ids,
        dtype=float,
    )
    vocabulary = ["energy", "health", "digital", "tp:photonics"]
    areas = {i: set(draw(st.lists(st.sampled_from(vocabulary), unique=True))) for i in ids}
    countries = {i: draw(st.sampled_from(["ES", "FR", "IT"])) for i in ids}
    return dimensions, areas, countries


@settings(max_examples=300, deadline=None)
@given(worlds(), st.integers(0, 100), st.integers(0, 100))
def test_partner_properties(world, extra_strategy, extra_funding):
    dimensions, areas, countries = world
    found = suggest_partners(1, dimensions, areas, countries=countries, limit=100)
    # By default no candidate of the region's own Member State, ever.
    assert all(countries[s.region_id] != countries[1] for s in found)
    assert all(0 <= s.match <= 1 and not s.domestic for s in found)
    # A candidate's score does not depend on the other candidates: adding an unrelated third
    # region (its own areas, scores and Member State) changes no one else's figures.
    third = dimensions.index.max() + 1
    bigger = dimensions.copy()
    bigger.loc[third] = [float(extra_strategy), float(extra_funding), float("nan")]
    again = suggest_partners(
        1,
        bigger,
        areas | {third: {"space"}},
        countries=countries | {third: "PL"},
        limit=100,
    )
    before = {s.region_id: (s.match, s.shared_score, s.complementarity) for s in found}
    after = {s.region_id: (s.match, s.shared_score, s.complementarity) for s in again}
    assert {k: v for k, v in after.items() if k != third} == before


def test_critical_aspects_are_named_not_scored():
    dimensions = pd.DataFrame({"strategy": [20, 60], "funding": [60, 20]}, index=[1, 2])
    aspects = pd.DataFrame({"sme": [10, 70], "mnc": [80, 75], "uni": [None, 90]}, index=[1, 2])
    (with_aspects,) = suggest_partners(1, dimensions, {}, aspects=aspects)
    (without,) = suggest_partners(1, dimensions, {})
    assert with_aspects.their_aspects == ["sme"]  # 60 points; mnc differs by 5; uni has no pair
    assert with_aspects.your_aspects == []
    assert with_aspects.match == without.match


def test_a_suggestions_reasons_are_whole_sentences_with_unambiguous_lists(app):
    """German read "während Ihre Region bei Partnerschaften und Netzwerke stärker ist" (a label
    set into a sentence, in the wrong case) and "Gemeinsam: Mobilität, Verkehr und Logistik,
    Medizintechnik" (which names are there?): each list follows a colon, and a list whose
    names have commas of their own is separated by semicolons."""
    from flask_babel import force_locale

    from surveyapp.analysis import dashboard
    from surveyapp.analysis.partners import Suggestion

    class Labels:
        def of(self, kind, key):
            return {"par": "Partnerships and networks", "vch": "Value chains, clusters"}.get(
                key, key.title()
            )

    suggestion = Suggestion(
        1, 0.5, 0.5, 0.5, their_strengths=["vch", "gov"], your_strengths=["par"]
    )
    with app.test_request_context():
        english = dashboard._explain(suggestion, None, Labels(), "en")
        with force_locale("de"):
            german = dashboard._explain(suggestion, None, Labels(), "de")
    assert english == (
        "Stronger than your region: Value chains, clusters; Gov. "
        "Your region is stronger: Partnerships and networks."
    )
    assert "Partnerships and networks." in german and " bei " not in german
    # A name with the list's own "and" ("Partnerships and networks and Governance") too.
    with_and = Suggestion(1, 0.5, 0.5, 0.5, their_strengths=["par", "gov"])
    with app.test_request_context():
        assert dashboard._explain(with_and, None, Labels(), "en") == (
            "Stronger than your region: Partnerships and networks; Gov."
        )
    two = Suggestion(1, 0.5, 0.5, 0.5, their_strengths=["gov", "fun"])
    with app.test_request_context():
        assert dashboard._explain(two, None, Labels(), "en") == (
            "Stronger than your region: Gov and Fun."
        )

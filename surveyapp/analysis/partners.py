"""Partner suggestions: regions with shared priority areas and complementary strengths.

A candidate's match is the mean of two parts, each 0-1:

* **shared**: the overlap of the two regions' priority areas and Thematic Partnerships
  (shared / all named by either, the Jaccard index);
* **complementarity** (method 2.0, D17): how much both could learn from each other, on the six
  criterion-7 dimensions (validated, moderated scores; the caller passes them). Over all six
  dimensions, zeros included (a dimension either region has no score for adds 0), take the mean
  of how far the candidate is above this region (what this region can learn) and the mean of how
  far it is below (what the candidate can learn); complementarity = sqrt(mean positive gap x mean
  negative gap) / 50. It is absolute (not scaled to the best candidate) and stays in [0, 1]. A
  candidate strong where this region is weak *and* weak where it is strong scores high; a
  candidate better (or worse) everywhere, or a copy of this region, scores 0.

Candidates from the region's own Member State are left out: criterion 7 is about partners outside
it (on request they are included, each marked as domestic). Dimensions where the difference is
at least ``margin`` points are named in the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Suggestion:
    region_id: int
    match: float
    shared_score: float
    complementarity: float
    #: Priority areas and partnerships both regions name, sorted.
    shared: list[str] = field(default_factory=list)
    #: Dimensions where the candidate is stronger by at least the margin, largest gap first.
    their_strengths: list[str] = field(default_factory=list)
    #: Dimensions where this region is stronger by at least the margin, largest gap first.
    your_strengths: list[str] = field(default_factory=list)
    #: In the region's own Member State (only when domestic candidates were asked for).
    domestic: bool = False
    #: Critical aspects where the candidate, or this region, is stronger by at least the margin
    #: (named in the explanation; the match does not use them, D17).
    their_aspects: list[str] = field(default_factory=list)
    your_aspects: list[str] = field(default_factory=list)


def suggest_partners(
    region_id: int,
    dimensions: pd.DataFrame,
    areas: dict[int, set[str]],
    *,
    limit: int = 5,
    margin: float = 15.0,
    countries: dict[int, str] | None = None,
    domestic: bool = False,
    aspects: pd.DataFrame | None = None,
) -> list[Suggestion]:
    """Rank the other regions as partners for ``region_id``.

    :param dimensions: region_id index, one column per criterion-7 dimension, scores 0-100
        (NaN = none).
    :param areas: region id -> its priority areas and partnerships.
    :param countries: region id -> Member State; candidates of the region's own are left out
        unless ``domestic`` (then they are marked so).
    :param aspects: region_id index, one column per critical aspect (NaN = none): the aspects
        where either side is stronger are named, not scored.
    """
    if region_id not in dimensions.index:
        return []
    own = dimensions.loc[region_id].to_numpy(dtype=float)
    others = dimensions.drop(index=region_id)
    home = (countries or {}).get(region_id)
    if home is not None and not domestic:
        mask = np.array([countries.get(other) != home for other in others.index], dtype=bool)
        others = others.loc[mask]
    difference = others.to_numpy(dtype=float) - own  # candidates x dimensions, NaN where absent
    complementarity = complementarity_of(difference)
    own_areas = areas.get(region_id, set())
    candidates = []
    for index, other_id in enumerate(others.index):
        other_areas = areas.get(other_id, set())
        union = own_areas | other_areas
        shared_score = len(own_areas & other_areas) / len(union) if union else 0.0
        candidates.append((index, int(other_id), shared_score, float(complementarity[index])))
    candidates.sort(key=lambda c: (-(c[2] + c[3]) / 2, c[1]))
    suggestions = []
    for index, other_id, shared_score, complement in candidates:
        match = (shared_score + complement) / 2
        if match <= 0 or len(suggestions) == limit:
            break
        row = pd.Series(difference[index], index=dimensions.columns).dropna()
        aspect_gaps = _gaps(aspects, region_id, other_id)
        suggestions.append(
            Suggestion(
                region_id=other_id,
                match=match,
                shared_score=shared_score,
                complementarity=complement,
                shared=sorted(own_areas & areas.get(other_id, set())),
                their_strengths=_named(row, margin),
                your_strengths=_named(-row, margin),
                domestic=home is not None and countries.get(other_id) == home,
                their_aspects=_named(aspect_gaps, margin),
                your_aspects=_named(-aspect_gaps, margin),
            )
        )
    return suggestions


def complementarity_of(difference: np.ndarray) -> np.ndarray:
    """sqrt(mean positive gap x mean negative gap) / 50 per row, over all columns (NaN as 0)."""
    if difference.size == 0:
        return np.zeros(len(difference))
    gaps = np.nan_to_num(difference)
    you_learn = np.clip(gaps, 0, None).mean(axis=1)
    they_learn = np.clip(-gaps, 0, None).mean(axis=1)
    return np.sqrt(you_learn * they_learn) / 50.0


def _gaps(scores: pd.DataFrame | None, region_id: int, other_id: int) -> pd.Series:
    """The other region's scores minus this region's, where both have one."""
    if scores is None or region_id not in scores.index or other_id not in scores.index:
        return pd.Series(dtype=float)
    return (scores.loc[other_id].astype(float) - scores.loc[region_id].astype(float)).dropna()


def _named(difference: pd.Series, margin: float) -> list[str]:
    above = difference[difference >= margin].sort_values(ascending=False)
    return [str(key) for key in above.index]

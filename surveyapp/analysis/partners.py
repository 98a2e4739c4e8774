"""Partner suggestions: regions with shared priority areas and complementary strengths.

A candidate's match is the mean of two parts, each 0-1:

* **shared**: the overlap of the two regions' priority areas and Thematic Partnerships
  (shared / all named by either, the Jaccard index);
* **complementarity**: how much both could learn from each other. Over the dimensions both have
  a score for, take the mean of how far the candidate is above this region (what this region can
  learn) and the mean of how far it is below (what the candidate can learn); their geometric mean,
  relative to the largest among the candidates, is the complementarity. A candidate strong where
  this region is weak *and* weak where it is strong scores high; a candidate better (or worse)
  everywhere, or a copy of this region, scores 0.

Dimensions where the difference is at least ``margin`` points are named in the explanation.
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


def suggest_partners(
    region_id: int,
    dimensions: pd.DataFrame,
    areas: dict[int, set[str]],
    *,
    limit: int = 5,
    margin: float = 15.0,
) -> list[Suggestion]:
    """Rank the other regions as partners for ``region_id``.

    :param dimensions: region_id index, one column per dimension, scores 0-100 (NaN = none).
    :param areas: region id -> its priority areas and partnerships.
    """
    if region_id not in dimensions.index:
        return []
    own = dimensions.loc[region_id].to_numpy(dtype=float)
    others = dimensions.drop(index=region_id)
    difference = others.to_numpy(dtype=float) - own  # candidates x dimensions, NaN where absent
    present = ~np.isnan(difference)
    counts = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        you_learn = np.where(present, np.clip(difference, 0, None), 0).sum(axis=1) / counts
        they_learn = np.where(present, np.clip(-difference, 0, None), 0).sum(axis=1) / counts
    complementarity = np.nan_to_num(np.sqrt(you_learn * they_learn))
    largest = complementarity.max() if len(complementarity) else 0.0
    if largest > 0:
        complementarity = complementarity / largest
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
        suggestions.append(
            Suggestion(
                region_id=other_id,
                match=match,
                shared_score=shared_score,
                complementarity=complement,
                shared=sorted(own_areas & areas.get(other_id, set())),
                their_strengths=_named(row, margin),
                your_strengths=_named(-row, margin),
            )
        )
    return suggestions


def _named(difference: pd.Series, margin: float) -> list[str]:
    above = difference[difference >= margin].sort_values(ascending=False)
    return [str(key) for key in above.index]

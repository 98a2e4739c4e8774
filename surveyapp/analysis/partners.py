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
    own = dimensions.loc[region_id]
    own_areas = areas.get(region_id, set())
    candidates = []
    for other_id, scores in dimensions.drop(index=region_id).iterrows():
        difference = (scores - own).dropna()
        gains = (difference.clip(lower=0).mean() * (-difference).clip(lower=0).mean()) ** 0.5
        other_areas = areas.get(other_id, set())
        union = own_areas | other_areas
        shared = sorted(own_areas & other_areas)
        candidates.append(
            Suggestion(
                region_id=int(other_id),
                match=0.0,
                shared_score=len(shared) / len(union) if union else 0.0,
                complementarity=0.0 if pd.isna(gains) else float(gains),
                shared=shared,
                their_strengths=_named(difference, margin),
                your_strengths=_named(-difference, margin),
            )
        )
    largest = max((c.complementarity for c in candidates), default=0.0)
    for candidate in candidates:
        candidate.complementarity = candidate.complementarity / largest if largest else 0.0
        candidate.match = (candidate.shared_score + candidate.complementarity) / 2
    candidates.sort(key=lambda c: (-c.match, c.region_id))
    return [c for c in candidates if c.match > 0][:limit]


def _named(difference: pd.Series, margin: float) -> list[str]:
    above = difference[difference >= margin].sort_values(ascending=False)
    return [str(key) for key in above.index]

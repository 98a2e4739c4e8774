"""Scores from answers: pure functions over pandas DataFrames (no Flask, no database).

How a score is made (the methodology annex of the reports says the same):

* **Item score** (0-100) comes from the question type (``questionnaires/FORMAT.md``): a scale
  level times 20, yes = 100, a number against its target, a choice's score, and so on.
* An item counts only when it is **scored, answered, applicable and visible**. "Not applicable"
  and unanswered items are left out of every mean (they neither lower nor raise a score); an item
  hidden by its ``show_if`` condition is left out even when an old answer is still stored.
* **Dimension and critical-aspect scores** are the weighted means (``weight`` in the
  questionnaire) of the counted items that belong to them. A dimension with no counted item has no
  score (it is not zero).
* The **overall score** is the plain mean of the dimension scores the assessment has, so every
  dimension weighs the same whatever its number of items.
* The **moderated score** is the expert's score for an item where an expert gave one, and the
  region's own score elsewhere; dimension, aspect and overall moderated scores are built from it
  the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.questionnaires.definition import Definition

DIMENSION = "dimension"
ASPECT = "aspect"
OVERALL = "overall"
OVERALL_KEY = "overall"
#: The two score columns every score table carries.
SCORE_COLUMNS = ("self", "moderated")


def item_table(definition: Definition) -> pd.DataFrame:
    """One row per scored item: item_id, dimension, weight, aspects (tuple)."""
    rows = [
        (item.id, item.dimension, float(item.weight), tuple(item.aspects))
        for item in definition.items
        if item.is_scored
    ]
    return pd.DataFrame(rows, columns=["item_id", "dimension", "weight", "aspects"])


def item_scores(
    answers: pd.DataFrame, definition: Definition, moderated: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Counted item scores of each assessment.

    :param answers: columns assessment_id, item_id, value (the stored JSON value).
    :param moderated: optional columns assessment_id, item_id, score: experts' item scores.
    :returns: columns assessment_id, item_id, self, moderated; one row per item that counts for
        either score. ``self`` is NaN where only an expert score exists (the region said "not
        applicable" and the expert disagreed).
    """
    items = definition.items_by_id
    scored = {item.id for item in definition.items if item.is_scored}
    rows = answers[answers["item_id"].isin(scored)]
    visible = _visible(rows, answers, definition)
    rows = rows.loc[np.asarray(visible, dtype=bool)]
    frame = pd.DataFrame(
        {
            "assessment_id": rows["assessment_id"].to_numpy(),
            "item_id": rows["item_id"].to_numpy(),
            "self": _scores(rows, items),
        }
    )
    frame = frame.dropna(subset=["self"])
    if moderated is not None and not moderated.empty:
        expert = moderated.loc[moderated["item_id"].isin(scored)]
        expert = expert[["assessment_id", "item_id", "score"]]
        frame = frame.merge(expert, on=["assessment_id", "item_id"], how="outer")
        frame["moderated"] = frame["score"].fillna(frame["self"])
        frame = frame.drop(columns="score")
    else:
        frame["moderated"] = frame["self"]
    return frame.reset_index(drop=True)


def _scores(rows: pd.DataFrame, items: dict) -> np.ndarray:
    """Each row's item score; scale items (most of them) in one vectorised step."""
    is_scale = rows["item_id"].map(lambda item_id: items[item_id].type == "scale").to_numpy(bool)
    scores = np.full(len(rows), np.nan)
    # A scale answer is a level 0-5 or "na" (not applicable: no score).
    levels = pd.to_numeric(rows["value"][is_scale], errors="coerce").to_numpy(float)
    scores[is_scale] = levels * 20.0
    others = ~is_scale
    scores[others] = [
        np.nan
        if (score := items[item_id].question_type.score(items[item_id], value)) is None
        else score
        for item_id, value in zip(rows["item_id"][others], rows["value"][others], strict=True)
    ]
    return scores


def _visible(rows: pd.DataFrame, answers: pd.DataFrame, definition: Definition) -> list[bool]:
    """Whether each row's item is shown, given the same assessment's controlling answer."""
    conditional = {item.id: item for item in definition.items if item.show_if}
    if not conditional:
        return [True] * len(rows)
    controlling = {item.show_if["item"] for item in conditional.values()}
    source = answers[answers["item_id"].isin(controlling)]
    lookup = {
        (assessment_id, item_id): value
        for assessment_id, item_id, value in zip(
            source["assessment_id"], source["item_id"], source["value"], strict=True
        )
    }
    visible = []
    for assessment_id, item_id in zip(rows["assessment_id"], rows["item_id"], strict=True):
        item = conditional.get(item_id)
        if item is None:
            visible.append(True)
            continue
        target = item.show_if["item"]
        visible.append(item.is_visible({target: lookup.get((assessment_id, target))}))
    return visible


def group_scores(scores: pd.DataFrame, definition: Definition) -> pd.DataFrame:
    """Dimension, aspect and overall scores of each assessment.

    :param scores: the result of :func:`item_scores`.
    :returns: long table with columns assessment_id, kind (dimension/aspect/overall), key,
        self, moderated.
    """
    meta = item_table(definition)
    merged = scores.merge(meta, on="item_id", how="inner")
    dimensions = _weighted_means(merged, "dimension")
    exploded = merged.explode("aspects").dropna(subset=["aspects"])
    aspects = _weighted_means(exploded.rename(columns={"aspects": "aspect"}), "aspect")
    overall = dimensions.groupby("assessment_id")[list(SCORE_COLUMNS)].mean().reset_index()
    overall["key"] = OVERALL_KEY
    return pd.concat(
        [
            dimensions.assign(kind=DIMENSION),
            aspects.assign(kind=ASPECT),
            overall.assign(kind=OVERALL),
        ],
        ignore_index=True,
    )[["assessment_id", "kind", "key", *SCORE_COLUMNS]]


def _weighted_means(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Weighted mean of each score column per assessment and group, ignoring missing scores."""
    parts = []
    for column in SCORE_COLUMNS:
        present = frame[frame[column].notna()]
        weighted = present.assign(product=present[column] * present["weight"])
        sums = weighted.groupby(["assessment_id", by])[["product", "weight"]].sum()
        parts.append((sums["product"] / sums["weight"]).rename(column))
    result = pd.concat(parts, axis=1).reset_index()
    return result.rename(columns={by: "key"})


def wide(scores: pd.DataFrame, kind: str, column: str = "moderated") -> pd.DataFrame:
    """Assessments by keys of one kind (e.g. dimensions), one score column."""
    subset = scores[scores["kind"] == kind]
    return subset.pivot(index="assessment_id", columns="key", values=column)

"""Scoring methods 2.0 and 1.0: how every score of the benchmarks is made from the answers.

This text is the methodology annex of every report (``method_sections`` hands it over as headings
and paragraphs); the code below implements it, as pure functions over pandas DataFrames (no
Flask, no database). A report's annex gives the rules of its round's method only: a section whose
heading ends "(method 1.0)" or "(method 2.0)", and a paragraph that starts "Method 1.0:" or
"Method 2.0:", belong to that method alone.

What the scores are
-------------------

Criterion 7 of the enabling condition "Good governance of national or regional smart
specialisation strategy" (Regulation (EU) 2021/1060, Annex IV) asks for measures for enhancing
cooperation with partners outside a given Member State in priority areas supported by the smart
specialisation strategy. No official scoring rubric exists for criterion 7: these scores are this
tool's own method. They serve self-reflection, expert feedback and peer learning. They are not a
ranking of regions' worth, not a verdict on the fulfilment of criterion 7 (fulfilment is recorded
as the region declares it) and not an input to funding.

Structure
---------

The criterion-7 index (C7) is built from six dimensions: strategy, governance, partnerships,
funding, value chains and monitoring. Four critical-aspect indices stand beside it: SME
technology adoption, universities and RTOs serving companies, innovation agencies (knowledge flows
and coordination) and knowledge transfer from multinationals. They are shown side by side and
never averaged together: there is no overall score.

Every scored item has exactly one home, one dimension or one aspect, so no item counts in two
indices. An item of a dimension may relate to an aspect: it is then listed on the aspect's page
but scored only in its dimension. Context items are not scored.

Item scores
-----------

Every item score runs from 0 to 100.

* Scale 0-5: 20 times the level.
* Yes/no: yes 100, no 0.
* Percentage: the value.
* Single choice: the score of the chosen option, as the item table gives it.
* Method 2.0: The options of a single choice form a ladder whose scores never fall, and the
  lowest option (such as "none" or "not active") scores 0.
* Method 1.0: Multiple choice: the sum of the chosen options' scores, at most 100.
* Method 2.0: Count with a target relative to the region's size: score = min(100, 100 x count /
  target), with target = max(floor, rho x P^beta), P the region's population in millions on 1
  January of the year of the round's reference date (or the latest earlier year known), rho and
  beta as the item table gives them (beta = 0.5). Counts are asked per period ("in the last 12
  months" or "since the previous round"), never cumulatively. A population is never guessed: when
  it is missing, the count item is left out whatever the answer (unless an expert scored it),
  and the index's coverage shows it.
* Count or number with an absolute target: min(100, 100 x value / target).
* Method 1.0: Counts are scored as the questionnaire version asks them, some since 1 January 2021
  (cumulative), against the absolute targets of the item table, whatever the region's size.
* Method 2.0: "Don't know" scores 0.

Missing answers, hidden items and "not applicable" (method 2.0)
----------------------------------------------------------------

* A scored item left blank counts as "Don't know" (0) and is flagged as blank: leaving an answer
  out never pays.
* A scored item hidden by its condition (for example the phase of a Thematic Partnership for a
  region that is in none) counts with score 0, so a hidden item never beats any visible answer
  and joining can only add points. Conditions are effort questions whose showing answers are
  closed upwards.
* "Not applicable" is possible only on items that allow it, with a written reason. The
  self-assessed score leaves out every "not applicable" the region claimed. The moderated score
  leaves out only those an expert accepted; one not yet decided counts as "Don't know" (0), and a
  rejected one counts as the expert's score where the expert set one, else 0.
* An expert's score for an item replaces the item's moderated score.

Each item has a status: value, dk (Don't know), blank, hidden, na_pending, na_accepted or
na_rejected.

Missing answers, hidden items and "not applicable" (method 1.0)
----------------------------------------------------------------

Rounds answered on a format-1 questionnaire (version 1) keep that version's item rules.

* A scored item left blank, answered "not applicable" or hidden by its condition is left out of
  both scores: it neither counts nor scores 0. A hidden item is not among the scored items for
  coverage.
* "Not applicable" needs no reason. An expert may accept it (the item stays left out) or reject
  it with the score the item earns.
* An expert's score for an item replaces the item's moderated score.
* Each aspect is scored from the items of its own section only.
* Version 1 asks about cooperation with other EU Member States, not with partners outside the
  Member State, and some of its aspect items are about measures within the region, not about
  cooperation. Its aspect indices therefore measure more than criterion 7 and are not comparable
  with those of version 2.

Coverage and aggregation
------------------------

* Coverage of an index = the weight of its counted items / the weight of its scored items.
* Method 2.0: Only an accepted "not applicable" (and, in the self-assessed score, a claimed one)
  lowers it, as does a count item without a population.
* Method 1.0: A blank or "not applicable" item lowers it; an item hidden by its condition is not
  among the scored items.
* An index is shown only when 3 x counted weight >= 2 x scored weight (coverage of at least two
  thirds); below that it is "not applicable", never 0.
* A dimension or aspect score is the weighted mean of its counted items' scores (weights are
  multiples of 0.5 and published in the item table).
* The C7 index is the unweighted mean of the six dimension scores, shown only when all six are
  shown; its coverage is the lowest of its dimensions' coverages.
* The self-assessed and moderated scores are made by the same rules, one from the region's
  answers, the other after the experts' review.

Precision
---------

Scores are computed in double precision from unrounded inputs. Comparisons, ties, ranks and
thresholds use the canonical value: the number written with its shortest decimal digits, rounded
to 9 decimals (half to even). Scores are displayed with one decimal, rounded half away from zero
on the canonical value: 40.25 shows as 40.3 and a change of 63.05 - 60.2 as +2.9. Every figure
derived from scores (a gap to the median, a change, a partner's match as the mean of its two
parts) is computed from the unrounded values and then rounded on its own, so it can differ by
0.1 from the same sum worked out on the printed figures.

Comparison with peers
---------------------

* Peer statistics use the moderated scores of validated assessments only; the number of counted
  assessments left out because they are not validated is stated.
* A round's figures are frozen when it closes: they count the assessments validated by then. One
  validated after the close keeps its validated scores but counts in none of the round's figures
  and has no rank in them; the number left out so is stated.
* What the peer groups and the similar regions are built from (the regions' Member States and
  categories, Thematic Partnership memberships, administrators' groups, structural indicators) is
  kept when a round closes, and the round's figures are computed from that record: such data
  imported later change only open rounds' figures.
* Method 2.0: The same record keeps the populations of the reference year or earlier, for the
  counts scored against a target relative to the region's size.
* A round closed before these records were kept got its record when the application was
  upgraded to keep them, from the data its figures had been computed from until then (the annex
  gives the day).
* A peer group (all regions, the same Member State, the same category of region, the same Thematic
  Partnership, a group an administrator defined) holds the region and the validated regions with a
  shown value for the index.
* Percentile rank PR = 100 x (B + 0.5 x E) / N, where B is the number of regions strictly below,
  E the number equal (the region included) and N the group's size, on canonical values. A region
  sees its rank only once its own assessment is validated (by the round's close).
* Median and quartiles are of type 7 (linear interpolation between the closest ranks). A group
  of fewer than 5 regions shows no statistic; 5 to 9 regions show the median only; quartiles are
  shown from 10 regions. The minimum, maximum and mean of a group are never shown.
* Band: "at the median" when the value equals the median, else Q1 (lowest) when PR < 25, Q2 when
  PR < 50, Q3 when PR < 75, else Q4.
* When two groups shown together differ by 1 to 4 regions, the smaller is suppressed; when the
  regions of "all" outside a family of disjoint groups are 1 to 4, that family's smallest group is
  suppressed.

Trends
------

A change from one round to the next is computed over the panel of regions validated and shown in
both rounds, never over two different sets of regions: it is the median of the regions' own
changes, with the panel's size n, and it is not shown for fewer than 5 regions. When the two
rounds use different questionnaire versions, both rounds are scored on the items the two versions
share (same item id) under the newer version's rules and homes; such a trend is footnoted.
"""

from __future__ import annotations

import json
import math
import re
import warnings
import weakref
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.numbers import canonical as _canonical
from surveyapp.questionnaires.definition import Definition

DIMENSION = "dimension"
ASPECT = "aspect"
INDEX = "index"
#: The key of the criterion-7 index (kind INDEX).
C7 = "c7"
#: The two score columns every score table carries.
SCORE_COLUMNS = ("self", "moderated")
#: Item statuses (RoundScores.items["status"]).
VALUE, DK, BLANK, HIDDEN = "value", "dk", "blank", "hidden"
NA_PENDING, NA_ACCEPTED, NA_REJECTED = "na_pending", "na_accepted", "na_rejected"
STATUSES = (VALUE, DK, BLANK, HIDDEN, NA_PENDING, NA_ACCEPTED, NA_REJECTED)
#: Statuses whose item, with no expert score, counts as "Don't know" (0) in method 2.0.
DK_LIKE = (DK, BLANK, NA_PENDING, NA_REJECTED)
#: An index is shown when MIN_COVERAGE_NUMERATOR x counted >= MIN_COVERAGE_DENOMINATOR x total.
MIN_COVERAGE_NUMERATOR, MIN_COVERAGE_DENOMINATOR = 3, 2
METHOD_1, METHOD_2 = "1.0", "2.0"
DONT_KNOW, NOT_APPLICABLE = "dk", "na"

ITEM_COLUMNS = [
    "assessment_id",
    "item_id",
    "status",
    "self",
    "moderated",
    "expert",
    "evidence",
    "changed",
]
SCORE_TABLE_COLUMNS = [
    "assessment_id",
    "kind",
    "key",
    "self",
    "moderated",
    "coverage_self",
    "coverage_moderated",
    "counted",
    "total",
    "dk",
]
ITEM_FRAME_COLUMNS = [
    "item_id",
    "home_kind",
    "home",
    "type",
    "weight",
    "rule",
    "dk_score",
    "gate",
    "allow_na",
    "relates_to",
]


def canonical(x: float | int | Decimal) -> Decimal:
    """The canonical value of a score: Decimal(repr(x)) to 9 decimals, half to even (D11)."""
    return _canonical(x)


def canonical_array(values) -> np.ndarray:
    """Canonical values of an array of floats as floats (NaN kept): equal to 9 decimals ->
    equal floats, so comparisons and ties can be made with numpy."""
    array = np.asarray(values, dtype=float)
    out = np.full(array.shape, np.nan)
    flat, result = array.ravel(), out.ravel()
    for position, value in enumerate(flat):
        if not math.isnan(value):
            result[position] = float(_canonical(float(value)))
    return out


# --- The method text --------------------------------------------------------------------------


_OF_METHOD = re.compile(r"\(method (\d\.\d)\)$")
_PARAGRAPH_OF_METHOD = re.compile(r"^Method (\d\.\d): ")


def method_sections(method: str | None = None) -> list[tuple[str, list[str]]]:
    """The method (this module's docstring) as (heading, paragraphs), plain English text.

    A bullet ("* ...") is one paragraph; lines of a paragraph are joined with spaces.
    :param method: "1.0" or "2.0": that method's rules only (the sections and paragraphs marked
        for the other left out, the "Method x.y: " of its own paragraphs dropped); None: all.
    """
    if method is None:
        return _all_method_sections()
    chosen = []
    for heading, paragraphs in _all_method_sections():
        marked = _OF_METHOD.search(heading)
        if marked and marked.group(1) != method:
            continue
        kept = []
        for paragraph in paragraphs:
            of = _PARAGRAPH_OF_METHOD.match(paragraph)
            if of is None:
                kept.append(paragraph)
            elif of.group(1) == method:
                rest = paragraph[of.end() :]
                kept.append(rest[:1].upper() + rest[1:])
        chosen.append((heading, kept))
    return chosen


def _all_method_sections() -> list[tuple[str, list[str]]]:
    text = __doc__ or ""
    lines = text.splitlines()
    sections: list[tuple[str, list[str]]] = []
    heading, paragraphs, current = "", [], []

    def flush():
        if current:
            paragraphs.append(" ".join(part.strip() for part in current))
            current.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", following.strip()):
            flush()
            if heading or paragraphs:
                sections.append((heading, paragraphs))
            heading, paragraphs = line.strip(), []
            index += 2
            continue
        if not line.strip():
            flush()
        elif line.startswith("* "):
            flush()
            current.append(line[2:])
        else:
            current.append(line)
        index += 1
    flush()
    sections.append((heading, paragraphs))
    return [(h, p) for h, p in sections if h]


# --- The definition as the method sees it ----------------------------------------------------


def method_of(definition: Definition) -> str:
    """ "1.0" (format 1: v1 item rules) or "2.0"."""
    method = getattr(definition, "method", None)
    if method:
        return str(method)
    return METHOD_2 if getattr(definition, "format", 1) == 2 else METHOD_1


def c7_dimension_ids(definition: Definition) -> list[str]:
    groups = getattr(definition, "c7_dimensions", None)
    if groups is not None:
        return [g.id for g in groups]
    aspects = {a.id for a in definition.aspects}
    return [d.id for d in definition.dimensions if d.id not in aspects]


def aspect_ids(definition: Definition) -> list[str]:
    return [a.id for a in definition.aspects]


def _home(item, aspects: set[str]) -> tuple[str | None, str | None]:
    if hasattr(item, "home_kind"):
        return item.home_kind, item.home
    if not item.is_scored or not item.dimension:
        return None, None
    return (ASPECT if item.dimension in aspects else DIMENSION), item.dimension


def _relative_target(item) -> dict | None:
    target = getattr(item, "relative_target", None)
    if target:
        return target
    configured = item.config.get("target") if item.type == "number" else None
    return configured if isinstance(configured, dict) else None


def scored_items(definition: Definition) -> list:
    """The scored items (with a home) in questionnaire order."""
    aspects = set(aspect_ids(definition))
    return [item for item in definition.items if _home(item, aspects)[0] is not None]


def _rule(item) -> dict:
    config = item.config
    if item.type == "scale":
        return {"kind": "scale"}
    if item.type == "yes_no":
        return {"kind": "yes_no"}
    if item.type == "percent":
        return {"kind": "percent"}
    if item.type in ("single_choice", "multi_choice"):
        rule = {"kind": "choice", "scores": {o["value"]: o["score"] for o in config["options"]}}
        if item.type == "multi_choice":
            rule["multiple"] = True  # format 1 only: the sum of the chosen, at most 100
        return rule
    relative = _relative_target(item)
    if relative:
        return {
            "kind": "count",
            "per_million": relative.get("per_million"),
            "exponent": relative.get("exponent", 0.5),
            "floor": relative.get("floor", 1),
        }
    return {"kind": "target", "target": config.get("target")}


def item_frame(definition: Definition) -> pd.DataFrame:
    """The annex's item table: one row per scored item, everything needed to recompute a score.

    Columns item_id, home_kind, home, type, weight, rule (JSON text), dk_score, gate (JSON text of
    the ``show_if`` condition or ""), allow_na, relates_to (aspect ids joined with ";").
    """
    aspects = set(aspect_ids(definition))
    rows = []
    for item in scored_items(definition):
        kind, home = _home(item, aspects)
        rows.append(
            (
                item.id,
                kind,
                home,
                item.type,
                float(item.weight),
                json.dumps(_rule(item), sort_keys=True),
                0.0,
                json.dumps(item.show_if, sort_keys=True) if item.show_if else "",
                bool(getattr(item, "allow_na", item.config.get("allow_na", False))),
                ";".join(getattr(item, "relates_to", ()) or ()),
            )
        )
    return pd.DataFrame(rows, columns=ITEM_FRAME_COLUMNS)


def item_table(definition: Definition) -> pd.DataFrame:
    """item_id, home_kind, home, weight of the scored items (what aggregation needs)."""
    return item_frame(definition)[["item_id", "home_kind", "home", "weight"]]


# --- Items -> item scores ---------------------------------------------------------------------


def _empty_items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "assessment_id": pd.Series(dtype="int64"),
            "item_id": pd.Series(dtype=object),
            "status": pd.Series(dtype=object),
            "self": pd.Series(dtype=float),
            "moderated": pd.Series(dtype=float),
            "expert": pd.Series(dtype=bool),
            "evidence": pd.Series(dtype=bool),
            "changed": pd.Series(dtype=bool),
        }
    )


def item_scores(
    answers: pd.DataFrame,
    definition: Definition,
    moderated: pd.DataFrame | None = None,
    populations: pd.Series | dict | None = None,
    *,
    assessment_ids=None,
    item_ids=None,
    method: str | None = None,
) -> pd.DataFrame:
    """Every scored item of every assessment, with its status and its two scores.

    :param answers: columns assessment_id, item_id, value (the stored JSON value) and optionally
        evidence (bool: a link or reference was given, or a file is attached to the item).
    :param moderated: optional columns assessment_id, item_id, score (the expert's score or
        NaN/None), and optionally na_decision ("accepted"/"rejected"/None) and confirmed (bool).
    :param populations: assessment id -> inhabitants (NaN or absent: unknown), for counts with a
        target relative to size.
    :param assessment_ids: the assessments to score (default: those with answers).
    :param item_ids: score only these items (cross-version trends: the shared items).
    :param method: "1.0" or "2.0" (default: the definition's).
    :returns: columns assessment_id, item_id, status, self, moderated (NaN = left out), expert,
        evidence, changed; one row per assessment and scored item (see the module docstring).
    """
    method = method or method_of(definition)
    items = scored_items(definition)
    if item_ids is not None:
        wanted = set(item_ids)
        items = [item for item in items if item.id in wanted]
    if assessment_ids is None:
        assessment_ids = pd.unique(answers["assessment_id"]) if len(answers) else []
    assessment_ids = np.asarray(list(assessment_ids), dtype="int64")
    if not len(items) or not len(assessment_ids):
        return _empty_items()
    item_order = [item.id for item in items]
    by_id = {item.id: item for item in items}
    n_items, n_assessments = len(items), len(assessment_ids)
    grid = pd.DataFrame(
        {
            "assessment_id": np.repeat(assessment_ids, n_items),
            "item_id": np.tile(np.asarray(item_order, dtype=object), n_assessments),
        }
    )
    wanted_answers = answers[answers["item_id"].isin(by_id)]
    columns = ["assessment_id", "item_id", "value"]
    if "evidence" in answers.columns:
        columns.append("evidence")
    grid = grid.merge(wanted_answers[columns], on=["assessment_id", "item_id"], how="left")
    values = grid["value"].to_numpy(dtype=object)
    n = len(grid)
    item_col = grid["item_id"].to_numpy(dtype=object)
    types = np.array([by_id[i].type for i in item_order], dtype=object)
    type_of = pd.Series(types, index=item_order)
    row_types = type_of.reindex(item_col).to_numpy(dtype=object)

    # Classify the stored values.
    blank = np.array([_is_blank(v) for v in values], dtype=bool)
    is_dk = np.array([isinstance(v, str) and v == DONT_KNOW for v in values], dtype=bool)
    is_na = np.array([isinstance(v, str) and v == NOT_APPLICABLE for v in values], dtype=bool)
    substantive = ~(blank | is_dk | is_na)

    # Substantive scores, per type.
    raw = np.full(n, np.nan)
    scale = substantive & (row_types == "scale")
    if scale.any():
        levels = np.array(
            [_level(v) for v in values[scale]],
            dtype=float,
        )
        raw[scale] = levels * 20.0
    others = np.flatnonzero(substantive & (row_types != "scale"))
    if len(others):
        population = _population_lookup(populations)
        assessments_col = grid["assessment_id"].to_numpy()
        for position in others:
            item = by_id[item_col[position]]
            raw[position] = _score_value(
                item, values[position], population.get(int(assessments_col[position]), np.nan)
            )
    # An invalid stored value (an option the version no longer has) counts as no answer.
    invalid = substantive & np.isnan(raw) & ~_count_rows(row_types, item_col, by_id)
    blank |= invalid
    substantive &= ~invalid

    hidden = _hidden(grid, answers, items, definition)

    # Experts' decisions.
    expert_score = np.full(n, np.nan)
    decision = np.full(n, None, dtype=object)
    expert = np.zeros(n, dtype=bool)
    if moderated is not None and len(moderated):
        mod = moderated[moderated["item_id"].isin(by_id)].copy()
        if "na_decision" not in mod.columns:
            mod["na_decision"] = None
        if "confirmed" not in mod.columns:
            mod["confirmed"] = False
        mod = mod[["assessment_id", "item_id", "score", "na_decision", "confirmed"]]
        joined = grid[["assessment_id", "item_id"]].merge(
            mod, on=["assessment_id", "item_id"], how="left"
        )
        expert_score = pd.to_numeric(joined["score"], errors="coerce").to_numpy(float)
        decision = joined["na_decision"].to_numpy(dtype=object)
        confirmed = _true(joined["confirmed"])
        expert = ~np.isnan(expert_score) | pd.notna(decision) | confirmed
    has_expert_score = ~np.isnan(expert_score)
    accepted = np.array([d == "accepted" for d in decision], dtype=bool)
    rejected = np.array([d == "rejected" for d in decision], dtype=bool)

    status = np.full(n, VALUE, dtype=object)
    status[blank] = BLANK
    status[is_dk] = DK
    status[is_na] = NA_PENDING
    status[is_na & accepted] = NA_ACCEPTED
    status[is_na & rejected] = NA_REJECTED
    status[hidden] = HIDDEN

    self_score = np.full(n, np.nan)
    if method == METHOD_1:
        counted = substantive & ~hidden
        self_score[counted] = raw[counted]
        moderated_score = np.where(has_expert_score, expert_score, self_score)
        moderated_score[is_na & accepted & ~hidden] = np.nan
    else:
        counted = substantive & ~hidden
        self_score[counted] = raw[counted]
        zero = hidden | ((blank | is_dk) & ~hidden)
        self_score[zero] = 0.0
        moderated_score = self_score.copy()
        na_open = is_na & ~hidden & ~accepted
        moderated_score[na_open] = 0.0
        moderated_score = np.where(has_expert_score, expert_score, moderated_score)
        moderated_score[is_na & ~hidden & accepted] = np.nan
    # A count scored against the region's size cannot be scored without its population, whatever
    # the answer (a population is never guessed): it is left out, and coverage shows it.
    relative = _count_rows(row_types, item_col, by_id)
    if relative.any():
        known = _population_lookup(populations)
        ids = grid["assessment_id"].to_numpy()
        unknown = relative & ~np.array([int(a) in known for a in ids], dtype=bool)
        self_score[unknown] = np.nan
        moderated_score[unknown & ~has_expert_score] = np.nan
    evidence = _true(grid["evidence"]) if "evidence" in grid.columns else np.zeros(n, dtype=bool)
    both_nan = np.isnan(self_score) & np.isnan(moderated_score)
    changed = ~((self_score == moderated_score) | both_nan)
    return pd.DataFrame(
        {
            "assessment_id": grid["assessment_id"].to_numpy(dtype="int64"),
            "item_id": item_col,
            "status": status,
            "self": self_score,
            "moderated": moderated_score,
            "expert": expert,
            "evidence": evidence,
            "changed": changed,
        }
    )


def _true(column: pd.Series) -> np.ndarray:
    """True where the value is True (None and NaN from a left join are False)."""
    return np.array([value is True or value == 1 for value in column], dtype=bool)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return isinstance(value, list) and not value


def _level(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return np.nan
    return float(value) if value in range(6) else np.nan


def _count_rows(row_types, item_col, by_id) -> np.ndarray:
    """Rows of counts with a relative target (NaN there means: no population, not invalid)."""
    relative = {i for i, item in by_id.items() if _relative_target(item)}
    if not relative:
        return np.zeros(len(item_col), dtype=bool)
    return np.isin(item_col, list(relative))


def _population_lookup(populations) -> dict:
    if populations is None:
        return {}
    if isinstance(populations, pd.Series):
        return {int(k): float(v) for k, v in populations.items() if pd.notna(v)}
    return {int(k): float(v) for k, v in dict(populations).items() if v is not None and v == v}


def count_target(relative: dict, population: float) -> float:
    """max(floor, rho x P^beta), P the population in millions (NaN when unknown)."""
    if population is None or math.isnan(population):
        return np.nan
    rho = float(relative.get("per_million", 0))
    beta = float(relative.get("exponent", 0.5))
    floor = float(relative.get("floor", 1))
    return max(floor, rho * (population / 1e6) ** beta)


def _score_value(item, value: Any, population: float) -> float:
    """A substantive answer's score 0-100; NaN when it cannot be scored."""
    relative = _relative_target(item)
    if relative and item.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return np.nan
        target = count_target(relative, population)
        if math.isnan(target):
            return np.nan
        return max(0.0, min(100.0, 100.0 * float(value) / target))
    try:
        score = item.question_type.score(item, value)
    except (StopIteration, TypeError, ValueError, KeyError):
        return np.nan
    return np.nan if score is None else float(score)


def _hidden(grid: pd.DataFrame, answers: pd.DataFrame, items: list, definition) -> np.ndarray:
    """Whether each grid row's item is hidden by its show_if, given the controlling answer."""
    hidden = np.zeros(len(grid), dtype=bool)
    conditional = [item for item in items if item.show_if]
    if not conditional:
        return hidden
    controlling = {item.show_if["item"] for item in conditional}
    source = answers[answers["item_id"].isin(controlling)]
    lookup = {
        (a, i): v
        for a, i, v in zip(source["assessment_id"], source["item_id"], source["value"], strict=True)
    }
    assessment_col = grid["assessment_id"].to_numpy()
    item_col = grid["item_id"].to_numpy(dtype=object)
    for item in conditional:
        rows = np.flatnonzero(item_col == item.id)
        target = item.show_if["item"]
        for row in rows:
            value = lookup.get((assessment_col[row], target))
            hidden[row] = not item.is_visible({target: value})
    return hidden


# --- Item scores -> indices -------------------------------------------------------------------


#: Per questionnaire definition (held weakly: it goes with its definition), its index homes.
_HOMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _homes(definition: Definition) -> tuple[list[tuple[str, str]], dict[str, tuple[int, float]]]:
    """(kind, key) of every index home in report order, and item id -> (home index, weight)."""
    cache = _HOMES.setdefault(definition, {})
    if "homes" not in cache:
        homes = [(DIMENSION, key) for key in c7_dimension_ids(definition)]
        homes += [(ASPECT, key) for key in aspect_ids(definition)]
        position = {home: n for n, home in enumerate(homes)}
        aspects = set(aspect_ids(definition))
        items = {}
        for item in scored_items(definition):
            home = _home(item, aspects)
            if home in position:
                items[item.id] = (position[home], float(item.weight))
        cache["homes"] = (homes, items)
    return cache["homes"]


def group_scores(items: pd.DataFrame, definition: Definition) -> pd.DataFrame:
    """Dimension, aspect and C7 index scores of each assessment, with coverage.

    :param items: the result of :func:`item_scores` (its rows are the items in scope: a
        cross-version trend passes only the shared items).
    :returns: the long score table: assessment_id, kind, key, self, moderated, coverage_self,
        coverage_moderated, counted, total, dk (see the module docstring); dimensions, then
        aspects, then the C7 index, each by assessment.
    """
    homes, item_homes = _homes(definition)
    if items.empty or not homes:
        return _empty_scores()
    item_ids = items["item_id"].to_numpy(dtype=object)
    lookup = pd.Series({i: h for i, (h, _w) in item_homes.items()}, dtype="float64")
    weights_of = pd.Series({i: w for i, (_h, w) in item_homes.items()}, dtype="float64")
    home = lookup.reindex(item_ids).to_numpy()
    weight = weights_of.reindex(item_ids).to_numpy()
    status = items["status"].to_numpy(dtype=object)
    scores = {column: items[column].to_numpy(dtype=float) for column in SCORE_COLUMNS}
    # Method 1.0 leaves a hidden item out of the scored items altogether.
    hidden_out = (status == HIDDEN) & np.isnan(scores["self"]) & np.isnan(scores["moderated"])
    keep = ~np.isnan(home) & ~hidden_out
    codes, assessments = pd.factorize(items["assessment_id"].to_numpy()[keep], sort=True)
    n_homes, n_assessments = len(homes), len(assessments)
    if not n_assessments:
        return _empty_scores()
    home, weight, status = home[keep].astype(int), weight[keep], status[keep]
    cell = home * n_assessments + codes  # home-major: the order of the result
    size = n_homes * n_assessments

    def total(values):
        return np.bincount(cell, weights=values, minlength=size)

    total_weight = total(weight)
    total_items = np.bincount(cell, minlength=size)
    columns: dict[str, np.ndarray] = {}
    for column in SCORE_COLUMNS:
        score = scores[column][keep]
        present = ~np.isnan(score)
        counted_weight = total(np.where(present, weight, 0.0))
        weighted = total(np.where(present, weight * np.nan_to_num(score), 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = weighted / counted_weight
            coverage = counted_weight / total_weight
        shown = (counted_weight > 0) & (
            MIN_COVERAGE_NUMERATOR * counted_weight >= MIN_COVERAGE_DENOMINATOR * total_weight
        )
        columns[column] = np.where(shown, mean, np.nan)
        columns[f"coverage_{column}"] = coverage
    moderated = scores["moderated"][keep]
    columns["counted"] = np.bincount(cell, weights=~np.isnan(moderated), minlength=size)
    # Method 1.0 has no "Don't know": a blank or "not applicable" an expert scored 0 counts as
    # an item scored 0, not as one the region did not know.
    dk_like = DK_LIKE if method_of(definition) == METHOD_2 else (DK,)
    dk = np.isin(status, dk_like) & (moderated == 0)
    columns["dk"] = np.bincount(cell, weights=dk, minlength=size)
    columns["total"] = total_items.astype(float)
    # C7: the six dimensions, as (dimension, assessment) blocks.
    dimensions = [n for n, (kind, _key) in enumerate(homes) if kind == DIMENSION]
    c7 = {}
    if dimensions:
        block = {
            name: values.reshape(n_homes, n_assessments)[dimensions]
            for name, values in columns.items()
        }
        for column in SCORE_COLUMNS:
            values = block[column]
            complete = ~np.isnan(values).any(axis=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                c7[column] = np.where(complete, values.mean(axis=0), np.nan)
                coverage = block[f"coverage_{column}"]
                c7[f"coverage_{column}"] = np.where(
                    np.isnan(coverage).all(axis=0), np.nan, np.nanmin(coverage, axis=0)
                )
        for name in ("counted", "total", "dk"):
            c7[name] = block[name].sum(axis=0)
        has_items = block["total"].sum(axis=0) > 0
    exists = total_items > 0
    kinds = np.repeat(np.array([kind for kind, _key in homes], dtype=object), n_assessments)
    keys = np.repeat(np.array([key for _kind, key in homes], dtype=object), n_assessments)
    ids = np.tile(np.asarray(assessments), n_homes)
    parts = {
        "assessment_id": ids[exists],
        "kind": kinds[exists],
        "key": keys[exists],
        **{name: values[exists] for name, values in columns.items()},
    }
    if c7:
        parts["assessment_id"] = np.concatenate(
            [parts["assessment_id"], np.asarray(assessments)[has_items]]
        )
        parts["kind"] = np.concatenate(
            [parts["kind"], np.full(has_items.sum(), INDEX, dtype=object)]
        )
        parts["key"] = np.concatenate([parts["key"], np.full(has_items.sum(), C7, dtype=object)])
        for name in columns:
            parts[name] = np.concatenate([parts[name], c7[name][has_items]])
    result = pd.DataFrame(parts)
    for name in ("counted", "total", "dk"):
        result[name] = result[name].astype(int)
    return result[SCORE_TABLE_COLUMNS]


def _empty_scores() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in SCORE_TABLE_COLUMNS})
    return frame.astype({"kind": object, "key": object, "counted": int, "total": int, "dk": int})


def score(
    answers: pd.DataFrame,
    definition: Definition,
    moderated: pd.DataFrame | None = None,
    populations=None,
    *,
    assessment_ids=None,
    item_ids=None,
    method: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The score stage: (item table, score table) from the loaded frames."""
    items = item_scores(
        answers,
        definition,
        moderated,
        populations,
        assessment_ids=assessment_ids,
        item_ids=item_ids,
        method=method,
    )
    return items, group_scores(items, definition)


def wide(scores: pd.DataFrame, kind: str, column: str = "moderated") -> pd.DataFrame:
    """Assessments by keys of one kind (e.g. dimensions), one score column."""
    subset = scores[scores["kind"] == kind]
    return subset.pivot(index="assessment_id", columns="key", values=column)

"""The load stage: what the analysis needs, from the database into tidy pandas DataFrames.

Only assessments a region has submitted count: submitted, under review and validated ones.
Drafts and assessments sent back for changes (being reworked by the region) never reach a frame.
A round's figures are frozen when it closes (METHOD §12): an assessment an expert validated after
that is ``validated_late``, not ``validated``, and its round's peer figures leave it out; and
the regions' categories, partnerships, populations, groups and structural figures are those the
round kept when it closed (rounds.closing), not those imported since.
Nothing here computes a score: :mod:`scoring` takes these frames as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from sqlalchemy import Text, bindparam, cast, func, literal, select

from surveyapp.assessments.models import COUNTED_STATES, Answer, Assessment, AssessmentState
from surveyapp.db import as_utc
from surveyapp.evidence.queries import file_attached
from surveyapp.extensions import db
from surveyapp.regions.models import Region, RegionIndicator, RegionPopulation
from surveyapp.regions.queries import population_rows, structural_rows
from surveyapp.reviews.models import ModeratedScore
from surveyapp.rounds.models import Round, RoundClosingRecord

ASSESSMENT_COLUMNS = [
    "assessment_id",
    "round_id",
    "region_id",
    "state",
    "consent_named",
    "code",
    "name",
    "country",
    "category",
    "partnerships",
    "state_changed_at",
    "closed_at",
]


@lru_cache(maxsize=1)
def _assessments_statement():
    """Built once: it is read again on every page that shows a round's figures (the names and
    consents are never taken from the cache), and building it cost as much as running it."""
    return (
        select(
            Assessment.id,
            Assessment.round_id,
            Assessment.region_id,
            Assessment.state,
            Assessment.consent_named,
            Region.code,
            Region.name,
            Region.country,
            Region.category,
            Region.thematic_partnerships,
            Assessment.state_changed_at,
            Round.closed_at,
        )
        .join(Region, Region.id == Assessment.region_id)
        .join(Round, Round.id == Assessment.round_id)
        .where(
            Assessment.round_id.in_(bindparam("round_ids", expanding=True)),
            Assessment.state.in_(COUNTED_STATES),
        )
        .order_by(Assessment.round_id, Region.code)
    )


def load_assessments(round_ids: list[int]) -> pd.DataFrame:
    """Counted assessments of the rounds with their region's attributes, one row each."""
    rows = db.session.execute(
        _assessments_statement(), {"round_ids": [int(rid) for rid in round_ids]}
    ).all()
    frame = _frame(rows, ASSESSMENT_COLUMNS)
    frame["state"] = frame["state"].map(str)
    frame["category"] = frame["category"].map(lambda c: str(c) if c else None)
    frame["partnerships"] = frame["partnerships"].map(lambda p: list(p or []))
    _as_closed(frame, closing_regions(frame["round_id"].unique()))
    validated = frame["state"] == str(AssessmentState.validated)
    late = [
        pd.notna(closed) and as_utc(changed) > as_utc(closed)
        for changed, closed in zip(frame["state_changed_at"], frame["closed_at"], strict=True)
    ]
    frame["validated_late"] = validated & pd.Series(late, index=frame.index, dtype=bool)
    frame["validated"] = validated & ~frame["validated_late"]
    # When a validated assessment was validated (validated is final): a late one counts in the
    # next round's change only if validated by the time that round closed (queries).
    frame["validated_at"] = pd.Series(
        [
            as_utc(changed) if is_validated else None
            for changed, is_validated in zip(frame["state_changed_at"], validated, strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    return frame.drop(columns=["state_changed_at", "closed_at"])


def _as_closed(frame: pd.DataFrame, recorded: dict[int, dict]) -> None:
    """A closed round's regions as they were when it closed (its record), in place: Member
    State, category and Thematic Partnerships, which its peer groups are built from."""
    if not recorded or frame.empty:
        return
    kept = [
        recorded.get(int(round_id), {}).get(str(region_id))
        for round_id, region_id in zip(frame["round_id"], frame["region_id"], strict=True)
    ]
    for column in ("country", "category"):
        frame[column] = [
            entry[column] if entry is not None and column in entry else now
            for entry, now in zip(kept, frame[column], strict=True)
        ]
    frame["partnerships"] = [
        list(entry["partnerships"]) if entry is not None else now
        for entry, now in zip(kept, frame["partnerships"], strict=True)
    ]


def closing_regions(round_ids) -> dict[int, dict]:
    """Per closed round with a record (rounds.models.RoundClosingRecord), its regions as they
    were when it closed: region id (text) -> country, category, partnerships, level."""
    ids = [int(rid) for rid in round_ids]
    if not ids:
        return {}
    rows = db.session.execute(
        select(RoundClosingRecord.round_id, RoundClosingRecord.regions).where(
            RoundClosingRecord.round_id.in_(ids)
        )
    ).all()
    return {int(round_id): regions for round_id, regions in rows}


@dataclass(frozen=True)
class ClosingInputs:
    """What a closed round's figures are built from besides its assessments, as kept when it
    closed: populations (region id -> inhabitants, their year and source), the administrators'
    groups and the structural figures (a frame as load_structural_figures'), the regions' NUTS
    levels."""

    populations: dict[int, tuple[int, int, str]]
    custom_groups: dict[str, list[int]]
    structural: pd.DataFrame
    levels: dict[int, int | None]
    digest: str


def closing_inputs(round_id: int) -> ClosingInputs | None:
    """The round's record of what its figures were built from when it closed (None: it is
    not closed; rounds closed before records were kept got theirs at the upgrade)."""
    record = db.session.get(RoundClosingRecord, round_id)
    if record is None:
        return None
    structural = _frame(
        [tuple(row) for row in record.structural],
        ["region_id", "indicator", "year", "value", "source"],
    )
    structural["value"] = structural["value"].astype(float)
    return ClosingInputs(
        populations={int(k): (int(p), int(y), s) for k, (p, y, s) in record.populations.items()},
        custom_groups={name: [int(r) for r in ids] for name, ids in record.custom_groups.items()},
        structural=structural,
        levels={int(k): v["level"] for k, v in record.regions.items()},
        digest=record.digest,
    )


def load_populations(region_ids, year: int) -> pd.Series:
    """Region id -> inhabitants (regions.queries.population_rows)."""
    rows = population_rows(region_ids, year)
    return pd.Series({r: float(row[0]) for r, row in rows.items()}, dtype=float)


def with_populations(
    assessments: pd.DataFrame, year: int, closing: ClosingInputs | None = None
) -> pd.DataFrame:
    """The assessments frame with a ``population`` column (inhabitants, NaN when unknown); of
    a closed round, those it kept when it closed."""
    if closing is not None:
        populations = pd.Series(
            {r: float(row[0]) for r, row in closing.populations.items()}, dtype=float
        )
    else:
        populations = load_populations(assessments["region_id"], year)
    frame = assessments.copy()
    frame["population"] = frame["region_id"].map(populations).astype(float)
    return frame


def load_structural_figures() -> pd.DataFrame:
    """Every structural figure of the NUTS-2 regions (analysis.similar): region_id, indicator,
    year, value, source; populations come in as the indicator "population"."""
    columns = ["region_id", "indicator", "year", "value", "source"]
    frame = _frame(structural_rows(), columns)
    frame["value"] = frame["value"].astype(float)
    return frame


def structural_version() -> tuple:
    """Changes whenever a structural figure does, also when two regions' figures are swapped
    (sums weighted by region and year, as regions.queries.peer_attributes_key's)."""
    version = []
    for model, value in (
        (RegionIndicator, RegionIndicator.value),
        (RegionPopulation, RegionPopulation.population),
    ):
        version.extend(
            db.session.execute(
                select(
                    func.count(),
                    func.max(model.id),
                    func.sum(value * model.region_id),
                    func.sum(value * model.year),
                    func.sum(model.year * model.region_id),
                )
            ).one()
        )
    return tuple(float(v) if v is not None else None for v in version)


def load_answers(round_id: int) -> pd.DataFrame:
    """Answers of a round's counted assessments: assessment_id, item_id, value, evidence (bool:
    a link or reference was given, or a file is attached to the item)."""
    # The JSON comes back as text and is decoded in one call: row-by-row decoding was half of
    # the load time for a round of 45,000 answers.
    raw = func.coalesce(cast(Answer.value, Text), literal("null"))
    rows = db.session.execute(
        select(
            Answer.assessment_id,
            Answer.item_id,
            raw,
            Answer.evidence,
            file_attached(Answer.assessment_id, Answer.item_id),
        )
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(Assessment.round_id == round_id, Assessment.state.in_(COUNTED_STATES))
    ).all()
    frame = _frame(rows, ["assessment_id", "item_id", "value", "evidence", "file"])
    if len(frame):
        frame["value"] = json.loads("[" + ",".join(frame["value"]) + "]")
        evidence = frame["evidence"]
        typed = evidence.notna().to_numpy() & (evidence.astype(str).str.strip() != "")
        frame["evidence"] = typed | frame["file"].astype(bool).to_numpy()
    else:
        frame["evidence"] = frame["evidence"].astype(bool)
    return frame.drop(columns="file")


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows to a frame column by column (much faster than row by row), empty or not."""
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def load_moderated(round_id: int) -> pd.DataFrame:
    """Experts' work in a round's counted assessments: assessment_id, item_id, score (or
    None), na_decision ("accepted", "rejected" or None), confirmed (bool)."""
    rows = db.session.execute(
        select(
            ModeratedScore.assessment_id,
            ModeratedScore.item_id,
            ModeratedScore.score,
            ModeratedScore.na_decision,
            ModeratedScore.confirmed,
        )
        .join(Assessment, Assessment.id == ModeratedScore.assessment_id)
        .where(Assessment.round_id == round_id, Assessment.state.in_(COUNTED_STATES))
    ).all()
    frame = _frame(rows, ["assessment_id", "item_id", "score", "na_decision", "confirmed"])
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    frame["confirmed"] = frame["confirmed"].map(lambda v: v is True or v == 1).astype(bool)
    return frame

"""Load what the analysis needs from the database into tidy pandas DataFrames.

Only assessments a region has submitted count: submitted, under review and validated ones.
Drafts and assessments sent back for changes (being reworked by the region) never reach a frame.
"""

from __future__ import annotations

import json

import pandas as pd
from flask import has_request_context
from flask.globals import request_ctx
from sqlalchemy import Text, cast, func, literal, select

from surveyapp.assessments.models import COUNTED_STATES, Answer, Assessment
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.reviews.models import ModeratedScore

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
]


def load_assessments(round_ids: list[int]) -> pd.DataFrame:
    """Counted assessments of the rounds with their region's attributes, one row each."""
    rows = db.session.execute(
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
        )
        .join(Region, Region.id == Assessment.region_id)
        .where(Assessment.round_id.in_(round_ids), Assessment.state.in_(COUNTED_STATES))
        .order_by(Assessment.round_id, Region.code)
    ).all()
    frame = _frame(rows, ASSESSMENT_COLUMNS)
    frame["state"] = frame["state"].map(str)
    frame["category"] = frame["category"].map(lambda c: str(c) if c else None)
    frame["partnerships"] = frame["partnerships"].map(lambda p: list(p or []))
    return frame


def load_answers(round_id: int) -> pd.DataFrame:
    """Answers of a round's counted assessments: assessment_id, item_id, value."""
    # The JSON comes back as text and is decoded in one call: row-by-row decoding was half of
    # the load time for a round of 45,000 answers.
    raw = func.coalesce(cast(Answer.value, Text), literal("null"))
    rows = db.session.execute(
        select(Answer.assessment_id, Answer.item_id, raw)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(Assessment.round_id == round_id, Assessment.state.in_(COUNTED_STATES))
    ).all()
    frame = _frame(rows, ["assessment_id", "item_id", "value"])
    if len(frame):
        frame["value"] = json.loads("[" + ",".join(frame["value"]) + "]")
    return frame


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows to a frame column by column (much faster than row by row), empty or not."""
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def load_moderated(round_id: int) -> pd.DataFrame:
    """Experts' item scores in a round's counted assessments: assessment_id, item_id, score."""
    rows = db.session.execute(
        select(ModeratedScore.assessment_id, ModeratedScore.item_id, ModeratedScore.score)
        .join(Assessment, Assessment.id == ModeratedScore.assessment_id)
        .where(Assessment.round_id == round_id, Assessment.state.in_(COUNTED_STATES))
    ).all()
    return _frame(rows, ["assessment_id", "item_id", "score"])


def data_version(round_id: int) -> tuple:
    return data_versions([round_id])[round_id]


def data_versions(round_ids: list[int]) -> dict[int, tuple]:
    """Per round, the key of its data (see ``query_data_versions``), read once per request.

    A page or report asks for several rounds' scores; within one request the data do not change
    under it, so the three aggregate queries run once per round and request.
    """
    if not has_request_context():
        return query_data_versions(round_ids)
    known = request_ctx.__dict__.setdefault("surveyapp_data_versions", {})
    missing = [rid for rid in round_ids if rid not in known]
    if missing:
        known.update(query_data_versions(missing))
    return {rid: known[rid] for rid in round_ids}


def query_data_versions(round_ids: list[int]) -> dict[int, tuple]:
    """Per round, a key that changes whenever anything its scores depend on changes.

    Counted assessments (which, in which state, with what consent), their answers' and their
    moderated scores' last change. Cheap: three grouped aggregate queries, no rows leave the
    database.
    """
    counted = Assessment.round_id.in_(round_ids), Assessment.state.in_(COUNTED_STATES)
    assessments = db.session.execute(
        select(
            Assessment.round_id,
            func.count(Assessment.id),
            func.max(Assessment.state_changed_at),
            func.sum(Assessment.id * Assessment.version),
        )
        .where(*counted)
        .group_by(Assessment.round_id)
    ).all()
    answers = db.session.execute(
        select(
            Assessment.round_id,
            func.count(Answer.id),
            func.max(Answer.updated_at),
            func.sum(Answer.version),
        )
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(*counted)
        .group_by(Assessment.round_id)
    ).all()
    moderated = db.session.execute(
        select(
            Assessment.round_id,
            func.count(ModeratedScore.id),
            func.max(ModeratedScore.updated_at),
            func.sum(ModeratedScore.score),
        )
        .join(Assessment, Assessment.id == ModeratedScore.assessment_id)
        .where(*counted)
        .group_by(Assessment.round_id)
    ).all()
    parts = [
        {row[0]: tuple(map(str, row[1:])) for row in rows}
        for rows in (assessments, answers, moderated)
    ]
    return {
        rid: (rid, *(value for part in parts for value in part.get(rid, ()))) for rid in round_ids
    }

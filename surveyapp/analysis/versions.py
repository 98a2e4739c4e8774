"""A round's data version: a key that changes whenever anything its scores depend on changes.

Cached scores and stored reports are kept under it. Apart from :mod:`frame` (which loads the
data) because a render worker checks the version before it keeps a PDF, and it must not import
pandas for that: this module reads the database with aggregate queries only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import BigInteger, cast, func, select

from surveyapp.assessments.models import COUNTED_STATES, Assessment
from surveyapp.db import as_utc
from surveyapp.extensions import db
from surveyapp.regions.models import RegionPopulation
from surveyapp.regions.queries import peer_attributes_key
from surveyapp.reviews.models import ModeratedScore
from surveyapp.rounds.models import Round, RoundClosingRecord


def data_version(round_id: int) -> tuple:
    return data_versions([round_id])[round_id]


def data_versions(round_ids: list[int]) -> dict[int, tuple]:
    """Per round, the key of its data (see ``query_data_versions``), read once per request.

    A page or report asks for several rounds' scores; within one request the data do not change
    under it, so the three aggregate queries run once per round and request.
    """
    if not has_request_context():
        return query_data_versions(round_ids)
    # The request's WSGI environ: one dict per request, whichever app context it runs in.
    known = request.environ.setdefault("surveyapp.data_versions", {})
    missing = [rid for rid in round_ids if rid not in known]
    if missing:
        known.update(query_data_versions(missing))
    return {rid: known[rid] for rid in round_ids}


def query_data_versions(round_ids: list[int]) -> dict[int, tuple]:
    """Per round, a key that changes whenever anything its scores depend on changes.

    Counted assessments (which, in which state, with what consent), their moderated scores'
    last change, the round's questionnaire, reference date and closing time, the populations
    (size-relative count targets) and what the peer groups are built from (categories,
    Thematic Partnership memberships, custom groups' members: peer_attributes_key), or, for a
    closed round that kept them, the digest of its record instead of those two. Cheap: grouped
    aggregate queries, no rows leave the database. Every key has the same layout
    (``CHANGE_TIME_POSITIONS``).

    Answers are not read: an answer changes only while its assessment is editable by the region
    (draft, changes requested: ``Assessment.EDITABLE_BY_REGION``), never while it counts. An
    assessment leaves the counted states and comes back only through state changes, each of
    which moves its version and state time, both in the key. Aggregating the round's answers
    (90,000 rows for 300 regions) was half of what serving a stored report cost.
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
    rounds = db.session.execute(
        select(
            Round.id, Round.questionnaire_id, Round.reference_date, Round.closes_on, Round.closed_at
        ).where(Round.id.in_(round_ids))
    ).all()
    # A closed round with a record of what its figures were built from reads that record, not
    # the populations and peer-group data as they are now: its digest stands for both.
    recorded = dict(
        db.session.execute(
            select(RoundClosingRecord.round_id, RoundClosingRecord.digest).where(
                RoundClosingRecord.round_id.in_(round_ids)
            )
        ).all()
    )
    live = len(recorded) < len(set(round_ids))
    population_key = _population_key() if live else ""
    peers_key = peer_attributes_key() if live else ""
    parts = [
        {row[0]: tuple(map(str, row[1:])) for row in rows} for rows in (assessments, moderated)
    ]
    populations = {
        row[0]: (str(row[1]), str(row[2] or row[3]), recorded.get(row[0], population_key))
        for row in rounds
    }
    # When the round closed: its figures count the validations made by then (frame).
    closings = {row[0]: str(row[4] and as_utc(row[4]).isoformat()) for row in rounds}
    return {
        rid: (
            rid,
            *(value for part in parts for value in part.get(rid, ("0", "None", "None"))),
            *populations.get(rid, ("None", "None", "None")),
            recorded.get(rid, peers_key),
            closings.get(rid, "None"),
        )
        for rid in round_ids
    }


#: Positions of the latest change times in a data version key (see ``query_data_versions``).
CHANGE_TIME_POSITIONS = (2, 5)


def _population_key() -> str:
    """Aggregates of the population table; the products tie each figure to its region and year,
    so that two regions' figures swapped (a file with two codes mixed up) change the key."""
    population = cast(RegionPopulation.population, BigInteger)
    row = db.session.execute(
        select(
            func.count(RegionPopulation.id),
            func.sum(population),
            func.sum(RegionPopulation.year * RegionPopulation.region_id),
            func.sum(population * RegionPopulation.region_id),
            func.sum(population * (RegionPopulation.year - 1900)),
        )
    ).one()
    return "/".join(map(str, row))


def changed_at(key: tuple) -> datetime | None:
    """The latest change (state or expert work) recorded in a data version key, UTC.

    An answer of a counted assessment was last changed before the state change that made it
    count, so the latest state change also dates the answers.
    """
    times = []
    for position in CHANGE_TIME_POSITIONS:
        text = key[position] if position < len(key) else "None"
        if text in ("None", ""):
            continue
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            continue
        moment = as_utc(moment)
        times.append(moment.astimezone(UTC))
    return max(times) if times else None

"""What a round keeps when it closes: the data its peer groups, size-relative targets and
similar regions are built from (METHOD §12: a closed round's figures do not move).

Read by the analysis' load stage (analysis.frame) in place of the regions' data as they are.
No pandas here: closing a round (admin page, CLI) imports this, and the web app's processes
need not load pandas for it.
"""

import hashlib
import json
import math

from sqlalchemy import select

from surveyapp.assessments.models import Assessment
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.regions.queries import custom_group_members, population_rows, structural_rows
from surveyapp.rounds.models import Round, RoundClosingRecord


def closing_record(round_: Round) -> RoundClosingRecord:
    """The record of the round's data as they are now (rounds.operations.close_round adds it in
    the transaction that closes the round): the Member State, category, Thematic Partnerships
    and NUTS level of every region with an assessment in it, their populations on its reference
    day (with year and source), the administrators' groups and the NUTS-2 structural figures of
    its reference year or earlier; with the SHA-256 of all of it."""
    year = round_.reference_day.year
    rows = db.session.execute(
        select(
            Region.id, Region.country, Region.category, Region.thematic_partnerships, Region.level
        ).where(Region.id.in_(select(Assessment.region_id).where(Assessment.round_id == round_.id)))
    ).all()
    parts = {
        "regions": {
            str(region_id): {
                "country": country,
                "category": str(category) if category else None,
                "partnerships": sorted(partnerships or []),
                "level": level,
            }
            for region_id, country, category, partnerships, level in rows
        },
        "populations": {
            str(region_id): list(row)
            for region_id, row in population_rows([row[0] for row in rows], year).items()
        },
        "custom_groups": {name: sorted(ids) for name, ids in custom_group_members().items()},
        # Sorted by region, indicator and year: the same data give the same digest.
        "structural": sorted(
            (
                [int(r), str(i), int(y), _number(v), s]
                for r, i, y, v, s in structural_rows(up_to_year=year)
            ),
            key=lambda row: row[:3],
        ),
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return RoundClosingRecord(
        round_id=round_.id,
        taken_at=round_.closed_at or utcnow(),  # in the transaction that closes it
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
        **parts,
    )


def _number(value) -> float | None:
    """A figure as JSON keeps it (NaN, which JSON has not, as null)."""
    if value is None or math.isnan(float(value)):
        return None
    return float(value)

"""a round keeps what its peer groups, size-relative targets and similar regions were built from
when it closed (round_closing_records), so that data imported later leave its figures as they
were (METHOD §12)

Rounds closed before this revision get their record here, from the data as they are now: what
they were built from when they closed is not known any more, but their figures have been computed
from the data as they are until now, so the record changes none of them and keeps later imports
out of them (the record's time is this upgrade's, not the close's).

Revision ID: a29e0001rec
Revises: a28e0001long
Create Date: 2026-12-07 20:00:00

"""

import hashlib
import json
import math
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "a29e0001rec"
down_revision = "a28e0001long"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "round_closing_records",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        *(
            sa.Column(name, _JSON, nullable=False)
            for name in ("regions", "populations", "custom_groups", "structural")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_closing_records_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_round_closing_records")),
    )
    _record_closed_rounds()


#: The NUTS level whose regions' structural figures are standardised together (analysis.frame).
STRUCTURAL_LEVEL = 2

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
rounds = sa.table(
    "rounds",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("reference_date", sa.Date),
    sa.column("closes_on", sa.Date),
)
assessments = sa.table("assessments", sa.column("round_id", sa.Integer), sa.column("region_id"))
regions = sa.table(
    "regions",
    sa.column("id", sa.Integer),
    sa.column("country", sa.String),
    sa.column("category", sa.String),
    sa.column("level", sa.Integer),
)
partnerships = sa.table(
    "region_partnerships", sa.column("region_id", sa.Integer), sa.column("partnership", sa.String)
)
populations = sa.table(
    "region_populations",
    sa.column("region_id", sa.Integer),
    sa.column("year", sa.Integer),
    sa.column("population", sa.BigInteger),
    sa.column("source", sa.String),
)
indicators = sa.table(
    "region_indicators",
    sa.column("region_id", sa.Integer),
    sa.column("indicator", sa.String),
    sa.column("year", sa.Integer),
    sa.column("value", sa.Float),
    sa.column("source", sa.String),
)
groups = sa.table("region_groups", sa.column("id", sa.Integer), sa.column("name", sa.String))
members = sa.table(
    "region_group_members", sa.column("group_id", sa.Integer), sa.column("region_id", sa.Integer)
)
records = sa.table(
    "round_closing_records",
    sa.column("round_id", sa.Integer),
    sa.column("taken_at", sa.DateTime(timezone=True)),
    sa.column("digest", sa.String),
    sa.column("regions", _JSON),
    sa.column("populations", _JSON),
    sa.column("custom_groups", _JSON),
    sa.column("structural", _JSON),
)


def _record(bind, round_id: int, year: int, custom: dict) -> dict:
    """As rounds.closing.closing_record builds it, from the data as they are now."""
    in_round = sa.select(assessments.c.region_id).where(assessments.c.round_id == round_id)
    taking_part = {}
    for region_id, country, category, level in bind.execute(
        sa.select(regions.c.id, regions.c.country, regions.c.category, regions.c.level).where(
            regions.c.id.in_(in_round)
        )
    ):
        taking_part[int(region_id)] = {
            "country": country,
            "category": category or None,
            "partnerships": [],
            "level": level,
        }
    for region_id, slug in bind.execute(
        sa.select(partnerships.c.region_id, partnerships.c.partnership).where(
            partnerships.c.region_id.in_(in_round)
        )
    ):
        taking_part[int(region_id)]["partnerships"].append(slug)
    for entry in taking_part.values():
        entry["partnerships"].sort()  # in Python, as closing_record: no collation's order
    latest = {}
    for region_id, figure_year, population, source in bind.execute(
        sa.select(
            populations.c.region_id,
            populations.c.year,
            populations.c.population,
            populations.c.source,
        )
        .where(populations.c.region_id.in_(in_round), populations.c.year <= year)
        .order_by(populations.c.region_id, populations.c.year)
    ):
        latest[str(region_id)] = [int(population), int(figure_year), source]
    level2 = sa.select(regions.c.id).where(regions.c.level == STRUCTURAL_LEVEL)
    structural = [
        [int(r), str(i), int(y), None if v is None or math.isnan(v) else float(v), s]
        for r, i, y, v, s in bind.execute(
            sa.select(
                indicators.c.region_id,
                indicators.c.indicator,
                indicators.c.year,
                indicators.c.value,
                indicators.c.source,
            ).where(indicators.c.region_id.in_(level2), indicators.c.year <= year)
        )
    ]
    structural += [
        [int(r), "population", int(y), float(p), s]
        for r, y, p, s in bind.execute(
            sa.select(
                populations.c.region_id,
                populations.c.year,
                populations.c.population,
                populations.c.source,
            ).where(populations.c.region_id.in_(level2), populations.c.year <= year)
        )
    ]
    parts = {
        "regions": {str(region_id): entry for region_id, entry in taking_part.items()},
        "populations": latest,
        "custom_groups": custom,
        "structural": sorted(structural, key=lambda row: row[:3]),
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {"digest": hashlib.sha256(canonical.encode()).hexdigest(), **parts}


def _record_closed_rounds() -> None:
    bind = op.get_bind()
    custom: dict[str, list[int]] = {}
    for name, region_id in bind.execute(
        sa.select(groups.c.name, members.c.region_id).join(
            members, members.c.group_id == groups.c.id
        )
    ):
        custom.setdefault(name, []).append(int(region_id))
    custom = {name: sorted(ids) for name, ids in custom.items()}
    now = datetime.now(UTC)
    for round_id, reference_date, closes_on in bind.execute(
        sa.select(rounds.c.id, rounds.c.reference_date, rounds.c.closes_on).where(
            rounds.c.state == "closed"
        )
    ).all():
        year = (reference_date or closes_on).year
        record = _record(bind, round_id, year, custom)
        bind.execute(records.insert().values(round_id=round_id, taken_at=now, **record))


def downgrade():
    op.drop_table("round_closing_records")

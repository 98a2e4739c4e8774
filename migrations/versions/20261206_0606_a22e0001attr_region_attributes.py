"""region attributes: partnership memberships with a role and a source, macro-regional
strategies, the source of a region's category

The JSON list regions.thematic_partnerships moves to region_partnerships, one row per
membership: its role was never recorded, so every moved membership is a "member" with no
source. On the way down the memberships go back into the list (roles and sources are lost).

Revision ID: a22e0001attr
Revises: a20e0001meth
Create Date: 2026-12-06 06:06:40

"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "a22e0001attr"
down_revision = "a20e0001meth"
branch_labels = None
depends_on = None

JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
regions = sa.table(
    "regions", sa.column("id", sa.Integer()), sa.column("thematic_partnerships", JSON_LIST)
)
memberships = sa.table(
    "region_partnerships",
    sa.column("region_id", sa.Integer()),
    sa.column("partnership", sa.String()),
    sa.column("role", sa.String()),
    sa.column("source", sa.String()),
)


def _slugs(value) -> list[str]:
    if isinstance(value, str):  # a driver that hands JSON back as text
        value = json.loads(value)
    return sorted({str(slug) for slug in value or [] if slug})


def upgrade():
    op.create_table(
        "region_partnerships",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("partnership", sa.String(length=60), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "lead",
                "member",
                name="partnershiprole",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_partnerships_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", "partnership", name=op.f("pk_region_partnerships")),
    )
    op.create_table(
        "region_strategies",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column(
            "strategy",
            sa.Enum(
                "eusbsr",
                "eusdr",
                "eusair",
                "eusalp",
                name="macroregionalstrategy",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_strategies_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", "strategy", name=op.f("pk_region_strategies")),
    )
    connection = op.get_bind()
    rows = [
        {"region_id": region_id, "partnership": slug, "role": "member", "source": None}
        for region_id, listed in connection.execute(
            sa.select(regions.c.id, regions.c.thematic_partnerships)
        )
        for slug in _slugs(listed)
    ]
    if rows:
        connection.execute(memberships.insert(), rows)
    with op.batch_alter_table("regions") as batch:
        batch.add_column(sa.Column("category_source", sa.String(length=200), nullable=True))
        batch.drop_column("thematic_partnerships")


def downgrade():
    with op.batch_alter_table("regions") as batch:
        batch.drop_column("category_source")
        batch.add_column(
            sa.Column("thematic_partnerships", JSON_LIST, nullable=False, server_default="[]")
        )
    connection = op.get_bind()
    listed: dict[int, list[str]] = {}
    for region_id, slug in connection.execute(
        sa.select(memberships.c.region_id, memberships.c.partnership).order_by(
            memberships.c.region_id, memberships.c.partnership
        )
    ):
        listed.setdefault(region_id, []).append(slug)
    for region_id, slugs in listed.items():
        connection.execute(
            regions.update().where(regions.c.id == region_id).values(thematic_partnerships=slugs)
        )
    with op.batch_alter_table("regions") as batch:
        batch.alter_column("thematic_partnerships", existing_type=JSON_LIST, server_default=None)
    op.drop_table("region_strategies")
    op.drop_table("region_partnerships")

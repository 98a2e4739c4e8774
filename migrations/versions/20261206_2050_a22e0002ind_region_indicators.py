"""region indicators: Eurostat's structural indicators per region and year (structurally
similar regions)

Revision ID: a22e0002ind
Revises: a22e0001attr
Create Date: 2026-12-06 20:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a22e0002ind"
down_revision = "a22e0001attr"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "region_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("flags", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_indicators_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_indicators")),
        sa.UniqueConstraint(
            "region_id", "indicator", "year", name=op.f("uq_region_indicators_region_id_indicator_year")
        ),
    )


def downgrade():
    op.drop_table("region_indicators")

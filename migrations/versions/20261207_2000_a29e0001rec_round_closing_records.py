"""a round keeps what its peer groups, size-relative targets and similar regions were built from
when it closed (round_closing_records), so that data imported later leave its figures as they
were (METHOD §12)

Rounds closed before this revision get no record: what they were built from when they closed is
not known any more, and taking today's data as theirs would say so wrongly. Their figures read
those data as they are, as before (the annex says so).

Revision ID: a29e0001rec
Revises: a28e0001long
Create Date: 2026-12-07 20:00:00

"""

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
        sa.Column(
            "regions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "populations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "custom_groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "structural",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_closing_records_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_round_closing_records")),
    )


def downgrade():
    op.drop_table("round_closing_records")

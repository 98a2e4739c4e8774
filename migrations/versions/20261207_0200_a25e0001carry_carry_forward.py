"""carry forward: an answer copied from the region's earlier response keeps where it came from,
when, and when an officer confirmed it (issue 25, part 1)

Revision ID: a25e0001carry
Revises: a24e0004rev
Create Date: 2026-12-07 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a25e0001carry"
down_revision = "a24e0004rev"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("answers") as batch_op:
        batch_op.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("carried_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("carry_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_answers_carried_from_id_assessments"),
            "assessments",
            ["carried_from_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_answers_carried_from_id_assessments"), type_="foreignkey"
        )
        batch_op.drop_column("carry_confirmed_at")
        batch_op.drop_column("carried_at")
        batch_op.drop_column("carried_from_id")

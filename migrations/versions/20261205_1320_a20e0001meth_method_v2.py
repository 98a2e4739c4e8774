"""method v2: not-applicable reasons, evidence, expert N/A decisions, populations, reference date

Revision ID: a20e0001meth
Revises: a19e0004misc
Create Date: 2026-12-05 13:20:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a20e0001meth'
down_revision = 'a19e0004misc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("na_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("evidence", sa.Text(), nullable=True))
    with op.batch_alter_table("moderated_scores") as batch:
        batch.alter_column("score", existing_type=sa.Float(), nullable=True)
        batch.add_column(sa.Column("na_decision", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("reference_date", sa.Date(), nullable=True))
    op.create_table(
        "region_populations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"],
            name=op.f("fk_region_populations_region_id_regions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_populations")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_region_populations_region_id_year")),
    )


def downgrade():
    op.drop_table("region_populations")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("reference_date")
    # The older revision holds a level on every moderated score: a row without one (only a
    # decision on "not applicable" or a confirmation, whose columns go) has no place there, and
    # its code would read the missing level as a number.
    op.execute("DELETE FROM moderated_scores WHERE score IS NULL")
    with op.batch_alter_table("moderated_scores") as batch:
        batch.drop_column("confirmed")
        batch.drop_column("na_decision")
        batch.alter_column("score", existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("evidence")
        batch.drop_column("na_reason")

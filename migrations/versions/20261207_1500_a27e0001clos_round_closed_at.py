"""a round keeps the moment it closed: the working group's published figures of a round are
frozen there (METHOD §12), so an assessment validated later does not change them

Rounds closed before this revision take the time of their "round.closed" audit event; one
without such an event keeps none, and its figures count every validation as before.

Revision ID: a27e0001clos
Revises: a26e0001seal
Create Date: 2026-12-07 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a27e0001clos"
down_revision = "a26e0001seal"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rounds") as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    rounds = sa.table(
        "rounds", sa.column("id"), sa.column("state"), sa.column("closed_at", sa.DateTime(True))
    )
    events = sa.table(
        "audit_events",
        sa.column("action"),
        sa.column("object_type"),
        sa.column("object_id"),
        sa.column("created_at", sa.DateTime(True)),
    )
    closed = (
        sa.select(sa.func.max(events.c.created_at))
        .where(
            events.c.action == "round.closed",
            events.c.object_type == "round",
            events.c.object_id == rounds.c.id,
        )
        .scalar_subquery()
    )
    op.execute(rounds.update().where(rounds.c.state == "closed").values(closed_at=closed))


def downgrade():
    with op.batch_alter_table("rounds") as batch_op:
        batch_op.drop_column("closed_at")

"""review mends: a notification keeps its actor's id (erasure by id, not by name); a message
in the outbox is claimed by one delivery run (issue 24)

Revision ID: a24e0004rev
Revises: a24e0003tfa2
Create Date: 2026-12-07 00:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a24e0004rev"
down_revision = "a24e0003tfa2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_actor_id_users"),
            "users",
            ["actor_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("outgoing_mail") as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("outgoing_mail") as batch_op:
        batch_op.drop_column("claimed_at")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notifications_actor_id_users"), type_="foreignkey")
        batch_op.drop_column("actor_id")

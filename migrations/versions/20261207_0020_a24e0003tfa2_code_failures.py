"""two-factor: wrong codes counted per account, from any address (issue 24)

Revision ID: a24e0003tfa2
Revises: a24e0002tfa
Create Date: 2026-12-07 00:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a24e0003tfa2"
down_revision = "a24e0002tfa"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("totp_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("totp_blocked_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("totp_blocked_until")
        batch_op.drop_column("totp_failures")

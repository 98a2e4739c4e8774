"""a round keeps the moment it closed: the working group's figures of a round are frozen there
(METHOD §12), so an assessment validated later does not change them

Rounds closed before this revision keep none: their figures may already be published with the
validations made after they closed, and freezing them at their close now would change those
figures. They count every validation, as before (their reports say when figures are interim).

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


def downgrade():
    with op.batch_alter_table("rounds") as batch_op:
        batch_op.drop_column("closed_at")

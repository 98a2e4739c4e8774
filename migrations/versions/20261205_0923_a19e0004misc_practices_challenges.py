"""practices and challenges: one entry per answer, one taxonomy

Revision ID: a19e0004misc
Revises: a19e0003revw
Create Date: 2026-12-05 09:2x:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19e0004misc'
down_revision = 'a19e0003revw'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

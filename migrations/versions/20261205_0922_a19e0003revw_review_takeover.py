"""reviews: takeover and request-changes message

Revision ID: a19e0003revw
Revises: a19e0002auth
Create Date: 2026-12-05 09:2x:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19e0003revw'
down_revision = 'a19e0002auth'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

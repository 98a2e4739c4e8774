"""auth hardening: sign-in throttle, token expiry

Revision ID: a19e0002auth
Revises: a19e0001text
Create Date: 2026-12-05 09:2x:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19e0002auth'
down_revision = 'a19e0001text'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""heal text: unpaired surrogates and control characters in stored text

Revision ID: a19e0001text
Revises: 39472a907779
Create Date: 2026-12-05 09:2x:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19e0001text'
down_revision = '39472a907779'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

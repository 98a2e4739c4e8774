"""two-factor secrets are stored sealed (auth.sealing: Fernet under TOTP_KEYS), which takes
more room than the secret in clear (issue 24: secrets no longer readable from the database)

Secrets already stored stay in clear until their next use or ``flask users reseal-secrets``.
The downgrade narrows the column again: run it only once no secret is sealed (PostgreSQL
refuses a sealed value in 64 characters and says so).

Revision ID: a26e0001seal
Revises: a25e0004oidc
Create Date: 2026-12-07 05:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a26e0001seal"
down_revision = "a25e0004oidc"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )

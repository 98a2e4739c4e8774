"""two-factor secrets are stored sealed (auth.sealing: Fernet under TOTP_KEYS), which takes
more room than the secret in clear (issue 24: secrets no longer readable from the database)

Secrets already stored stay in clear until their next use or ``flask users reseal-secrets``.
The downgrade narrows the column again, and refuses while a secret is sealed (the version
before cannot open one): ``flask users reseal-secrets --in-clear`` first.

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
    sealed = op.get_bind().execute(
        sa.text("SELECT count(*) FROM users WHERE totp_secret LIKE 'fernet:%'")
    )
    if sealed.scalar():
        raise RuntimeError(
            "two-factor secrets are sealed, which the version before cannot open: run "
            "`flask users reseal-secrets --in-clear` first"
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )

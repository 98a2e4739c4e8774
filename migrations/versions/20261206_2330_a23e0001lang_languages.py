"""languages: a user's interface language; questionnaire translations beside the definition
(issue 23)

Revision ID: a23e0001lang
Revises: a22e0003cont
Create Date: 2026-12-06 23:30:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


# revision identifiers, used by Alembic.
revision = "a23e0001lang"
down_revision = "a22e0003cont"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
    with op.batch_alter_table("questionnaires") as batch_op:
        batch_op.add_column(
            sa.Column("translations", JSON, nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("translations_hash", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("questionnaires") as batch_op:
        batch_op.drop_column("translations_hash")
        batch_op.drop_column("translations")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("language")

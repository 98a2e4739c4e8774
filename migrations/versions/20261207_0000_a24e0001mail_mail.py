"""mail: preferences per topic, the outbox, and when a notification was taken care of by
email (issue 24)

Revision ID: a24e0001mail
Revises: a23e0001lang
Create Date: 2026-12-07 00:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a24e0001mail"
down_revision = "a23e0001lang"
branch_labels = None
depends_on = None

TOPIC = sa.Enum(
    "reviews",
    "comments",
    "contacts",
    "reminders",
    name="topic",
    native_enum=False,
    create_constraint=True,
    length=20,
)


def upgrade():
    op.create_table(
        "mail_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic", TOPIC, nullable=False),
        sa.Column(
            "delivery",
            sa.Enum(
                "immediate",
                "digest",
                "off",
                name="delivery",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mail_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "topic", name=op.f("pk_mail_preferences")),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("topic", TOPIC, nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.String(length=20000), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_outgoing_mail_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outgoing_mail_dedupe_key")),
    )
    with op.batch_alter_table("outgoing_mail") as batch_op:
        batch_op.create_index(batch_op.f("ix_outgoing_mail_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_mail_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("mailed_at")
    with op.batch_alter_table("outgoing_mail") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_user_id"))
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_sent_at"))
    op.drop_table("outgoing_mail")
    op.drop_table("mail_preferences")

"""who does what: sections assigned to the region's officers, and who saved in a section
lately (presence) (issue 25, part 3)

Revision ID: a25e0003team
Revises: a25e0002evid
Create Date: 2026-12-07 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a25e0003team"
down_revision = "a25e0002evid"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "section_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_section_assignments_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_section_assignments_assigned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_section_assignments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_assignments")),
        sa.UniqueConstraint(
            "assessment_id",
            "section_id",
            name=op.f("uq_section_assignments_assessment_id_section_id"),
        ),
    )
    with op.batch_alter_table("section_assignments") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_section_assignments_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_section_assignments_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "section_presence",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_section_presence_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_section_presence_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "assessment_id", "section_id", "user_id", name=op.f("pk_section_presence")
        ),
    )


def downgrade():
    op.drop_table("section_presence")
    with op.batch_alter_table("section_assignments") as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_assignments_user_id"))
        batch_op.drop_index(batch_op.f("ix_section_assignments_assessment_id"))
    op.drop_table("section_assignments")

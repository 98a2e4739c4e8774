"""state check constraints

Revision ID: 4db0c16a9c38
Revises: f40b28ab4c50
Create Date: 2026-11-25 00:26:05

The workflow and role columns accept only their known values, in the database itself.
Alembic does not compare CHECK constraints, so this migration is written by hand.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "4db0c16a9c38"
down_revision = "f40b28ab4c50"
branch_labels = None
depends_on = None

CHECKS = [
    ("regions", "ck_regions_regioncategory",
     "category IN ('less_developed', 'transition', 'more_developed')"),
    ("users", "ck_users_role", "role IN ('officer', 'expert', 'admin')"),
    ("rounds", "ck_rounds_roundstate", "state IN ('planned', 'open', 'closed')"),
    ("assessments", "ck_assessments_assessmentstate",
     "state IN ('draft', 'submitted', 'under_review', 'changes_requested', 'validated')"),
]


def upgrade():
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(name), condition)


def downgrade():
    for table, name, _condition in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")

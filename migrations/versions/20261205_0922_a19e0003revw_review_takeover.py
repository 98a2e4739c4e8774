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
    # The covering message of a request for changes (reviews.models.ChangeRequest). Taking a
    # review over needs no column: it changes assessments.reviewer_id and is an audit event.
    op.create_table('change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_change_requests_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_change_requests_expert_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests'))
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_requests_assessment_id'), ['assessment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_requests_assessment_id'))

    op.drop_table('change_requests')

"""answer section: each answer keeps the id of its item's section

Revision ID: 39472a907779
Revises: 7908d57a8487
Create Date: 2026-12-02 15:17:23

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '39472a907779'
down_revision = '7908d57a8487'
branch_labels = None
depends_on = None

#: The answers of the given items, in assessments of rounds that use the given questionnaire.
_SET_SECTION = sa.text(
    "UPDATE answers SET section_id = :section_id WHERE item_id IN :item_ids AND assessment_id IN "
    "(SELECT assessments.id FROM assessments JOIN rounds ON rounds.id = assessments.round_id "
    "WHERE rounds.questionnaire_id = :questionnaire_id)"
).bindparams(sa.bindparam("item_ids", expanding=True))


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('section_id', sa.String(length=100), nullable=True))

    # Each stored answer takes its section from the definition its questionnaire stores.
    connection = op.get_bind()
    for questionnaire_id, definition in connection.execute(
        sa.text("SELECT id, definition FROM questionnaires")
    ):
        if isinstance(definition, str):  # SQLite gives JSON back as text
            definition = json.loads(definition)
        for section in definition["sections"]:
            item_ids = [item["id"] for item in section["items"]]
            connection.execute(
                _SET_SECTION,
                {"section_id": section["id"], "item_ids": item_ids, "questionnaire_id": questionnaire_id},
            )
    # An answer to no item of its questionnaire (none is written so) is shown on no page, as before.
    connection.execute(sa.text("UPDATE answers SET section_id = '' WHERE section_id IS NULL"))

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.alter_column('section_id', existing_type=sa.String(length=100), nullable=False)


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('section_id')

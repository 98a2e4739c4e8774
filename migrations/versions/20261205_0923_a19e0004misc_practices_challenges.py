"""practices and challenges: one entry per answer, one taxonomy

Revision ID: a19e0004misc
Revises: a19e0003revw
Create Date: 2026-12-05 09:2x:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB


# revision identifiers, used by Alembic.
revision = 'a19e0004misc'
down_revision = 'a19e0003revw'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")

practices = sa.table(
    "good_practices",
    sa.column("id", sa.Integer),
    sa.column("assessment_id", sa.Integer),
    sa.column("item_id", sa.String),
    sa.column("title", sa.String),
    sa.column("summary", sa.Text),
    sa.column("aspects", JSON),
    sa.column("dimensions", JSON),
    sa.column("tags", JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
categories = sa.table(
    "challenge_categories",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("active", sa.Boolean),
)

#: The taxonomy as of this revision (surveyapp/challenges/operations.py, DEFAULT_CATEGORIES and
#: FORMER_NAMES): the questionnaire's nine kinds of challenge, and the six categories' old names.
TAXONOMY = [
    ("staff_capacity", "Staff capacity and skills", "Staff capacity",
     "Too few people, or without the skills, to run interregional work."),
    ("funding", "Funding and co-financing", "Funding",
     "No budget, co-financing or eligible costs for actions with partners abroad."),
    ("governance", "Governance and coordination between bodies", "Governance",
     "Unclear responsibilities or weak coordination between public bodies."),
    ("partner_finding", "Finding suitable partners", "Partner finding",
     "Difficulty finding or keeping suitable partner regions and organisations."),
    ("legal_barriers", "Legal and regulatory barriers (state aid, eligibility)", "Legal barriers",
     "State aid, eligibility or procurement rules that block joint actions."),
    ("data", "Data and evidence on value chains and outcomes", "Data",
     "Missing data or evidence on value chains, partners or outcomes."),
    ("political_support", "Political support and priority", None,
     "Cooperation beyond the Member State is not a political priority or has no mandate."),
    ("business_engagement", "Engaging companies and SMEs", None,
     "Companies, above all SMEs, are hard to involve in actions with partners abroad."),
    ("language_culture", "Language and administrative culture", None,
     "Working languages and different administrative practices slow joint work down."),
]


def _merged(values, more):
    merged = list(values or [])
    for value in more or []:
        if value not in merged:
            merged.append(value)
    return merged


def _dedupe_practices(connection):
    """Keep the earliest practice of each answer; what the later ones say that it does not
    (title, summary, aspects, dimensions, keywords) is added to it, then they go."""
    rows = connection.execute(
        sa.select(practices)
        .where(practices.c.item_id.is_not(None))
        .order_by(
            practices.c.assessment_id,
            practices.c.item_id,
            practices.c.created_at,
            practices.c.id,
        )
    ).mappings().all()
    kept = {}
    for row in rows:
        key = (row["assessment_id"], row["item_id"])
        if key not in kept:
            kept[key] = dict(row)
            continue
        first = kept[key]
        summary = first["summary"] or ""
        additions = [
            text for text in (row["title"], row["summary"])
            if text and text.strip() and text.strip() not in summary and text != first["title"]
        ]
        if additions:
            summary = "\n\n".join([summary, *additions]) if summary else "\n\n".join(additions)
        first["summary"] = summary
        for column in ("aspects", "dimensions", "tags"):
            first[column] = _merged(first[column], row[column])
        connection.execute(
            practices.update()
            .where(practices.c.id == first["id"])
            .values(
                summary=first["summary"],
                aspects=first["aspects"],
                dimensions=first["dimensions"],
                tags=first["tags"],
            )
        )
        connection.execute(practices.delete().where(practices.c.id == row["id"]))


def _one_taxonomy(connection):
    """Each kind of challenge of the questionnaire becomes one category: a category of that
    name (or its former name) takes the kind, and is renamed as the questionnaire names it; the
    kinds without one are added. Tags stay on their categories."""
    for code, name, former, description in TAXONOMY:
        if connection.scalar(sa.select(categories.c.id).where(categories.c.code == code)):
            continue
        found = connection.execute(
            sa.select(categories.c.id, categories.c.name).where(
                categories.c.code.is_(None), categories.c.name.in_([name, former or name])
            )
        ).all()
        found.sort(key=lambda row: row.name != name)
        if not found:
            connection.execute(
                categories.insert().values(
                    code=code, name=name, description=description, active=True
                )
            )
            continue
        category_id = found[0].id
        values = {"code": code}
        taken = connection.scalar(
            sa.select(categories.c.id).where(
                categories.c.name == name, categories.c.id != category_id
            )
        )
        if taken is None:
            values["name"] = name
        connection.execute(
            categories.update().where(categories.c.id == category_id).values(**values)
        )


def upgrade():
    connection = op.get_bind()
    _dedupe_practices(connection)
    with op.batch_alter_table('good_practices', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_good_practices_assessment_id_item_id'), ['assessment_id', 'item_id']
        )

    with op.batch_alter_table('challenge_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_challenge_categories_code'), ['code'])
    _one_taxonomy(connection)


def downgrade():
    # The merged practices and the taxonomy's names stay as they are (the older code reads them).
    with op.batch_alter_table('challenge_categories', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_challenge_categories_code'), type_='unique')
        batch_op.drop_column('code')

    with op.batch_alter_table('good_practices', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_good_practices_assessment_id_item_id'), type_='unique'
        )

"""SQLite: long values (a questionnaire's texts, a stored report's PDF) move to the end of their
rows

SQLite keeps a row's values one after the other and spills a long row into a chain of overflow
pages: a value stored after a long one is reached only by reading the whole chain. Every section
page and autosave read a questionnaire's content and translations hashes, stored after its
definition and translations (about 1.6 MB for questionnaire version 2 with its 23 languages),
and read the chain again whenever another connection had written: under concurrent saves that
was most of an autosave's time. A stored report's size and dates sat after its PDF. With the
long values last, the others sit in the row's first page. PostgreSQL stores long values apart
from their rows (TOAST): nothing changes there.

Revision ID: a28e0001long
Revises: a27e0001clos
Create Date: 2026-12-07 17:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a28e0001long"
down_revision = "a27e0001clos"
branch_labels = None
depends_on = None

#: The columns that keep their place: the first ones of each table.
_QUESTIONNAIRE = ("id", "slug", "version", "title")
_REPORT = ("id", "key", "report", "round_id", "region_id", "lang", "score")
#: Per table: its columns in the order this revision stores them (long values last), and as
#: they were stored before it.
ORDERS = {
    "questionnaires": (
        (
            *_QUESTIONNAIRE,
            "content_hash",
            "translations_hash",
            "loaded_at",
            "definition",
            "translations",
        ),
        (
            *_QUESTIONNAIRE,
            "definition",
            "content_hash",
            "loaded_at",
            "translations",
            "translations_hash",
        ),
    ),
    "rendered_reports": (
        (*_REPORT, "audience", "size", "created_at", "pdf"),
        (*_REPORT, "pdf", "size", "created_at", "audience"),
    ),
}


def _store_in_order(position: int) -> None:
    """Rebuild each table with its columns in ORDERS[table][position] (SQLite only)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, orders in ORDERS.items():
        with op.batch_alter_table(table, recreate="always", partial_reordering=[orders[position]]):
            pass  # nothing changes but the order the table is rebuilt in


def upgrade():
    _store_in_order(0)


def downgrade():
    _store_in_order(1)

"""heal text: unpaired surrogates and control characters in stored text

Revision ID: a19e0001text
Revises: 39472a907779
Create Date: 2026-12-05 09:2x:00

Every text and JSON column of every table (the audit trail included) is read, and each value
holding an unpaired surrogate (which no page, export or PDF could encode) or a control
character other than tab, new line and carriage return is written back cleaned, as
surveyapp.text.clean_text cleans what is stored from now on. The rule is copied here, so that
this migration does the same whatever the code becomes.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a19e0001text"
down_revision = "39472a907779"
branch_labels = None
depends_on = None

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL_RE = re.compile(f"[{_CONTROLS}]")
_UNSAFE_RE = re.compile(f"[{_CONTROLS}\ud800-\udfff]")


def _clean(value):
    if isinstance(value, str):
        if _UNSAFE_RE.search(value) is None:
            return value
        value = _CONTROL_RE.sub("", value)
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def upgrade():
    bind = op.get_bind()
    metadata = sa.MetaData()
    for name in sa.inspect(bind).get_table_names():
        if name == "alembic_version":
            continue
        table = sa.Table(name, metadata, autoload_with=bind)
        keys = list(table.primary_key.columns)
        texts = [
            column
            for column in table.columns
            if isinstance(column.type, sa.String | sa.JSON) and column not in keys
        ]
        if not keys or not texts:
            continue
        rows = bind.execute(
            sa.select(*keys, *texts).execution_options(stream_results=True, yield_per=1000)
        ).mappings()
        changed = []  # (key of the row, the values that change): few rows, if any
        for row in rows:
            values = {c.name: _clean(row[c.name]) for c in texts}
            values = {n: v for n, v in values.items() if v != row[n]}
            if values:
                changed.append(({c.name: row[c.name] for c in keys}, values))
        # Only the values that change are written, so a JSON null beside them stays SQL NULL.
        for key, values in changed:
            condition = sa.and_(*(c == key[c.name] for c in keys))
            bind.execute(table.update().where(condition).values(values))


def downgrade():
    pass  # what was replaced or dropped is not kept: there is nothing to restore

"""message search on PostgreSQL: a stored tsvector column with the GIN index

`messages.content_tsv` is `GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED`: the
expression the 0005_search index covered, now computed once when a row is written instead of on
every row a search ranks, counts or filters (see `frontdesk.storage.search`). The GIN index keeps
its 0005_search name, `ix_messages_content_fts`, and moves to the column: this migration drops
the expression index and builds the one on the column under that name. Keeping the name makes
the result independent of the order Alembic applies the two branches in: on a new database
0005_search may run after this one, and its `CREATE INDEX IF NOT EXISTS` then leaves the column's
index alone instead of adding a second, unused one. (Code that drops and rebuilds the index by
name, like a bulk load, must rebuild it with `PG_INDEX_CREATE`.) `ANALYZE` gives the planner the
column's lexeme statistics at once, so it can tell a rare word (GIN) from a common one (the
newest rows first) before autovacuum gets to the table.

Adding a stored generated column rewrites `messages` under an exclusive lock (the backfill):
on the 1,000,000-message bench store the whole upgrade took ~100 s on a loaded 2-core machine
(docs/benchmarks.md, "Store at scale"). Rows written later get the column from PostgreSQL
itself; no code writes it.

SQLite: nothing (its FTS5 table `messages_fts` stores the index already).

Revision ID: 0019_message_tsv
Revises: 0014_scale
Create Date: 2026-12-01 21:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_message_tsv"
down_revision: str | None = "0014_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_COLUMN = "content_tsv"
PG_INDEX = "ix_messages_content_fts"  # 0005_search's name (see above)
PG_INDEX_CREATE = f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON messages USING GIN ({PG_COLUMN})"
POSTGRES_UP = (
    "SET LOCAL maintenance_work_mem = '256MB'",  # the GIN build sorts every lexeme of the table
    f"DROP INDEX IF EXISTS {PG_INDEX}",  # 0005_search's expression index
    f"ALTER TABLE messages ADD COLUMN {PG_COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, content)) STORED",
    PG_INDEX_CREATE,
    f"ANALYZE messages ({PG_COLUMN})",
)
POSTGRES_DOWN = (
    "SET LOCAL maintenance_work_mem = '256MB'",
    f"DROP INDEX IF EXISTS {PG_INDEX}",
    f"ALTER TABLE messages DROP COLUMN IF EXISTS {PG_COLUMN}",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON messages "
    "USING GIN (to_tsvector('simple'::regconfig, content))",  # as 0005_search made it
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)

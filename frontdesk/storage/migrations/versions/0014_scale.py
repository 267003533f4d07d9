"""scale: rollup tables kept by triggers, message counts on conversations, indexes for every list
filter and sort, and a name/email/company index for contact search

- `message_rollups`, `conversation_buckets`, `record_rollups` (see `frontdesk.storage.rollups`),
  filled from the existing rows, then kept by the triggers of `frontdesk.storage.rollup_triggers`;
- `conversations.message_count`, backfilled, kept by the same triggers;
- contact search: SQLite `contacts_fts` (FTS5, trigram tokenizer: substring matches of 3+
  characters, case folded) kept by triggers; PostgreSQL `pg_trgm` GIN indexes on the same
  lower-cased expressions the queries use;
- b-tree indexes for the list sorts and filters (see tests/storage/test_plans.py).

Revision ID: 0014_scale
Revises: 0002
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.storage import rollup_triggers
from frontdesk.storage.rollups import backfill_statements

revision: str = "0014_scale"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_conversations_owner_recent", "conversations", ["account_id", "user_id", "updated_at", "id"]),
    ("ix_leads_account_created", "leads", ["account_id", "created_at"]),
    ("ix_messages_account_created", "messages", ["account_id", "created_at"]),
    ("ix_contact_tags_tag_contact", "contact_tags", ["tag_id", "contact_id"]),
)
_EXPRESSION_INDEXES = (  # the contact list's sorts, ties broken on the id (both dialects)
    ("ix_contacts_account_name", "contacts (account_id, lower(last_name), lower(first_name), id)"),
    (
        "ix_contacts_account_company",
        "contacts (account_id, lower(coalesce(company, '')), lower(last_name), id)",
    ),
    ("ix_contacts_account_created_id", "contacts (account_id, created_at, id)"),
)
CONTACT_NAME = "lower(first_name || ' ' || last_name)"
SQLITE_CONTACTS_FTS = (
    "CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, company, tokenize='trigram')",
    """CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
        INSERT INTO contacts_fts(rowid, name, email, company)
        VALUES (new.rowid, new.first_name || ' ' || new.last_name, new.email, new.company);
    END""",
    """CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
        DELETE FROM contacts_fts WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER contacts_fts_update AFTER UPDATE OF first_name, last_name, email, company
        ON contacts BEGIN
        UPDATE contacts_fts SET name = new.first_name || ' ' || new.last_name, email = new.email,
            company = new.company WHERE rowid = new.rowid;
    END""",
    "INSERT INTO contacts_fts(rowid, name, email, company) "
    "SELECT rowid, first_name || ' ' || last_name, email, company FROM contacts",
)
POSTGRES_CONTACTS_TRGM = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX ix_contacts_name_trgm ON contacts USING GIN (({CONTACT_NAME}) gin_trgm_ops)",
    "CREATE INDEX ix_contacts_email_trgm ON contacts USING GIN (lower(email) gin_trgm_ops)",
    "CREATE INDEX ix_contacts_company_trgm ON contacts USING GIN (lower(company) gin_trgm_ops)",
    "CREATE INDEX ix_leads_name_trgm ON leads USING GIN (lower(name) gin_trgm_ops)",
)


def _rollup_table(name: str, keys: list[sa.Column], values: list[sa.Column]) -> None:
    op.create_table(
        name,
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        *keys,
        *values,
        sa.PrimaryKeyConstraint("account_id", *[c.name for c in keys]),
    )


def _head() -> list[sa.Column]:
    return [sa.Column("grain", sa.String(1)), sa.Column("bucket", sa.String(13))]


def _dims() -> list[sa.Column]:
    return [sa.Column(n, sa.String(w)) for n, w in (("channel", 16), ("role", 16), ("department", 32))]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "conversations", sa.Column("message_count", sa.Integer(), nullable=False, server_default="0")
    )
    _rollup_table(
        "message_rollups",
        [*_head(), *_dims()],
        [
            sa.Column(c, sa.Integer(), nullable=False, server_default="0")
            for c in ("messages", "tokens", "replies")
        ],
    )
    _rollup_table(
        "conversation_buckets",
        [*_head(), sa.Column("conversation_id", sa.String(64)), *_dims()],
        [sa.Column("messages", sa.Integer(), nullable=False, server_default="0")],
    )
    _rollup_table(
        "record_rollups",
        [sa.Column("kind", sa.String(16)), sa.Column("day", sa.String(10)), sa.Column("k1", sa.String(32)),
         sa.Column("k2", sa.String(32))],
        [sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
         sa.Column("value", sa.Float(), nullable=False, server_default="0")],
    )  # fmt: skip
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)
    for name, target in _EXPRESSION_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {target}")
    for statement in backfill_statements(dialect):
        op.execute(statement)
    for statement in rollup_triggers.create_statements(dialect, revision):
        op.execute(statement)
    for statement in SQLITE_CONTACTS_FTS if dialect == "sqlite" else POSTGRES_CONTACTS_TRGM:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contacts_fts_{name}")
        op.execute("DROP TABLE IF EXISTS contacts_fts")
    else:
        for name in ("contacts_name", "contacts_email", "contacts_company", "leads_name"):
            op.execute(f"DROP INDEX IF EXISTS ix_{name}_trgm")
    for statement in rollup_triggers.drop_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        for fn in ("messages", "conversations_department", "conversations_delete_messages", "conversations",
                   "contacts", "leads"):  # fmt: skip
            op.execute(f"DROP FUNCTION IF EXISTS rollup_{fn}()")
    for name, table, _ in _INDEXES:
        op.drop_index(name, table_name=table)
    for name, _ in _EXPRESSION_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for table in ("record_rollups", "conversation_buckets", "message_rollups"):
        op.drop_table(table)
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("message_count")

"""crm lists: keyset indexes matching each list's exact sort, and a text index for lead search

- conversations: `(account_id, user_id, updated_at DESC, id)` and the same with `channel` after
  the owner, the order of `/chat/sessions` and `/chat/conversations` (newest first, ties by id),
  so a cursor seeks and a page never sorts;
- leads: `(account_id, created_at DESC, id)`, `(account_id, value DESC, id)` and
  `(account_id, value, id)`, the lead list's three orders, and newest first within one status or
  one source (the API's two filters);
- lead search: SQLite `leads_fts` (FTS5, trigram tokenizer, kept by triggers, filled from the
  existing leads), PostgreSQL `pg_trgm` GIN indexes on `lower(email)` and `lower(company)` (the
  one on `lower(name)` came with 0014).

The contact list's sort indexes (0014) already end in the id and serve its cursors as they are.

Revision ID: 0020_crm_lists
Revises: 0014_scale
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_crm_lists"
down_revision: str | None = "0014_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYSET_INDEXES = (
    ("ix_conversations_owner_keyset", "conversations (account_id, user_id, updated_at DESC, id)"),
    (
        "ix_conversations_owner_channel_keyset",
        "conversations (account_id, user_id, channel, updated_at DESC, id)",
    ),
    ("ix_leads_account_recent", "leads (account_id, created_at DESC, id)"),
    ("ix_leads_account_value_desc", "leads (account_id, value DESC, id)"),
    ("ix_leads_account_value", "leads (account_id, value, id)"),
    ("ix_leads_account_status_recent", "leads (account_id, status, created_at DESC, id)"),
    ("ix_leads_account_source_recent", "leads (account_id, source, created_at DESC, id)"),
)
LEAD_TEXT = "new.name, new.email, new.company"
SQLITE_LEADS_FTS = (
    "CREATE VIRTUAL TABLE leads_fts USING fts5(name, email, company, tokenize='trigram')",
    f"""CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
        INSERT INTO leads_fts(rowid, name, email, company) VALUES (new.rowid, {LEAD_TEXT});
    END""",
    """CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
        DELETE FROM leads_fts WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER leads_fts_update AFTER UPDATE OF name, email, company ON leads BEGIN
        UPDATE leads_fts SET name = new.name, email = new.email, company = new.company
        WHERE rowid = new.rowid;
    END""",
    "INSERT INTO leads_fts(rowid, name, email, company) SELECT rowid, name, email, company FROM leads",
)
POSTGRES_LEADS_TRGM = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_leads_email_trgm ON leads USING GIN (lower(email) gin_trgm_ops)",
    "CREATE INDEX ix_leads_company_trgm ON leads USING GIN (lower(company) gin_trgm_ops)",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, target in KEYSET_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {target}")
    for statement in SQLITE_LEADS_FTS if dialect == "sqlite" else POSTGRES_LEADS_TRGM:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS leads_fts_{name}")
        op.execute("DROP TABLE IF EXISTS leads_fts")
    else:  # pg_trgm stays: 0014's indexes use it
        for name in ("ix_leads_email_trgm", "ix_leads_company_trgm"):
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, _ in KEYSET_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")

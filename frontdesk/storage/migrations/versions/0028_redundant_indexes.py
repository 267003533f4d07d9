"""redundant indexes: drop two indexes whose columns lead a wider index of the same table

- `ix_conversations_owner (account_id, user_id, updated_at)`: `ix_conversations_owner_recent`
  (0014) is the same columns and the id;
- `ix_messages_account_id (account_id)`: `ix_messages_account_created (account_id, created_at)`
  (0014) starts with it (and serves the cascade from `accounts`).

Every query they served is served by the wider index (the plans pinned in
`tests/storage/test_plans.py` do not change), and every turn wrote both: its conversation moves up
its owner's list twice and it adds two messages (issue 15: ~0.1 ms less SQLite work a turn).

Revision ID: 0028_redundant_indexes
Revises: 0014_scale
Create Date: 2026-12-02 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_redundant_indexes"
down_revision: str | None = "0014_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_conversations_owner")
    op.execute("DROP INDEX IF EXISTS ix_messages_account_id")


def downgrade() -> None:
    op.create_index("ix_conversations_owner", "conversations", ["account_id", "user_id", "updated_at"])
    op.create_index("ix_messages_account_id", "messages", ["account_id"])

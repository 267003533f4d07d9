"""day conversations: per account and UTC day, the number of distinct conversations with messages
that day (`frontdesk.storage.rollups.DayConversations`), backfilled from `messages` and kept by the
message triggers, which are re-created with the counter (`rollup_triggers`, level `0018_day_conversations`);
the unfiltered daily `messages_sent` count then reads one row per day.

Revision ID: 0018_day_conversations
Revises: 0014_scale
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.storage import rollup_triggers
from frontdesk.storage.rollups import day_backfill_statement

revision: str = "0018_day_conversations"
down_revision: str | None = "0014_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _triggers(dialect: str, level: str) -> None:
    """Re-create the rollup triggers with or without the day counter (PostgreSQL replaces the
    functions in place: `CREATE OR REPLACE`)."""
    for statement in rollup_triggers.drop_statements(dialect):
        op.execute(statement)
    for statement in rollup_triggers.create_statements(dialect, level):
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "day_conversations",
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column("day", sa.String(10)),
        sa.Column("conversations", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )
    op.execute(day_backfill_statement(dialect))
    _triggers(dialect, revision)


def downgrade() -> None:
    _triggers(op.get_bind().dialect.name, "0014_scale")
    op.drop_table("day_conversations")

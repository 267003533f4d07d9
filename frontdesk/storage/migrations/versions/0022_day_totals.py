"""day totals: per account and UTC day and hour, the messages, tokens, replies and distinct
conversations of the bucket (`frontdesk.storage.rollups.BucketTotals`), and a month grain in
`message_rollups`, so daily and hourly stats read one row per bucket for their series and about a
dozen month rows per group (and a few days and hours at the edges) for their breakdown, instead of
every day row of the span.

Both are backfilled (the totals by a recount of `messages`, the months from the day rows) and kept
by the message triggers, re-created at this revision's level (`rollup_triggers.create_statements(d,
"0022_day_totals")`). `bucket_totals` holds the per-day conversation count too, so 0018's
`day_conversations` is dropped; the downgrade re-creates and backfills it, restores 0018's
triggers, and removes the month rows and `bucket_totals`.

Revision ID: 0022_day_totals
Revises: 0018_day_conversations
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.storage import rollup_triggers
from frontdesk.storage.rollups import day_backfill_statement, totals_backfill_statements

revision: str = "0022_day_totals"
down_revision: str | None = "0018_day_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _triggers(dialect: str, level: str) -> None:
    for statement in rollup_triggers.drop_statements(dialect):
        op.execute(statement)
    for statement in rollup_triggers.create_statements(dialect, level):
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "bucket_totals",
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column("grain", sa.String(1)),
        sa.Column("bucket", sa.String(13)),
        *(
            sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            for name in ("messages", "tokens", "replies", "conversations")
        ),
        sa.PrimaryKeyConstraint("account_id", "grain", "bucket"),
    )
    for statement in totals_backfill_statements(dialect):
        op.execute(statement)
    _triggers(dialect, revision)
    op.drop_table("day_conversations")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "day_conversations",
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column("day", sa.String(10)),
        sa.Column("conversations", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )
    op.execute(day_backfill_statement(dialect))
    _triggers(dialect, "0018_day_conversations")
    op.execute("DELETE FROM message_rollups WHERE grain = 'm'")
    op.drop_table("bucket_totals")

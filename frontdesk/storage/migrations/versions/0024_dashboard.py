"""dashboard: `record_months`, the counts of `record_rollups` (conversations, contacts and leads
created, by kind and keys) per UTC month instead of per day, so the dashboard's all-time and
month-to-date totals read about a dozen rows per key instead of every day row
(`frontdesk.storage.dashboard`).

Backfilled from the day rows of `record_rollups` and kept by the record triggers, re-created at
this revision's level (`rollup_triggers.create_statements(d, "0024_dashboard")`). The downgrade
restores 0022's triggers and drops the table.

Revision ID: 0024_dashboard
Revises: 0022_day_totals
Create Date: 2026-12-02 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.storage import rollup_triggers
from frontdesk.storage.rollups import MONTHS_BACKFILL

revision: str = "0024_dashboard"
down_revision: str | None = "0022_day_totals"
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
        "record_months",
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column("kind", sa.String(16)),
        sa.Column("month", sa.String(7)),
        sa.Column("k1", sa.String(32)),
        sa.Column("k2", sa.String(32)),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("value", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("account_id", "kind", "month", "k1", "k2"),
    )
    op.execute(MONTHS_BACKFILL)
    _triggers(dialect, revision)


def downgrade() -> None:
    _triggers(op.get_bind().dialect.name, "0022_day_totals")
    op.drop_table("record_months")

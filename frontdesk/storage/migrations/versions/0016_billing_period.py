"""billing period: `account_billing.period_start`, the start of the Stripe subscription's current
period (from its webhook), so `max_executions` counts executions of the period, not of all time

Revision ID: 0016_billing_period
Revises: 0011_teams
Create Date: 2026-12-01 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_billing_period"
down_revision: str | None = "0011_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_billing") as batch:
        batch.add_column(sa.Column("period_start", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_billing") as batch:
        batch.drop_column("period_start")

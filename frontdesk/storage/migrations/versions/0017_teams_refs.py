"""teams references: where the bot can write to a user first (a scheduled `agent_task`'s reply):
the service URL and personal conversation of the user's latest 1:1 chat with the bot

Revision ID: 0017_teams_refs
Revises: 0009_channels
Create Date: 2026-12-01 18:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_teams_refs"
down_revision: str | None = "0009_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams_references",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("bot_id", sa.String(255), nullable=False),
        sa.Column("bot_name", sa.String(128), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "user_id", name="uq_teams_reference_user"),
    )


def downgrade() -> None:
    op.drop_table("teams_references")

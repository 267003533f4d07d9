"""token epoch and operators: access tokens carry the user's epoch (a password reset bumps it);
`users.is_operator` marks an operator-wide admin (`frontdesk admin grant`)

Revision ID: 0013_token_epoch
Revises: 0011_teams
Create Date: 2026-12-01 16:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_token_epoch"
down_revision: str | None = "0011_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("is_operator", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_operator")
        batch.drop_column("token_epoch")

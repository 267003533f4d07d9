"""contact list versions: a per-account version of the contact list (`contact_list_versions`),
moved on by triggers on `contacts` whenever a contact is added, removed or changes a sort column,
so the list's cached sort-key anchors (`frontdesk.storage.contact_anchors`) are known to be still
right before a deep offset is sought from them.

Nothing to backfill: an account without a row has never had its list changed since this
revision, and its first contact write creates the row. A branch of its own off 0002 (where
`contacts` is created); the downgrade drops the triggers (and the PostgreSQL function) and the
table.

Revision ID: 0027_contact_list_versions
Revises: 0002
Create Date: 2026-12-02 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.storage import contact_anchors

revision: str = "0027_contact_list_versions"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_list_versions",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("writer", sa.BigInteger(), nullable=True),
    )
    for statement in contact_anchors.create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in contact_anchors.drop_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS contact_list_bump()")
    op.drop_table("contact_list_versions")

"""tag counts: how many contacts carry each tag and each pair of tags (`tag_counts`), kept by
triggers on `contact_tags` in the same transaction as the link (`frontdesk.storage.tag_counts`),
so the contact list sizes its tag filters and totals one or two tags by lookups instead of
counting index ranges.

Backfilled from the links as they are. A branch of its own off 0023_contact_tags (the contact
list's other revision); the downgrade drops the triggers (and the PostgreSQL function) and the
table.

Revision ID: 0025_tag_counts
Revises: 0023_contact_tags
Create Date: 2026-12-02 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.storage import tag_counts

revision: str = "0025_tag_counts"
down_revision: str | None = "0023_contact_tags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "tag_counts",
        sa.Column("tag_id", sa.String(64), primary_key=True),
        sa.Column("other_id", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
    )
    for statement in tag_counts.recount_statements(dialect):
        op.execute(statement)
    for statement in tag_counts.create_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in tag_counts.drop_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tag_counts_links()")
    op.drop_table("tag_counts")

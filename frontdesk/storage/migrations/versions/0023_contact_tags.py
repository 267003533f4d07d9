"""contact tags and deep pages: the contact list's name and company sort indexes carry the name
columns on PostgreSQL, so a page walk (a deep offset, or a tag filter probing each contact) is an
index-only scan

PostgreSQL answers a query from an index alone only when every column the query reads is a plain
column of the index; `lower(last_name)` as an index key does not count, so the 0014 sort indexes
sent an `OFFSET 150000` to the table 150,000 times. `INCLUDE (last_name, first_name)` (and
`company, last_name` on the company index) makes the walk index-only (once VACUUM, or
autovacuum, has marked the table's pages all-visible), keeping the index names and key columns
(the cursors and plan tests see the same index).

SQLite needs nothing here: it skips offset rows without reading the table, and the tag filters
are served by 0014's `(tag_id, contact_id)` index (see `frontdesk.storage.crm_lists`); upgrade and
downgrade do nothing on SQLite.

A branch of its own off 0014_scale (as 0018-0020 are): it touches only 0014's indexes, and on top
of 0020 it would become the head that `0020_crm_lists@-1` steps down from.

Revision ID: 0023_contact_tags
Revises: 0014_scale
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_contact_tags"
down_revision: str | None = "0014_scale"  # the indexes it replaces are 0014's
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "contacts (account_id, lower(last_name), lower(first_name), id)"
COMPANY = "contacts (account_id, lower(coalesce(company, '')), lower(last_name), id)"
INDEXES = (  # name, 0014's definition, the covering one
    ("ix_contacts_account_name", NAME, f"{NAME} INCLUDE (last_name, first_name)"),
    ("ix_contacts_account_company", COMPANY, f"{COMPANY} INCLUDE (company, last_name)"),
)


def _replace(covering: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, plain, with_names in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {with_names if covering else plain}")


def upgrade() -> None:
    _replace(covering=True)


def downgrade() -> None:
    _replace(covering=False)

"""How many contacts carry each tag, and each pair of tags, kept as the links are written.

`tag_counts` (migration 0025) holds one row per tag (`other_id = ''`) and one per pair of tags
that share a contact (`tag_id < other_id`). Triggers on `contact_tags` keep them in the same
transaction as the link: an insert adds one to the tag and to each pair it forms with the
contact's other tags, a delete takes them off again (a contact or tag deleted cascades to its
links, and the cascade fires the same triggers), an update is both. Rows that fall to 0 stay.

The contact list reads them instead of counting index ranges: a tag's size orders a filter's tags
(rarest first) and is the exact total of a one-tag filter; a pair's count is the exact total of a
two-tag filter, which otherwise merges both tags' index ranges (about 70,000 index entries for
VIP and customer on 200,000 contacts). Three or more tags are still counted through the index.

PostgreSQL: the trigger first takes a transaction-long advisory lock for the account, so two
transactions that tag the same contact at once are applied one after the other and the later one
sees the earlier one's link (without it each would miss the other's tag and the pair would never
be counted), and counter rows are never updated in opposite orders. Tagging within one account is
serialised from its first link write to its commit; SQLite has one writer anyway.

A bulk load (`bulk_crm`) drops the triggers for its transaction and calls `recount` for the
account's tags once the links are in; the migration's backfill is the same recount.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.models import Base

SINGLE = ""  # `other_id` of a tag's own row


class TagCount(Base):
    __tablename__ = "tag_counts"
    tag_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the lower id of a pair
    other_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" or the higher id
    n: Mapped[int] = mapped_column(Integer, default=0)


_SQLITE_APPLY = """
    INSERT INTO tag_counts (tag_id, other_id, n) VALUES ({r}.tag_id, '', {sign})
        ON CONFLICT (tag_id, other_id) DO UPDATE SET n = n + {sign};
    INSERT INTO tag_counts (tag_id, other_id, n)
        SELECT min({r}.tag_id, o.tag_id), max({r}.tag_id, o.tag_id), {sign} FROM contact_tags AS o
        WHERE o.contact_id = {r}.contact_id AND o.tag_id != {r}.tag_id{moved}
        ON CONFLICT (tag_id, other_id) DO UPDATE SET n = n + {sign};"""

# an update's old link: the pairs it formed, not counting the new link (already in the table)
_MOVED = " AND NOT (o.contact_id = new.contact_id AND o.tag_id = new.tag_id)"

SQLITE_TRIGGERS = (
    "CREATE TRIGGER tag_counts_insert AFTER INSERT ON contact_tags BEGIN"
    + _SQLITE_APPLY.format(r="new", sign="1", moved="")
    + "\nEND",
    "CREATE TRIGGER tag_counts_delete AFTER DELETE ON contact_tags BEGIN"
    + _SQLITE_APPLY.format(r="old", sign="-1", moved="")
    + "\nEND",
    "CREATE TRIGGER tag_counts_update AFTER UPDATE ON contact_tags BEGIN"
    + _SQLITE_APPLY.format(r="old", sign="-1", moved=_MOVED)
    + _SQLITE_APPLY.format(r="new", sign="1", moved="")
    + "\nEND",
)


def _pg_apply(changed: str, sign: str, *, updated: bool = False) -> str:
    """plpgsql: the counts of the links in the transition table `changed` added (`sign` "") or
    taken off ("-"): each tag, each pair with the contact's other links as they stand without the
    statement's new rows, and each pair within `changed` once."""
    rest = (
        f"SELECT l.contact_id, l.tag_id FROM contact_tags AS l "
        f"WHERE l.contact_id IN (SELECT contact_id FROM {changed})"
    )
    if changed == "new_rows" or updated:
        rest += (
            " AND NOT EXISTS (SELECT 1 FROM new_rows AS x"
            " WHERE x.contact_id = l.contact_id AND x.tag_id = l.tag_id)"
        )
    return f"""
        INSERT INTO tag_counts (tag_id, other_id, n)
            SELECT tag_id, '', {sign}count(*) FROM {changed} GROUP BY tag_id
            ON CONFLICT (tag_id, other_id) DO UPDATE SET n = tag_counts.n + EXCLUDED.n;
        INSERT INTO tag_counts (tag_id, other_id, n)
            SELECT low, high, {sign}count(*) FROM (
                SELECT LEAST(a.tag_id, b.tag_id) AS low, GREATEST(a.tag_id, b.tag_id) AS high
                FROM {changed} AS a JOIN ({rest}) AS b ON b.contact_id = a.contact_id
                UNION ALL
                SELECT a.tag_id, b.tag_id FROM {changed} AS a
                JOIN {changed} AS b ON b.contact_id = a.contact_id AND b.tag_id > a.tag_id
            ) AS pairs GROUP BY low, high
            ON CONFLICT (tag_id, other_id) DO UPDATE SET n = tag_counts.n + EXCLUDED.n;"""


_PG_LOCK = """
            PERFORM pg_advisory_xact_lock(hashtext('tag_counts ' || a.account_id)) FROM (
                SELECT account_id FROM tags WHERE id IN (SELECT tag_id FROM {changed})
                UNION SELECT account_id FROM contacts WHERE id IN (SELECT contact_id FROM {changed})
            ) AS a ORDER BY a.account_id;"""

# Statement-level: PostgreSQL fires row triggers after the whole statement, so a row trigger of a
# statement that writes several links of one contact (a cascade from a deleted contact) would
# see all of them or none; the transition tables hold exactly the statement's rows. First the
# trigger takes a lock per account held to the end of the transaction (the account of the tags,
# or of the contacts when a cascade from a deleted tag has removed it): tagging transactions of
# one account apply their counts one after another, so the links read after the lock are the
# committed ones of any transaction that tagged the same contact at the same time, and two
# transactions never update the same counter rows in opposite orders (which deadlocked).
POSTGRES_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION tag_counts_links() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN{_PG_LOCK.format(changed="new_rows")}{_pg_apply("new_rows", "")}
        ELSIF TG_OP = 'DELETE' THEN{_PG_LOCK.format(changed="old_rows")}{_pg_apply("old_rows", "-")}
        ELSE{
        _PG_LOCK.format(
            changed="(SELECT contact_id, tag_id FROM old_rows UNION ALL "
            "SELECT contact_id, tag_id FROM new_rows) AS c"
        )
    }{_pg_apply("old_rows", "-", updated=True)}{_pg_apply("new_rows", "")}
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER tag_counts_insert AFTER INSERT ON contact_tags REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tag_counts_links()",
    "CREATE TRIGGER tag_counts_delete AFTER DELETE ON contact_tags REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tag_counts_links()",
    "CREATE TRIGGER tag_counts_update AFTER UPDATE ON contact_tags "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tag_counts_links()",
)


def create_statements(dialect: str) -> tuple[str, ...]:
    """The statements that install the triggers."""
    return SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS


def drop_statements(dialect: str) -> tuple[str, ...]:
    """The statements that remove the triggers (the function stays on PostgreSQL)."""
    on = "" if dialect == "sqlite" else " ON contact_tags"
    return tuple(f"DROP TRIGGER IF EXISTS tag_counts_{op}{on}" for op in ("insert", "delete", "update"))


def recount_statements(dialect: str, *, account_id: str | None = None) -> tuple[str, ...]:
    """Statements that set the counts of the tags of `account_id` (every tag when None) from the
    links as they are: their rows removed, then counted set-wise (`:account_id` bound)."""
    scope = "SELECT id FROM tags" + (" WHERE account_id = :account_id" if account_id else "")
    least, greatest = ("min", "max") if dialect == "sqlite" else ("LEAST", "GREATEST")
    return (
        f"DELETE FROM tag_counts WHERE tag_id IN ({scope}) OR other_id IN ({scope})",
        f"INSERT INTO tag_counts (tag_id, other_id, n) SELECT tag_id, '', count(*) FROM contact_tags "
        f"WHERE tag_id IN ({scope}) GROUP BY tag_id",
        f"INSERT INTO tag_counts (tag_id, other_id, n) SELECT {least}(a.tag_id, b.tag_id), "
        f"{greatest}(a.tag_id, b.tag_id), count(*) FROM contact_tags AS a JOIN contact_tags AS b "
        f"ON b.contact_id = a.contact_id AND b.tag_id > a.tag_id WHERE a.tag_id IN ({scope}) "
        f"GROUP BY 1, 2",
    )


async def recount(conn: AsyncConnection, account_id: str | None = None) -> None:
    """Run `recount_statements` on `conn` (inside the caller's transaction)."""
    params = {"account_id": account_id} if account_id else {}
    for statement in recount_statements(conn.dialect.name, account_id=account_id):
        await conn.execute(text(statement), params)


def size(tag_id: Any) -> Any:
    """A scalar subquery: how many contacts carry `tag_id` (a value or a bind parameter; NULL
    when none ever did)."""
    return select(TagCount.n).where(TagCount.tag_id == tag_id, TagCount.other_id == SINGLE).scalar_subquery()


def pair(low: Any, high: Any) -> Any:
    """A scalar subquery: how many contacts carry both tags, `low` < `high` (values or bind
    parameters whose values the caller orders; NULL when none ever did)."""
    return select(TagCount.n).where(TagCount.tag_id == low, TagCount.other_id == high).scalar_subquery()

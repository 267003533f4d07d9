"""Query plans of the four lists pinned, first page and cursor page alike: each store function is
run for real, the statements it sends are captured and explained (helpers of `test_plans`).

SQLite (`EXPLAIN QUERY PLAN`): the page walks the index whose columns are the list's order (no
temporary sort), a cursor page seeks into it (a range on the first sort key), a text search is
driven by the FTS5 table, and no list scans its whole table. PostgreSQL (`EXPLAIN`): with
sequential scans and sorts priced out, which leaves a plan without a Sort only if an index
delivers the order, whatever the shared test database's statistics say; the index is named.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, text

from frontdesk.storage import conversations as convs
from frontdesk.storage import crm
from frontdesk.storage.db import Database
from frontdesk.storage.models import Lead
from tests.conftest import new_identity
from tests.storage.test_plans import captured, plans


async def demo_account(db: Database) -> str:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT current_account_id FROM users WHERE email = 'demo@frontdesk.local'")
        )
        return str(found.scalar())


def page_statements(seen: list[tuple[str, Any]], table: str) -> list[tuple[str, Any]]:
    """The page queries (ORDER BY ... LIMIT) over `table` among the captured statements."""
    return [(q, p) for q, p in seen if f"FROM {table}" in q and "ORDER BY" in q and "LIMIT" in q]


async def explain_pages(db: Database, seen: list[tuple[str, Any]], table: str, ordered: bool) -> list[str]:
    pages = page_statements(seen, table)
    assert len(pages) == 1, seen
    return [plan for _, plan in await plans(db, pages, *(("sort", "incremental_sort") if ordered else ()))]


def assert_index_order(db: Database, plan: str, index: str, seek: bool) -> None:
    """The page is read in `index` order (no sort, no table scan); `seek`: a range on the sort key."""
    if db.is_sqlite:
        assert "TEMP B-TREE" not in plan, plan
        line = next((ln for ln in plan.splitlines() if index in ln), "")
        assert line.startswith("SEARCH"), plan
        if seek:
            assert re.search(r"[<>]\?", line), plan
    else:
        assert "Sort" not in plan.replace("Sort Key", "") and "Seq Scan" not in plan, plan
        assert index in plan, plan
        if seek:
            assert re.search(r"Index Cond: .*[<>]", plan), plan


CONTACT_SORTS = [
    ("name", "asc", "ix_contacts_account_name"),
    ("name", "desc", "ix_contacts_account_name"),
    ("company", "asc", "ix_contacts_account_company"),
    ("created_at", "desc", "ix_contacts_account_created_id"),
]


@pytest.mark.parametrize(("sort", "order", "index"), CONTACT_SORTS)
@pytest.mark.parametrize("by_cursor", [False, True])
async def test_contact_pages_walk_their_sort_index(
    db: Database, sort: str, order: str, index: str, by_cursor: bool
) -> None:
    account_id = await demo_account(db)
    cursor = None
    async with db.session() as s:
        if by_cursor:
            cursor = (await crm.contacts_page(s, account_id, sort=sort, order=order, limit=5)).next_cursor
            assert cursor
        with captured(db) as seen:
            page = await crm.contacts_page(s, account_id, sort=sort, order=order, limit=5, cursor=cursor)
    assert len(page.items) == 5
    for plan in await explain_pages(db, seen, "contacts", ordered=True):
        assert_index_order(db, plan, index, seek=by_cursor)


@pytest.mark.parametrize(
    "filters",
    [{"tags": ["VIP"]}, {"tags": ["VIP", "customer"]}, {"search": "chen"}, {"company": "acme"}],
)
async def test_filtered_contact_cursor_pages_use_indexes(db: Database, filters: dict[str, Any]) -> None:
    account_id = await demo_account(db)
    async with db.session() as s:
        first = await crm.contacts_page(s, account_id, limit=1, **filters)
        assert first.next_cursor, first.total
        with captured(db) as seen:
            await crm.contacts_page(s, account_id, limit=1, cursor=first.next_cursor, **filters)
    for sql, plan in await plans(db, seen):
        if db.is_sqlite:
            assert not re.search(r"SCAN contacts\b(?!_fts)", plan), (sql, plan)
        else:
            assert "Seq Scan on contacts" not in plan, (sql, plan)


LEAD_ORDERS = [
    ({}, "ix_leads_account_recent"),
    ({"by_value": True}, "ix_leads_account_value_desc"),
    ({"by_value": True, "ascending": True}, "ix_leads_account_value"),
    ({"status": "new"}, "ix_leads_account_status_recent"),
    ({"source": "website"}, "ix_leads_account_source_recent"),
]


@pytest.mark.parametrize(("kwargs", "index"), LEAD_ORDERS)
@pytest.mark.parametrize("by_cursor", [False, True])
async def test_lead_pages_walk_their_sort_index_and_count_from_rollups(
    db: Database, kwargs: dict[str, Any], index: str, by_cursor: bool
) -> None:
    account_id = await demo_account(db)
    cursor = None
    async with db.session() as s:
        if by_cursor:
            cursor = (await crm.leads_page(s, account_id, limit=3, **kwargs))[0].next_cursor
            assert cursor
        with captured(db) as seen:
            page, _ = await crm.leads_page(s, account_id, limit=3, cursor=cursor, **kwargs)
    assert len(page.items) == 3
    counts = [q for q, _ in seen if "ORDER BY" not in q and ("count(" in q or "sum(" in q)]
    assert counts and all("record_rollups" in q and "FROM leads" not in q for q in counts), counts
    for plan in await explain_pages(db, seen, "leads", ordered=True):
        assert_index_order(db, plan, index, seek=by_cursor)


async def test_lead_search_is_driven_by_the_text_index(db: Database) -> None:
    account_id = await demo_account(db)
    async with db.session() as s:
        name = str(await s.scalar(text(f"SELECT name FROM leads WHERE account_id = '{account_id}' LIMIT 1")))
        needle = name.split()[-1]
        with captured(db) as seen:
            page, _ = await crm.leads_page(s, account_id, search=needle, limit=3)
            if not db.is_sqlite:  # the text predicate alone: only the trigram indexes can serve it
                await s.execute(select(Lead.id).where(crm.lead_text_filter("postgresql", needle)))
    assert page.total >= 1
    explained = await plans(db, seen)
    for sql, plan in explained:
        if db.is_sqlite:
            assert "leads_fts VIRTUAL TABLE" in plan and not re.search(r"SCAN leads\b(?!_fts)", plan), plan
        else:
            assert "Seq Scan on leads" not in plan, (sql, plan)
    if not db.is_sqlite:  # with sequential scans priced out, every OR branch needs its index
        plan = explained[-1][1]
        for index in ("ix_leads_name_trgm", "ix_leads_email_trgm", "ix_leads_company_trgm"):
            assert index in plan, plan


CONVERSATION_FILTERS = [
    (None, "ix_conversations_owner_keyset"),
    ("web", "ix_conversations_owner_channel_keyset"),
]


@pytest.mark.parametrize(("channel", "index"), CONVERSATION_FILTERS)
@pytest.mark.parametrize("by_cursor", [False, True])
async def test_conversation_pages_walk_the_owner_index(
    db: Database, channel: str | None, index: str, by_cursor: bool
) -> None:
    principal = (await new_identity(db, "Pager")).principal()
    async with db.session() as s:
        for _ in range(4):
            await convs.create_conversation(s, principal)
    cursor = None
    async with db.session() as s:
        if by_cursor:
            cursor = (await convs.conversations_page(s, principal, limit=2, channel=channel)).next_cursor
            assert cursor
        with captured(db) as seen:
            page = await convs.conversations_page(s, principal, limit=2, channel=channel, cursor=cursor)
    assert len(page.items) == 2 and page.total == 4
    for plan in await explain_pages(db, seen, "conversations", ordered=True):
        assert_index_order(db, plan, index, seek=by_cursor)

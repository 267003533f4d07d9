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
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from frontdesk.storage import conversations as convs
from frontdesk.storage import crm, crm_lists
from frontdesk.storage.db import Database
from frontdesk.storage.models import Contact, ContactTag, Lead, Tag
from frontdesk.storage.read_tx import run_reads
from frontdesk.storage.write_tx import Tx
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


# --- tag filters (frontdesk.storage.crm_lists): every plan equal to the naive query ------------

TAG_SETS = [["a"], ["A", "b"], ["b", "c"], ["a", "b", "c"], ["d"], ["c", "d"], ["a", "nosuch"]]
NAIVE_ORDER = {
    "name": ["lower(last_name)", "lower(first_name)", "id"],
    "company": ["lower(coalesce(company, ''))", "lower(last_name)", "id"],
    "created_at": ["created_at", "id"],
}


async def tagged_account(db: Database) -> str:
    """A new account with 60 contacts (shared last names, some without a company) tagged a (every
    2nd), b (every 3rd), c (every 5th) and d (two of them)."""
    account_id = (await new_identity(db, "Tagger")).account.id
    base = datetime(2026, 1, 1, tzinfo=UTC)
    links = []
    async with db.session() as s:
        tags = {n: Tag(id=f"tag:{uuid.uuid4()}", account_id=account_id, name=n) for n in "abcd"}
        s.add_all(tags.values())
        for i in range(60):
            contact_id = f"contact:{uuid.uuid4()}"
            s.add(
                Contact(
                    id=contact_id,
                    account_id=account_id,
                    first_name=f"First{i % 7}",
                    last_name=["Ng", "ng", "Olsen", "Park"][i % 4],
                    company=None if i % 6 == 0 else f"Co {i % 5}",
                    created_at=base + timedelta(hours=i // 2),  # pairs share a timestamp
                )
            )
            marks = {"a": i % 2 == 0, "b": i % 3 == 0, "c": i % 5 == 0, "d": i in (10, 30)}
            links += [ContactTag(contact_id=contact_id, tag_id=tags[n].id) for n, on in marks.items() if on]
        await s.flush()  # (the links' rows after the contacts and tags they point at)
        s.add_all(links)
        await s.commit()
    return account_id


async def naive(
    db: Database, account_id: str, tags: list[str], sort: str, order: str, like: str = ""
) -> list[str]:
    """The ids of the naive query: one EXISTS per tag, sorted by the list's keys."""
    params: dict[str, Any] = {"a": account_id, "like": f"%{like}%"}
    where = ""
    for i, name in enumerate(tags):
        params[f"t{i}"] = name.lower()
        where += (
            f" AND EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE "
            f"ct.contact_id = contacts.id AND t.account_id = :a AND lower(t.name) = :t{i})"
        )
    if like:
        where += " AND lower(first_name || ' ' || last_name) LIKE :like"
    direction = " DESC" if order == "desc" else ""
    keys = ", ".join(k + direction for k in NAIVE_ORDER[sort])
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(f"SELECT id FROM contacts WHERE account_id = :a{where} ORDER BY {keys}"), params
        )
        return list(rows.scalars())


async def walk_every_page(db: Database, account_id: str, **filters: Any) -> list[str]:
    got: list[str] = []
    cursor = None
    async with db.session() as s:
        while True:
            page = await crm.contacts_page(s, account_id, limit=4, cursor=cursor, **filters)
            got += [c.id for c in page.items]
            if not (cursor := page.next_cursor):
                return got


@pytest.mark.parametrize("plan", ["walk", "hash", "drive"])
@pytest.mark.parametrize("thresholds", ["default", "tiny"])
async def test_tag_filters_equal_the_naive_query_in_every_plan(
    db: Database, monkeypatch: pytest.MonkeyPatch, plan: str, thresholds: str
) -> None:
    """Every page plan (the walk probing each tag, the walk looking the rarest tag up in its
    hashed links, the matches driven), with a rare tag's probes and the ids in hand (default
    thresholds) or the merged ranges and no ids (tiny thresholds): totals exact, pages and
    cursors as the naive query."""
    account_id = await tagged_account(db)
    if thresholds == "tiny":
        monkeypatch.setattr(crm_lists, "TAG_PROBE_BELOW", 1)
        monkeypatch.setattr(crm_lists, "DRIVE_MAX", 1)
    chosen = crm_lists.tag_plan

    def forced(*args: Any) -> str:
        chosen(*args)  # still runs (and must not fail)
        return plan

    monkeypatch.setattr(crm_lists, "tag_plan", forced)
    for tags in TAG_SETS:
        for sort, order in (("name", "asc"), ("company", "desc"), ("created_at", "desc")):
            want = await naive(db, account_id, tags, sort, order)
            async with db.session() as s:
                for offset in (0, 7, len(want)):
                    page = await crm.contacts_page(
                        s, account_id, tags=tags, sort=sort, order=order, limit=5, offset=offset
                    )
                    assert page.total == len(want), (tags, sort)
                    assert [c.id for c in page.items] == want[offset : offset + 5], (tags, sort, offset)
            assert await walk_every_page(db, account_id, tags=tags, sort=sort, order=order) == want
        want = await naive(db, account_id, tags, "name", "asc", like="first3")
        page_ids = await walk_every_page(db, account_id, tags=tags, search="first3")
        assert page_ids == want, tags


async def test_tag_plan_walks_a_dense_shallow_page_and_drives_a_sparse_or_deep_one(db: Database) -> None:
    account_id = await tagged_account(db)
    dialect = db.engine.dialect.name

    def sizes(tx: Tx) -> tuple[Any, ...]:
        ids = crm_lists.tag_ids(tx, account_id, ["a", "b"])
        sized, everyone, carrying = crm_lists.rarest_first(tx, account_id, ids or [])
        f = crm_lists.Filters(dialect, None, sized, None, None, None)  # (not given: counted)
        return sized, everyone, carrying, f, crm_lists.tagged(tx, f.params(account_id), f)[0]

    sized, everyone, carrying, f, total = await run_reads(db, sizes)
    assert [n for _, n in sized] == [20, 30] and everyone == 60  # b (every 3rd) before a
    assert carrying == 10  # the pair's count, kept in tag_counts
    assert total == 10
    # PostgreSQL hashes the rarest tag's 20 links: the walk would probe 12 contacts (x 12 > 20)
    walk = "hash" if dialect == "postgresql" else "walk"
    assert crm_lists.tag_plan(f, total, None, 2, everyone) == walk  # 2 x 60 < (20 + 20) x 10
    assert crm_lists.tag_plan(f, total, None, 10, everyone) == "drive"  # deeper
    assert crm_lists.tag_plan(f, total, None, 4, everyone) == walk  # 4 x 60 < 400
    assert crm_lists.tag_plan(f, total, ["x"] * 10, 4, everyone) == "drive"  # ids in hand: 20 x 10
    rare = crm_lists.Filters(dialect, None, sized[:1], None, None, None)
    assert crm_lists.tag_plan(rare, 1, None, 2, everyone) == "drive"  # sparse


def test_postgresql_hashes_the_rarest_tag_when_the_walk_would_probe_more_than_its_share() -> None:
    """The bench store's sizes (200,000 contacts, VIP 15,371, customer 54,671, both 2,032): two
    tags' first page walks ~4,900 contacts (hash VIP's links), VIP's alone ~650 (probe), VIP's
    page at offset 500 ~7,200 (hash); SQLite always probes."""
    vip, customer = ("tag:v", 15_371), ("tag:c", 54_671)
    for dialect in ("postgresql", "sqlite"):
        both = crm_lists.Filters(dialect, None, [vip, customer], None, None, None, 2_032)
        alone = crm_lists.Filters(dialect, None, [vip], None, None, None, 15_371)
        hashed = "hash" if dialect == "postgresql" else "walk"
        assert crm_lists.tag_plan(both, 2_032, None, 51, 200_000) == hashed
        assert crm_lists.tag_plan(alone, 15_371, None, 51, 200_000) == "walk"
        assert crm_lists.tag_plan(alone, 15_371, None, 551, 200_000) == hashed
        assert crm_lists.tag_plan(both, 2_032, None, 1_051, 200_000) == "drive"  # deep: find and sort
        big = crm_lists.Filters(dialect, None, [("tag:n", 71_584)], None, None, None, 71_584)
        assert crm_lists.tag_plan(big, 71_584, None, 5_051, 200_000) == "walk"  # past HASH_MAX: probed


async def test_tag_counts_and_pages_read_the_tag_index(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three broad tags are counted by merging their `(tag_id, contact_id)` ranges (SQLite: an
    ordered INTERSECT; PostgreSQL: a merge join of index-only scans), a rare one by probing its
    links (one or two tags: the counts kept in `tag_counts`, see the test after this one); a
    walked page probes that index from the sort index, a driven one looks up the ids."""
    account_id = await tagged_account(db)
    monkeypatch.setattr(crm_lists, "TAG_PROBE_BELOW", 1)
    monkeypatch.setattr(crm_lists, "DRIVE_MAX", 1)
    async with db.session() as s:
        with captured(db) as seen:
            page = await crm.contacts_page(s, account_id, tags=["a", "b", "c"], limit=2)
        with captured(db) as walked:
            two = await crm.contacts_page(s, account_id, tags=["a", "b"], limit=2)
    assert page.total == 2 and two.total == 10  # contacts 0 and 30; every 6th
    counts = [p for q, p in await plans(db, seen, "sort") if "count(" in q and "contact_tags" in q]
    assert len(counts) == 1, counts
    assert not [q for q, _ in walked if "count(" in q]  # two tags: their pair's count, looked up
    if db.is_sqlite:
        assert "MERGE (INTERSECT)" in counts[0] and "ix_contact_tags_tag_contact" in counts[0], counts
        explained = await plans(db, walked)
        page_plan = next(p for q, p in explained if "ORDER BY" in q and "FROM contacts" in q)
        assert "SEARCH contacts USING INDEX ix_contacts_account_name" in page_plan, page_plan
        bound = r"\((tag_id=\? AND contact_id|contact_id=\? AND tag_id)=\?\)"
        probe = r"SEARCH contact_tags_\d USING COVERING INDEX \w+ " + bound
        assert len(re.findall(probe, page_plan)) == 2, page_plan  # each tag probed, both columns bound
        assert "TEMP B-TREE" not in page_plan, page_plan
    else:  # (a tiny table: nested loops are cheaper; priced out, the ranges still merge unsorted)
        statements = [(q, p) for q, p in seen if "count(" in q and "contact_tags" in q]
        (merged,) = [p for _, p in await plans(db, statements, "sort", "nestloop", "hashjoin")]
        assert "Merge Join" in merged and "Sort" not in merged, merged
        assert merged.count("Index Only Scan using ix_contact_tags_tag_contact") == 3, merged
    monkeypatch.undo()
    async with db.session() as s:
        with captured(db) as seen:
            page = await crm.contacts_page(s, account_id, tags=["d", "a"], limit=2)
    assert page.total == 2
    for sql, plan in await plans(db, seen):
        if ("contact_tags" in sql and "ORDER BY" not in sql and "LIMIT" not in sql) or "FROM contacts" in sql:
            if db.is_sqlite:
                assert not re.search(r"SCAN (contacts|contact_tags)\b", plan), (sql, plan)
            else:
                assert "Seq Scan on contact" not in plan, (sql, plan)


async def test_two_tags_walk_the_sort_index_without_reading_their_ids(db: Database) -> None:
    """Two tags whose pair count `tag_counts` keeps: the total is that count and a first page
    reads no ids; it walks the name index, on PostgreSQL with the rarest tag's links hashed once
    (a hashed SubPlan filter, not a probe per contact) and the other tag probed, with no sort."""
    account_id = await tagged_account(db)
    async with db.session() as s:
        with captured(db) as seen:
            page = await crm.contacts_page(s, account_id, tags=["a", "b"], limit=2)
    assert (
        page.total == 10
        and [c.id for c in page.items] == (await naive(db, account_id, ["a", "b"], "name", "asc"))[:2]
    )
    reads = [
        q for q, _ in seen if "contact_tags" in q and "tag_counts" not in q and "LEFT OUTER JOIN" not in q
    ]
    assert len(reads) == 1 and "ORDER BY" in reads[0], reads  # the page's query alone: no ids, no count
    (plan,) = await explain_pages(db, seen, "contacts", ordered=True)
    assert_index_order(db, plan, "ix_contacts_account_name", seek=False)
    if not db.is_sqlite:
        # (which index reads a's links and probes b is the tiny table's statistics' choice)
        assert "Filter: (hashed SubPlan 1)" in plan and plan.count(" on contact_tags") == 2, plan


SEARCHES = ["olsen", "first3", "co 2", "irst", "ng", "zzz"]


async def naive_search(db: Database, account_id: str, needle: str, sort: str, order: str) -> list[str]:
    """The ids of the naive text search: a LIKE over the name, email and company, sorted."""
    direction = " DESC" if order == "desc" else ""
    keys = ", ".join(k + direction for k in NAIVE_ORDER[sort])
    where = "lower(first_name || ' ' || last_name) LIKE :p OR lower(email) LIKE :p OR lower(company) LIKE :p"
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(f"SELECT id FROM contacts WHERE account_id = :a AND ({where}) ORDER BY {keys}"),
            {"a": account_id, "p": f"%{needle}%"},
        )
        return list(rows.scalars())


async def test_text_search_counts_and_pages_in_one_statement(db: Database) -> None:
    """A first page of a text search reads its matches once, counting them in the same statement
    (a window over the FTS5 / trigram matches), equal to the naive LIKE at any offset, past the
    end included (then counted apart); PostgreSQL sorts the matches instead of walking the sort
    index (the window would make it read every contact in that order)."""
    account_id = await tagged_account(db)
    for needle in SEARCHES:
        for sort, order in (("name", "asc"), ("company", "desc"), ("created_at", "desc")):
            want = await naive_search(db, account_id, needle, sort, order)
            async with db.session() as s:
                for offset in (0, 3, len(want), len(want) + 5):
                    with captured(db) as seen:
                        page = await crm.contacts_page(
                            s, account_id, search=needle, sort=sort, order=order, limit=4, offset=offset
                        )
                    assert page.total == len(want), (needle, sort, offset)
                    assert [c.id for c in page.items] == want[offset : offset + 4], (needle, sort, offset)
                    over = [q for q, _ in seen if "FROM contacts" in q and "LEFT OUTER JOIN" not in q]
                    assert "OVER ()" in over[0], over
                    assert len(over) == (2 if offset >= len(want) and offset else 1), (needle, offset, over)
            assert await walk_every_page(db, account_id, search=needle, sort=sort, order=order) == want
    if db.is_sqlite:
        return
    async with db.session() as s:
        with captured(db) as seen:
            await crm.contacts_page(s, account_id, search="olsen", limit=4)
    (plan,) = await explain_pages(db, seen, "contacts", ordered=False)
    # (which index finds a tiny account's matches is its statistics' choice; on the 200,000-contact
    # bench store it is the trigram indexes' BitmapOr, docs/benchmarks.md)
    assert "WindowAgg" in plan and "Seq Scan" not in plan, plan
    assert "ix_contacts_account_name" not in plan, plan  # the matches sorted, not the index walked


async def test_deep_offset_walks_the_name_index_alone_on_postgresql(db: Database) -> None:
    """PostgreSQL: 0023's INCLUDE columns make the offset walk an index-only scan (on a vacuumed
    table); SQLite skips the offset's entries without reading rows anyway."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's index-only scan")
    account_id = await demo_account(db)
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE contacts"))
    for sort, index in (("name", "ix_contacts_account_name"), ("company", "ix_contacts_account_company")):
        async with db.session() as s:
            with captured(db) as seen:
                await crm.contacts_page(s, account_id, sort=sort, limit=5, offset=20)
        (plan,) = await explain_pages(db, seen, "contacts", ordered=True)
        assert f"Index Only Scan using {index}" in plan, plan

"""Query plans pinned: each store function is run for real, the statements it sends are captured,
and each is explained (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL with sequential
scans priced out, since a test table is tiny) so a lost index is caught here.

- message search is driven by the full-text index (FTS5 / the GIN expression index);
- daily/hourly analytics and the dashboard never read `messages` (unfiltered series and the
  dashboard's message totals read `bucket_totals`);
- the session list reads counts from the row, in the owner index's order;
- every contact filter and sort goes through an index, without sorting the account's contacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from frontdesk.storage import analytics, crm
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.search import SearchScope, search_messages
from frontdesk.storage.search_query import parse_query
from tests.conftest import new_identity


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The (statement, parameters) pairs the engine sends while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def plans(db: Database, statements: list[tuple[str, Any]], *off: str) -> list[tuple[str, str]]:
    """(statement, its plan as one string) for each captured statement; on PostgreSQL with
    sequential scans (and the `off` plan types) priced out."""
    out = []
    async with db.engine.connect() as conn:
        for kind in () if db.is_sqlite else ("seqscan", *off):
            await conn.execute(text(f"SET enable_{kind} = off"))
        for statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
            rows = (await conn.exec_driver_sql(prefix + statement, parameters)).all()
            out.append((statement, "\n".join(str(r[-1]) for r in rows)))
        await conn.rollback()
    return out


@pytest.fixture
async def account(db: Database) -> Any:
    identity = await new_identity(db, "Planner")
    principal = identity.principal()
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal)
        await convs.add_messages(
            s, conv, [convs.NewMessage("user", "where is my order"), convs.NewMessage("assistant", "shipped")]
        )
    return principal


async def test_search_is_driven_by_the_full_text_index(db: Database, account: Any) -> None:
    # a word of this test only: a word other tests also write ("order") may be among a shared
    # database's most common words, and PostgreSQL then rightly prefers the account's index
    async with db.session() as s:
        conv = await convs.create_conversation(s, account)
        await convs.add_messages(s, conv, [convs.NewMessage("user", "a question about xylograph prints")])
    if not db.is_sqlite:  # a busy account (PostgreSQL plans by statistics): 5,000 other messages
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO messages (id, conversation_id, account_id, seq, role, content, channel, "
                    "tokens_in, tokens_out, created_at) "
                    "SELECT c.id || ':' || i, c.id, c.account_id, 100 + i, "
                    "'user', 'filler words number ' || i, 'web', 0, 0, now() FROM conversations c, "
                    "generate_series(1, 5000) i WHERE c.user_id = :u"
                ),
                {"u": account.user_id},
            )
            await conn.execute(text("SELECT gin_clean_pending_list('ix_messages_content_fts')"))
            await conn.execute(text("ANALYZE messages"))
    user = (
        account.user_id if db.is_sqlite else None
    )  # (one conversation of one user: PostgreSQL starts there)
    scope = SearchScope(account.account_id, user_id=user, role="user", channel="web",
                        created_from=datetime.now(UTC) - timedelta(days=1))  # fmt: skip
    with captured(db) as seen:
        async with db.session() as s:
            hits, total = await search_messages(s, parse_query("xylograph"), scope, limit=20, offset=0)
    assert total == 1 and len(hits) == 1
    # On PostgreSQL the join order is the planner's bet on statistics (a database shared by a whole
    # test run has few messages per conversation, so walking the conversation index looks cheap):
    # with nested loops priced out too, the only way to the rows the query shape leaves is the
    # full-text index, which is what is pinned here.
    [(sql, plan)] = [(q, p) for q, p in await plans(db, seen, "nestloop") if "score" in q]
    if db.is_sqlite:
        lines = [ln.strip() for ln in plan.splitlines() if ln.strip().startswith(("SCAN", "SEARCH"))]
        assert "SCAN f VIRTUAL TABLE" in lines[0], plan  # the FTS5 table first, newest rowids first
        assert "SEARCH m USING INTEGER PRIMARY KEY" in plan and "SEARCH c USING INDEX" in plan, plan
        assert "TEMP B-TREE" not in plan.split("SCAN w")[0] or "LIMIT" in sql
    else:
        # the GIN index on the stored column (0019_message_tsv), no per-row to_tsvector
        assert "ix_messages_content_fts" in plan and "to_tsvector" not in plan, plan


async def test_analytics_and_the_dashboard_read_rollups(db: Database, account: Any) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with captured(db) as seen:
        async with db.session() as s:
            for metric in ("messages_sent", "tokens_used", "contacts_created", "leads_created"):
                m = analytics.METRICS[metric]
                await analytics.series(
                    s,
                    m,
                    account.account_id,
                    today - timedelta(days=365),
                    today + timedelta(days=1),
                    "day",
                    {},
                )
                await analytics.breakdown(
                    s, m, account.account_id, today - timedelta(days=365), today + timedelta(days=1), {}
                )
            for metric in ("messages_sent", "tokens_used"):
                m = analytics.METRICS[metric]
                await analytics.series(
                    s,
                    m,
                    account.account_id,
                    hour - timedelta(hours=167),
                    hour + timedelta(hours=1),
                    "hour",
                    {},
                )
            await analytics.activity_counts(s, account.account_id, today.replace(day=1))
            await analytics.lead_sources(s, account.account_id)
            await crm.pipeline_by_status(s, account.account_id)
    assert seen
    # 4 unfiltered series and the dashboard's 2 message totals: a `bucket_totals` row per bucket (0022)
    assert sum("FROM bucket_totals" in sql for sql, _ in seen) == 6, [sql for sql, _ in seen]
    for sql, plan in await plans(db, seen):
        assert " messages" not in sql.replace("message_rollups", ""), sql
        assert "contacts" not in sql and "FROM leads" not in sql, sql
        if db.is_sqlite:
            assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), (sql, plan)  # index searches only
        else:
            assert "Seq Scan" not in plan, (sql, plan)


async def test_session_list_reads_counts_from_the_row(db: Database, account: Any) -> None:
    with captured(db) as seen:
        async with db.session() as s:
            rows, total = await convs.list_conversations(s, account, limit=20, offset=0)
    assert total == 1 and rows[0][1] == 2
    for sql, plan in await plans(db, seen):
        assert "messages" not in sql, sql
        if db.is_sqlite:
            assert "ix_conversations_owner" in plan and "SCAN conversations" not in plan, plan
        else:
            assert "Seq Scan" not in plan, plan


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"tags": ["VIP"]},
        {"tags": ["VIP", "customer"]},
        {"search": "chen"},
        {"company": "acme"},
        {"sort": "company", "order": "desc"},
        {"sort": "created_at"},
        {"offset": 100},
    ],
)
async def test_contact_lists_go_through_indexes(db: Database, kwargs: dict[str, Any]) -> None:
    demo = await db.engine.connect()
    account_id = (
        await demo.execute(text("SELECT current_account_id FROM users WHERE email = 'demo@frontdesk.local'"))
    ).scalar()
    await demo.close()
    with captured(db) as seen:
        async with db.session() as s:
            await crm.search_contacts(s, str(account_id), **kwargs)
    for sql, plan in await plans(db, seen):
        if db.is_sqlite:
            assert not re.search(r"SCAN contacts\b(?!_fts)", plan), (sql, plan)  # no walk over every contact
            driven = kwargs.get("tags") or kwargs.get("search") or kwargs.get("company")
            if driven and "FROM contacts" in sql:  # the tag / FTS5 rowid list drives
                assert re.search(
                    r"SEARCH contacts USING (INTEGER PRIMARY KEY|INDEX sqlite_autoindex)", plan
                ), plan
            if (
                "ORDER BY" in sql
                and "LIMIT" in sql
                and not kwargs.get("search")
                and not kwargs.get("company")
                and not kwargs.get("tags")
            ):
                assert "TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)
        else:
            assert "Seq Scan on contacts" not in plan, (sql, plan)

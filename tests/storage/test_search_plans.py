"""Message search at scale, pinned on real databases (SQLite FTS5, or PostgreSQL with
FRONTDESK_DATABASE_URL): the plans of every statement the search sends, the ranking window and
the capped total, and migration `0019_message_tsv` (the stored tsvector) down and up again.

Plans are read with `EXPLAIN QUERY PLAN` / `EXPLAIN` on the statements captured from a real
search (see tests/storage/test_plans.py): SQLite must start from the FTS5 table and never scan
`messages`; PostgreSQL must match on the stored `content_tsv` (its GIN index for a rare word)
and never compute `to_tsvector` per row.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import DateTime, bindparam, text, update

from frontdesk.storage import conversations as convs
from frontdesk.storage import search as store
from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from frontdesk.storage.models import Message
from frontdesk.storage.search import SearchScope, search_messages
from frontdesk.storage.search_query import parse_query
from frontdesk.types import Principal
from tests.conftest import new_identity
from tests.storage.test_plans import captured, plans

FTS = "ix_messages_content_fts"  # 0005_search's index name, on the stored column since 0019
FILLER = 3000  # messages of one conversation; "zcommon" in all, "zrare" in every 1000th


@pytest.fixture
async def owner(db: Database) -> Principal:
    return (await new_identity(db, "Planner")).principal()


async def fill(db: Database, principal: Principal) -> None:
    """A conversation of FILLER messages, written as one batch (statistics refreshed after)."""
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal)
        conv_id = conv.id
    start = datetime.now(UTC) - timedelta(days=1)
    rows = [
        {
            "id": f"{conv_id}:{i}",
            "conv": conv_id,
            "account": principal.account_id,
            "seq": i,
            "content": f"zcommon filler number {i}" + (" zrare" if i % 1000 == 0 else ""),
            "at": start + timedelta(seconds=i),
        }
        for i in range(FILLER)
    ]
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO messages (id, conversation_id, account_id, seq, role, content, channel, "
                "tokens_in, tokens_out, created_at) "
                "VALUES (:id, :conv, :account, :seq, 'user', :content, 'web', 0, 0, :at)"
            ).bindparams(bindparam("at", type_=DateTime(timezone=True))),
            rows,
        )
        if not db.is_sqlite:
            # rows inserted since the GIN index was built wait in its pending list, which the planner
            # prices as a scan of the whole list (autovacuum merges it, at a time of its choosing)
            await conn.execute(text("SELECT gin_clean_pending_list('ix_messages_content_fts')"))
        await conn.execute(text("ANALYZE messages" if not db.is_sqlite else "ANALYZE"))


async def run(db: Database, q: str, scope: SearchScope) -> tuple[int, list[tuple[str, str]]]:
    """(total, [(statement, plan)]) for the search statements of one real search."""
    with captured(db) as seen:
        async with db.session() as s:
            _, total = await search_messages(s, parse_query(q), scope, limit=20, offset=0)
    searched = [(sql, p) for sql, p in seen if "messages_fts" in sql or "content_tsv" in sql]
    return total, await plans(db, searched)


def sqlite_steps(plan: str) -> list[str]:
    return [ln.strip() for ln in plan.splitlines() if ln.strip().startswith(("SCAN", "SEARCH"))]


@pytest.mark.parametrize(("word", "expected"), [("zrare", FILLER // 1000), ("zcommon", FILLER)])
@pytest.mark.parametrize("own", [False, True])
async def test_every_search_statement_is_driven_by_the_index(
    db: Database, owner: Principal, word: str, expected: int, own: bool
) -> None:
    await fill(db, owner)
    scope = SearchScope(owner.account_id, user_id=owner.user_id if own else None)
    total, explained = await run(db, word, scope)
    assert total == expected
    # the window statement always; the capped count only after a full window (the common word)
    assert len(explained) == (2 if expected >= store.RANK_WINDOW else 1), explained
    for _sql, plan in explained:
        if db.is_sqlite:
            steps = sqlite_steps(plan)
            assert steps[0].startswith("SCAN f VIRTUAL TABLE"), plan  # FTS5 first, newest rowid first
            assert "SEARCH m USING INTEGER PRIMARY KEY" in plan, plan
            assert not any(s.startswith(("SCAN m", "SCAN messages", "SCAN c")) for s in steps), plan
            assert ("SEARCH c USING INDEX" in plan) is own, plan  # conversations only for "own"
            inner = plan.split("SCAN (")[0].split("SCAN w")[0]
            assert "TEMP B-TREE" not in inner, plan  # matches come newest first, unsorted
        else:
            assert "content_tsv @@" in plan and "to_tsvector" not in plan, plan
            assert "Limit" in plan, plan


async def test_postgres_finds_a_rare_word_through_the_gin_index_on_the_stored_column(
    db: Database, owner: Principal
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL plan")
    await fill(db, owner)
    with captured(db) as seen:
        async with db.session() as s:
            hits, total = await search_messages(
                s, parse_query("zrare"), SearchScope(owner.account_id), limit=20, offset=0
            )
    assert total == len(hits) == FILLER // 1000
    # plain index scans priced out too, so the plan does not depend on what other tests left in a
    # shared database's statistics: the bitmap must come from the GIN index on the stored column
    [(_sql, plan)] = [(q, p) for q, p in await plans(db, seen, "indexscan") if "score" in q]
    assert "Bitmap Index Scan on ix_messages_content_fts" in plan, plan
    assert re.search(r"Index Cond: \(content_tsv @@ ", plan) and "to_tsvector" not in plan, plan


async def words(db: Database, principal: Principal, texts: list[str]) -> list[str]:
    """Messages of `texts` in one conversation, one second apart (oldest first); their ids."""
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal)
        stored = await convs.add_messages(s, conv, [convs.NewMessage("user", t) for t in texts])
        start = datetime.now(UTC) - timedelta(hours=1)
        for i, m in enumerate(stored):
            await s.execute(
                update(Message).where(Message.id == m.id).values(created_at=start + timedelta(seconds=i))
            )
        await s.commit()
        return [m.id for m in stored]


async def page(
    db: Database, principal: Principal, q: str, limit: int, offset: int = 0
) -> tuple[list[str], int]:
    async with db.session() as s:
        hits, total = await search_messages(
            s, parse_query(q), SearchScope(principal.account_id), limit=limit, offset=offset
        )
    return [h.message.id for h in hits], total


async def test_ranking_window_and_capped_total(
    db: Database, owner: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "RANK_WINDOW", 5)
    monkeypatch.setattr(store, "TOTAL_CAP", 8)
    # twelve messages of six words, "zebra" 1-5 times: more often scores higher on both engines
    reps = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]
    ids = await words(db, owner, [" ".join(["zebra"] * k + ["pad"] * (6 - k)) for k in reps])
    # the newest five (7..11: 3, 4, 5, 1, 2 times) are ranked; #4 (5 times, older) is not
    assert await page(db, owner, "zebra", 3) == ([ids[9], ids[8], ids[7]], 8)  # 12 matches: "8+"
    # a deeper page ranks the newest offset + limit (six: #6 joins with 2 times, after #11)
    assert await page(db, owner, "zebra", 3, offset=3) == ([ids[11], ids[6], ids[10]], 8)
    assert await page(db, owner, "zebra", 3, offset=20) == ([], 8)  # past the end: the total still
    assert await page(db, owner, "zebra NOT pad", 3) == ([], 0)  # five times + one pad at most
    same = await words(db, owner, ["okapi"] * 7)  # 7 matches: the window is full, the count exact
    assert await page(db, owner, "okapi", 3) == ([same[6], same[5], same[4]], 7)  # ties: newest first
    assert await page(db, owner, "okapi", 10) == (same[::-1], 7)  # window 10: all, exact total
    assert await page(db, owner, "nothinghere", 3) == ([], 0)


async def schema(db: Database) -> dict[str, Any]:
    """What 0019 changes: the column (and how it is made), the messages indexes, the versions."""
    async with db.engine.connect() as conn:
        versions = set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        if db.is_sqlite:
            columns = {r[1]: None for r in (await conn.execute(text("PRAGMA table_info(messages)"))).all()}
            names = "SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('messages', 'messages_fts')"
        else:
            columns = dict(
                (
                    await conn.execute(
                        text(
                            "SELECT attname, attgenerated::text FROM pg_attribute WHERE attnum > 0 AND "
                            "attrelid = 'messages'::regclass AND NOT attisdropped"
                        )
                    )
                ).all()
            )
            names = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages'"
        indexes = dict((await conn.execute(text(names))).all())
    return {"columns": columns, "indexes": indexes, "versions": versions}


async def test_migration_0019_downgrades_and_upgrades(db: Database, owner: Principal) -> None:
    [before] = await words(db, owner, ["written before the downgrade wombat"])
    up = await schema(db)
    assert "0019_message_tsv" in up["versions"]
    await downgrade(db, "0019_message_tsv@-1")
    try:
        down = await schema(db)
        assert down["versions"] == up["versions"] - {"0019_message_tsv"}  # only this branch
        [during] = await words(db, owner, ["written while downgraded wombat"])
        if db.is_sqlite:
            assert down == up | {"versions": down["versions"]}  # nothing to undo on SQLite
        else:
            assert "content_tsv" not in down["columns"]
            assert "(to_tsvector('simple'::regconfig, content))" in down["indexes"][FTS]  # 0005's
            assert not any("content_tsv" in d for d in down["indexes"].values())
    finally:
        await upgrade(db)
    again = await schema(db)
    assert again == up
    if not db.is_sqlite:
        assert up["columns"]["content_tsv"] == "s"  # GENERATED ... STORED
        assert up["indexes"][FTS].endswith("USING gin (content_tsv)"), up  # the one full-text index
        assert not any("to_tsvector" in d for d in up["indexes"].values()), up
    # rows written before and during the downgrade are found (PostgreSQL computed the column)
    assert set((await page(db, owner, "wombat", 10))[0]) == {before, during}

"""Full-text search over the conversation store, scored, always scoped to one account.

SQLite: the `messages_fts` FTS5 table (migration `0005_search`), matched with the rendered query
and ranked by `bm25` (the score returned is `-bm25`: higher is better). PostgreSQL: the stored
column `messages.content_tsv` = `to_tsvector('simple', content)` (migration `0019_message_tsv`)
with its GIN index, matched with `@@ to_tsquery('simple', ...)` and ranked by `ts_rank_cd` on
the stored vector. Both tokenise on letters and digits and fold case, without stemming, so a
query means the same on either database.

At scale (issue 17, `bench/store_scale.py`): the index drives each query and the scope is checked
on the rows it yields (SQLite walks FTS5 rowids newest first; PostgreSQL takes the GIN matches,
or walks the account's messages newest first for a common word); only a window of the newest
matches is scored (`RANK_WINDOW`), the page is cut from it in SQL, and the total is counted up to
`TOTAL_CAP`. Chosen after measuring bm25 over every match of a word in a fifth of a million
messages (~0.5 s) against the window (milliseconds); see docs/benchmarks.md. The plans are pinned
in tests/storage/test_plans.py and tests/storage/test_search_plans.py.

If a migration ever rebuilds `messages` on SQLite (batch mode copies the table), it must recreate
the triggers of `0005_search` and call `rebuild_index`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.search_query import Node, to_fts5, to_tsquery


@dataclass(frozen=True, slots=True)
class SearchScope:
    """Whose messages a search may see: the whole account, or one user's conversations."""

    account_id: str
    user_id: str | None = None  # None: every conversation of the account
    role: str | None = None
    channel: str | None = None
    conversation_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class Hit:
    message: Message
    conversation_title: str | None
    user_id: str
    score: float


TOTAL_CAP = 10_000  # totals are exact up to here; above it `total` is TOTAL_CAP ("10,000+")
RANK_WINDOW = 1_000  # matches ranked per query: the newest this many in scope (all, if fewer)


def _scope_sql(scope: SearchScope) -> tuple[str, dict[str, Any]]:
    """The scope as SQL over `m` (messages) and, for a user's scope, `c` (conversations).

    A message carries its conversation's account (`add_messages` copies it), so the
    conversation is only joined when the scope is one user's conversations."""
    conds = ["m.account_id = :account_id"]
    params: dict[str, Any] = {"account_id": scope.account_id}
    if scope.user_id is not None:
        conds += ["c.account_id = :account_id", "c.user_id = :user_id"]
        params["user_id"] = scope.user_id
    for name, col in (
        ("role", "m.role"),
        ("channel", "m.channel"),
        ("conversation_id", "m.conversation_id"),
    ):
        if value := getattr(scope, name):
            conds.append(f"{col} = :{name}")
            params[name] = value
    for name, op in (("created_from", ">="), ("created_to", "<")):
        if (value := getattr(scope, name)) is not None:
            conds.append(f"m.created_at {op} :{name}")
            params[name] = value
    return " AND ".join(conds), params


def _typed(sql: str) -> TextClause:
    """`sql` with its time bounds bound as DateTime (stored the way the ORM stores them)."""
    stmt = text(sql)
    times = [
        bindparam(n, type_=DateTime(timezone=True)) for n in ("created_from", "created_to") if f":{n}" in sql
    ]
    return stmt.bindparams(*times) if times else stmt


@dataclass(frozen=True, slots=True)
class _Plan:
    """One dialect's statements: the newest matches with their score (`window`, newest first,
    cut with LIMIT by the caller) and the bare matches (`matches`, for the capped count); `id`
    orders ids by code point (the last tie-break of the ranking)."""

    window: str
    matches: str
    params: dict[str, Any]
    id: str = "id"


def _sqlite(query: Node, where: str, scope: SearchScope) -> _Plan:
    """FTS5 drives (CROSS JOIN fixes the order): it yields matching rowids newest first, each is
    joined to its message (and, for a user's scope, its conversation) by key and checked there.

    `bm25` is computed for the window's rows only, but FTS5 counts the documents holding each
    phrase once per statement (its IDF) by walking the phrase's whole doclist: that walk is the
    fixed part of a common word's cost (about 20 ms of CPU for a word in 400,000 messages)."""
    joins = "CROSS JOIN messages m ON m.rowid = f.rowid"
    if scope.user_id is not None:
        joins += " CROSS JOIN conversations c ON c.id = m.conversation_id"
    body = f"FROM messages_fts f {joins} WHERE messages_fts MATCH :fts_query AND {where}"
    return _Plan(
        f"SELECT m.id, m.created_at, -bm25(messages_fts) AS score {body} ORDER BY f.rowid DESC",
        f"SELECT 1 {body}",
        {"fts_query": to_fts5(query)},
    )


def _postgres(query: Node, where: str, scope: SearchScope) -> _Plan:
    """The same over the stored `content_tsv` column (migration `0019_message_tsv`): matched,
    ranked and counted without recomputing `to_tsvector` for any row. The planner picks the
    GIN index for a rarer word (then sorts its few matches) or walks `(account_id, created_at)`
    newest first for a common one (the window is full after a few thousand rows); it can only
    choose well with the word in hand, hence the custom plans `search_messages` asks for."""
    tsq = "to_tsquery('simple'::regconfig, :ts_query)"
    join = " JOIN conversations c ON c.id = m.conversation_id" if scope.user_id is not None else ""
    body = f"FROM messages m{join} WHERE m.content_tsv @@ {tsq} AND {where}"
    return _Plan(
        f"SELECT m.id, m.created_at, ts_rank_cd(m.content_tsv, {tsq}) AS score {body} "
        "ORDER BY m.created_at DESC, m.id DESC",
        # unordered: the count stops at the cap wherever the planner finds matches first (for a
        # word in 3% of the 1M store the GIN bitmap stops after 10,000 rows instead of sorting
        # all 29,000; ordering would win only for very common words, by ~20 ms)
        f"SELECT 1 {body}",
        {"ts_query": to_tsquery(query)},
        'id COLLATE "C"',
    )


# PostgreSQL, for the search's own transaction: plan every execution with its word (a generic
# plan of the cached prepared statement would use one shape for rare and common words alike),
# and no parallel workers (starting them costs more than a search of a few thousand rows).
_PG_SETTINGS = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)


async def search_messages(
    session: AsyncSession, query: Node, scope: SearchScope, *, limit: int, offset: int
) -> tuple[list[Hit], int]:
    """One page of matching messages, best first, and the number of matches in scope.

    The full-text index drives every query. Ranking: the newest `RANK_WINDOW` matches in scope
    (or `offset + limit`, if more) are scored and the page is cut from them in SQL, best first
    (ties: newer first, then id); a word with fewer matches is ranked over all of them. The
    same statement returns the window's size, so only a full window (or a page past its end) is
    followed by the count, exact up to `TOTAL_CAP` and `TOTAL_CAP` above it: a common word never
    counts a million rows. (Joining the page's messages into that statement too would save a
    round trip, but left SQLite free to scan `conversations` on a small store; not done.)"""
    dialect = session.get_bind().dialect.name
    where, params = _scope_sql(scope)
    if dialect == "sqlite":
        plan = _sqlite(query, where, scope)
    elif dialect == "postgresql":
        plan = _postgres(query, where, scope)
        await session.execute(text(_PG_SETTINGS))
    else:
        raise Invalid(f"Message search is not available on {dialect}")
    params |= plan.params
    window = max(RANK_WINDOW, offset + limit)
    # SQLite compares the stored times as text: every writer stores one ISO format (the ORM's).
    ranked = (
        await session.execute(
            _typed(
                "SELECT id, score, count(*) OVER () AS n "
                f"FROM ({plan.window} LIMIT {window}) w "
                f"ORDER BY score DESC, created_at DESC, {plan.id} LIMIT {limit} OFFSET {offset}"
            ),
            params,
        )
    ).all()
    total = int(ranked[0].n) if ranked else 0
    if total >= window or (not ranked and offset):  # a full window, or a page past its end
        capped = await session.scalar(
            _typed(f"SELECT count(*) FROM ({plan.matches} LIMIT {TOTAL_CAP}) x"), params
        )
        total = int(capped or 0)
    page = {r.id: round(float(r.score), 6) for r in ranked}
    if not page:
        return [], total
    rows = await session.execute(
        select(Message, Conversation.title, Conversation.user_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.id.in_(list(page)))
    )
    found = {m.id: Hit(m, title, user_id, page[m.id]) for m, title, user_id in rows.all()}
    return [found[i] for i in page if i in found], total


async def rebuild_index(session: AsyncSession) -> None:
    """Refill the SQLite FTS5 table from `messages` (PostgreSQL's stored column needs nothing)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"))
        await session.commit()

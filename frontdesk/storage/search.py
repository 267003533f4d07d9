"""Full-text search over the conversation store, scored, always scoped to one account.

SQLite: the `messages_fts` FTS5 table (migration `0005_search`), matched with the rendered query
and ranked by `bm25` (the score returned is `-bm25`: higher is better). PostgreSQL:
`to_tsvector('simple', content) @@ to_tsquery('simple', ...)` over the GIN index of the same
migration, ranked by `ts_rank_cd`. Both tokenise on letters and digits and fold case, without
stemming, so a query means the same on either database.

At scale (issue 17, `bench/store_scale.py`): the index drives each query and the scope is checked
on the rows it yields (SQLite walks FTS5 rowids newest first; PostgreSQL takes the GIN matches
newest first); only a window of the newest matches is scored (`RANK_WINDOW`) and the total is
counted up to `TOTAL_CAP`. Chosen after measuring bm25 over every match of a word in a fifth of a
million messages (~0.5 s) against the window (milliseconds); see docs/benchmarks.md.

If a migration ever rebuilds `messages` on SQLite (batch mode copies the table), it must recreate
the triggers of `0005_search` and call `rebuild_index`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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
    """The scope as SQL over `m` (messages) and `c` (conversations), with its parameters."""
    conds = ["m.account_id = :account_id", "c.account_id = :account_id"]
    params: dict[str, Any] = {"account_id": scope.account_id}
    if scope.user_id is not None:
        conds.append("c.user_id = :user_id")
        params["user_id"] = scope.user_id
    for name, column in (
        ("role", "m.role"),
        ("channel", "m.channel"),
        ("conversation_id", "m.conversation_id"),
    ):
        if value := getattr(scope, name):
            conds.append(f"{column} = :{name}")
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


def _sqlite(query: Node, where: str) -> tuple[str, str, dict[str, Any]]:
    """(matches newest first with their score, the same without score) for FTS5.

    The FTS5 table drives (CROSS JOIN fixes the order): it yields matching rowids newest first,
    each is joined to its message and conversation by primary key and the scope checked there."""
    body = (
        "FROM messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid "
        "CROSS JOIN conversations c ON c.id = m.conversation_id "
        f"WHERE messages_fts MATCH :fts_query AND {where} ORDER BY f.rowid DESC"
    )
    return (
        f"SELECT m.id, m.created_at, -bm25(messages_fts) AS score {body}",
        f"SELECT 1 {body}",
        {"fts_query": to_fts5(query)},
    )


def _postgres(query: Node, where: str) -> tuple[str, str, dict[str, Any]]:
    """The same for PostgreSQL: the GIN expression index finds the matches, newest first."""
    match = "to_tsvector('simple'::regconfig, m.content) @@ to_tsquery('simple'::regconfig, :ts_query)"
    body = (
        f"FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE {match} AND {where} "
        "ORDER BY m.created_at DESC, m.id DESC"
    )
    score = (
        "ts_rank_cd(to_tsvector('simple'::regconfig, m.content), to_tsquery('simple'::regconfig, :ts_query))"
    )
    return (
        f"SELECT m.id, m.created_at, {score} AS score {body}",
        f"SELECT 1 {body}",
        {"ts_query": to_tsquery(query)},
    )


async def search_messages(
    session: AsyncSession, query: Node, scope: SearchScope, *, limit: int, offset: int
) -> tuple[list[Hit], int]:
    """One page of matching messages, best first, and the number of matches in scope.

    The full-text index drives every query. Ranking: the newest `RANK_WINDOW` matches in scope
    (or `offset + limit`, if more) are scored and the page is cut from them, best first; a word
    with fewer matches is ranked over all of them. The total is exact up to `TOTAL_CAP` and
    `TOTAL_CAP` above it, so a common word never counts a million rows."""
    dialect = session.get_bind().dialect.name
    where, params = _scope_sql(scope)
    if dialect == "sqlite":
        scored, plain, extra = _sqlite(query, where)
    elif dialect == "postgresql":
        scored, plain, extra = _postgres(query, where)
    else:
        raise Invalid(f"Message search is not available on {dialect}")
    params |= extra
    window = max(RANK_WINDOW, offset + limit)
    ranked = (
        await session.execute(
            _typed(f"SELECT id, created_at, score FROM ({scored} LIMIT {window}) w"), params
        )
    ).all()
    total = len(ranked)
    if total >= window:
        capped = await session.scalar(_typed(f"SELECT count(*) FROM ({plain} LIMIT {TOTAL_CAP}) x"), params)
        total = int(capped or 0)
    ranked.sort(key=lambda r: (-float(r.score), -_epoch(r.created_at), r.id))
    page = {r.id: round(float(r.score), 6) for r in ranked[offset : offset + limit]}
    if not page:
        return [], total
    rows = await session.execute(
        select(Message, Conversation.title, Conversation.user_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.id.in_(list(page)))
    )
    found = {m.id: Hit(m, title, user_id, page[m.id]) for m, title, user_id in rows.all()}
    return [found[i] for i in page if i in found], total


def _epoch(value: datetime | str) -> float:
    """Seconds of a stored time (SQLite hands raw text back from a text() query)."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


async def rebuild_index(session: AsyncSession) -> None:
    """Refill the SQLite FTS5 table from `messages` (PostgreSQL's expression index needs nothing)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"))
        await session.commit()

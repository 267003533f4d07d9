"""Full-text search over the conversation store, scored, always scoped to one account.

SQLite: the `messages_fts` FTS5 table (migration `0005_search`), matched with the rendered query
and ranked by `bm25` (the score returned is `-bm25`: higher is better). PostgreSQL:
`to_tsvector('simple', content) @@ to_tsquery('simple', ...)` over the GIN index of the same
migration, ranked by `ts_rank_cd`. Both tokenise on letters and digits and fold case, without
stemming, so a query means the same on either database.

If a migration ever rebuilds `messages` on SQLite (batch mode copies the table), it must recreate
the triggers of `0005_search` and call `rebuild_index`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.search_query import Node, to_fts5, to_tsquery

_FTS = table("messages_fts", column("rowid"))
_SIMPLE = literal_column("'simple'::regconfig")


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


def _scoped(stmt: Select[Any], scope: SearchScope) -> Select[Any]:
    stmt = stmt.join(Conversation, Conversation.id == Message.conversation_id).where(
        Message.account_id == scope.account_id, Conversation.account_id == scope.account_id
    )
    if scope.user_id is not None:
        stmt = stmt.where(Conversation.user_id == scope.user_id)
    if scope.role:
        stmt = stmt.where(Message.role == scope.role)
    if scope.channel:
        stmt = stmt.where(Message.channel == scope.channel)
    if scope.conversation_id:
        stmt = stmt.where(Message.conversation_id == scope.conversation_id)
    if scope.created_from:
        stmt = stmt.where(Message.created_at >= scope.created_from)
    if scope.created_to:
        stmt = stmt.where(Message.created_at < scope.created_to)
    return stmt


def _sqlite(query: Node) -> tuple[Any, Any, Any]:
    """(join target + on clause, match condition, score) for FTS5."""
    on = _FTS.c.rowid == literal_column("messages.rowid")
    match = text("messages_fts MATCH :fts_query").bindparams(fts_query=to_fts5(query))
    return (_FTS, on), match, -func.bm25(literal_column("messages_fts"))


def _postgres(query: Node) -> tuple[Any, Any, Any]:
    vector = func.to_tsvector(_SIMPLE, Message.content)
    tsquery = func.to_tsquery(_SIMPLE, bindparam("ts_query", to_tsquery(query), type_=String))
    return None, vector.op("@@")(tsquery), func.ts_rank_cd(vector, tsquery)


async def search_messages(
    session: AsyncSession, query: Node, scope: SearchScope, *, limit: int, offset: int
) -> tuple[list[Hit], int]:
    """One page of matching messages, best first, and the number of matches in scope."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        join, match, score = _sqlite(query)
    elif dialect == "postgresql":
        join, match, score = _postgres(query)
    else:
        raise Invalid(f"Message search is not available on {dialect}")

    def base(*cols: Any) -> Select[Any]:
        stmt = select(*cols).select_from(Message)
        if join is not None:
            stmt = stmt.join(*join)
        return _scoped(stmt, scope).where(match)

    total = await session.scalar(base(func.count()))
    scored = score.label("score")
    rows = await session.execute(
        base(Message, Conversation.title, Conversation.user_id, scored)
        .order_by(scored.desc(), Message.created_at.desc(), Message.id)
        .limit(limit)
        .offset(offset)
    )
    hits = [Hit(m, title, user_id, round(float(s), 6)) for m, title, user_id, s in rows.all()]
    return hits, int(total or 0)


async def rebuild_index(session: AsyncSession) -> None:
    """Refill the SQLite FTS5 table from `messages` (PostgreSQL's expression index needs nothing)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"))
        await session.commit()

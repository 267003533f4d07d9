"""The two write transactions of a turn in SQLAlchemy Core statements: the user message with the
turn row (and the conversation it starts), then the answer with the end of the turn.

Why Core: these run on every turn, and the ORM's unit of work (identity map, flush ordering,
attribute history, per-statement cache-key work for ORM-enabled statements) cost more CPU than
the statements themselves. Here each statement is built once at import, runs on the session's
connection (the same transaction, the same `Database.write()` lock and `BEGIN IMMEDIATE`), and
hits SQLAlchemy's compiled cache. The rows come back as plain `Conversation` / `Message` objects
that no session holds (`models.transient`, without `__init__`'s attribute events): callers read
their fields, nothing writes through them.

What the ORM path did and this one keeps: a message takes the next sequence number of its
conversation (read in the same transaction: on SQLite under the write lock, on PostgreSQL after
locking the conversation row `FOR UPDATE`), the conversation's `updated_at` moves with every
message, its message count is kept by the database's triggers (migration 0014). None of these
tables is watched by `storage.read_cache`, so no cache needs the ORM's write events.

Each write is a synchronous function of a `write_tx.Tx` (`*_tx`), so a whole transaction can run
in one trip to SQLite's connection thread (`Database.run_write_tx`); the async functions of the
same names run them on an `AsyncSession`'s connection (its transaction, `run_sync`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from frontdesk.storage.checkpoint_models import ApprovalWait
from frontdesk.storage.conversations import NewMessage
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Conversation, Message, transient
from frontdesk.storage.turn_models import Turn
from frontdesk.storage.write_tx import Plan, SessionTx, Tx

_conv = Conversation.__table__
_msg = Message.__table__
_turn = Turn.__table__
_wait = ApprovalWait.__table__


def _last_seq(conversation_id: Any) -> Any:
    return select(func.max(_msg.c.seq)).where(_msg.c.conversation_id == conversation_id).scalar_subquery()


def _waiting(conversation_id: Any) -> Any:
    return select(_wait.c.thread_id).where(_wait.c.conversation_id == conversation_id).scalar_subquery()


_CONV_COLUMNS = (
    _conv.c.id,
    _conv.c.account_id,
    _conv.c.user_id,
    _conv.c.channel,
    _conv.c.title,
    _conv.c.department,
    _conv.c.created_at,
    _conv.c.updated_at,
)
_CONV_ID = bindparam("conv_id")  # not "id": an UPDATE's own parameters are named after its columns
_OWNED = (_conv.c.account_id == bindparam("owner_account"), _conv.c.user_id == bindparam("owner_user"))
# By the bound id, not correlated: SQLite renders a RETURNING clause's columns unqualified, and
# `id` inside `FROM messages` would be the message's own id.
_FACTS = (_last_seq(_CONV_ID).label("last_seq"), _waiting(_CONV_ID).label("waiting"))
# SQLite: the change, the row as it is after it, its last sequence number and its approval wait in
# one statement (the caller's write transaction already holds the database's write lock).
_UPDATE_SQLITE = update(_conv).where(_conv.c.id == _CONV_ID).returning(*_CONV_COLUMNS, *_FACTS)
_UPDATE_SQLITE_OWNED = _UPDATE_SQLITE.where(*_OWNED)
# PostgreSQL: the UPDATE locks the row; the number is read after it, by a statement of its own (a
# statement that waited for the lock still reads from the snapshot it started with).
_UPDATE_LOCKING = update(_conv).where(_conv.c.id == _CONV_ID).returning(*_CONV_COLUMNS)
_UPDATE_LOCKING_OWNED = _UPDATE_LOCKING.where(*_OWNED)
_FACTS_AFTER_LOCK = select(*_FACTS)
_INSERT_CONV = insert(_conv)
_INSERT_MSG = insert(_msg)
_INSERT_TURN = insert(_turn)
_UPDATE_CONV = update(_conv).where(_conv.c.id == _CONV_ID)  # no RETURNING
_UPDATE_TURN = update(_turn).where(_turn.c.id == bindparam("turn_id"))


T = TypeVar("T")
_PLANS: dict[tuple[int, tuple[str, ...]], Plan] = {}
_CONV_KEYS = ("id", "account_id", "user_id", "channel", "title", "department", "created_at", "updated_at")
_MSG_KEYS = (
    "id",
    "conversation_id",
    "account_id",
    "seq",
    "role",
    "content",
    "tool_calls",
    "tool_results",
    "agent_used",
    "tokens_in",
    "tokens_out",
    "channel",
    "external_id",
    "created_at",
)
_TURN_KEYS = (
    "id",
    "conversation_id",
    "account_id",
    "user_id",
    "channel",
    "status",
    "user_message_id",
    "runner",
    "created_at",
)
_FINISH_KEYS = ("status", "events", "reply_message_id", "error_code", "error_detail", "finished_at")


def _plan(stmt: ClauseElement, keys: tuple[str, ...] = ()) -> Plan:
    """The statement's plan for these columns (an UPDATE's SET), made once."""
    found = _PLANS.get((id(stmt), keys))
    if found is None:
        found = _PLANS[(id(stmt), keys)] = Plan(stmt, keys)
    return found


@dataclass(frozen=True, slots=True)
class Stored:
    """A conversation as read inside a write transaction: the row (after this transaction's
    change), the sequence number of its last message and the approval thread it waits on (None:
    no question pending)."""

    conversation: Conversation
    last_seq: int
    waiting: str | None


async def _on_session(session: AsyncSession, fn: Callable[[Tx], T]) -> T:
    return await session.run_sync(lambda s: fn(SessionTx(s.connection())))


def update_for_write_tx(
    tx: Tx, conversation_id: str, values: dict[str, Any], *, owner: tuple[str, str] | None = None
) -> Stored | None:
    """Set `values` (`updated_at`, and `department` / `title` as given) on the conversation and
    read it back for the rest of this write transaction: the row after the change, the sequence
    number of its last message and its approval wait. One statement on SQLite
    (`UPDATE ... RETURNING`); on PostgreSQL the UPDATE, which locks the row, then the number.
    `owner` (account id, user id): the row must be theirs. None when there is no such row (then
    nothing changed)."""
    keys = tuple(sorted(values))
    params = {"conv_id": conversation_id, **values}
    if owner is not None:
        params |= {"owner_account": owner[0], "owner_user": owner[1]}
    if tx.dialect_name == "sqlite":
        stmt = _UPDATE_SQLITE if owner is None else _UPDATE_SQLITE_OWNED
        rows = tx.execute(_plan(stmt, keys), params)
        if not rows:
            return None
        row = rows[0]
        return Stored(_conversation(row), int(row[8] or 0), row[9])
    stmt = _UPDATE_LOCKING if owner is None else _UPDATE_LOCKING_OWNED
    rows = tx.execute(_plan(stmt, keys), params)
    if not rows:
        return None
    [(last_seq, waiting)] = tx.execute(_plan(_FACTS_AFTER_LOCK), {"conv_id": conversation_id})
    return Stored(_conversation(rows[0]), int(last_seq or 0), waiting)


async def update_for_write(
    session: AsyncSession,
    conversation_id: str,
    values: dict[str, Any],
    *,
    owner: tuple[str, str] | None = None,
) -> Stored | None:
    """`update_for_write_tx` in the session's transaction."""
    return await _on_session(
        session, lambda tx: update_for_write_tx(tx, conversation_id, values, owner=owner)
    )


def _conversation(row: tuple[Any, ...]) -> Conversation:
    return transient(Conversation, dict(zip(_CONV_KEYS, row[:8], strict=True)))


def insert_conversation_tx(tx: Tx, conv: Conversation) -> None:
    """Store a new conversation (made by `conversations.new_conversation`)."""
    tx.execute(_plan(_INSERT_CONV, _CONV_KEYS), {k: getattr(conv, k) for k in _CONV_KEYS})


async def insert_conversation(session: AsyncSession, conv: Conversation) -> None:
    """`insert_conversation_tx` in the session's transaction."""
    await _on_session(session, lambda tx: insert_conversation_tx(tx, conv))


def touch_conversation_tx(tx: Tx, conversation_id: str, values: dict[str, Any]) -> None:
    """Set `values` (e.g. `updated_at`, `title`, `department`) on the conversation's row."""
    tx.execute(_plan(_UPDATE_CONV, tuple(sorted(values))), {"conv_id": conversation_id, **values})


async def touch_conversation(session: AsyncSession, conversation_id: str, values: dict[str, Any]) -> None:
    """`touch_conversation_tx` in the session's transaction."""
    await _on_session(session, lambda tx: touch_conversation_tx(tx, conversation_id, values))


def insert_messages_tx(
    tx: Tx, conv: Conversation, items: list[NewMessage], *, last_seq: int, now: datetime
) -> list[Message]:
    """Append `items` after sequence number `last_seq` (read in this transaction; 0 for a new
    conversation), one statement each; the stored messages."""
    rows = []
    plan = _plan(_INSERT_MSG, _MSG_KEYS)
    for seq, item in enumerate(items, start=last_seq + 1):
        row = {
            "id": new_id("msg"),
            "conversation_id": conv.id,
            "account_id": conv.account_id,
            "seq": seq,
            "role": item.role,
            "content": item.content,
            "tool_calls": item.tool_calls,
            "tool_results": item.tool_results,
            "agent_used": item.agent_used,
            "tokens_in": item.tokens_in,
            "tokens_out": item.tokens_out,
            "channel": item.channel,
            "external_id": item.external_id,
            "created_at": now,
        }
        tx.execute(plan, row)
        rows.append(row)
    return [transient(Message, row) for row in rows]


async def insert_messages(
    session: AsyncSession, conv: Conversation, items: list[NewMessage], *, last_seq: int, now: datetime
) -> list[Message]:
    """`insert_messages_tx` in the session's transaction."""
    return await _on_session(
        session, lambda tx: insert_messages_tx(tx, conv, items, last_seq=last_seq, now=now)
    )


def insert_turn_tx(tx: Tx, turn: Turn) -> None:
    """Store a new turn row (made by `turns.new_turn`)."""
    tx.execute(_plan(_INSERT_TURN, _TURN_KEYS), {k: getattr(turn, k) for k in _TURN_KEYS})


async def insert_turn(session: AsyncSession, turn: Turn) -> None:
    """`insert_turn_tx` in the session's transaction."""
    await _on_session(session, lambda tx: insert_turn_tx(tx, turn))


def finish_turn_tx(
    tx: Tx,
    turn_id: str,
    *,
    status: str,
    events: list[dict[str, Any]],
    reply_message_id: str | None = None,
    error: tuple[str, str] | None = None,
) -> None:
    """Record how the turn ended and the events it streamed (no commit)."""
    tx.execute(
        _plan(_UPDATE_TURN, _FINISH_KEYS),
        {
            "turn_id": turn_id,
            "status": status,
            "events": events,
            "reply_message_id": reply_message_id,
            "error_code": error[0] if error else None,
            "error_detail": error[1] if error else None,
            "finished_at": utcnow(),
        },
    )


async def finish_turn(
    session: AsyncSession,
    turn_id: str,
    *,
    status: str,
    events: list[dict[str, Any]],
    reply_message_id: str | None = None,
    error: tuple[str, str] | None = None,
) -> None:
    """`finish_turn_tx` in the session's transaction."""
    await _on_session(
        session,
        lambda tx: finish_turn_tx(
            tx, turn_id, status=status, events=events, reply_message_id=reply_message_id, error=error
        ),
    )

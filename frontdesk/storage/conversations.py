"""The one conversation store every door writes to. Every read is scoped to the principal:
another user's conversation is `NotFound`, never `Forbidden`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.paging import Page
from frontdesk.storage import keyset
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.turn_models import Turn
from frontdesk.types import Principal


@dataclass(slots=True)
class NewMessage:
    role: str
    content: str
    channel: str = "web"
    tool_calls: list[dict[str, Any]] | None = None
    tool_results: list[dict[str, Any]] | None = None
    agent_used: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def new_conversation(
    principal: Principal,
    *,
    title: str | None = None,
    channel: str | None = None,
    conversation_id: str | None = None,
) -> Conversation:
    """A conversation of `principal`, not added to any session (a turn stores it with its first
    message in one transaction)."""
    now = utcnow()
    return Conversation(
        id=conversation_id or new_id("conv"),
        account_id=principal.account_id,
        user_id=principal.user_id,
        channel=channel or principal.channel,
        title=title,
        created_at=now,
        updated_at=now,
    )


async def create_conversation(
    session: AsyncSession, principal: Principal, *, title: str | None = None, channel: str | None = None
) -> Conversation:
    conv = new_conversation(principal, title=title, channel=channel)
    session.add(conv)
    await session.commit()
    return conv


async def get_conversation(session: AsyncSession, principal: Principal, conversation_id: str) -> Conversation:
    conv = await session.get(Conversation, conversation_id)
    if conv is None or conv.account_id != principal.account_id or conv.user_id != principal.user_id:
        raise NotFound("Conversation not found")
    return conv


MAX_TITLE_CHARS = 200


async def rename_conversation(
    session: AsyncSession, principal: Principal, conversation_id: str, title: str
) -> Conversation:
    """Set the conversation's title (whitespace collapsed, 1-200 characters; no commit).
    `updated_at` stays: a rename does not move the conversation up the newest-first list."""
    cleaned = " ".join(title.split())
    if not cleaned:
        raise Invalid("A title needs at least one visible character")
    if len(cleaned) > MAX_TITLE_CHARS:
        raise Invalid(f"A title is at most {MAX_TITLE_CHARS} characters")
    conv = await get_conversation(session, principal, conversation_id)
    conv.title = cleaned
    return conv


async def list_conversations(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int, channel: str | None = None
) -> tuple[list[tuple[Conversation, int]], int]:
    """One page of the principal's conversations (with message counts) and how many there are."""
    page = await conversations_page(session, principal, limit=limit, offset=offset, channel=channel)
    return page.items, page.total


async def conversations_page(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    offset: int = 0,
    channel: str | None = None,
    cursor: str | None = None,
    scope: str = "conversations",
) -> Page[tuple[Conversation, int]]:
    """The principal's conversations, most recently active first (ties by id), with their message
    counts (kept on the row by triggers, migration 0014), how many there are, and the cursor of
    the next page (of this `scope`); `cursor` continues after such a cursor through the owner
    index `(account_id, user_id[, channel], updated_at DESC, id)` (migration 0020)."""
    owner = [Conversation.account_id == principal.account_id, Conversation.user_id == principal.user_id]
    if channel is not None:
        owner.append(Conversation.channel == channel)
    total = await session.scalar(select(func.count()).select_from(Conversation).where(*owner)) or 0
    updated = keyset.sortable(Conversation.updated_at, session.get_bind().dialect.name)
    keys = [(updated, True), (Conversation.id, False)]
    stmt = select(Conversation, literal_column("conversations.message_count"), *keyset.columns(keys))
    found = (await session.execute(keyset.page(stmt.where(*owner), keys, cursor, scope, limit, offset))).all()
    items = [(row[0], int(row[1])) for row in found[:limit]]
    return Page(items, int(total), keyset.next_cursor(found, keys, limit, scope))


async def delete_conversation(session: AsyncSession, principal: Principal, conversation_id: str) -> None:
    conv = await get_conversation(session, principal, conversation_id)
    await session.execute(delete(Message).where(Message.conversation_id == conv.id))
    await session.delete(conv)
    await session.commit()


async def clear_messages(session: AsyncSession, principal: Principal, conversation_id: str) -> None:
    conv = await get_conversation(session, principal, conversation_id)
    await session.execute(delete(Turn).where(Turn.conversation_id == conv.id))
    await session.execute(delete(Message).where(Message.conversation_id == conv.id))
    await session.commit()


async def add_messages(
    session: AsyncSession,
    conv: Conversation,
    items: list[NewMessage],
    *,
    commit: bool = True,
    last_seq: int | None = None,
) -> list[Message]:
    """Append messages with consecutive sequence numbers and bump the conversation's `updated_at`.

    Writers cannot collide: on PostgreSQL the conversation row is locked (`FOR UPDATE`) before the
    last sequence number is read, on SQLite the caller's `Database.write()` transaction holds the
    write lock (`BEGIN IMMEDIATE`). A caller that already holds it and knows the last number
    (`turn_writes.update_for_write`, or 0 for a conversation it is creating) passes `last_seq`. The
    unique (conversation_id, seq) constraint stays as the last guard;
    `Database.run_write(..., retry_conflicts=True)` retries it."""
    if last_seq is None:
        if session.get_bind().dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE holds the lock
            await session.execute(select(Conversation.id).where(Conversation.id == conv.id).with_for_update())
        last = await session.scalar(select(func.max(Message.seq)).where(Message.conversation_id == conv.id))
        last_seq = int(last or 0)
    seq = last_seq
    now = utcnow()
    stored: list[Message] = []
    for item in items:
        seq += 1
        msg = Message(
            id=new_id("msg"),
            conversation_id=conv.id,
            account_id=conv.account_id,
            seq=seq,
            role=item.role,
            content=item.content,
            tool_calls=item.tool_calls,
            tool_results=item.tool_results,
            agent_used=item.agent_used,
            tokens_in=item.tokens_in,
            tokens_out=item.tokens_out,
            channel=item.channel,
            external_id=item.external_id,
            created_at=now,
        )
        session.add(msg)
        stored.append(msg)
    conv.updated_at = now
    if commit:
        await session.commit()
    else:
        await session.flush()
    return stored


async def find_by_external_id(
    session: AsyncSession, conversation_id: str, external_id: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.conversation_id == conversation_id, Message.external_id == external_id)
    )


async def list_messages(
    session: AsyncSession, conversation_id: str, *, limit: int, offset: int
) -> tuple[list[Message], int]:
    total = await session.scalar(
        select(func.count()).select_from(Message).where(Message.conversation_id == conversation_id)
    )
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def recent_messages(session: AsyncSession, conversation_id: str, limit: int) -> list[Message]:
    """The last `limit` messages of a conversation, oldest first (the model's memory window)."""
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))

"""The turns repository: a new turn for its user message, read back scoped to its owner (another
user's turn is `NotFound`), orphans interrupted. Its rows are written on the turn path by
`storage.turn_writes` (Core statements: inserted with the user message, finished with the answer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Conversation, Message, transient
from frontdesk.storage.turn_models import Turn
from frontdesk.types import Principal

INTERRUPTED_DETAIL = "The server stopped while this turn was running; the message was saved."


def new_turn(conv: Conversation, user_message: Message, *, user_id: str, channel: str, runner: str) -> Turn:
    """A running turn's row, to be inserted with Core (`turn_writes.insert_turn_tx`)."""
    return transient(
        Turn,
        {
            "id": new_id("turn"),
            "conversation_id": conv.id,
            "account_id": conv.account_id,
            "user_id": user_id,
            "channel": channel,
            "status": "running",
            "user_message_id": user_message.id,
            "runner": runner,
            "created_at": utcnow(),
        },
    )


async def get_turn(session: AsyncSession, principal: Principal, turn_id: str) -> Turn:
    turn = await session.get(Turn, turn_id)
    if turn is None or turn.account_id != principal.account_id or turn.user_id != principal.user_id:
        raise NotFound("Turn not found")
    return turn


async def turn_for_external_id(session: AsyncSession, conversation_id: str, external_id: str) -> Turn | None:
    """The turn whose user message carried `external_id` (a platform's retry of the same message)."""
    return await session.scalar(
        select(Turn)
        .join(Message, Message.id == Turn.user_message_id)
        .where(Message.conversation_id == conversation_id, Message.external_id == external_id)
    )


async def interrupt_orphans(session: AsyncSession, *, runner: str, started_before: datetime | None) -> int:
    """Mark turns left `running` by a process that is gone as `interrupted` (no commit).

    `started_before=None` takes every running turn not owned by `runner` (one process owns the
    store, as with SQLite); otherwise only those older than the turn budget allows."""
    cond = [Turn.status == "running", Turn.runner != runner]
    if started_before is not None:
        cond.append(Turn.created_at < started_before)
    result = await session.execute(
        update(Turn)
        .where(*cond)
        .values(
            status="interrupted",
            error_code="interrupted",
            error_detail=INTERRUPTED_DETAIL,
            events=[{"type": "error", "detail": INTERRUPTED_DETAIL, "code": "interrupted"}],
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)

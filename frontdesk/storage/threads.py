"""Door threads -> stored conversations: every text from one phone number (or every message of one
Teams conversation) by one user in one account lands in the same conversation of that user.

If the user deletes that conversation (web history), the mapping goes with it (ON DELETE CASCADE)
and the next message starts a fresh conversation.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.channel_models import ChannelThread
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Conversation
from frontdesk.types import Principal


async def _find(s: AsyncSession, principal: Principal, channel: str, thread_key: str) -> str | None:
    return await s.scalar(
        select(ChannelThread.conversation_id).where(
            ChannelThread.channel == channel,
            ChannelThread.thread_key == thread_key,
            ChannelThread.account_id == principal.account_id,
            ChannelThread.user_id == principal.user_id,
        )
    )


async def conversation_for_thread(
    db: Database, principal: Principal, channel: str, thread_key: str, *, title: str | None = None
) -> str:
    """The id of the conversation this door thread maps to, created (with the mapping) on first use.
    Two first messages racing on one thread end up in the same conversation."""
    async with db.session() as s:
        found = await _find(s, principal, channel, thread_key)
    if found is not None:
        return found

    async def create(s: AsyncSession) -> str:
        existing = await _find(s, principal, channel, thread_key)
        if existing is not None:
            return existing
        now = utcnow()
        conv = Conversation(
            id=new_id("conv"),
            account_id=principal.account_id,
            user_id=principal.user_id,
            channel=channel,
            title=title,
            created_at=now,
            updated_at=now,
        )
        s.add(conv)
        await s.flush()
        s.add(
            ChannelThread(
                id=new_id("thread"),
                channel=channel,
                thread_key=thread_key,
                account_id=principal.account_id,
                user_id=principal.user_id,
                conversation_id=conv.id,
            )
        )
        await s.flush()
        return conv.id

    try:
        return await db.run_write(create)
    except IntegrityError:  # another process created the mapping first
        async with db.session() as s:
            found = await _find(s, principal, channel, thread_key)
        if found is None:
            raise
        return found

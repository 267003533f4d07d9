"""Renaming a conversation: its title, set by its owner. Scoped like every conversation read
(another user's conversation is `NotFound`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid
from frontdesk.storage.conversations import get_conversation
from frontdesk.storage.models import Conversation
from frontdesk.types import Principal

MAX_TITLE_CHARS = 200


async def rename_conversation(
    session: AsyncSession, principal: Principal, conversation_id: str, title: str
) -> Conversation:
    """Set the conversation's title (trimmed, 1-200 characters). `updated_at` stays: a rename does
    not move the conversation up the newest-first list."""
    cleaned = " ".join(title.split())
    if not cleaned:
        raise Invalid("A title needs at least one visible character")
    if len(cleaned) > MAX_TITLE_CHARS:
        raise Invalid(f"A title is at most {MAX_TITLE_CHARS} characters")
    conv = await get_conversation(session, principal, conversation_id)
    conv.title = cleaned
    await session.commit()
    return conv

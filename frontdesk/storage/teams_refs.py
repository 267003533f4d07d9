"""Teams conversation references: the service URL and personal conversation of a user's latest
1:1 chat with the bot, kept so the bot can write to them first (a scheduled `agent_task`'s reply).
Only personal chats are kept: a report meant for one person never lands in a group channel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.channel_models import TeamsReference
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.types import Principal


@dataclass(frozen=True, slots=True)
class Reference:
    service_url: str
    conversation_id: str
    bot_id: str
    bot_name: str | None


async def reference_for(session: AsyncSession, account_id: str, user_id: str) -> Reference | None:
    row = await session.scalar(
        select(TeamsReference).where(
            TeamsReference.account_id == account_id, TeamsReference.user_id == user_id
        )
    )
    if row is None:
        return None
    return Reference(row.service_url, row.conversation_id, row.bot_id, row.bot_name)


async def remember(db: Database, principal: Principal, ref: Reference) -> None:
    """Keep `ref` as the user's reference; a write only when it changed."""
    async with db.session() as s:
        if await reference_for(s, principal.account_id, principal.user_id) == ref:
            return

    async def run(s: AsyncSession) -> None:
        row = await s.scalar(
            select(TeamsReference).where(
                TeamsReference.account_id == principal.account_id, TeamsReference.user_id == principal.user_id
            )
        )
        if row is None:
            row = TeamsReference(
                id=new_id("teamsref"), account_id=principal.account_id, user_id=principal.user_id
            )
            s.add(row)
        row.service_url, row.conversation_id = ref.service_url, ref.conversation_id
        row.bot_id, row.bot_name, row.updated_at = ref.bot_id, ref.bot_name, utcnow()

    await db.run_write(run, retry_conflicts=True)

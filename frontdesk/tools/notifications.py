"""Notifications (CRM MVP `/api/notifications`): the user's list and mark-read, and `LeadNotifier`,
which listens to the event bus and tells the account's staff about qualified leads."""

from __future__ import annotations

import logging
from typing import Any

from frontdesk.storage import notifications as store
from frontdesk.storage.db import Database
from frontdesk.storage.events import Event, EventListener
from frontdesk.tools.base import ToolContext

log = logging.getLogger(__name__)
QUALIFIED_LEADS = "ai_insights"  # the `/accounts/preferences` key a qualified-lead notice honours


async def list_notifications(ctx: ToolContext, status: str, type_: str | None, limit: int) -> dict[str, Any]:
    async with ctx.db.session() as s:
        return await store.list_notifications(
            s, ctx.principal.account_id, ctx.principal.user_id, status=status, type_=type_, limit=limit
        )


async def mark_read(ctx: ToolContext, notification_id: str) -> dict[str, Any]:
    async def write(s: Any) -> dict[str, Any]:
        return await store.mark_read(s, ctx.principal.account_id, ctx.principal.user_id, notification_id)

    return await ctx.db.run_write(write)


class LeadNotifier(EventListener):
    """A `lead.updated` that moves a lead to `qualified` notifies the account's owners and admins
    who keep the `ai_insights` preference on."""

    name = "lead-notifier"

    def __init__(self, db: Database) -> None:
        super().__init__(db.events)
        self.db = db

    def wants(self, event: Event) -> bool:
        data = event.data
        return (
            event.type == "lead.updated"
            and data.get("status") == "qualified"
            and data.get("previousStatus") != "qualified"
        )

    async def handle(self, event: Event) -> None:
        await self.qualified(event)

    async def qualified(self, event: Event) -> None:
        name = event.data.get("name") or "A lead"

        async def write(s: Any) -> None:
            await store.notify(
                s,
                account_id=event.account_id,
                user_ids=await store.staff(s, event.account_id),
                type_="lead",
                title="New qualified lead",
                message=f"{name} has been qualified and is ready for follow-up",
                data={"leadId": event.data.get("id"), "leadName": name},
                preference=QUALIFIED_LEADS,
            )

        await self.db.run_write(write)

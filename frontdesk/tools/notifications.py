"""Notifications (CRM MVP `/api/notifications`): the user's list and mark-read, and `LeadNotifier`,
which listens to the event bus and tells the account's staff about qualified leads."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from frontdesk.storage import notifications as store
from frontdesk.storage.db import Database
from frontdesk.storage.events import Event
from frontdesk.tools.base import ToolContext

log = logging.getLogger(__name__)


async def list_notifications(ctx: ToolContext, status: str, type_: str | None, limit: int) -> dict[str, Any]:
    async with ctx.db.session() as s:
        return await store.list_notifications(
            s, ctx.principal.account_id, ctx.principal.user_id, status=status, type_=type_, limit=limit
        )


async def mark_read(ctx: ToolContext, notification_id: str) -> dict[str, Any]:
    async def write(s: Any) -> dict[str, Any]:
        return await store.mark_read(s, ctx.principal.account_id, ctx.principal.user_id, notification_id)

    return await ctx.db.run_write(write)


class LeadNotifier:
    """A `lead.updated` that moves a lead to `qualified` notifies the account's owners and admins."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            ready = asyncio.Event()
            self._task = asyncio.create_task(self._listen(ready), name="lead-notifier")
            await ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _listen(self, ready: asyncio.Event) -> None:
        with self.db.events.subscribe(None) as events:
            ready.set()
            while True:
                event = await events.get()
                if event.type == "lead.updated" and event.data.get("status") == "qualified":
                    if event.data.get("previousStatus") != "qualified":
                        try:
                            await self.qualified(event)
                        except Exception:
                            log.exception("could not notify about a qualified lead")

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
            )

        await self.db.run_write(write)

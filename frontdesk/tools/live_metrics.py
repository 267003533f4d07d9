"""`metrics.update` on `/ws`: every `metrics_update_seconds`, each account with a live socket in this
process gets a small snapshot of today's counts (UTC): leads, contacts and messages created. Only
accounts someone listens to are counted, so an idle server does no work."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import func, select

from frontdesk.storage.db import Database
from frontdesk.storage.events import Event
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Contact, Lead, Message

log = logging.getLogger(__name__)
COUNTED = {"leadsToday": Lead, "contactsToday": Contact, "messagesToday": Message}


async def snapshot(db: Database, account_id: str) -> dict[str, Any]:
    """Today's counts of the account (since UTC midnight)."""
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)

    def today(model: Any) -> Any:
        return select(func.count()).where(model.account_id == account_id, model.created_at >= since)

    async with db.session() as s:
        counts = {name: await s.scalar(today(model)) or 0 for name, model in COUNTED.items()}
    return counts | {"since": since.isoformat().replace("+00:00", "Z")}


class MetricsTicker:
    """Publishes `metrics.update` for the bus's listened-to accounts every `every` seconds."""

    def __init__(self, db: Database, every: float) -> None:
        self.db, self.every = db, every
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None and self.every > 0:
            self._task = asyncio.create_task(self._run(), name="metrics-ticker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def tick(self) -> None:
        for account_id in self.db.events.accounts():
            data = await snapshot(self.db, account_id)
            self.db.events.publish(Event(account_id, "metrics.update", data))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.tick()
            except Exception:  # a store hiccup skips one snapshot; the next tick tries again
                log.exception("a metrics.update snapshot failed")

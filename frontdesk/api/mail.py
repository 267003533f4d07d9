"""Outbox delivery at the door: an email queued by a request is sent after the answer went out."""

from __future__ import annotations

from fastapi import BackgroundTasks

from frontdesk.api.services import Services
from frontdesk.storage import outbox


def send_later(tasks: BackgroundTasks, services: Services, email_id: str | None) -> None:
    """Deliver a queued email over SMTP after the answer went out (nothing to do without SMTP)."""
    if email_id is not None and services.settings.smtp_url:
        tasks.add_task(
            outbox.deliver, services.db, services.settings.smtp_url, email_id, services.settings.email_from
        )

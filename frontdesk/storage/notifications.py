"""Notifications of a user (CRM MVP `/api/notifications`): the `notifications` table, plus the
records `notify` helpers and the SMS lead inbox leave in `helper_notifications`, read as one list.

`notify` checks the user's preferences (`/accounts/preferences`, `account_settings.get_preferences`)
when the notification belongs to a preference. Every kind the server produces has one:

    a failed scheduled run or helper execution  execution_failures
    a completed scheduled run (its result)       ai_insights
    a lead moved to qualified                    ai_insights
    an inbound platform event (Mezzofy ticket,   connection_issues
      churn)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage.account_settings import get_preferences
from frontdesk.storage.events import publish
from frontdesk.storage.helper_models import Execution, Helper, HelperNotification
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.job_models import Notification
from frontdesk.storage.models import Membership

STAFF_ROLES = ("Owner", "Admin")


async def notify(
    session: AsyncSession,
    *,
    account_id: str,
    user_ids: Iterable[str],
    type_: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
    preference: str | None = None,
) -> list[str]:
    """Add a notification for each user who has not turned `preference` off (the caller commits).
    Returns the notification ids."""
    ids = []
    for user_id in dict.fromkeys(user_ids):
        if preference is not None and not (await get_preferences(session, user_id)).get(preference, True):
            continue
        note = Notification(
            id=new_id("notif"),
            account_id=account_id,
            user_id=user_id,
            type=type_,
            title=title[:200],
            message=message,
            data=data or {},
        )
        session.add(note)
        ids.append(note.id)
        publish(session, account_id, "notification.created", {"id": note.id, "type": type_, "title": title})
    return ids


async def execution_failed(session: AsyncSession, execution_id: str, error: str) -> None:
    """Tell the user who queued a helper execution that it failed (`execution_failures`)."""
    execution = await session.get(Execution, execution_id)
    if execution is None or execution.user_id is None:
        return
    helper = await session.get(Helper, execution.helper_id) if execution.helper_id else None
    await notify(
        session,
        account_id=execution.account_id,
        user_ids=[execution.user_id],
        type_="system",
        title=f"Helper {helper.name if helper else execution.helper_id!r} failed",
        message=error[:2000],
        data={"executionId": execution.id, "helperId": execution.helper_id},
        preference="execution_failures",
    )


async def staff(session: AsyncSession, account_id: str) -> list[str]:
    """The account's owners and admins."""
    rows = await session.scalars(
        select(Membership.user_id).where(
            Membership.account_id == account_id, Membership.role.in_(STAFF_ROLES)
        )
    )
    return list(rows)


def _public(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "type": note.type,
        "title": note.title,
        "message": note.message,
        "data": note.data or {},
        "status": "read" if note.read_at else "unread",
        "created_at": iso(note.created_at),
    }


def _helper_public(note: HelperNotification) -> dict[str, Any]:
    data = {"helperId": note.helper_id, "executionId": note.execution_id, "contactId": note.contact_id}
    return {
        "id": note.id,
        "type": "system" if note.helper_id else "message",
        "title": note.title,
        "message": note.message,
        "data": {k: v for k, v in data.items() if v} | {"level": note.level},
        "status": "read" if note.read_at else "unread",
        "created_at": iso(note.created_at),
    }


async def list_notifications(
    session: AsyncSession, account_id: str, user_id: str, *, status: str, type_: str | None, limit: int
) -> dict[str, Any]:
    """Newest first, both tables; `status` unread / read / all, `type_` lead / message / system."""

    def scoped(model: Any) -> Any:
        q = select(model).where(model.account_id == account_id, model.user_id == user_id)
        if status == "unread":
            q = q.where(model.read_at.is_(None))
        elif status == "read":
            q = q.where(model.read_at.is_not(None))
        return q

    q = scoped(Notification)
    if type_ is not None:
        q = q.where(Notification.type == type_)
    found = [
        _public(n) for n in await session.scalars(q.order_by(Notification.created_at.desc()).limit(limit))
    ]
    if type_ in (None, "system", "message"):
        hq = scoped(HelperNotification)
        if type_ == "system":
            hq = hq.where(HelperNotification.helper_id.is_not(None))
        elif type_ == "message":
            hq = hq.where(HelperNotification.helper_id.is_(None))
        hq = hq.order_by(HelperNotification.created_at.desc()).limit(limit)
        found += [_helper_public(n) for n in await session.scalars(hq)]
    found.sort(key=lambda n: n["created_at"] or "", reverse=True)
    return {"notifications": found[:limit]}


async def mark_read(
    session: AsyncSession, account_id: str, user_id: str, notification_id: str
) -> dict[str, Any]:
    """Mark one of the user's notifications read (either table); another user's -> NotFound."""
    for model, shape in ((Notification, _public), (HelperNotification, _helper_public)):
        note = await session.get(model, notification_id)
        if note is not None and note.account_id == account_id and note.user_id == user_id:
            if note.read_at is None:
                note.read_at = utcnow()
            return shape(note)  # type: ignore[arg-type]
    raise NotFound("Notification not found")

"""The lead inbox: texts from numbers nobody linked, for an account that turned its inbox on for the
Twilio number they were sent to. Each becomes a message of the lead's conversation (a lead found by
phone, or created with source `sms`), a recorded `message.received` event, and a notification for
the account's Owners and Admins. Staff read and answer them through the CRM MVP messages API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict
from frontdesk.storage.channel_models import ChannelEvent, LeadMessage, LeadThread, SmsInbox
from frontdesk.storage.db import Database
from frontdesk.storage.events import Event, lead_event_data
from frontdesk.storage.helper_models import HelperNotification
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Lead, Membership

STAFF_ROLES = ("Owner", "Admin")


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    thread: LeadThread
    lead: Lead
    last: LeadMessage | None
    unread: int


async def inbox_account(s: AsyncSession, number: str) -> str | None:
    """The account whose lead inbox is on for the Twilio number `number`, if any."""
    row = await s.get(SmsInbox, number)
    return row.account_id if row is not None and row.enabled else None


async def set_inbox(db: Database, account_id: str, number: str, enabled: bool) -> SmsInbox:
    """Turn the account's lead inbox on or off for `number`. A number is one account's: another
    account's inbox on it -> `Conflict`."""

    async def write(s: AsyncSession) -> SmsInbox:
        row = await s.get(SmsInbox, number)
        if row is not None and row.account_id != account_id:
            raise Conflict("Another account's lead inbox uses this number")
        if row is None:
            row = SmsInbox(number=number, account_id=account_id, enabled=enabled)
            s.add(row)
        row.enabled = enabled
        row.updated_at = utcnow()
        await s.flush()
        return row

    try:
        return await db.run_write(write)
    except IntegrityError as e:
        raise Conflict("Another account's lead inbox uses this number") from e


async def inboxes(s: AsyncSession, account_id: str) -> list[SmsInbox]:
    return list(await s.scalars(select(SmsInbox).where(SmsInbox.account_id == account_id)))


async def _thread_for(s: AsyncSession, lead: Lead, channel: str) -> LeadThread:
    thread = await s.scalar(select(LeadThread).where(LeadThread.lead_id == lead.id))
    if thread is None:
        now = utcnow()
        thread = LeadThread(
            id=new_id("leadconv"),
            account_id=lead.account_id,
            lead_id=lead.id,
            channel=channel,
            created_at=now,
            updated_at=now,
        )
        s.add(thread)
        await s.flush()
    return thread


async def _notify_staff(s: AsyncSession, account_id: str, title: str, message: str) -> None:
    staff = await s.scalars(
        select(Membership.user_id).where(
            Membership.account_id == account_id, Membership.role.in_(STAFF_ROLES)
        )
    )
    for user_id in staff:
        s.add(
            HelperNotification(
                id=new_id("notif"), account_id=account_id, user_id=user_id, title=title, message=message
            )
        )


def event_data(msg: LeadMessage) -> dict[str, str]:
    """The seed's `message.received` data."""
    return {"id": msg.id, "leadId": msg.lead_id, "content": msg.content, "sender": msg.sender}


async def record_inbound(
    db: Database, account_id: str, phone: str, text: str, external_id: str | None
) -> LeadMessage | None:
    """Store a lead's inbound text, record `message.received` and notify staff. The lead is the
    account's lead with this phone (newest), or a new one (`source` sms). A repeated `external_id`
    (a Twilio retry) stores nothing and returns None."""

    created: dict[str, Any] = {}

    async def write(s: AsyncSession) -> LeadMessage | None:
        created.clear()
        lead = await s.scalar(
            select(Lead)
            .where(Lead.account_id == account_id, Lead.phone == phone)
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        if lead is None:
            lead = Lead(id=new_id("lead"), account_id=account_id, name=phone, phone=phone, source="sms")
            s.add(lead)
            await s.flush()
            created.update(lead_event_data(lead))
        thread = await _thread_for(s, lead, "sms")
        if external_id is not None:
            seen = await s.scalar(
                select(LeadMessage.id).where(
                    LeadMessage.thread_id == thread.id, LeadMessage.external_id == external_id
                )
            )
            if seen is not None:
                return None
        now = utcnow()
        msg = LeadMessage(
            id=new_id("msg"),
            thread_id=thread.id,
            account_id=account_id,
            lead_id=lead.id,
            sender="lead",
            content=text,
            channel="sms",
            status="received",
            external_id=external_id,
            created_at=now,
        )
        s.add(msg)
        thread.updated_at = now
        s.add(
            ChannelEvent(
                id=new_id("event"), account_id=account_id, type="message.received", data=event_data(msg)
            )
        )
        what = "New lead" if created else "New message"
        await _notify_staff(s, account_id, f"{what} by SMS from {lead.name}", text[:500])
        await s.flush()
        return msg

    msg = await db.run_write(write, retry_conflicts=True)
    if msg is not None:  # committed: the live bus hears it too (`/ws`, outbound webhooks)
        if created:
            db.events.publish(Event(account_id, "lead.created", dict(created)))
        db.events.publish(Event(account_id, "message.received", event_data(msg)))
    return msg


async def add_outbound(db: Database, lead: Lead, text: str, sender: str, status: str) -> LeadMessage:
    """Store a message staff wrote to (or logged for) a lead."""

    async def write(s: AsyncSession) -> LeadMessage:
        thread = await _thread_for(s, lead, "sms")
        now = utcnow()
        msg = LeadMessage(
            id=new_id("msg"),
            thread_id=thread.id,
            account_id=lead.account_id,
            lead_id=lead.id,
            sender=sender,
            content=text,
            channel="sms",
            status=status,
            created_at=now,
            read_at=now,
        )
        s.add(msg)
        thread.updated_at = now
        await s.flush()
        return msg

    return await db.run_write(write, retry_conflicts=True)


async def set_status(db: Database, message_id: str, status: str) -> None:
    async def write(s: AsyncSession) -> None:
        await s.execute(update(LeadMessage).where(LeadMessage.id == message_id).values(status=status))

    await db.run_write(write)


async def list_threads(
    s: AsyncSession, account_id: str, *, limit: int, offset: int
) -> tuple[list[ThreadSummary], int]:
    total = await s.scalar(
        select(func.count()).select_from(LeadThread).where(LeadThread.account_id == account_id)
    )
    rows = (
        await s.execute(
            select(LeadThread, Lead)
            .join(Lead, Lead.id == LeadThread.lead_id)
            .where(LeadThread.account_id == account_id)
            .order_by(LeadThread.updated_at.desc(), LeadThread.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    summaries = []
    for thread, lead in rows:
        last = await s.scalar(
            select(LeadMessage)
            .where(LeadMessage.thread_id == thread.id)
            .order_by(LeadMessage.created_at.desc(), LeadMessage.id.desc())
            .limit(1)
        )
        unread = await s.scalar(
            select(func.count())
            .select_from(LeadMessage)
            .where(LeadMessage.thread_id == thread.id, LeadMessage.read_at.is_(None))
        )
        summaries.append(ThreadSummary(thread, lead, last, int(unread or 0)))
    return summaries, int(total or 0)


async def messages_for_lead(
    db: Database, lead: Lead, *, limit: int, offset: int
) -> tuple[list[LeadMessage], int]:
    """The lead's messages, oldest first; reading them marks the lead's messages read."""
    async with db.session() as s:
        where = (LeadMessage.lead_id == lead.id, LeadMessage.account_id == lead.account_id)
        total = await s.scalar(select(func.count()).select_from(LeadMessage).where(*where))
        rows = list(
            await s.scalars(
                select(LeadMessage)
                .where(*where)
                .order_by(LeadMessage.created_at, LeadMessage.id)
                .limit(limit)
                .offset(offset)
            )
        )
    if any(m.read_at is None for m in rows):

        async def mark(s: AsyncSession) -> None:
            ids = [m.id for m in rows if m.read_at is None]
            await s.execute(update(LeadMessage).where(LeadMessage.id.in_(ids)).values(read_at=utcnow()))

        await db.run_write(mark)
    return rows, int(total or 0)

"""What Mezzofy's webhook events do (`inbound.InboundProcessor` calls them in a job):
`customer_signed_up` creates or updates a contact and a lead (matched by email),
`support_ticket_created` / `customer_churned` tag the contact and notify the account's staff,
`order_completed` adds the order's amount to the lead's value. Writes go through
`storage/crm_write`, so they publish `contact.created`, `lead.created`, `lead.updated`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid
from frontdesk.storage import crm_write
from frontdesk.storage.db import Database
from frontdesk.storage.models import Contact, Lead
from frontdesk.storage.notifications import notify, staff

EventFn = Callable[[Database, str, dict[str, Any]], Awaitable[dict[str, Any]]]


def _email(data: dict[str, Any]) -> str:
    email = str(data.get("email") or "").strip().lower()
    if not email or "@" not in email or len(email) > 320:
        raise Invalid("data.email is required")
    return email


async def _contact_by_email(s: AsyncSession, account_id: str, email: str) -> Contact | None:
    return await s.scalar(
        select(Contact).where(Contact.account_id == account_id, func.lower(Contact.email) == email).limit(1)
    )


async def _lead_by_email(s: AsyncSession, account_id: str, email: str) -> Lead | None:
    return await s.scalar(
        select(Lead)
        .where(Lead.account_id == account_id, func.lower(Lead.email) == email)
        .order_by(Lead.created_at.desc())
        .limit(1)
    )


async def signed_up(db: Database, account_id: str, data: dict[str, Any]) -> dict[str, Any]:
    email = _email(data)
    name = str(data.get("name") or email.split("@")[0])[:200]
    first, _, last = name.partition(" ")
    fields = {"first_name": first[:100], "last_name": last[:100], "email": email}
    fields |= {k: str(data[k])[:200] for k in ("phone", "company") if data.get(k)}
    async with db.session() as s:
        contact = await _contact_by_email(s, account_id, email)
        if contact is None:
            contact = await crm_write.create_contact(s, account_id, fields, ["mezzofy"])
        else:
            contact = await crm_write.update_contact(s, account_id, contact.id, fields)
        lead = await _lead_by_email(s, account_id, email)
        lead_fields = {"name": name, "email": email, "contact_id": contact.id, "source": "mezzofy"}
        if lead is None:
            lead = await crm_write.create_lead(s, account_id, lead_fields | {"status": "new"})
        else:
            lead = await crm_write.update_lead(s, account_id, lead.id, lead_fields)
    return {"contact_id": contact.id, "lead_id": lead.id}


def _tag_and_notify(tag: str, title: str) -> EventFn:
    async def run(db: Database, account_id: str, data: dict[str, Any]) -> dict[str, Any]:
        email = _email(data)
        async with db.session() as s:
            contact = await _contact_by_email(s, account_id, email)
            if contact is not None:
                await crm_write.tag_contact(s, account_id, contact.id, [tag])
        detail = str(data.get("subject") or data.get("reason") or "")[:500]

        async def write(s: AsyncSession) -> None:
            await notify(
                s,
                account_id=account_id,
                user_ids=await staff(s, account_id),
                type_="system",
                title=f"{title}: {email}",
                message=detail,
                data={"email": email, "contactId": contact.id if contact else None, "event": tag},
                preference="connection_issues",  # news from a connected platform
            )

        await db.run_write(write)
        return {"contact_id": contact.id if contact else None, "tagged": tag if contact else None}

    return run


async def order_completed(db: Database, account_id: str, data: dict[str, Any]) -> dict[str, Any]:
    email = _email(data)
    try:
        amount = float(data.get("amount") or data.get("value") or 0)
    except (TypeError, ValueError) as e:
        raise Invalid("data.amount must be a number") from e
    async with db.session() as s:
        lead = await _lead_by_email(s, account_id, email)
        if lead is None:
            lead = await crm_write.create_lead(
                s, account_id, {"name": email, "email": email, "source": "mezzofy", "value": amount}
            )
        else:
            lead = await crm_write.update_lead(
                s, account_id, lead.id, {"value": float(lead.value or 0) + amount}
            )
    return {"lead_id": lead.id, "value": lead.value}


MEZZOFY: dict[str, EventFn] = {
    "customer_signed_up": signed_up,
    "support_ticket_created": _tag_and_notify("support-ticket", "Support ticket"),
    "customer_churned": _tag_and_notify("churned", "Customer churned"),
    "order_completed": order_completed,
}

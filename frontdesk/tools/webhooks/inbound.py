"""Inbound webhooks (Mezzofy `/webhooks/mezzofy`, `/webhooks/custom/{source}`): each account has a
signing secret per source (`new_secret`: shown once, stored encrypted). `receive` checks the
signature over the raw body (constant-time), rate-limits per account, records the event once per
sender event id and queues it (`inbound_event` job); the HTTP answer does not wait for it.

Signatures: `X-Webhook-Signature` (hex HMAC-SHA256 of the raw body, `sha256=` prefix optional) for
every source; GitHub's `X-Hub-Signature-256`; Stripe's `Stripe-Signature` (`t=<unix>,v1=<hex>`,
HMAC of `"<t>.<body>"`, at most `STRIPE_TOLERANCE_SECONDS` old).

Mezzofy events act on the CRM (`mezzofy.MEZZOFY`); other events are stored and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, Unauthenticated
from frontdesk.ratelimit import RateLimiter
from frontdesk.storage.crm_credentials import decrypt_credentials, encrypt_credentials
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.job_models import InboundEvent, InboundSecret
from frontdesk.storage.models import Account
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.queue import JobQueue, JobRun
from frontdesk.tools.webhooks.mezzofy import MEZZOFY

SOURCES = ("mezzofy", "zapier", "github", "stripe")
KIND = "inbound_event"
STRIPE_TOLERANCE_SECONDS = 300
BAD_SIGNATURE = "Missing or invalid webhook signature"


async def new_secret(ctx: ToolContext, source: str) -> dict[str, Any]:
    """A new signing secret for `source` (replacing the old one); shown only in this answer."""
    ctx.require("can_manage_connections")
    secret = "whsec_" + secrets.token_urlsafe(32)
    token = encrypt_credentials(ctx.settings.resolved_secret_key(), {"secret": secret})

    async def write(s: AsyncSession) -> InboundSecret:
        row = await s.get(InboundSecret, (ctx.principal.account_id, source))
        if row is None:
            row = InboundSecret(account_id=ctx.principal.account_id, source=source, secret_encrypted=token)
            s.add(row)
        row.secret_encrypted, row.created_at = token, utcnow()
        return row

    row = await ctx.db.run_write(write)
    return {
        "source": source,
        "account_id": row.account_id,
        "secret": secret,
        "created_at": iso(row.created_at),
    }


def _hex_ok(secret: str, message: bytes, given: str) -> bool:
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    given = given.strip().removeprefix("sha256=")
    return hmac.compare_digest(expected, given.lower())


def _stripe_ok(secret: str, body: bytes, header: str, now: float) -> bool:
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    if not stamps or not stamps[0].isdigit() or abs(now - int(stamps[0])) > STRIPE_TOLERANCE_SECONDS:
        return False
    signed = stamps[0].encode() + b"." + body
    return any(_hex_ok(secret, signed, v) for k, v in parts if k.strip() == "v1")


def verify(
    source: str, secret: str, body: bytes, headers: Mapping[str, str], now: float | None = None
) -> bool:
    """True when a signature the source uses matches (every comparison constant-time)."""
    if (generic := headers.get("x-webhook-signature")) and _hex_ok(secret, body, generic):
        return True
    if source == "github" and (sig := headers.get("x-hub-signature-256")):
        return _hex_ok(secret, body, sig)
    if source == "stripe" and (sig := headers.get("stripe-signature")):
        return _stripe_ok(secret, body, sig, time.time() if now is None else now)
    return False


def _event_fields(source: str, payload: dict[str, Any], headers: Mapping[str, str]) -> tuple[str, str | None]:
    """(event type, sender's event id) in the source's own terms."""
    if source == "github":
        return headers.get("x-github-event") or str(payload.get("event") or "unknown"), headers.get(
            "x-github-delivery"
        ) or payload.get("event_id")
    if source == "stripe":
        return str(payload.get("type") or payload.get("event") or "unknown"), payload.get(
            "id"
        ) or payload.get("event_id")
    return str(payload.get("event") or "unknown"), payload.get("event_id")


async def receive(
    db: Database,
    queue: JobQueue,
    limiter: RateLimiter,
    secret_key: str,
    *,
    source: str,
    account_id: str,
    body: bytes,
    headers: Mapping[str, str],
) -> dict[str, Any]:
    """Check, record once, queue; returns `{received: true, event_id}`."""
    async with db.session() as s:
        row = await s.get(InboundSecret, (account_id, source))
    secret = decrypt_credentials(secret_key, row.secret_encrypted).get("secret") if row is not None else None
    if not secret or not verify(source, secret, body, headers):
        raise Unauthenticated(BAD_SIGNATURE)
    await limiter.ahit(f"webhook:{account_id}")  # shared by replicas when Redis is set
    try:
        payload = json.loads(body)
    except ValueError as e:
        raise Invalid("The body is not JSON") from e
    if not isinstance(payload, dict):
        raise Invalid("The body must be a JSON object")
    event, sender_id = _event_fields(source, payload, headers)
    event_id = str(sender_id)[:200] if sender_id else f"generated:{uuid.uuid4()}"

    async def write(s: AsyncSession) -> tuple[str, bool]:
        seen = await s.scalar(
            select(InboundEvent).where(
                InboundEvent.account_id == account_id,
                InboundEvent.source == source,
                InboundEvent.event_id == event_id,
            )
        )
        if seen is not None:
            return seen.id, False
        s.add(
            InboundEvent(
                id=new_id("inbound"),
                account_id=account_id,
                source=source,
                event_id=event_id,
                event=event[:100],
                payload=payload,
            )
        )
        return "", True

    _, fresh = await db.run_write(write, retry_conflicts=True)
    if fresh:
        job_id = await queue.submit(
            KIND,
            {"source": source, "event_id": event_id},
            account_id=account_id,
            max_attempts=3,
            budget_seconds=60,
        )

        async def link(s: AsyncSession) -> None:
            row = await s.scalar(
                select(InboundEvent).where(
                    InboundEvent.account_id == account_id,
                    InboundEvent.source == source,
                    InboundEvent.event_id == event_id,
                )
            )
            if row is not None:
                row.job_id = job_id

        await db.run_write(link)
    return {"received": True, "event_id": event_id, "duplicate": not fresh}


class InboundProcessor:
    """The `inbound_event` job handler."""

    def __init__(self, db: Database, queue: JobQueue) -> None:
        self.db = db
        queue.register(KIND, self.process)

    async def process(self, run: JobRun) -> dict[str, Any]:
        account_id = run.account_id or ""
        async with self.db.session() as s:
            row = await s.scalar(
                select(InboundEvent).where(
                    InboundEvent.account_id == account_id,
                    InboundEvent.source == run.payload["source"],
                    InboundEvent.event_id == run.payload["event_id"],
                )
            )
            if row is None or await s.get(Account, account_id) is None:
                return {"skipped": "the event is gone"}
            event, data = row.event, row.payload.get("data") or {}
        handler = MEZZOFY.get(event) if row.source == "mezzofy" else None
        outcome = (
            await handler(self.db, account_id, data) if handler else {"ignored": f"{row.source} {event}"}
        )

        async def mark(s: AsyncSession) -> None:
            stored = await s.get(InboundEvent, row.id)
            if stored is not None:
                stored.status = "ignored" if "ignored" in outcome else "processed"

        await self.db.run_write(mark)
        return outcome

"""Outbound webhooks (CRM MVP `/api/webhooks`): an account subscribes a URL to event types; every
matching event on the bus becomes one `webhook_delivery` job per subscription.

A delivery POSTs the seed's payload `{event, data, timestamp}` with `X-Webhook-Signature:
sha256=<hex HMAC-SHA256 of the raw body>` (the subscription's secret, shown once, stored
encrypted) through `OutboundHttp`, the one SSRF guard: the URL is checked when subscribing and
again, with its resolved addresses, on every attempt. A 5xx, a timeout or a refused connection is
retried with exponential backoff (the job queue's `Retry`); a 4xx is final. Every attempt is logged
with its status and latency (`GET /api/webhooks/{id}/deliveries`). A delivery that finally fails
publishes `integration.error` (never for an `integration.error` delivery itself: no loops).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound, ToolFailure
from frontdesk.storage.crm_credentials import decrypt_credentials, encrypt_credentials
from frontdesk.storage.db import Database
from frontdesk.storage.events import Event, EventListener
from frontdesk.storage.ids import iso, new_id
from frontdesk.storage.job_models import WebhookDelivery, WebhookSubscription
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers.net import OutboundHttp, check_url
from frontdesk.tools.jobs.queue import JobQueue, JobRun, Retry

log = logging.getLogger(__name__)
EVENTS = (
    "lead.created",
    "lead.updated",
    "contact.created",
    "message.received",
    "agent.completed",
    "integration.error",
)
KIND = "webhook_delivery"
MAX_SUBSCRIPTIONS = 20


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes `OutboundHttp.request(payload=...)` sends (so the signature covers them)."""
    return json.dumps(payload, default=str).encode()


def public(sub: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "url": sub.url,
        "events": list(sub.events),
        "is_active": sub.is_active,
        "created_at": iso(sub.created_at),
    }


async def create_subscription(
    ctx: ToolContext, http: OutboundHttp, url: str, events: list[str]
) -> dict[str, Any]:
    """Subscribe `url` to `events`; the answer carries the signing `secret` (shown this once)."""
    ctx.require("can_manage_connections")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise Invalid(f"events: unknown {', '.join(unknown)}; choose from {', '.join(EVENTS)}")
    parsed = check_url(url, http.trusted_hosts)
    try:
        await http.public_address(parsed)
    except ToolFailure as e:
        raise Invalid(f"url: {e}") from e
    secret = "whsec_" + secrets.token_urlsafe(32)

    async def write(s: AsyncSession) -> WebhookSubscription:
        count = await s.scalar(
            select(func.count())
            .select_from(WebhookSubscription)
            .where(WebhookSubscription.account_id == ctx.principal.account_id)
        )
        if (count or 0) >= MAX_SUBSCRIPTIONS:
            raise Invalid(f"At most {MAX_SUBSCRIPTIONS} webhooks per account")
        sub = WebhookSubscription(
            id=new_id("webhook"),
            account_id=ctx.principal.account_id,
            url=url,
            events=sorted(set(events)),
            secret_encrypted=encrypt_credentials(ctx.settings.resolved_secret_key(), {"secret": secret}),
            created_by=ctx.principal.user_id,
        )
        s.add(sub)
        return sub

    return public(await ctx.db.run_write(write)) | {"secret": secret}


async def list_subscriptions(ctx: ToolContext) -> dict[str, Any]:
    ctx.require("can_manage_connections")
    async with ctx.db.session() as s:
        rows = await s.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.account_id == ctx.principal.account_id)
            .order_by(WebhookSubscription.created_at)
        )
        return {"webhooks": [public(r) for r in rows]}


async def _own(s: AsyncSession, ctx: ToolContext, webhook_id: str) -> WebhookSubscription:
    sub = await s.get(WebhookSubscription, webhook_id)
    if sub is None or sub.account_id != ctx.principal.account_id:
        raise NotFound("Webhook not found")
    return sub


async def delete_subscription(ctx: ToolContext, webhook_id: str) -> None:
    ctx.require("can_manage_connections")

    async def write(s: AsyncSession) -> None:
        await s.delete(await _own(s, ctx, webhook_id))

    await ctx.db.run_write(write)


async def list_deliveries(ctx: ToolContext, webhook_id: str, limit: int = 50) -> dict[str, Any]:
    ctx.require("can_manage_connections")
    async with ctx.db.session() as s:
        await _own(s, ctx, webhook_id)
        rows = await s.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == webhook_id)
            .order_by(WebhookDelivery.created_at.desc())
            .limit(limit)
        )
        return {
            "deliveries": [
                {
                    "id": d.id,
                    "event": d.event,
                    "attempt": d.attempt,
                    "status_code": d.status_code,
                    "latency_ms": d.latency_ms,
                    "success": d.success,
                    "error": d.error,
                    "task_id": d.job_id,
                    "created_at": iso(d.created_at),
                }
                for d in rows
            ]
        }


class WebhookFanout(EventListener):
    """Listens to the bus; queues a delivery per matching subscription; delivers (the job handler).
    If the store fails while queueing, that event's deliveries are lost and logged."""

    name = "webhook-fanout"

    def __init__(
        self, db: Database, queue: JobQueue, http: OutboundHttp, secret_key: str, max_attempts: int
    ) -> None:
        super().__init__(db.events)
        self.db, self.queue, self.http = db, queue, http
        self.secret_key, self.max_attempts = secret_key, max_attempts
        queue.register(KIND, self.deliver)

    def wants(self, event: Event) -> bool:
        return event.type in EVENTS

    async def handle(self, event: Event) -> None:
        await self.fan_out(event)

    async def fan_out(self, event: Event) -> list[str]:
        async with self.db.session() as s:
            subs = list(
                await s.scalars(
                    select(WebhookSubscription).where(
                        WebhookSubscription.account_id == event.account_id,
                        WebhookSubscription.is_active.is_(True),
                    )
                )
            )
        body = {"event": event.type, "data": event.data, "timestamp": event.timestamp}
        return [
            await self.queue.submit(
                KIND,
                {"subscription_id": sub.id, "body": body},
                account_id=event.account_id,
                max_attempts=self.max_attempts,
                budget_seconds=30,
            )
            for sub in subs
            if event.type in sub.events
        ]

    async def deliver(self, run: JobRun) -> dict[str, Any]:
        async with self.db.session() as s:
            sub = await s.get(WebhookSubscription, run.payload["subscription_id"])
        if sub is None or not sub.is_active:
            return {"skipped": "the subscription was deleted"}
        body = run.payload["body"]
        secret = decrypt_credentials(self.secret_key, sub.secret_encrypted)["secret"]
        headers = {
            "X-Webhook-Signature": sign(secret, body_bytes(body)),
            "X-Webhook-Event": body["event"],
            "X-Webhook-Delivery": run.job_id,
        }
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        refused = False
        try:
            response = await self.http.request(
                "POST", sub.url, headers=headers, payload=body, timeout_seconds=10
            )
            status = response.status_code
            if status >= 300:
                error = f"receiver answered {status}"
        except ToolFailure as e:  # timeout, refused connection, DNS: worth another try
            error = str(e)
        except Invalid as e:  # the SSRF guard refused the target: final
            error, refused = str(e), True
        latency = round((time.perf_counter() - started) * 1000)
        await self._log(sub.id, run, body["event"], status, latency, error)
        if error is None:
            return {"status_code": status, "latency_ms": latency}
        retryable = not refused and (status is None or status >= 500 or status == 429)
        if retryable and run.attempt < run.max_attempts:
            raise Retry(error)
        self._announce_failure(sub, run, body["event"], error)
        if retryable:
            raise Retry(error)  # the queue records it as failed after the last attempt
        raise ToolFailure(error)

    def _announce_failure(self, sub: WebhookSubscription, run: JobRun, event: str, error: str) -> None:
        """A delivery that finally failed is an `integration.error` of the account — unless it was
        itself an `integration.error` delivery (no loop of failures announcing failures)."""
        if event == "integration.error":
            return
        data = {
            "source": "webhook",
            "webhook_id": sub.id,
            "url": sub.url,
            "event": event,
            "task_id": run.job_id,
            "attempts": run.attempt,
            "error": error,
        }
        self.db.events.publish(Event(sub.account_id, "integration.error", data))

    async def _log(
        self, sub_id: str, run: JobRun, event: str, status: int | None, latency: int, error: str | None
    ) -> None:
        async def write(s: AsyncSession) -> None:
            s.add(
                WebhookDelivery(
                    id=new_id("delivery"),
                    subscription_id=sub_id,
                    job_id=run.job_id,
                    event=event,
                    attempt=run.attempt,
                    status_code=status,
                    latency_ms=latency,
                    success=error is None,
                    error=error,
                )
            )

        await self.db.run_write(write)

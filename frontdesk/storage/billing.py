"""An account's billing state: its Stripe customer and subscription, and the plan they pay for.
Webhook events change the plan here (with an audit entry, in the same transaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage import audit
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Account
from frontdesk.storage.plans import PLAN_LIMITS
from frontdesk.storage.team_models import AccountBilling

PLAN_PRICES: dict[str, int | None] = {"free": 0, "start": None, "grow": 59, "deliver": None}  # USD a month
# (the seed names only grow's price; the others are whatever their Stripe price says)
ACTIVE = {"active", "trialing", "past_due"}


async def billing_of(session: AsyncSession, account_id: str) -> AccountBilling | None:
    return await session.get(AccountBilling, account_id)


async def set_customer(db: Database, account_id: str, customer_id: str) -> None:
    async def run(s: AsyncSession) -> None:
        row = await s.get(AccountBilling, account_id)
        if row is None:
            s.add(AccountBilling(account_id=account_id, stripe_customer_id=customer_id, updated_at=utcnow()))
        else:
            row.stripe_customer_id = customer_id

    await db.run_write(run, retry_conflicts=True)


async def apply_subscription(
    db: Database,
    account_id: str,
    *,
    plan: str | None,
    subscription_id: str | None,
    status: str | None,
    period_start: datetime | None = None,
) -> bool:
    """Record a subscription's state; an active one sets the plan, a deleted or ended one drops the
    account to `free`. `period_start` (the subscription's current period) starts the count of
    `max_executions`. False when the account is unknown (the event is ignored)."""

    async def run(s: AsyncSession) -> bool:
        account = await s.get(Account, account_id)
        if account is None:
            return False
        row = await s.get(AccountBilling, account_id)
        if row is None:
            row = AccountBilling(account_id=account_id, updated_at=utcnow())
            s.add(row)
        row.stripe_subscription_id = subscription_id or row.stripe_subscription_id
        row.status = status
        if period_start is not None:
            row.period_start = period_start
        row.updated_at = utcnow()
        before = account.plan
        if status in ACTIVE and plan in PLAN_LIMITS:
            account.plan = plan
        elif status not in ACTIVE:
            account.plan = "free"
        changes = audit.diff({"plan": before, "status": None}, {"plan": account.plan, "status": status})
        audit.record(
            s,
            account_id=account_id,
            user_id=None,
            action="billing.subscription",
            resource_type="account",
            resource_id=account_id,
            changes=changes,
        )
        return True

    return await db.run_write(run, retry_conflicts=True)


def period_start_of(obj: dict[str, Any]) -> datetime | None:
    """A Subscription's current period start: on its items since Stripe's 2025 API versions, on
    the subscription itself before."""
    items = (obj.get("items") or {}).get("data") or []
    stamp = (items[0].get("current_period_start") if items else None) or obj.get("current_period_start")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        return None
    return datetime.fromtimestamp(stamp, UTC)


def event_target(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """(account id, plan) named by a Checkout Session's or Subscription's metadata."""
    meta = obj.get("metadata") or {}
    account_id = meta.get("account_id") or obj.get("client_reference_id")
    return account_id, meta.get("plan")

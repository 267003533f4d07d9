"""`/billing` (MyFusion's billing service) over Stripe: the account's plan, usage and limits,
checkout and portal sessions, invoices, and `POST /billing/webhook` verified with the `stripe`
library's signature check. Without `FRONTDESK_STRIPE_SECRET_KEY` every route answers 503
"billing not configured" (the webhook also needs `FRONTDESK_STRIPE_WEBHOOK_SECRET`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.team import (
    BillingInfo,
    CheckoutSession,
    InvoiceList,
    PortalSession,
    WebhookReceived,
)
from frontdesk.errors import Forbidden, Invalid
from frontdesk.storage import billing, plans
from frontdesk.storage.accounts import Identity
from frontdesk.tools.billing import CheckoutRequest, StripeBilling

log = logging.getLogger(__name__)
router = APIRouter(prefix="/billing", tags=["billing"])


async def stripe_billing(services: ServicesDep) -> AsyncIterator[StripeBilling]:
    s = services.settings
    if not s.stripe_secret_key:
        raise HTTPException(503, "billing not configured")
    gateway = StripeBilling(
        s.stripe_secret_key, api_base=s.stripe_api_base, webhook_secret=s.stripe_webhook_secret
    )
    try:
        yield gateway
    finally:
        await gateway.aclose()


Stripe = Annotated[StripeBilling, Depends(stripe_billing)]


def manager(identity: Identity) -> Identity:
    if not identity.membership.permissions or "can_manage_billing" not in identity.membership.permissions:
        raise Forbidden("Permission 'can_manage_billing' is required")
    return identity


class CheckoutIn(BaseModel):
    plan: str = Field(pattern=r"^(start|grow|deliver)$")


def return_url(services: ServicesDep, request: Request) -> str:
    s = services.settings
    base = s.billing_return_url or s.public_url or str(request.base_url)
    return base.rstrip("/") + "/settings?tab=billing"


@router.get("", response_model=BillingInfo, responses=errors(401, 502, 503))
async def get_billing(identity: CurrentIdentity, services: ServicesDep, gateway: Stripe) -> dict[str, Any]:
    """Plan, status, usage and limits; with a Stripe subscription, its live renewal, trial and
    cancellation dates."""
    account = identity.account
    async with services.db.session() as s:
        row = await billing.billing_of(s, account.id)
        usage = await plans.usage(s, account.id)
    live: dict[str, Any] = {
        "status": account.status,
        "renews_at": None,
        "trial_ends_at": None,
        "cancel_at": None,
    }
    if row is not None and row.stripe_subscription_id:
        live = await gateway.subscription(row.stripe_subscription_id)
    return live | {
        "plan": account.plan,
        "price_monthly": billing.PLAN_PRICES.get(account.plan),
        "stripe_customer_id": row.stripe_customer_id if row else None,
        "usage": usage,
        "limits": plans.limits(account.plan),
    }


@router.post(
    "/checkout/sessions", response_model=CheckoutSession, responses=errors(400, 401, 403, 422, 502, 503)
)
async def checkout(
    body: CheckoutIn, identity: CurrentIdentity, services: ServicesDep, gateway: Stripe, request: Request
) -> dict[str, str]:
    """A Stripe Checkout session for a subscription (14-day trial); creates the Stripe customer
    first if the account has none. Needs `can_manage_billing`."""
    manager(identity)
    price = services.settings.stripe_prices.get(body.plan)
    if not price:
        raise Invalid(f"plan: no Stripe price is configured for '{body.plan}'")
    async with services.db.session() as s:
        row = await billing.billing_of(s, identity.account.id)
    customer = row.stripe_customer_id if row else None
    if customer is None:
        customer = await gateway.create_customer(
            identity.account.id, identity.user.email, identity.account.name
        )
        await billing.set_customer(services.db, identity.account.id, customer)
    back = return_url(services, request)
    req = CheckoutRequest(
        account_id=identity.account.id,
        plan=body.plan,
        price=price,
        customer=customer,
        success_url=back + "&session_id={CHECKOUT_SESSION_ID}",
        cancel_url=back,
    )
    return await gateway.checkout(req)


async def _customer(services: ServicesDep, account_id: str) -> str:
    async with services.db.session() as s:
        row = await billing.billing_of(s, account_id)
    if row is None or not row.stripe_customer_id:
        raise Invalid("This account has no Stripe customer yet: start a checkout first")
    return row.stripe_customer_id


@router.post("/portal-session", response_model=PortalSession, responses=errors(400, 401, 403, 502, 503))
async def portal(
    identity: CurrentIdentity, services: ServicesDep, gateway: Stripe, request: Request
) -> dict[str, str]:
    """A Stripe customer portal session (manage the subscription and payment methods)."""
    manager(identity)
    customer = await _customer(services, identity.account.id)
    return {"url": await gateway.portal(customer, return_url(services, request))}


@router.get("/invoices", response_model=InvoiceList, responses=errors(400, 401, 403, 502, 503))
async def invoices(
    identity: CurrentIdentity,
    services: ServicesDep,
    gateway: Stripe,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The account's Stripe invoices, newest first (account managers only)."""
    manager(identity)
    customer = await _customer(services, identity.account.id)
    found = await gateway.invoices(customer, limit)
    return {"invoices": found, "count": len(found)}


@router.post("/webhook", response_model=WebhookReceived, responses=errors(400, 503))
async def webhook(request: Request, services: ServicesDep, gateway: Stripe) -> dict[str, Any]:
    """Stripe's events, `Stripe-Signature` checked (400 when wrong): a completed checkout or a
    created/updated subscription sets the account's plan, a deleted one drops it to `free`."""
    if not services.settings.stripe_webhook_secret:
        raise HTTPException(503, "billing not configured")
    event = gateway.event(await request.body(), request.headers.get("stripe-signature"))
    obj = event.data.object.to_dict()
    account_id, plan = billing.event_target(obj)
    applied = False
    if event.type == "checkout.session.completed" and account_id:
        if obj.get("customer"):
            await billing.set_customer(services.db, account_id, str(obj["customer"]))
        sub = obj.get("subscription")
        applied = await billing.apply_subscription(
            services.db, account_id, plan=plan, subscription_id=str(sub) if sub else None, status="active"
        )
    elif event.type.startswith("customer.subscription.") and account_id:
        status = "canceled" if event.type.endswith(".deleted") else obj.get("status")
        applied = await billing.apply_subscription(
            services.db,
            account_id,
            plan=plan,
            subscription_id=obj.get("id"),
            status=status,
            period_start=billing.period_start_of(obj),
        )
    elif event.type == "invoice.payment_failed":
        log.warning("Stripe: payment failed for customer %s", obj.get("customer"))
    return {"received": True, "type": event.type, "applied": applied}

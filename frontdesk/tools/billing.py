"""Stripe behind one small interface: `StripeBilling` creates customers, checkout and portal
sessions, lists invoices, reads a subscription and verifies webhooks, with the `stripe` library
(its async HTTPX client; `Settings.stripe_api_base` points it at a local fake in tests).

A Stripe error becomes `BillingFailure` (502 at the door); nothing here touches the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from stripe._http_client import HTTPXClient

from frontdesk.errors import FrontdeskError, Invalid


class BillingFailure(FrontdeskError):
    status_code = 502
    code = "billing_failed"


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    account_id: str
    plan: str
    price: str
    customer: str
    success_url: str
    cancel_url: str


class StripeBilling:
    """One Stripe API client; `aclose()` releases its connections."""

    def __init__(
        self, api_key: str, *, api_base: str | None = None, webhook_secret: str | None = None
    ) -> None:
        self._http = HTTPXClient(timeout=20)
        self._client = stripe.StripeClient(
            api_key,
            http_client=self._http,
            max_network_retries=1,
            base_addresses={"api": api_base} if api_base else None,
        )
        self._webhook_secret = webhook_secret

    async def aclose(self) -> None:
        await self._http.close_async()

    async def create_customer(self, account_id: str, email: str, name: str) -> str:
        params = {"email": email, "name": name, "metadata": {"account_id": account_id}}
        customer = await self._call(self._client.v1.customers.create_async, params)
        return str(customer.id)

    async def checkout(self, req: CheckoutRequest) -> dict[str, str]:
        params = {
            "mode": "subscription",
            "customer": req.customer,
            "client_reference_id": req.account_id,
            "line_items": [{"price": req.price, "quantity": 1}],
            "subscription_data": {
                "trial_period_days": 14,
                "metadata": {"account_id": req.account_id, "plan": req.plan},
            },
            "metadata": {"account_id": req.account_id, "plan": req.plan},
            "success_url": req.success_url,
            "cancel_url": req.cancel_url,
        }
        session = await self._call(self._client.v1.checkout.sessions.create_async, params)
        return {"url": str(session.url), "session_id": str(session.id)}

    async def portal(self, customer: str, return_url: str) -> str:
        params = {"customer": customer, "return_url": return_url}
        session = await self._call(self._client.v1.billing_portal.sessions.create_async, params)
        return str(session.url)

    async def invoices(self, customer: str, limit: int) -> list[dict[str, Any]]:
        page = await self._call(self._client.v1.invoices.list_async, {"customer": customer, "limit": limit})
        found = [inv.to_dict() for inv in page.data]
        return [
            {
                "id": inv["id"],
                "number": inv.get("number"),
                "status": inv.get("status"),
                "amount_due": inv.get("amount_due", 0),
                "amount_paid": inv.get("amount_paid", 0),
                "currency": inv.get("currency", ""),
                "created": inv.get("created", 0),
                "hosted_invoice_url": inv.get("hosted_invoice_url"),
                "invoice_pdf": inv.get("invoice_pdf"),
            }
            for inv in found
        ]

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        sub = (await self._call(self._client.v1.subscriptions.retrieve_async, subscription_id)).to_dict()
        items = (sub.get("items") or {}).get("data") or []
        renews = items[0].get("current_period_end") if items else sub.get("current_period_end")
        return {
            "status": sub.get("status"),
            "renews_at": renews,
            "trial_ends_at": sub.get("trial_end"),
            "cancel_at": sub.get("cancel_at"),
        }

    def event(self, payload: bytes, signature: str | None) -> stripe.Event:
        """The webhook's event, if `Stripe-Signature` is right (else `Invalid`: 400)."""
        try:
            return self._client.construct_event(payload, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as e:
            raise Invalid("Invalid Stripe signature", code="bad_signature") from e

    @staticmethod
    async def _call(method: Any, params: Any) -> Any:
        try:
            return await method(params)
        except stripe.StripeError as e:
            raise BillingFailure(f"Stripe refused the request: {e.user_message or type(e).__name__}") from e

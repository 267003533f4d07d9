"""Billing through the real server: 503 "billing not configured" without Stripe keys; with keys,
the `stripe` library talks to a loopback fake of Stripe's API (answers shaped as Stripe's API
reference documents them, form-encoded requests checked), checkout creates the customer first,
the webhook is verified with the library's signature check and sets the plan, and the portal,
invoices and the live subscription come from Stripe."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import _settings, auth, register, serve, serve_app

WEBHOOK_SECRET = "whsec_test_secret"


class FakeStripe:
    """Stripe's API on loopback: the calls frontdesk makes, with answers in Stripe's shapes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.app = Starlette(
            routes=[
                Route("/v1/customers", self.customer, methods=["POST"]),
                Route("/v1/checkout/sessions", self.checkout, methods=["POST"]),
                Route("/v1/billing_portal/sessions", self.portal, methods=["POST"]),
                Route("/v1/invoices", self.invoices, methods=["GET"]),
                Route("/v1/subscriptions/{sid}", self.subscription, methods=["GET"]),
            ]
        )

    async def _record(self, request: Request) -> dict[str, Any]:
        assert request.headers["authorization"] == "Bearer sk_test_fake"
        form = dict(await request.form()) if request.method == "POST" else dict(request.query_params)
        self.calls.append((request.method, request.url.path, form))
        return form

    async def customer(self, request: Request) -> JSONResponse:
        form = await self._record(request)
        return JSONResponse({"id": "cus_T3st", "object": "customer", "email": form["email"], "metadata": {}})

    async def checkout(self, request: Request) -> JSONResponse:
        await self._record(request)
        return JSONResponse(
            {
                "id": "cs_test_a1",
                "object": "checkout.session",
                "mode": "subscription",
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
                "status": "open",
            }
        )

    async def portal(self, request: Request) -> JSONResponse:
        await self._record(request)
        url = "https://billing.stripe.com/p/session/test_123"
        return JSONResponse({"id": "bps_123", "object": "billing_portal.session", "url": url})

    async def invoices(self, request: Request) -> JSONResponse:
        await self._record(request)
        invoice = {
            "id": "in_1",
            "object": "invoice",
            "number": "ABC-0001",
            "status": "paid",
            "amount_due": 5900,
            "amount_paid": 5900,
            "currency": "usd",
            "created": 1764547200,
            "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test",
            "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test/pdf",
        }
        return JSONResponse({"object": "list", "data": [invoice], "has_more": False, "url": "/v1/invoices"})

    async def subscription(self, request: Request) -> JSONResponse:
        await self._record(request)
        item = {"id": "si_1", "object": "subscription_item", "current_period_end": 1767225600}
        return JSONResponse(
            {
                "id": request.path_params["sid"],
                "object": "subscription",
                "status": "trialing",
                "trial_end": 1765756800,
                "cancel_at": None,
                "items": {"object": "list", "data": [item], "has_more": False},
            }
        )


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    """A webhook body and its `Stripe-Signature` header, made as Stripe makes them."""
    body = json.dumps(event)
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{kind}",
        "object": "event",
        "type": kind,
        "data": {"object": obj},
        "api_version": None,
    }


def test_without_keys_billing_is_not_configured(client: httpx.Client) -> None:
    h = auth(register(client, "NoBilling"))
    for method, path in (
        ("GET", "/billing"),
        ("POST", "/billing/portal-session"),
        ("GET", "/billing/invoices"),
    ):
        r = client.request(method, path, headers=h)
        assert r.status_code == 503 and r.json()["detail"] == "billing not configured", path
    r = client.post("/billing/checkout/sessions", json={"plan": "grow"}, headers=h)
    assert r.status_code == 503
    assert client.post("/billing/webhook", content=b"{}").status_code == 503


def test_checkout_webhook_portal_and_invoices_against_stripe(tmp_path: Path) -> None:
    fake = FakeStripe()
    with serve_app(fake.app) as stripe_url:
        settings = _settings(
            tmp_path,
            demo_data=False,
            stripe_secret_key="sk_test_fake",
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_prices={"grow": "price_grow_monthly"},
            stripe_api_base=stripe_url,
            billing_return_url="https://app.example.com",
        )
        with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
            tokens = register(client, "Payer")
            h = auth(tokens)
            account_id = tokens["account"]["account_id"]  # type: ignore[index]
            info = client.get("/billing", headers=h).json()
            assert info["plan"] == "free" and info["stripe_customer_id"] is None
            assert info["limits"]["max_helpers"] == 3 and fake.calls == []
            assert client.post("/billing/portal-session", headers=h).status_code == 400  # no customer yet

            bad = client.post("/billing/checkout/sessions", json={"plan": "start"}, headers=h)
            assert bad.status_code == 400 and "start" in bad.json()["detail"]
            r = client.post("/billing/checkout/sessions", json={"plan": "grow"}, headers=h)
            assert r.status_code == 200, r.text
            assert r.json() == {
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
                "session_id": "cs_test_a1",
            }
            (m1, p1, customer), (m2, p2, session) = fake.calls
            assert (m1, p1, m2, p2) == ("POST", "/v1/customers", "POST", "/v1/checkout/sessions")
            assert customer["email"] == tokens["email"] and customer["metadata[account_id]"] == account_id
            assert session["customer"] == "cus_T3st" and session["mode"] == "subscription"
            assert session["line_items[0][price]"] == "price_grow_monthly"
            assert session["subscription_data[trial_period_days]"] == "14"
            assert session["client_reference_id"] == account_id
            assert session["success_url"].startswith("https://app.example.com/settings?tab=billing")

            # Stripe calls back: a wrong signature is 400, a right one sets the plan.
            completed = event(
                "checkout.session.completed",
                {
                    "id": "cs_test_a1",
                    "object": "checkout.session",
                    "client_reference_id": account_id,
                    "customer": "cus_T3st",
                    "subscription": "sub_T3st",
                    "metadata": {"account_id": account_id, "plan": "grow"},
                },
            )
            body, headers = signed(completed, secret="whsec_wrong")
            assert client.post("/billing/webhook", content=body, headers=headers).status_code == 400
            body, headers = signed(completed)
            r = client.post("/billing/webhook", content=body, headers=headers)
            assert r.status_code == 200 and r.json()["applied"] is True

            info = client.get("/billing", headers=h).json()
            assert info["plan"] == "grow" and info["price_monthly"] == 59 and info["status"] == "trialing"
            assert info["renews_at"] == 1767225600 and info["trial_ends_at"] == 1765756800
            assert info["stripe_customer_id"] == "cus_T3st" and info["limits"]["max_helpers"] == 50
            assert fake.calls[-1][:2] == ("GET", "/v1/subscriptions/sub_T3st")

            portal = client.post("/billing/portal-session", headers=h).json()
            assert portal["url"].startswith("https://billing.stripe.com/")
            assert fake.calls[-1][2] == {
                "customer": "cus_T3st",
                "return_url": "https://app.example.com/settings?tab=billing",
            }
            invoices = client.get("/billing/invoices", headers=h).json()
            assert invoices["count"] == 1 and invoices["invoices"][0]["amount_paid"] == 5900
            assert fake.calls[-1][2] == {"customer": "cus_T3st", "limit": "20"}

            deleted = event(
                "customer.subscription.deleted",
                {
                    "id": "sub_T3st",
                    "object": "subscription",
                    "status": "canceled",
                    "metadata": {"account_id": account_id, "plan": "grow"},
                },
            )
            body, headers = signed(deleted)
            assert client.post("/billing/webhook", content=body, headers=headers).json()["applied"] is True
            assert client.get(f"/accounts/{account_id}", headers=h).json()["plan"] == "free"
            log = client.get("/admin/audit", params={"action": "billing.subscription"}, headers=h).json()
            plans_seen = [e["changes"]["plan"]["after"] for e in reversed(log["entries"])]
            assert plans_seen == ["grow", "free"]

            # A member (no can_manage_billing) may not start a checkout or open the portal.
            member = register(client, "Member")
            team = f"/accounts/{account_id}/team"
            assert client.post(team, json={"email": member["email"]}, headers=h).status_code == 201
            mh = auth(
                client.post("/accounts/switch", json={"account_id": account_id}, headers=auth(member)).json()
            )
            assert (
                client.post("/billing/checkout/sessions", json={"plan": "grow"}, headers=mh).status_code
                == 403
            )
            assert client.post("/billing/portal-session", headers=mh).status_code == 403

"""Inbound webhooks through the real server: a signed `customer_signed_up` becomes exactly one
contact and one lead even when sent twice (the sender's event id), a bad or missing signature is
401, GitHub's and Stripe's own schemes verify (Stripe's timestamp tolerance too), the other Mezzofy
events tag, notify and record value, and the per-account rate limit answers 429."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.jobs_support import job_settings, wait_until
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = job_settings(tmp_path_factory.mktemp("webhooks-in"), inbound_webhook_rate_per_minute=12)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def account(api: httpx.Client, source: str = "mezzofy") -> tuple[dict[str, str], str, str]:
    """A new owner's headers, account id and the signing secret of `source`."""
    user = register(api)
    headers = auth(user)
    r = api.post(f"/webhooks/secrets/{source}", headers=headers)
    assert r.status_code == 200, r.text
    return headers, r.json()["account_id"], r.json()["secret"]


def hex_sig(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(
    api: httpx.Client, account_id: str, secret: str, event: dict[str, Any], prefix: str = ""
) -> httpx.Response:
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "X-Webhook-Signature": prefix + hex_sig(secret, body)}
    return api.post(f"/webhooks/mezzofy?account_id={account_id}", content=body, headers=headers)


def signed_up(email: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "event": "customer_signed_up",
        "event_id": event_id or f"evt-{uuid.uuid4().hex[:8]}",
        "data": {"email": email, "name": "Grace Hopper", "company": "Navy"},
        "timestamp": "2026-12-01T10:00:00Z",
    }


def contacts(api: httpx.Client, headers: dict[str, str], email: str) -> list[dict[str, Any]]:
    return api.get("/api/contacts", headers=headers, params={"search": email}).json()["contacts"]


def test_signed_up_twice_makes_exactly_one_contact(api: httpx.Client) -> None:
    headers, account_id, secret = account(api)
    event = signed_up("grace@example.com", "evt-signup-1")
    first = send(api, account_id, secret, event)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "event_id": "evt-signup-1", "duplicate": False}
    again = send(api, account_id, secret, event, prefix="sha256=")  # a retry, prefixed signature
    assert again.status_code == 200 and again.json()["duplicate"] is True
    (contact,) = wait_until(lambda: contacts(api, headers, "grace@example.com"))
    assert contact["firstName"] == "Grace" and "mezzofy" in contact["tags"]
    time.sleep(0.8)  # the retry would have been processed by now
    assert len(contacts(api, headers, "grace@example.com")) == 1
    leads = api.get("/api/leads", headers=headers, params={"search": "grace@example.com"}).json()["leads"]
    assert len(leads) == 1 and leads[0]["source"] == "mezzofy"
    # the same customer again, as a new event: the contact is updated, not duplicated
    assert send(api, account_id, secret, signed_up("grace@example.com")).json()["duplicate"] is False
    time.sleep(0.8)
    assert len(contacts(api, headers, "grace@example.com")) == 1


def test_bad_or_missing_signatures_are_401(api: httpx.Client) -> None:
    headers, account_id, secret = account(api)
    body = json.dumps(signed_up("mallory@example.com")).encode()
    url = f"/webhooks/mezzofy?account_id={account_id}"
    assert api.post(url, content=body).status_code == 401
    wrong = {"X-Webhook-Signature": hex_sig("not-the-secret", body)}
    assert api.post(url, content=body, headers=wrong).status_code == 401
    tampered = {"X-Webhook-Signature": hex_sig(secret, body)}
    assert api.post(url, content=body + b" ", headers=tampered).status_code == 401
    other_account = f"/webhooks/mezzofy?account_id=account:{uuid.uuid4()}"
    assert api.post(other_account, content=body, headers=tampered).status_code == 401
    assert (
        api.post(
            "/webhooks/custom/zapier?account_id=" + account_id, content=body, headers=tampered
        ).status_code
        == 401
    )
    new = api.post("/webhooks/secrets/mezzofy", headers=headers).json()["secret"]  # rotated: old one stops
    assert api.post(url, content=body, headers=tampered).status_code == 401
    assert send(api, account_id, new, signed_up("ok@example.com")).status_code == 200
    time.sleep(0.5)
    assert contacts(api, headers, "mallory@example.com") == []


def test_github_and_stripe_schemes(api: httpx.Client) -> None:
    _, account_id, secret = account(api, "github")
    body = b'{"action": "opened", "number": 7}'
    r = api.post(
        f"/webhooks/custom/github?account_id={account_id}",
        content=body,
        headers={
            "X-Hub-Signature-256": "sha256=" + hex_sig(secret, body),
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "gh-delivery-1",
        },
    )
    assert r.status_code == 200 and r.json()["event_id"] == "gh-delivery-1", r.text
    _, account_id, secret = account(api, "stripe")
    body = b'{"id": "evt_123", "type": "charge.succeeded", "data": {"object": {}}}'

    def stripe(stamp: int, key: str = secret) -> httpx.Response:
        sig = hex_sig(key, f"{stamp}.".encode() + body)
        return api.post(
            f"/webhooks/custom/stripe?account_id={account_id}",
            content=body,
            headers={"Stripe-Signature": f"t={stamp},v1={sig}"},
        )

    assert stripe(int(time.time())).json()["event_id"] == "evt_123"
    assert stripe(int(time.time()) - 3600).status_code == 401  # outside the tolerance
    assert stripe(int(time.time()), "wrong").status_code == 401
    assert api.post("/webhooks/custom/teams?account_id=x", content=body).status_code == 422  # not a source


def test_other_mezzofy_events_act_on_the_crm(api: httpx.Client) -> None:
    headers, account_id, secret = account(api)
    send(api, account_id, secret, signed_up("linus@example.com"))
    wait_until(lambda: contacts(api, headers, "linus@example.com"))
    ticket = {
        "event": "support_ticket_created",
        "event_id": "t-1",
        "data": {"email": "linus@example.com", "subject": "Login broken"},
    }
    order = {
        "event": "order_completed",
        "event_id": "o-1",
        "data": {"email": "linus@example.com", "amount": 250},
    }
    unknown = {"event": "feature_released", "event_id": "f-1", "data": {}}
    for event in (ticket, order, unknown):
        assert send(api, account_id, secret, event).status_code == 200

    def tagged() -> bool:
        found = contacts(api, headers, "linus@example.com")
        return bool(found) and "support-ticket" in found[0]["tags"]

    wait_until(tagged)

    def valued() -> list[dict[str, Any]]:
        leads = api.get("/api/leads", headers=headers, params={"search": "linus"}).json()["leads"]
        return [lead for lead in leads if lead["value"] == 250]

    assert len(wait_until(valued)) == 1
    notes = api.get("/api/notifications", headers=headers).json()["notifications"]
    assert any(
        n["title"] == "Support ticket: linus@example.com" and n["message"] == "Login broken" for n in notes
    )


def test_rate_limit_per_account(api: httpx.Client) -> None:
    _, account_id, secret = account(api)
    statuses = [
        send(api, account_id, secret, {"event": "ping", "event_id": f"p-{i}"}).status_code for i in range(13)
    ]
    assert statuses[:12] == [200] * 12 and statuses[12] == 429

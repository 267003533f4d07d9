"""Two accounts, every route of issue 12: nothing of account A can be read or changed by account
B's owner (who is an admin, but of B). Another account's resources answer 404 (switching to it is
the seed's 403), lists and logs show only B's own rows. The test also checks that it visited every
operation of these routes in the OpenAPI document, so a new route cannot slip past it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import auth, register

PREFIXES = ("/accounts", "/api/tenants", "/admin", "/api/v1/audit-logs", "/internal/emails", "/auth/status")
PREFIXES += ("/auth/password", "/auth/forgot-password", "/auth/reset-password", "/auth/profile")
PREFIXES += ("/billing",)


def _setup(client: httpx.Client) -> dict[str, Any]:
    a = register(client, "Alpha")
    ha = auth(a)
    a_account = a["account"]["account_id"]  # type: ignore[index]
    a_member = register(client, "AlphaMate")
    client.post(f"/accounts/{a_account}/team", json={"email": a_member["email"]}, headers=ha)
    invited = f"pending-{uuid.uuid4().hex[:8]}@example.com"
    inv = client.post(f"/accounts/{a_account}/team", json={"email": invited}, headers=ha).json()
    contact = client.post(
        "/api/contacts", json={"name": "Secret Alpha", "email": "s@a.example"}, headers=ha
    ).json()
    b = register(client, "Bravo")
    return {
        "a": ha,
        "a_account": a_account,
        "a_owner": a["user"]["user_id"],  # type: ignore[index]
        "a_member": a_member["user"]["user_id"],  # type: ignore[index]
        "a_email": a["email"],
        "invitation": inv["invitation_id"],
        "contact": contact["id"],
        "b": auth(b),
        "b_account": b["account"]["account_id"],  # type: ignore[index]
    }


def test_no_cross_account_read_or_write(client: httpx.Client) -> None:
    w = _setup(client)
    acc, b, member, owner = w["a_account"], w["b"], w["a_member"], w["a_owner"]
    seen: set[tuple[str, str]] = set()

    def call(method: str, template: str, path: str, expect: int | set[int], **kw: Any) -> httpx.Response:
        r = client.request(method, path, headers=b, **kw)
        allowed = {expect} if isinstance(expect, int) else expect
        assert r.status_code in allowed, (method, path, r.status_code, r.text)
        seen.add((method.lower(), template))
        assert acc not in r.text, (method, path, r.text)
        return r

    # Account A itself, its settings and its team: 404 (not yours), whatever the method.
    call("GET", "/accounts/{account_id}", f"/accounts/{acc}", 404)
    call("PUT", "/accounts/{account_id}", f"/accounts/{acc}", 404, json={"name": "Hijacked"})
    call("GET", "/accounts/{account_id}/team", f"/accounts/{acc}/team", 404)
    call("POST", "/accounts/{account_id}/team", f"/accounts/{acc}/team", 404, json={"email": "x@example.com"})
    call(
        "PUT",
        "/accounts/{account_id}/team/{user_id}",
        f"/accounts/{acc}/team/{member}",
        404,
        json={"role": "admin"},
    )
    call("DELETE", "/accounts/{account_id}/team/{user_id}", f"/accounts/{acc}/team/{member}", 404)
    r = client.post("/accounts/switch", json={"account_id": acc}, headers=b)
    assert r.status_code == 403
    seen.add(("post", "/accounts/switch"))
    # The MIA face of the same account.
    call("GET", "/api/tenants/{tenant_id}", f"/api/tenants/{acc}", 404)
    call("GET", "/api/tenants/{tenant_id}/members", f"/api/tenants/{acc}/members", 404)
    call(
        "PUT",
        "/api/tenants/{tenant_id}/members/{user_id}/role",
        f"/api/tenants/{acc}/members/{member}/role",
        404,
        json={"role": "admin"},
    )
    call("DELETE", "/api/tenants/{tenant_id}/members/{user_id}", f"/api/tenants/{acc}/members/{member}", 404)
    call(
        "POST",
        "/api/tenants/{tenant_id}/invites",
        f"/api/tenants/{acc}/invites",
        404,
        json={"email": "y@example.com"},
    )
    call("GET", "/api/tenants/{tenant_id}/invites", f"/api/tenants/{acc}/invites", 404)
    inv_path = f"/api/tenants/{acc}/invites/{w['invitation']}"
    call("DELETE", "/api/tenants/{tenant_id}/invites/{invite_id}", inv_path, 404)
    r = client.post("/api/tenants/switch", json={"tenant_id": acc}, headers=b)
    assert r.status_code == 403
    seen.add(("post", "/api/tenants/switch"))
    inv = w["invitation"]
    call("POST", "/api/tenants/invites/{invite_id}/accept", f"/api/tenants/invites/{inv}/accept", 404)
    call("DELETE", "/api/tenants/{tenant_id}", f"/api/tenants/{acc}", 404)
    # The invite page is public by design (the random invitation id, sent only to the invitee, opens
    # it): it shows the workspace's name, never its id (`call` checks the id is not in the answer).
    details = call(
        "GET", "/api/tenants/invites/{invite_id}/details", f"/api/tenants/invites/{inv}/details", 200
    )
    assert details.json()["status"] == "pending"
    # Operator routes: B's owner is no operator.
    call("GET", "/admin/accounts", "/admin/accounts", 403)
    call("POST", "/admin/accounts/{account_id}/enter", f"/admin/accounts/{acc}/enter", 403)
    # Admin routes act on B's account only: A's users are not found, A's log is not shown.
    call("PUT", "/admin/users/{user_id}", f"/admin/users/{member}", 404, json={"is_active": False})
    call("PUT", "/admin/users/{user_id}", f"/admin/users/{owner}", 404, json={"role": "viewer"})
    users = call("GET", "/admin/users", "/admin/users", 200).json()
    assert owner not in str(users) and member not in str(users)
    for path in ("/admin/audit", "/internal/emails/history", "/api/v1/audit-logs/"):
        assert w["a_email"] not in call("GET", path, path, 200).text
    r = call(
        "GET",
        "/api/v1/audit-logs/resource-history/",
        "/api/v1/audit-logs/resource-history/",
        200,
        params={"resource_id": w["contact"]},
    )
    assert r.json()["count"] == 0
    r = call(
        "GET",
        "/api/v1/audit-logs/user-activity/",
        "/api/v1/audit-logs/user-activity/",
        200,
        params={"user_id": owner},
    )
    assert r.json()["count"] == 0
    # B's own lists name only B's account.
    for path in (
        "/accounts",
        "/api/tenants",
        "/api/tenants/current",
        "/auth/status",
        "/api/tenants/invites/pending",
        "/accounts/preferences",
        "/admin/health",
    ):
        call("GET", path, path, 200)
    call("PUT", "/accounts/preferences", "/accounts/preferences", 200, json={"weekly_summary": True})
    call("POST", "/api/tenants", "/api/tenants", 201, json={"name": "Bravo Two"})
    call(
        "POST",
        "/admin/users",
        "/admin/users",
        201,
        json={"email": f"b-{uuid.uuid4().hex[:6]}@example.com", "name": "B", "password": "Bravo1234"},
    )
    # The user-level routes touch only the caller (A's password, profile and reset stay A's).
    taken = {"email": w["a_email"], "current_password": "correct-horse-1"}
    call("PUT", "/auth/profile", "/auth/profile", 409, json=taken)
    call(
        "PUT",
        "/auth/password",
        "/auth/password",
        401,
        json={"current_password": "x", "new_password": "Abcdefg1"},
    )
    call("POST", "/auth/forgot-password", "/auth/forgot-password", 200, json={"email": "b@example.com"})
    call(
        "POST",
        "/auth/reset-password",
        "/auth/reset-password",
        400,
        json={"email": w["a_email"], "code": "123456", "new_password": "Abcdefg1"},
    )

    # Billing paths name no account (the token's is used); without Stripe keys they are 503.
    for method, path in (
        ("GET", "/billing"),
        ("POST", "/billing/checkout/sessions"),
        ("POST", "/billing/portal-session"),
        ("GET", "/billing/invoices"),
        ("POST", "/billing/webhook"),
    ):
        call(method, path, path, 503, json={"plan": "grow"} if path.endswith("sessions") else None)

    # A is untouched: still its name, its two members and its pending invitation.
    a = w["a"]
    assert client.get(f"/accounts/{acc}", headers=a).json()["name"] != "Hijacked"
    team = client.get(f"/accounts/{acc}/team", headers=a).json()
    assert {m["user_id"]: m["role"] for m in team["members"]} == {owner: "Owner", member: "Member"}
    assert [i["invitation_id"] for i in team["invitations"]] == [inv]
    assert (
        client.post("/auth/login", json={"email": w["a_email"], "password": "correct-horse-1"}).status_code
        == 200
    )

    # Every operation of these routes was visited.
    doc = client.get("/openapi.json").json()
    ops = {
        (method, path) for path, item in doc["paths"].items() if path.startswith(PREFIXES) for method in item
    }
    assert ops - seen == set()

"""Teams through the real server (issue 12, "Must be shown"): an owner invites a viewer by email,
the viewer registers with it, switches accounts, reads contacts but gets 403 on writes and on
inviting; promoted to member they can write; the owner cannot be demoted or removed; removed, the
member loses access with the very token they hold. The audit log and the resource history show
each step with who did it."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from frontdesk.config import Settings
from frontdesk.storage.billing import period_start_of
from frontdesk.storage.db import Database
from frontdesk.storage.helper_models import Execution
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.plans import current_period_start, limits
from tests.conftest import _settings, auth, register, serve


def _email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def _contact(client: httpx.Client, headers: dict[str, str], name: str) -> httpx.Response:
    return client.post("/api/contacts", json={"name": name, "email": "x@example.com"}, headers=headers)


def test_invite_switch_roles_and_removal_with_an_audit_trail(client: httpx.Client) -> None:
    owner_tokens = register(client, "Owner")
    owner = auth(owner_tokens)
    account_id = owner_tokens["account"]["account_id"]  # type: ignore[index]
    owner_id = owner_tokens["user"]["user_id"]  # type: ignore[index]

    email = _email("viewer")
    r = client.post(f"/accounts/{account_id}/team", json={"email": email, "role": "viewer"}, headers=owner)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "invited" and r.json()["role"] == "Viewer" and r.json()["user_id"] is None
    again = client.post(f"/accounts/{account_id}/team", json={"email": email}, headers=owner)
    assert again.status_code == 409

    # The invited email registers: it joins the account as a viewer (and keeps its own account).
    r = client.post("/auth/register", json={"email": email, "password": "correct-horse-1", "name": "Vi"})
    assert r.status_code == 201, r.text
    viewer_id = r.json()["user"]["user_id"]
    status = client.get("/auth/status", headers=auth(r.json())).json()
    roles = {a["account_id"]: a["role"] for a in status["available_accounts"]}
    assert roles[account_id] == "Viewer" and len(roles) == 2

    # Switch: the new tokens carry the owner's account.
    r = client.post("/accounts/switch", json={"account_id": account_id}, headers=auth(r.json()))
    assert r.status_code == 200, r.text
    viewer = auth(r.json())
    assert client.get("/auth/status", headers=viewer).json()["account_context"] == {
        "account_id": account_id,
        "role": "Viewer",
        "permissions": ["can_view_analytics", "chat", "crm.read"],
    }
    made = _contact(client, owner, "Olive Owner").json()
    assert client.get("/api/contacts", headers=viewer).status_code == 200
    assert client.get(f"/api/contacts/{made['id']}", headers=viewer).status_code == 200
    assert _contact(client, viewer, "Vera Viewer").status_code == 403
    r = client.put(f"/api/contacts/{made['id']}", json={"position": "CEO"}, headers=viewer)
    assert r.status_code == 403
    r = client.post(f"/accounts/{account_id}/team", json={"email": _email("x")}, headers=viewer)
    assert r.status_code == 403 and "can_manage_team" in r.json()["detail"]

    # Promoted to member, the same token can write (permissions are read on every request).
    r = client.put(f"/accounts/{account_id}/team/{viewer_id}", json={"role": "member"}, headers=owner)
    assert r.status_code == 200 and r.json() == {"user_id": viewer_id, "role": "Member"}
    r = client.put(f"/api/contacts/{made['id']}", json={"position": "CEO"}, headers=viewer)
    assert r.status_code == 200, r.text
    assert client.delete(f"/accounts/{account_id}/team/{viewer_id}", headers=viewer).status_code == 403

    # The owner cannot be demoted or removed; nobody removes themselves.
    r = client.put(f"/accounts/{account_id}/team/{owner_id}", json={"role": "viewer"}, headers=owner)
    assert r.status_code == 403
    assert client.delete(f"/accounts/{account_id}/team/{owner_id}", headers=owner).status_code == 400
    team = client.get(f"/accounts/{account_id}/team", headers=owner).json()
    assert {m["user_id"]: m["role"] for m in team["members"]} == {owner_id: "Owner", viewer_id: "Member"}

    # Removed: the token the member holds stops working at once.
    r = client.delete(f"/accounts/{account_id}/team/{viewer_id}", headers=owner)
    assert r.status_code == 200 and r.json() == {"user_id": viewer_id}
    assert client.get("/api/contacts", headers=viewer).status_code == 401
    assert client.delete(f"/accounts/{account_id}/team/{viewer_id}", headers=owner).status_code == 404

    # Audit: each step, who did it.
    log = client.get("/admin/audit", headers=owner).json()["entries"]
    steps = [(e["action"], e["user_id"], e["resource_id"]) for e in reversed(log)]
    invitation_id = next(e["resource_id"] for e in log if e["action"] == "member.invite")
    assert ("member.invite", owner_id, invitation_id) in steps
    member_steps = [s for s in steps if s[2] == viewer_id and s[0].startswith("member.")]
    assert member_steps == [
        ("member.join", viewer_id, viewer_id),
        ("member.update", owner_id, viewer_id),
        ("member.remove", owner_id, viewer_id),
    ]
    update = next(e for e in log if e["action"] == "member.update")
    assert update["changes"] == {"role": {"before": "Viewer", "after": "Member"}}
    assert update["resource_type"] == "member" and update["ip_address"] == "127.0.0.1"
    assert update["user_agent"].startswith("python-httpx")

    history = client.get(
        "/api/v1/audit-logs/resource-history/", params={"resource_id": made["id"]}, headers=owner
    ).json()
    assert [(d["action"], d["user_id"]) for d in history["data"]] == [
        ("contact.create", owner_id),
        ("contact.update", viewer_id),
    ]
    assert history["data"][1]["changes"] == {"position": {"before": None, "after": "CEO"}}
    activity = client.get(
        "/api/v1/audit-logs/user-activity/", params={"user_id": viewer_id}, headers=owner
    ).json()
    assert {d["action"] for d in activity["data"]} >= {"member.join", "account.switch", "contact.update"}


def test_a_registered_user_joins_at_once_and_limits_hold(client: httpx.Client) -> None:
    owner_tokens = register(client, "Boss")
    owner = auth(owner_tokens)
    account_id = owner_tokens["account"]["account_id"]  # type: ignore[index]
    colleague = register(client, "Colleague")
    r = client.post(
        f"/accounts/{account_id}/team", json={"email": colleague["email"], "role": "ADMIN"}, headers=owner
    )
    assert r.status_code == 201 and r.json()["status"] == "active" and r.json()["role"] == "Admin"
    assert (
        client.post(
            f"/accounts/{account_id}/team", json={"email": colleague["email"]}, headers=owner
        ).status_code
        == 409
    )
    bad = client.post(
        f"/accounts/{account_id}/team", json={"email": _email("r"), "role": "owner"}, headers=owner
    )
    assert bad.status_code == 422


def test_plan_limits_answer_403_naming_the_limit(tmp_path: Path) -> None:
    with (
        serve(_settings(tmp_path, demo_data=False, enforce_plan_limits=True)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        tokens = register(client, "Free")
        owner = auth(tokens)
        account_id = tokens["account"]["account_id"]  # type: ignore[index]
        team = f"/accounts/{account_id}/team"
        # The free plan seats 3 (members plus pending invitations): the 4th is a 403 naming the limit.
        for _ in range(2):
            assert client.post(team, json={"email": _email("s")}, headers=owner).status_code == 201
        r = client.post(team, json={"email": _email("t")}, headers=owner)
        assert r.status_code == 403 and r.json()["code"] == "plan_limit"
        assert "max_team_members is 3" in r.json()["detail"]
        helper = {"name": "T", "helper_type": "tag_it", "config": {"tag_name": "x"}}
        for _ in range(3):
            assert client.post("/helpers", json=helper, headers=owner).status_code == 201
        r = client.post("/helpers", json=helper, headers=owner)
        assert r.status_code == 403 and "max_helpers" in r.json()["detail"]
        demo = {"name": "Sample", "settings": {"contacts": 5}}
        assert client.post("/platforms/demo/connections", json=demo, headers=owner).status_code == 201
        r = client.post("/platforms/demo/connections", json=demo, headers=owner)
        assert r.status_code == 403 and "max_connections" in r.json()["detail"]
        detail = client.get(f"/accounts/{account_id}", headers=owner).json()
        assert detail["settings"]["max_team_members"] == 3
        assert detail["usage"] == {
            "helpers_count": 3,
            "connections_count": 1,
            "executions_count": 0,
            "team_members_count": 3,
        }


def _past_executions(settings: Settings, account_id: str, helper_id: str, n: int, days_ago: int = 0) -> None:
    """`n` finished executions of the helper, written straight to the store (quicker than `n` runs)."""

    async def run() -> None:
        db = Database(settings.resolved_database_url)
        when = utcnow() - timedelta(days=days_ago)
        try:
            async with db.session() as s:
                s.add_all(
                    Execution(
                        id=new_id("exec"),
                        account_id=account_id,
                        helper_id=helper_id,
                        status="completed",
                        created_at=when,
                    )
                    for _ in range(n)
                )
                await s.commit()
        finally:
            await db.close()

    asyncio.run(run())


def test_the_executions_limit_answers_403_naming_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path, demo_data=False, enforce_plan_limits=True)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        tokens = register(client, "Busy")
        owner = auth(tokens)
        account_id = str(tokens["account"]["account_id"])  # type: ignore[index]
        helper = {"name": "T", "helper_type": "tag_it", "config": {"tag_name": "x"}}
        hid = client.post("/helpers", json=helper, headers=owner).json()["helper_id"]
        contact = client.post("/api/contacts", json={"name": "Run On Me"}, headers=owner).json()["id"]
        allowed = limits("free")["max_executions"]
        assert allowed is not None
        # Last period's executions do not count against this one (40 days back is another month).
        _past_executions(settings, account_id, hid, allowed, days_ago=40)
        assert client.get(f"/accounts/{account_id}", headers=owner).json()["usage"]["executions_count"] == 0
        _past_executions(settings, account_id, hid, allowed - 1)
        run = {"contact_id": contact}
        assert client.post(f"/helpers/{hid}/execute", json=run, headers=owner).status_code == 202
        r = client.post(f"/helpers/{hid}/execute", json=run, headers=owner)
        assert r.status_code == 403 and r.json()["code"] == "plan_limit"
        assert f"max_executions is {allowed}" in r.json()["detail"]
        usage = client.get(f"/accounts/{account_id}", headers=owner).json()["usage"]
        assert usage["executions_count"] == allowed


def test_the_mia_face_is_the_same_accounts(client: httpx.Client) -> None:
    owner_tokens = register(client, "Mia")
    owner = auth(owner_tokens)
    tenant = owner_tokens["account"]["account_id"]  # type: ignore[index]
    listed = client.get("/api/tenants", headers=owner).json()
    assert [(w["id"], w["role"], w["is_active"]) for w in listed["workspaces"]] == [(tenant, "owner", True)]
    assert client.get("/api/tenants/current", headers=owner).json()["tenant"]["id"] == tenant
    detail = client.get(f"/api/tenants/{tenant}", headers=owner).json()
    assert detail["member_count"] == 1 and detail["connected_platforms"] == ["native"]

    # An invitation made on the MIA face shows on the MyFusion face, and the other way round.
    invited = _email("mia")
    r = client.post(f"/api/tenants/{tenant}/invites", json={"email": invited, "role": "admin"}, headers=owner)
    assert r.status_code == 201 and r.json()["member"] is None
    invite_id = r.json()["invite"]["invitation_id"]
    team = client.get(f"/accounts/{tenant}/team", headers=owner).json()
    assert [(i["invitation_id"], i["role"]) for i in team["invitations"]] == [(invite_id, "Admin")]
    assert [
        i["invitation_id"]
        for i in client.get(f"/api/tenants/{tenant}/invites", headers=owner).json()["invites"]
    ] == [invite_id]

    # Someone registered under another address takes the invited one, then accepts it.
    joiner = register(client, "Joiner")
    jh = auth(joiner)
    move = {"email": invited, "current_password": joiner["password"]}
    assert client.put("/auth/profile", json=move, headers=jh).status_code == 200
    pending = client.get("/api/tenants/invites/pending", headers=jh).json()["invites"]
    assert [i["invitation_id"] for i in pending] == [invite_id]
    accepted = client.post(f"/api/tenants/invites/{invite_id}/accept", headers=jh)
    assert accepted.status_code == 200 and accepted.json()["workspace"]["id"] == tenant
    assert accepted.json()["role"] == "admin"
    assert client.post(f"/api/tenants/invites/{invite_id}/accept", headers=jh).status_code == 404
    joiner_id = joiner["user"]["user_id"]  # type: ignore[index]
    members = client.get(f"/api/tenants/{tenant}/members", headers=owner).json()
    assert {m["user_id"]: m["role"] for m in members["members"]}[joiner_id] == "admin"

    # A registered user invited on the MIA face joins at once; roles and removal work there too.
    other = register(client, "Other")
    r = client.post(f"/api/tenants/{tenant}/invites", json={"email": other["email"]}, headers=owner)
    assert r.status_code == 201 and r.json()["invite"] is None and r.json()["member"]["role"] == "member"
    other_id = other["user"]["user_id"]  # type: ignore[index]
    r = client.put(f"/api/tenants/{tenant}/members/{other_id}/role", json={"role": "viewer"}, headers=owner)
    assert r.json() == {"success": True, "message": "Member role updated to viewer"}
    switched = client.post("/api/tenants/switch", json={"tenant_id": tenant}, headers=auth(other)).json()
    assert switched["active_tenant_id"] == tenant and switched["tenant_name"]
    assert client.get("/api/tenants/current", headers=auth(switched)).json()["tenant"]["role"] == "viewer"
    assert client.delete(f"/api/tenants/{tenant}/members/{other_id}", headers=owner).json()["success"] is True
    assert client.get("/api/tenants/current", headers=auth(switched)).status_code == 401


def test_concurrent_invitations_of_one_email_answer_one_201_and_409s(client: httpx.Client) -> None:
    tokens = register(client, "Racer")
    owner = auth(tokens)
    team = f"/accounts/{tokens['account']['account_id']}/team"  # type: ignore[index]
    email = _email("raced")
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = sorted(
            pool.map(lambda _: client.post(team, json={"email": email}, headers=owner).status_code, range(5))
        )
    assert statuses == [201, 409, 409, 409, 409]


def test_workspaces_are_created_and_invites_revoked(client: httpx.Client) -> None:
    owner_tokens = register(client, "Maker")
    owner = auth(owner_tokens)
    r = client.post("/api/tenants", json={"name": "Second Shop"}, headers=owner)
    assert r.status_code == 201, r.text
    created = r.json()["tenant"]
    assert created["slug"] == "second-shop" and created["role"] == "owner" and created["is_active"] is False
    names = {w["name"] for w in client.get("/api/tenants", headers=owner).json()["workspaces"]}
    assert "Second Shop" in names and len(names) == 2
    detail = client.get(f"/api/tenants/{created['id']}", headers=owner).json()
    assert detail["member_count"] == 1 and detail["connected_platforms"] == ["native"]

    invited = _email("revoked")
    invite = client.post(
        f"/api/tenants/{created['id']}/invites", json={"email": invited}, headers=owner
    ).json()
    invite_id = invite["invite"]["invitation_id"]
    r = client.delete(f"/api/tenants/{created['id']}/invites/{invite_id}", headers=owner)
    assert r.status_code == 200 and r.json()["invite"]["status"] == "revoked"
    assert client.get(f"/api/tenants/{created['id']}/invites", headers=owner).json()["invites"] == []
    assert (
        client.delete(f"/api/tenants/{created['id']}/invites/{invite_id}", headers=owner).status_code == 404
    )
    # Registering with a revoked invitation's email joins nothing.
    r = client.post("/auth/register", json={"email": invited, "password": "correct-horse-1", "name": "Late"})
    assert len(client.get("/api/tenants", headers=auth(r.json())).json()["workspaces"]) == 1


def test_the_billing_period_is_the_subscriptions_or_the_calendar_month() -> None:
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert current_period_start(None, now) == datetime(2026, 3, 1, tzinfo=UTC)
    # A subscription started on Jan 31: its periods start on the 31st, or the month's last day.
    anchor = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert current_period_start(anchor, now) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert current_period_start(anchor, later) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    assert current_period_start(anchor, datetime(2026, 1, 31, 9, 29, tzinfo=UTC)) == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    stamp = int(datetime(2026, 3, 5, tzinfo=UTC).timestamp())
    newer = {"items": {"data": [{"current_period_start": stamp}]}}
    assert period_start_of(newer) == period_start_of({"current_period_start": stamp})
    assert period_start_of(newer) == datetime(2026, 3, 5, tzinfo=UTC)
    assert period_start_of({"items": {"data": []}}) is None

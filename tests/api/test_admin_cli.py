"""`frontdesk admin grant|revoke` run as a real subprocess against the server's store: an operator is
an admin in the account they are in (their role there notwithstanding), with the token they hold,
as soon as the server sees the change; revoked, they are not. A change written by another process
reaches the server within `identity_cache.TTL_SECONDS` (the store's answer for a token is kept
that long), so the checks after the CLI wait that long at most."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import httpx

from frontdesk.config import Settings
from frontdesk.storage.identity_cache import TTL_SECONDS
from tests.conftest import auth, register


def frontdesk(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_DATABASE_URL": settings.resolved_database_url,
        "FRONTDESK_DEMO_DATA": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def status_once_seen(client: httpx.Client, path: str, headers: dict[str, str], want: int) -> int:
    """The status of `GET path`, asked again until it is `want` or the change written by another
    process must have reached the server (`TTL_SECONDS` and a margin)."""
    deadline = time.monotonic() + TTL_SECONDS + 1.0
    while (found := client.get(path, headers=headers).status_code) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_an_operator_is_an_admin_until_revoked(client: httpx.Client, server_settings: Settings) -> None:
    owner = auth(register(client, "Boss"))
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "name": "Ops", "password": "Opsy1234", "role": "viewer"}
    assert client.post("/admin/users", json=body, headers=owner).status_code == 201
    viewer = auth(client.post("/auth/login", json={"email": email, "password": "Opsy1234"}).json())
    assert client.get("/admin/users", headers=viewer).status_code == 403

    granted = frontdesk(["admin", "grant", "--email", email], server_settings)
    assert granted.returncode == 0, granted.stderr
    assert "now an operator" in granted.stderr
    assert status_once_seen(client, "/admin/users", viewer, 200) == 200
    assert (
        client.get("/admin/audit", params={"action": "operator.grant"}, headers=viewer).json()["total"] == 1
    )

    revoked = frontdesk(["admin", "revoke", "--email", email], server_settings)
    assert revoked.returncode == 0, revoked.stderr
    assert status_once_seen(client, "/admin/users", viewer, 403) == 403
    unknown = frontdesk(["admin", "grant", "--email", "nobody@example.com"], server_settings)
    assert unknown.returncode == 2 and "No user" in unknown.stderr


def test_an_operator_lists_accounts_and_enters_one_visibly(
    client: httpx.Client, server_settings: Settings
) -> None:
    owner_tokens = register(client, "Shopkeeper")
    owner = auth(owner_tokens)
    shop = str(owner_tokens["account"]["account_id"])  # type: ignore[index]
    ops_tokens = register(client, "Operator")
    ops = auth(ops_tokens)
    # Not an operator yet: both routes are 403, whatever the account.
    assert client.get("/admin/accounts", headers=ops).status_code == 403
    assert client.post(f"/admin/accounts/{shop}/enter", headers=ops).status_code == 403

    granted = frontdesk(["admin", "grant", "--email", str(ops_tokens["email"])], server_settings)
    assert granted.returncode == 0, granted.stderr
    assert status_once_seen(client, "/admin/accounts", ops, 200) == 200
    listed = client.get("/admin/accounts", params={"limit": 500}, headers=ops).json()
    row = next(a for a in listed["accounts"] if a["account_id"] == shop)
    assert row["member_count"] == 1 and row["is_member"] is False and listed["total"] >= 2
    assert client.post("/admin/accounts/account:nope/enter", headers=ops).status_code == 404

    entered = client.post(f"/admin/accounts/{shop}/enter", headers=ops)
    assert entered.status_code == 200, entered.text
    assert entered.json()["role"] == "Admin" and entered.json()["account_id"] == shop
    inside = auth(entered.json())
    assert client.get("/api/contacts", headers=inside).status_code == 200
    # The account's owner sees who came in, and can send them out again.
    log = client.get("/admin/audit", params={"action": "operator.enter"}, headers=owner).json()
    assert [e["user_id"] for e in log["entries"]] == [ops_tokens["user"]["user_id"]]  # type: ignore[index]
    team = client.get(f"/accounts/{shop}/team", headers=owner).json()["members"]
    ops_id = next(m["user_id"] for m in team if m["email"] == ops_tokens["email"])
    assert client.delete(f"/accounts/{shop}/team/{ops_id}", headers=owner).status_code == 200
    assert client.get("/api/contacts", headers=inside).status_code == 401
    frontdesk(["admin", "revoke", "--email", str(ops_tokens["email"])], server_settings)

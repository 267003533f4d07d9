"""`/api-keys` on the real server: create (shown once), list, read, revoke; keys as REST bearers."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.config import Settings
from frontdesk.storage.apikey_models import ApiKey
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Membership
from tests.conftest import auth, register


def in_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run `work` in a session on the server's database (from a plain test, beside the server)."""

    async def run() -> Any:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                result = await work(s)
                await s.commit()
                return result
        finally:
            await db.close()

    return asyncio.run(run())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create_key(client: httpx.Client, tokens: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = client.post("/api-keys", json={"name": "Claude Desktop"} | body, headers=auth(tokens))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_create_use_list_and_revoke(client: httpx.Client) -> None:
    owner = register(client, "KeyOwner")
    created = create_key(client, owner)
    key = created["key"]
    assert key.startswith("fdk_") and len(key) > 40
    assert created["prefix"] == key[:12] and created["status"] == "active"
    assert created["name"] == "Claude Desktop" and created["last_used_at"] is None
    assert created["key_id"].startswith("apikey:")

    me = client.get("/auth/me", headers=bearer(key))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == owner["email"]

    listing = client.get("/api-keys", headers=auth(owner)).json()
    assert listing["total"] == 1 and listing["has_more"] is False
    [listed] = listing["api_keys"]
    assert "key" not in listed and listed["key_id"] == created["key_id"]
    assert listed["last_used_at"] is not None  # the /auth/me call above

    one = client.get(f"/api-keys/{created['key_id']}", headers=auth(owner))
    assert one.status_code == 200 and "key" not in one.json()

    revoked = client.delete(f"/api-keys/{created['key_id']}", headers=auth(owner))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = client.delete(f"/api-keys/{created['key_id']}", headers=auth(owner))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

    refused = client.get("/auth/me", headers=bearer(key))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid or revoked API key"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api-keys?include_revoked=false", headers=auth(owner)).json()["total"] == 0


def test_keys_are_stored_hashed(client: httpx.Client, server_settings: Settings) -> None:
    created = create_key(client, register(client, "Hashed"))
    row = in_db(server_settings, lambda s: s.scalar(select(ApiKey).where(ApiKey.id == created["key_id"])))
    assert row is not None
    assert row.key_hash == hashlib.sha256(created["key"].encode()).hexdigest()
    stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert not any(created["key"] in value for value in stored)
    assert not any(created["key"][12:20] in value for value in stored)  # beyond the shown prefix


def test_another_accounts_key_is_not_found(client: httpx.Client) -> None:
    mine = create_key(client, register(client, "Mine"))
    other = register(client, "Other")
    assert client.get(f"/api-keys/{mine['key_id']}", headers=auth(other)).status_code == 404
    r = client.delete(f"/api-keys/{mine['key_id']}", headers=auth(other))
    assert r.status_code == 404 and r.json()["detail"] == "API key not found"
    assert client.get("/api-keys", headers=auth(other)).json()["total"] == 0
    assert client.get("/auth/me", headers=bearer(mine["key"])).status_code == 200  # still valid


def test_managing_keys_needs_the_permission(client: httpx.Client, server_settings: Settings) -> None:
    member = register(client, "Member")
    key = create_key(client, member)["key"]
    demote = (
        update(Membership)
        .where(Membership.user_id == member["user"]["user_id"])
        .values(role="Member", permissions=["chat", "crm.read", "crm.write"])
    )
    in_db(server_settings, lambda s: s.execute(demote))
    for headers in (auth(member), bearer(key)):
        r = client.post("/api-keys", json={"name": "x"}, headers=headers)
        assert r.status_code == 403 and "can_manage_api_keys" in r.json()["detail"]
        assert client.get("/api-keys", headers=headers).status_code == 403
    # the key still authenticates its user, who now has fewer permissions
    assert client.get("/auth/me", headers=bearer(key)).status_code == 200


def test_bad_input_and_bad_keys(client: httpx.Client, server_settings: Settings) -> None:
    owner = register(client, "Input")
    for body in ({"name": ""}, {"name": "x" * 101}, {"name": "ok", "expires_in_days": 0}, {}):
        r = client.post("/api-keys", json=body, headers=auth(owner))
        assert r.status_code == 422 and r.json()["detail"], body
    assert client.post("/api-keys", json={"name": "x"}).status_code == 401
    assert client.get("/api-keys/apikey:nope", headers=auth(owner)).status_code == 404
    r = client.get("/auth/me", headers=bearer("fdk_not-a-real-key"))
    assert r.status_code == 401 and r.json()["detail"] == "Invalid or revoked API key"

    expiring = create_key(client, owner, expires_in_days=1)
    assert expiring["expires_at"] is not None
    assert client.get("/auth/me", headers=bearer(expiring["key"])).status_code == 200
    expire = (
        update(ApiKey)
        .where(ApiKey.id == expiring["key_id"])
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    in_db(server_settings, lambda s: s.execute(expire))
    r = client.get("/auth/me", headers=bearer(expiring["key"]))
    assert r.status_code == 401 and r.json()["detail"] == "API key expired"
    assert client.get(f"/api-keys/{expiring['key_id']}", headers=auth(owner)).json()["status"] == "expired"

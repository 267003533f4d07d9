"""MIA's workspaces (`/api/tenants`): the same accounts, memberships and invitations as `/accounts`,
under MIA's paths and shapes (roles in lower case, `joined_at`, `workspaces`). One model, two faces:
every route here calls the storage functions `/accounts` and its team routes use.

`DELETE /api/tenants/{id}` deletes the account and all it holds (its Owner only; see
`storage/workspaces.py`); `GET /api/tenants/invites/{id}/details` is public: the invitation's id,
random and sent only to the invitee, is what opens it."""

from __future__ import annotations

import asyncio
import re
import shutil
from typing import Any

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.mail import send_later
from frontdesk.api.openapi import errors
from frontdesk.api.routes.accounts import tokens_for
from frontdesk.api.routes.auth import Email
from frontdesk.api.routes.team import actor
from frontdesk.api.schemas.tenants import (
    InviteAccepted,
    InviteDetails,
    TenantCreated,
    TenantCurrent,
    TenantDeleted,
    TenantDetail,
    TenantInvite,
    TenantInviteRevoked,
    TenantInvites,
    TenantList,
    TenantMembers,
    TenantMessage,
    TenantSwitched,
)
from frontdesk.config import Settings
from frontdesk.storage import account_settings, invitations, teams, workspaces
from frontdesk.storage.files import blob_path
from frontdesk.storage.ids import iso
from frontdesk.storage.lake.store import Lake
from frontdesk.storage.models import Account, Connection, Membership

router = APIRouter(prefix="/api/tenants", tags=["tenants"])
RolePattern = r"^(?i:admin|member|viewer)$"


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TenantSwitchIn(BaseModel):
    tenant_id: str = Field(min_length=1, max_length=64)


class RoleIn(BaseModel):
    role: str = Field(pattern=RolePattern)


class TenantInviteIn(BaseModel):
    email: Email
    role: str = Field(default="member", pattern=RolePattern)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"


def tenant(m: Membership, a: Account, current: str) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "slug": slug(a.name),
        "plan": a.plan,
        "role": m.role.lower(),
        "is_active": a.id == current,
        "created_at": iso(a.created_at),
    }


def member(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_id": m["user_id"],
        "email": m["email"],
        "name": m["name"],
        "role": m["role"].lower(),
        "status": m["status"],
        "joined_at": m["linked_at"],
    }


@router.get("", response_model=TenantList, responses=errors(401))
async def list_tenants(identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """The tenants (accounts) the caller belongs to, with their role in each."""
    async with services.db.session() as s:
        rows = await account_settings.memberships(s, identity.user.id)
    return {"workspaces": [tenant(m, a, identity.account.id) for m, a in rows], "total": len(rows)}


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=TenantCreated, responses=errors(401, 422)
)
async def create_tenant(body: TenantIn, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """A new workspace (account) with you as its owner; switch to it to work in it."""
    account, m = await account_settings.create_account(
        services.db, identity.user.id, body.name.strip() or body.name
    )
    return {"success": True, "tenant": tenant(m, account, identity.account.id)}


@router.get("/current", response_model=TenantCurrent, responses=errors(401))
async def current_tenant(identity: CurrentIdentity) -> dict[str, Any]:
    """The tenant (account) the caller is acting in."""
    return {"tenant": tenant(identity.membership, identity.account, identity.account.id)}


@router.post("/switch", response_model=TenantSwitched, responses=errors(401, 403, 422))
async def switch_tenant(
    body: TenantSwitchIn, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Switch workspace; the answer's tokens carry it (403 without access)."""
    await account_settings.switch_account(services.db, identity.user.id, body.tenant_id)
    tokens = await tokens_for(services, identity.user.id, body.tenant_id)
    async with services.db.session() as s:
        account = await s.get(Account, body.tenant_id)
    name = account.name if account else ""
    return {"success": True, "active_tenant_id": body.tenant_id, "tenant_name": name} | tokens


@router.get("/invites/pending", response_model=TenantInvites, responses=errors(401))
async def my_pending_invites(identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Invitations waiting for the signed-in user's email."""
    async with services.db.session() as s:
        return {"invites": await invitations.pending_for_email(s, identity.user.email)}


@router.get("/invites/{invite_id}/details", response_model=InviteDetails, responses=errors(404))
async def invite_details(invite_id: str, services: ServicesDep) -> dict[str, Any]:
    """Public (no sign-in): what the invite acceptance page shows — the workspace's name, who invited,
    the role, the invited email and whether the invitation is still open (`pending`), or
    `accepted`, `revoked` or `expired`."""
    async with services.db.session() as s:
        return await workspaces.invite_details(s, invite_id)


@router.post("/invites/{invite_id}/accept", response_model=InviteAccepted, responses=errors(401, 404))
async def accept_invite(invite_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Join the workspace of an invitation addressed to your email (anyone else's: 404)."""
    inv = await invitations.accept_invitation(services.db, invite_id, identity.user.id)
    async with services.db.session() as s:
        account = await s.get(Account, inv["account_id"])
    return {
        "success": True,
        "workspace": {"id": inv["account_id"], "name": account.name if account else ""},
        "role": inv["role"].lower(),
    }


@router.get("/{tenant_id}", response_model=TenantDetail, responses=errors(401, 404))
async def get_tenant(tenant_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """One tenant (account) the caller belongs to."""
    async with services.db.session() as s:
        detail = await account_settings.account_detail(s, tenant_id, identity.user.id)
        team = await teams.list_members(s, tenant_id)
        platforms = await s.scalars(
            select(Connection.platform).where(Connection.account_id == tenant_id).distinct()
        )
        return {
            "id": detail["account_id"],
            "name": detail["name"],
            "plan": detail["plan"],
            "created_at": detail["created_at"],
            "member_count": team["total_count"],
            "connected_platforms": sorted(platforms),
        }


@router.delete("/{tenant_id}", response_model=TenantDeleted, responses=errors(400, 401, 403, 404))
async def delete_tenant(tenant_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Delete the workspace and everything in it (its Owner only: 403 for other members, 404 for
    anyone else; 400 when it is the Owner's only workspace). Running turns in it are cancelled,
    its uploaded files and lake data removed; the audit log keeps an `account.delete` entry."""
    gone = await workspaces.delete_account(services.db, identity.user.id, tenant_id)
    for conversation_id in gone.running_conversations:
        await services.turns.cancel_conversation(conversation_id)
    await asyncio.to_thread(remove_blobs, services.settings, gone)
    return {"success": True, "message": f"Workspace '{gone.name}' deleted", "tenant_id": tenant_id}


def remove_blobs(settings: Settings, gone: workspaces.Deleted) -> None:
    """Uploaded files and the account's lake directory, after the rows are gone."""
    for name in gone.storage_names:
        blob_path(settings.data_dir, name).unlink(missing_ok=True)
    shutil.rmtree(Lake.for_settings(settings).account_dir(gone.account_id), ignore_errors=True)


@router.get("/{tenant_id}/members", response_model=TenantMembers, responses=errors(401, 404))
async def tenant_members(tenant_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """The members of a tenant the caller belongs to, with their roles."""
    async with services.db.session() as s:
        await teams.membership_of(s, tenant_id, identity.user.id)
        team = await teams.list_members(s, tenant_id)
    return {"members": [member(m) for m in team["members"]], "total": team["total_count"]}


@router.put(
    "/{tenant_id}/members/{user_id}/role",
    response_model=TenantMessage,
    responses=errors(400, 401, 403, 404, 422),
)
async def tenant_member_role(
    tenant_id: str, user_id: str, body: RoleIn, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Change the role of a member of a tenant."""
    out = await teams.change_role(services.db, actor(identity, services), tenant_id, user_id, body.role)
    return {"success": True, "message": f"Member role updated to {out['role'].lower()}"}


@router.delete(
    "/{tenant_id}/members/{user_id}", response_model=TenantMessage, responses=errors(400, 401, 403, 404)
)
async def tenant_remove_member(
    tenant_id: str, user_id: str, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Remove a member from a tenant."""
    await teams.remove(services.db, actor(identity, services), tenant_id, user_id)
    return {"success": True, "message": "Member removed"}


@router.post(
    "/{tenant_id}/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantInvite,
    responses=errors(400, 401, 403, 404, 409, 422),
)
async def tenant_invite(
    tenant_id: str,
    body: TenantInviteIn,
    identity: CurrentIdentity,
    services: ServicesDep,
    tasks: BackgroundTasks,
) -> dict[str, Any]:
    """Invite by email: a registered user joins at once (`member`), another email gets an invite
    (`invite`) that registering with it accepts."""
    out = await teams.invite(services.db, actor(identity, services), tenant_id, body.email, body.role)
    send_later(tasks, services, out["email_id"])
    async with services.db.session() as s:
        if out["invitation_id"] is None:
            team = await teams.list_members(s, tenant_id)
            joined = next(member(m) for m in team["members"] if m["user_id"] == out["user_id"])
            return {"success": True, "invite": None, "member": joined}
        invites = await invitations.pending_for_account(s, tenant_id)
    found = next(i for i in invites if i["invitation_id"] == out["invitation_id"])
    return {"success": True, "invite": found, "member": None}


@router.get("/{tenant_id}/invites", response_model=TenantInvites, responses=errors(401, 404))
async def tenant_invites(tenant_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """The invitations of a tenant that are still pending."""
    async with services.db.session() as s:
        await teams.membership_of(s, tenant_id, identity.user.id)
        return {"invites": await invitations.pending_for_account(s, tenant_id)}


@router.delete(
    "/{tenant_id}/invites/{invite_id}", response_model=TenantInviteRevoked, responses=errors(401, 403, 404)
)
async def revoke_invite(
    tenant_id: str, invite_id: str, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Withdraw a pending invitation (needs `can_manage_team`)."""
    inv = await invitations.revoke_invitation(services.db, actor(identity, services), tenant_id, invite_id)
    return {"success": True, "invite": inv}

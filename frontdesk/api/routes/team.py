"""`/accounts/{account_id}/team` (MyFusion): list, invite, change a role, remove. The rules live in
`storage/teams.py`; the permission that counts is the caller's in the account of the path
(`can_manage_team` for changes). Not to be confused with `routes/teams.py`, the Microsoft Teams door.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.mail import send_later
from frontdesk.api.openapi import errors
from frontdesk.api.routes.auth import Email
from frontdesk.api.schemas.team import Invited, Removed, RoleChanged, TeamList
from frontdesk.storage import teams

router = APIRouter(prefix="/accounts/{account_id}/team", tags=["team"])
RoleIn = Field(default="member", pattern=r"^(?i:admin|member|viewer)$", description="admin, member or viewer")


class TeamInvite(BaseModel):
    email: Email
    role: str = RoleIn


class RoleUpdate(BaseModel):
    role: str = Field(pattern=r"^(?i:admin|member|viewer)$", description="admin, member or viewer")


def actor(identity: CurrentIdentity, services: ServicesDep) -> teams.Actor:
    settings = services.settings
    return teams.Actor(
        identity.user.id, smtp=settings.smtp_url is not None, enforce_limits=settings.enforce_plan_limits
    )


@router.get("", response_model=TeamList, responses=errors(401, 404))
async def list_team(account_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Members (and pending invitations) of an account the caller belongs to."""
    async with services.db.session() as s:
        await teams.membership_of(s, account_id, identity.user.id)
        return await teams.list_members(s, account_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Invited,
    responses=errors(400, 401, 403, 404, 409, 422),
)
async def invite(
    account_id: str,
    body: TeamInvite,
    identity: CurrentIdentity,
    services: ServicesDep,
    tasks: BackgroundTasks,
) -> dict[str, Any]:
    """Invite by email with a role (default member). A registered user joins at once; another email
    gets an invitation it accepts by registering. 409 when already a member or invited; 403 without
    `can_manage_team` or when the plan's `max_team_members` is reached."""
    out = await teams.invite(services.db, actor(identity, services), account_id, body.email, body.role)
    send_later(tasks, services, out["email_id"])
    return out


@router.put("/{user_id}", response_model=RoleChanged, responses=errors(400, 401, 403, 404, 422))
async def change_role(
    account_id: str, user_id: str, body: RoleUpdate, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Change a member's role (the owner's cannot be changed: 403)."""
    return await teams.change_role(services.db, actor(identity, services), account_id, user_id, body.role)


@router.delete("/{user_id}", response_model=Removed, responses=errors(400, 401, 403, 404))
async def remove(
    account_id: str, user_id: str, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Remove a member: they lose access at once, the tokens they hold included. Not yourself (400),
    not the owner (403)."""
    return await teams.remove(services.db, actor(identity, services), account_id, user_id)

"""`/accounts` (MyFusion): the user's accounts, one account's settings and usage, rename, switch
(answering with new tokens that carry the new account) and notification preferences. An account the
user is not a member of is a 404 (switching to one is the seed's 403)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.team import AccountDetail, AccountList, AccountUpdated, Preferences, Switched
from frontdesk.api.services import Services
from frontdesk.errors import Invalid
from frontdesk.security import create_access_token
from frontdesk.storage import account_settings as store
from frontdesk.storage import accounts

router = APIRouter(prefix="/accounts", tags=["accounts"])
AccountId = str


class AccountUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone, e.g. Europe/Lisbon: the default of scheduled jobs",
    )
    approve_writes: bool | None = Field(
        default=None,
        description="Chat, SMS and Teams ask for a yes before a write tool runs (unset: on, except the demo)",
    )


class AccountSwitch(BaseModel):
    account_id: str = Field(min_length=1, max_length=64)


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    execution_failures: bool | None = None
    connection_issues: bool | None = None
    usage_alerts: bool | None = None
    weekly_summary: bool | None = None
    new_features: bool | None = None
    team_activity: bool | None = None
    realtime_status: bool | None = None
    ai_insights: bool | None = None
    system_maintenance: bool | None = None


@router.get("", response_model=AccountList, responses=errors(401))
async def list_accounts(identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """The accounts the caller belongs to, with their role in each and which one is current."""
    async with services.db.session() as s:
        return await store.list_accounts(s, identity.user, identity.account.id)


@router.get("/preferences", response_model=Preferences, responses=errors(401))
async def get_preferences(identity: CurrentIdentity, services: ServicesDep) -> dict[str, bool]:
    """The caller's preferences in the current account."""
    async with services.db.session() as s:
        return await store.get_preferences(s, identity.user.id)


@router.put("/preferences", response_model=Preferences, responses=errors(401, 422))
async def put_preferences(
    body: PreferencesUpdate, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, bool]:
    """Partial update: the fields given are set, the others keep their values."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return await store.set_preferences(services.db, identity.user.id, changes)


@router.post("/switch", response_model=Switched, responses=errors(401, 403, 422))
async def switch(body: AccountSwitch, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Make another account of the user current; 403 without access. The answer's tokens carry the
    new account (the old tokens keep theirs)."""
    await store.switch_account(services.db, identity.user.id, body.account_id)
    return {"user_id": identity.user.id, "current_account_id": body.account_id} | await tokens_for(
        services, identity.user.id, body.account_id
    )


async def tokens_for(services: Services, user_id: str, account_id: str) -> dict[str, Any]:
    """A new access and refresh token pair for the user in `account_id`."""
    async with services.db.session() as s:
        switched = await accounts.load_identity(s, user_id, account_id)
        refresh = await accounts.issue_refresh_token(s, switched, services.settings.refresh_token_days)
    access, expires_in = create_access_token(
        services.secret,
        user_id=user_id,
        account_id=account_id,
        minutes=services.settings.access_token_minutes,
        epoch=switched.user.token_epoch,
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": expires_in,
    }


@router.get("/{account_id}", response_model=AccountDetail, responses=errors(401, 404))
async def get_account(
    account_id: AccountId, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Settings (the plan's limits) and usage of an account the user belongs to."""
    async with services.db.session() as s:
        return await store.account_detail(s, account_id, identity.user.id)


@router.put("/{account_id}", response_model=AccountUpdated, responses=errors(400, 401, 403, 404, 422))
async def update_account(
    account_id: AccountId, body: AccountUpdate, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Rename the account, set its company, its time zone (which scheduled jobs created without one
    use; an unknown zone is 400) or `approve_writes` (needs `can_manage_team`)."""
    if body.model_dump(exclude_none=True) == {}:
        raise Invalid("Give name, company, timezone or approve_writes")
    return await store.update_account(
        services.db,
        account_id,
        identity.user.id,
        name=body.name,
        company=body.company,
        timezone=body.timezone,
        approve_writes=body.approve_writes,
    )

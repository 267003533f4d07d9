"""Mezzofy's admin surface, scoped to the caller's account: `/admin/users`, `/admin/audit`,
`/admin/health`, and the email outbox's `GET /internal/emails/history`. Only an account's Owner and
Admins are admins here (Mezzofy's admin/executive), and operators (`frontdesk admin grant`) in
every account they are in; everyone else gets 403."""

from __future__ import annotations

import asyncio
import shutil
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import text

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.accounts import tokens_for
from frontdesk.api.routes.auth import Email
from frontdesk.api.schemas.team import (
    AdminHealth,
    AdminUser,
    AdminUserList,
    AuditPage,
    EmailHistory,
    OperatorAccounts,
    OperatorEntered,
)
from frontdesk.errors import Forbidden
from frontdesk.paging import page_fields
from frontdesk.storage import admin_users, audit, operators, outbox
from frontdesk.storage.accounts import Identity

router = APIRouter(tags=["admin"])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
RolePattern = r"^(?i:admin|member|viewer)$"


async def admin_identity(identity: CurrentIdentity) -> Identity:
    if not admin_users.is_admin(identity.user, identity.membership):
        raise Forbidden("Admins only (the account's Owner or an Admin, or an operator)")
    return identity


AdminIdentity = Annotated[Identity, Depends(admin_identity)]


class AdminUserCreate(BaseModel):
    email: Email
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=256)
    department: str | None = Field(default=None, max_length=32)
    role: str = Field(default="member", pattern=RolePattern)
    permissions: list[str] | None = Field(default=None, max_length=32)


class AdminUserUpdate(BaseModel):
    role: str | None = Field(default=None, pattern=RolePattern)
    department: str | None = Field(default=None, max_length=32)
    permissions: list[str] | None = Field(default=None, max_length=32)
    is_active: bool | None = None


@router.get("/admin/users", response_model=AdminUserList, responses=errors(401, 403))
async def list_users(
    admin: AdminIdentity,
    services: ServicesDep,
    department: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The users, filtered by department; paged. Operator admins only."""
    async with services.db.session() as s:
        users, total = await admin_users.list_users(
            s, admin.account.id, department=department, limit=limit, offset=offset
        )
    return {"users": users, "total": total}


@router.post(
    "/admin/users",
    status_code=status.HTTP_201_CREATED,
    response_model=AdminUser,
    responses=errors(400, 401, 403, 409, 422),
)
async def create_user(body: AdminUserCreate, admin: AdminIdentity, services: ServicesDep) -> dict[str, Any]:
    """Create a user who is a member of this account (409 when the email is registered)."""
    return await admin_users.create_user(
        services.db,
        admin.user.id,
        admin.account.id,
        email=body.email,
        name=body.name,
        password=body.password,
        department=body.department,
        role=body.role,
        permissions=body.permissions,
        enforce_limits=services.settings.enforce_plan_limits,
    )


@router.put("/admin/users/{user_id}", response_model=AdminUser, responses=errors(400, 401, 403, 404, 422))
async def update_user(
    user_id: str, body: AdminUserUpdate, admin: AdminIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Role, department, permissions or active status; deactivating ends the user's sessions."""
    return await admin_users.update_user(
        services.db,
        admin.user.id,
        admin.account.id,
        user_id,
        role=body.role,
        department=body.department,
        permissions=body.permissions,
        is_active=body.is_active,
    )


@router.get("/admin/audit", response_model=AuditPage, responses=errors(401, 403))
async def admin_audit(
    admin: AdminIdentity,
    services: ServicesDep,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The account's audit log, newest first."""
    where = audit.AuditFilter(user_id=user_id, action=action)
    async with services.db.session() as s:
        rows, total = await audit.list_entries(s, admin.account.id, where, limit=limit, offset=offset)
    return {"entries": [audit.entry_public(e) for e in rows]} | page_fields(total, limit, offset, len(rows))


@router.get("/admin/health", response_model=AdminHealth, responses=errors(401, 403))
async def admin_health(admin: AdminIdentity, services: ServicesDep) -> dict[str, Any]:
    """Database, Redis (`not_configured` without `FRONTDESK_REDIS_URL`), job workers (which run
    helper executions too), disk."""
    try:
        async with services.db.session() as s:
            await s.execute(text("SELECT 1"))
        database = "ok"
    except Exception as e:  # reported in the answer: status says degraded
        database = f"error: {type(e).__name__}"
    disk = await asyncio.to_thread(shutil.disk_usage, services.settings.data_dir.resolve())
    workers = services.settings.job_workers if services.background is not None else 0
    redis = await services.scale.health() if services.scale is not None else "not_configured"
    return {
        "status": "healthy" if database == "ok" and redis in ("connected", "not_configured") else "degraded",
        "database": database,
        "redis": redis,
        "workers": workers,
        "disk_usage_pct": round(100 * disk.used / disk.total, 1) if disk.total else 0.0,
    }


@router.get("/internal/emails/history", response_model=EmailHistory, responses=errors(401, 403))
async def email_history(
    admin: AdminIdentity,
    services: ServicesDep,
    template: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Emails sent (or logged) for this account, newest first; bodies are not shown (they may hold
    a reset code)."""
    async with services.db.session() as s:
        rows, total = await outbox.history(s, admin.account.id, limit=limit, offset=offset, template=template)
    return {"emails": [outbox.email_public(r) for r in rows]} | page_fields(total, limit, offset, len(rows))


@router.get("/admin/accounts", response_model=OperatorAccounts, responses=errors(401, 403))
async def operator_accounts(
    identity: CurrentIdentity, services: ServicesDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """Every account of this server (operators only: `frontdesk admin grant`), with its member
    count and whether you are a member."""
    async with services.db.session() as s:
        found, total = await operators.list_accounts(s, identity.user.id, limit=limit, offset=offset)
    return {"accounts": found, "total": total}


@router.post(
    "/admin/accounts/{account_id}/enter", response_model=OperatorEntered, responses=errors(401, 403, 404)
)
async def operator_enter(account_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Enter an account you are not a member of (operators only): you join it as an Admin,
    recorded in its audit log as `operator.enter`, and get tokens for it. Its owner or admins
    remove you from the team like any member."""
    role = await operators.enter_account(services.db, identity.user.id, account_id)
    return {"account_id": account_id, "role": role} | await tokens_for(services, identity.user.id, account_id)

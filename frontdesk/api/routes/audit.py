"""The Services API's audit routes over the account's audit log: `GET /api/v1/audit-logs/`,
`/user-activity/` and `/resource-history/`. Admins (Owner, Admin) read everything; any member may
read their own activity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.admin import AdminIdentity
from frontdesk.api.schemas.team import AuditLogList, ResourceHistory, UserActivity
from frontdesk.errors import Forbidden
from frontdesk.storage import audit
from frontdesk.storage.admin_users import is_admin

router = APIRouter(prefix="/api/v1/audit-logs", tags=["audit"])
Limit = Annotated[int, Query(ge=1, le=500)]
Id = Annotated[str, Query(min_length=1, max_length=128)]


@router.get("/", response_model=AuditLogList, responses=errors(401, 403))
async def audit_logs(
    admin: AdminIdentity,
    services: ServicesDep,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """The audit trail, newest first, filtered by user or action. Admins only."""
    where = audit.AuditFilter(user_id=user_id, action=action)
    async with services.db.session() as s:
        rows, _ = await audit.list_entries(s, admin.account.id, where, limit=limit)
    return {"success": True, "count": len(rows), "data": [audit.entry_public(e) for e in rows]}


@router.get("/user-activity/", response_model=UserActivity, responses=errors(401, 403))
async def user_activity(
    identity: CurrentIdentity,
    services: ServicesDep,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    days: Annotated[int, Query(ge=1, le=3650)] = 7,
    limit: Limit = 100,
) -> dict[str, Any]:
    """What one user did in this account over the last `days` (default: yourself)."""
    who = user_id or identity.user.id
    if who != identity.user.id and not is_admin(identity.user, identity.membership):
        raise Forbidden("Admins only for another user's activity")
    where = audit.AuditFilter(user_id=who, since_days=days)
    async with services.db.session() as s:
        rows, _ = await audit.list_entries(s, identity.account.id, where, limit=limit)
    data = [audit.entry_public(e) for e in rows]
    return {"success": True, "user_id": who, "days": days, "count": len(data), "data": data}


@router.get("/resource-history/", response_model=ResourceHistory, responses=errors(401, 403, 422))
async def resource_history(
    resource_id: Id, admin: AdminIdentity, services: ServicesDep, limit: Limit = 50
) -> dict[str, Any]:
    """Every recorded change of one resource in this account, oldest first."""
    where = audit.AuditFilter(resource_id=resource_id)
    async with services.db.session() as s:
        rows, _ = await audit.list_entries(s, admin.account.id, where, limit=limit)
    data = [audit.entry_public(e) for e in reversed(rows)]
    return {"success": True, "resource_id": resource_id, "count": len(data), "data": data}

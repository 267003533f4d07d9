"""`/api/notifications` (CRM MVP): the user's notifications — job results, failed runs, inbound
events, qualified leads and `notify` helper records (`storage/notifications.py`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.jobs import NotificationList, NotificationPublic
from frontdesk.tools import notifications
from frontdesk.tools.base import ToolContext

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("", response_model=NotificationList, responses=errors(401, 422))
async def list_notifications(
    principal: CurrentPrincipal,
    services: ServicesDep,
    status: Literal["unread", "read", "all"] = "all",
    type: Literal["lead", "message", "system"] | None = None,  # the seed's name
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Newest first."""
    ctx = ToolContext(principal, services.db, services.settings)
    return await notifications.list_notifications(ctx, status, type, limit)


@router.put("/{notification_id}/read", response_model=NotificationPublic, responses=errors(401, 404))
async def mark_read(
    notification_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Mark one of the caller's notifications as read."""
    return await notifications.mark_read(
        ToolContext(principal, services.db, services.settings), notification_id
    )

"""`/api/analytics/dashboard` (CRM MVP shape): the `dashboard_summary` tool over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.analytics import Dashboard
from frontdesk.tools.analytics import dashboard_summary
from frontdesk.tools.base import ToolContext

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


@router.get("/dashboard", response_model=Dashboard, responses=errors(401, 403))
async def dashboard(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The account's dashboard summary in one answer (the CRM MVP's analytics dashboard)."""
    return await dashboard_summary(ToolContext(principal, services.db, services.settings))

"""`/executions` (MyFusion shapes): helper runs of the account, newest first, with a `next_token`
cursor, and one run with its input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.helpers import ExecutionDetail, ExecutionList
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import tools

router = APIRouter(prefix="/executions", tags=["executions"])


@router.get("", response_model=ExecutionList, responses=errors(400, 401, 403, 422))
async def list_executions(
    principal: CurrentPrincipal,
    services: ServicesDep,
    helper_id: Annotated[str | None, Query(max_length=64)] = None,
    status: tools.ExecutionStatus | None = None,
    created_from: Annotated[datetime | None, Query(description="Queued at or after (ISO 8601).")] = None,
    created_to: Annotated[datetime | None, Query(description="Queued before (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=tools.MAX_EXECUTION_PAGE)] = 20,
    next_token: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """One page of executions (limit 1-100, default 20); pass `next_token` for the next page."""
    ctx = ToolContext(principal, services.db, services.settings)
    return await tools.list_executions(
        ctx, helper_id, status, created_from, created_to, limit=limit, next_token=next_token
    )


@router.get("/{execution_id}", response_model=ExecutionDetail, responses=errors(400, 401, 403, 404))
async def get_execution(
    execution_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """One execution with `input` and `output`; another account's -> 404."""
    return await tools.get_execution(ToolContext(principal, services.db, services.settings), execution_id)

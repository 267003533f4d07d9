"""`/helpers` (MyFusion shapes): helper types, helpers CRUD, and queueing an execution.

Routes only translate: the work (permissions, config validation against the type's schema,
account scoping) happens in `frontdesk.tools.helpers`, the functions the agent and MCP call too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.helpers import (
    ExecutionQueued,
    HelperCreated,
    HelperDeleted,
    HelperDetail,
    HelperList,
    HelperTypeList,
    HelperTypePublic,
)
from frontdesk.errors import Invalid
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import manage, tools
from frontdesk.types import Principal

router = APIRouter(prefix="/helpers", tags=["helpers"])
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str | None, Field(max_length=2000)]
ConnectionId = Annotated[str | None, Field(max_length=64)]


class HelperCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    helper_type: str = Field(min_length=1, max_length=64)
    description: Description = None
    category: str | None = Field(default=None, max_length=32)
    connection_id: ConnectionId = None
    config: dict[str, Any] = Field(default_factory=dict)


class HelperUpdate(BaseModel):
    """Only the fields sent change; `config` replaces the whole config and is validated."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    description: Description = None
    config: dict[str, Any] | None = None
    enabled: bool | None = None
    connection_id: ConnectionId = None


class ExecuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: str | None = Field(default=None, max_length=64)
    input: dict[str, Any] = Field(default_factory=dict)


def _ctx(services: ServicesDep, principal: Principal) -> ToolContext:
    return ToolContext(principal, services.db, services.settings)


@router.get("/types", response_model=HelperTypeList, responses=errors(401, 403, 422))
async def list_types(
    principal: CurrentPrincipal,
    services: ServicesDep,
    category: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Every registered helper type with its config JSON schema."""
    return await tools.list_helper_types(_ctx(services, principal), category)


@router.get("/types/{helper_type}", response_model=HelperTypePublic, responses=errors(401, 403, 404))
async def get_type(helper_type: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """One helper type; unknown -> 404."""
    return await tools.get_helper_type(_ctx(services, principal), helper_type)


@router.get("", response_model=HelperList, responses=errors(401, 403, 422))
async def list_helpers(
    principal: CurrentPrincipal,
    services: ServicesDep,
    helper_type: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    enabled: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=tools.MAX_HELPER_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The account's helpers (deleted ones left out), oldest first."""
    return await tools.list_helpers(
        _ctx(services, principal), helper_type, category, enabled, limit=limit, offset=offset
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=HelperCreated,
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def create_helper(body: HelperCreate, principal: CurrentPrincipal, services: ServicesDep) -> Any:
    """Create a helper (`can_manage_helpers`). Unknown type or invalid config -> 400."""
    helper = await manage.create_helper(_ctx(services, principal), **body.model_dump())
    keys = ("helper_id", "name", "helper_type", "category", "enabled", "config", "created_at")
    return {k: helper[k] for k in keys}


@router.get("/{helper_id}", response_model=HelperDetail, responses=errors(400, 401, 403, 404))
async def get_helper(helper_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """One helper with `config` and `config_schema`; another account's -> 404."""
    return await tools.get_helper_config(_ctx(services, principal), helper_id)


@router.put("/{helper_id}", response_model=HelperDetail, responses=errors(400, 401, 403, 404, 413, 422))
async def update_helper(
    helper_id: str, body: HelperUpdate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Update name, description, config, enabled, connection (`can_manage_helpers`)."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "config", "enabled"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required}: cannot be null")
    return await manage.update_helper(_ctx(services, principal), helper_id, changes)


@router.delete("/{helper_id}", response_model=HelperDeleted, responses=errors(400, 401, 403, 404))
async def delete_helper(helper_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Soft-delete (`can_manage_helpers`): gone from lists, cannot run; executions remain."""
    return await manage.delete_helper(_ctx(services, principal), helper_id)


@router.post(
    "/{helper_id}/execute",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExecutionQueued,
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def execute_helper(
    helper_id: str, body: ExecuteIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Queue an execution (`can_execute_helpers`); poll `GET /executions/{id}`. Disabled -> 400."""
    queued = await tools.invoke_helper(_ctx(services, principal), helper_id, body.contact_id, body.input)
    if services.background is not None:  # its job is queued: dispatch it now, not on the next poll
        services.background.queue.wake()
    return queued

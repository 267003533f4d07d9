"""`/api/leads` (CRM MVP shapes, camelCase) over the CRM lead tools: the route only translates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.contacts import NextCursor, call_tool, camel
from frontdesk.api.schemas.crm import LeadList, LeadPublic
from frontdesk.tools.crm_records import MAX_PAGE, LeadStatus

router = APIRouter(prefix="/api/leads", tags=["leads"])


class LeadIn(BaseModel):
    """Lead fields; on PUT every field is optional and only those sent change."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    status: LeadStatus | None = None
    source: str | None = None
    value: float | None = None
    notes: str | None = None
    contact_id: str | None = None


@router.get("", response_model=LeadList, responses=errors(400, 401, 403, 422))
async def list_leads(
    principal: CurrentPrincipal,
    services: ServicesDep,
    status_: Annotated[LeadStatus | None, Query(alias="status")] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    cursor: NextCursor = None,
) -> dict[str, Any]:
    """Leads of the account, newest first, filtered by status and source, searched by name, email
    or company. Deep offsets are slow (the database skips that many entries); `cursor` continues
    from `nextCursor` of the previous page (same filters)."""
    args: dict[str, Any] = {"limit": limit, "offset": offset}
    for key, value in (("status", status_), ("source", source), ("search", search), ("cursor", cursor)):
        if value:
            args[key] = value
    page = await call_tool(services, principal, "list_leads", args)
    return {
        "leads": [camel(lead) for lead in page["leads"]],
        "total": page["total"],
        "totalValue": page["total_value"],
        "pagination": {"limit": limit, "offset": offset, "hasMore": page["has_more"]},
        "nextCursor": page["next_cursor"],
    }


@router.get("/{lead_id}", response_model=LeadPublic, responses=errors(400, 401, 403, 404))
async def get_lead(lead_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """One lead of the account."""
    return camel(await call_tool(services, principal, "get_lead", {"lead_id": lead_id}))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LeadPublic,
    responses=errors(400, 401, 403, 413, 422),
)
async def create_lead(body: LeadIn, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Create a lead in the account's CRM."""
    return camel(await call_tool(services, principal, "create_lead", body.model_dump(exclude_none=True)))


@router.put("/{lead_id}", response_model=LeadPublic, responses=errors(400, 401, 403, 404, 413, 422))
async def update_lead(
    lead_id: str, body: LeadIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Change the given fields of a lead (fields left out stay as they are)."""
    args = body.model_dump(exclude_unset=True) | {"lead_id": lead_id}
    return camel(await call_tool(services, principal, "update_lead", args))


@router.delete("/{lead_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(400, 401, 403, 404))
async def delete_lead(lead_id: str, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    """Delete a lead of the account."""
    await call_tool(services, principal, "delete_lead", {"lead_id": lead_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)

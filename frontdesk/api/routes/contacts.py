"""`/api/contacts` (CRM MVP shapes, camelCase) over the CRM tools: the route only translates.

Bodies are passed to the tools through the registry, which validates them against the tool's own
schema (bad values -> 400 with `detail`) and checks the permission (`crm.read` / `crm.write`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.crm import ContactDetail, ContactList, ContactPublic
from frontdesk.tools.base import ToolContext
from frontdesk.tools.crm_records import MAX_PAGE

# `nextCursor` of the CRM lists (camelCase, as their other fields)
NextCursor = Annotated[
    str | None,
    Query(max_length=2000, description="`nextCursor` of the previous page (use instead of a deep offset)."),
]

router = APIRouter(prefix="/api/contacts", tags=["contacts"])
SORTS = {"name": "name", "company": "company", "createdAt": "created_at"}


class ContactIn(BaseModel):
    """Contact fields; on PUT every field is optional and only those sent change."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    position: str | None = None
    tags: list[str] | None = None
    notes: str | None = None
    status: str | None = None


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str] = []
    remove: list[str] = []


@lru_cache(maxsize=256)
def camel_key(key: str) -> str:
    """`key` in camelCase (pydantic's regex-based `to_camel`, worked out once per key: a page of
    50 contacts renders 700 keys, and the regexes cost more than the rest of the rendering)."""
    return to_camel(key)


def camel(record: dict[str, Any]) -> dict[str, Any]:
    out = {camel_key(k): v for k, v in record.items()}
    if isinstance(out.get("leads"), list):
        out["leads"] = [camel(lead) for lead in out["leads"]]
    return out


async def call_tool(
    services: ServicesDep, principal: CurrentPrincipal, tool: str, args: dict[str, Any]
) -> Any:
    """Run a registry tool as the principal (also used by the leads and connections routes)."""
    ctx = ToolContext(principal, services.db, services.settings)
    return await services.registry.call(tool, args, ctx)


@router.get("", response_model=ContactList, responses=errors(400, 401, 403, 422))
async def list_contacts(
    principal: CurrentPrincipal,
    services: ServicesDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    tags: Annotated[
        str | None, Query(max_length=2000, description="Comma-separated; all must match.")
    ] = None,
    sort: Literal["name", "company", "createdAt"] = "name",
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    cursor: NextCursor = None,
) -> dict[str, Any]:
    """Contacts of the account: search name/email/company, filter by tags, sort, paginate.

    Offsets work at any depth but the database skips that many entries on each request (slow
    past tens of thousands); `cursor` continues from `nextCursor` of the previous page
    (same filters and sort) at the cost of the first page."""
    args: dict[str, Any] = {"sort": SORTS[sort], "order": order, "limit": limit, "offset": offset}
    if cursor:
        args["cursor"] = cursor
    if search:
        args["search"] = search
    tag_list = [t.strip() for t in (tags or "").split(",") if t.strip()]
    if tag_list:
        args["tags"] = tag_list
    page = await call_tool(services, principal, "get_contacts", args)
    return {
        "contacts": [camel(c) for c in page["contacts"]],
        "total": page["total"],
        "pagination": {"limit": limit, "offset": offset, "hasMore": page["has_more"]},
        "nextCursor": page["next_cursor"],
    }


@router.get("/{contact_id}", response_model=ContactDetail, responses=errors(400, 401, 403, 404))
async def get_contact(contact_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """One contact with its notes, tags and leads."""
    return camel(await call_tool(services, principal, "get_contact_detail", {"contact_id": contact_id}))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactPublic,
    responses=errors(400, 401, 403, 413, 422),
)
async def create_contact(
    body: ContactIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Create a contact in the account's native CRM."""
    args = body.model_dump(exclude_none=True)
    return camel(await call_tool(services, principal, "create_contact", args))


@router.put("/{contact_id}", response_model=ContactPublic, responses=errors(400, 401, 403, 404, 413, 422))
async def update_contact(
    contact_id: str, body: ContactIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Change the given fields of a contact (fields left out stay as they are)."""
    args = body.model_dump(exclude_unset=True) | {"contact_id": contact_id}
    return camel(await call_tool(services, principal, "update_contact", args))


@router.post(
    "/{contact_id}/tags", response_model=ContactPublic, responses=errors(400, 401, 403, 404, 413, 422)
)
async def tag_contact(
    contact_id: str, body: TagsIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Add `tags` (created when new) and take off `remove`; returns the contact."""
    args = {"contact_id": contact_id, "tags": body.tags, "remove": body.remove}
    return camel(await call_tool(services, principal, "tag_contact", args))

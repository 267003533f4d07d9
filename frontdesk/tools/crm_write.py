"""CRM write tools over the native CRM store: create/update/tag contacts, create/update/delete leads.

Each requires `crm.write` and is registered with `read_only=False` (the MCP face marks it
destructive). Optional text arguments left out are unchanged; an empty string clears them.
`validate_field` is the one check of a single field's value, shared with the native connector
(and so with helpers such as update_field that act through it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from frontdesk.errors import Invalid
from frontdesk.storage import crm_write as store
from frontdesk.tools.base import ToolContext
from frontdesk.tools.crm_records import (
    Company,
    ContactId,
    Email,
    LeadId,
    LeadStatus,
    Money,
    Notes,
    PersonName,
    Phone,
    Position,
    ShortText,
    Source,
    TagList,
    contact_public,
    lead_public,
    split_name,
)
from frontdesk.tools.registry import ToolRegistry

ContactStatus = Annotated[str, Field(min_length=1, max_length=32, description="e.g. active, inactive.")]

_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "contacts": {
        "first_name": Annotated[str, Field(min_length=1, max_length=100)],
        "last_name": Annotated[str, Field(max_length=100)],
        "email": Email,
        "phone": Phone,
        "company": ShortText,
        "position": ShortText,
        "status": ContactStatus,
        "notes": Notes,
        "last_contact_date": datetime | None,
    },
    "leads": {
        "name": PersonName,
        "email": Email,
        "phone": Phone,
        "company": ShortText,
        "status": LeadStatus,
        "source": Source,
        "value": Money,
        "notes": Notes,
    },
}
_OPTIONAL = frozenset({"email", "phone", "company", "position", "notes", "last_contact_date"})


def validate_field(object_type: str, field: str, value: Any) -> Any:
    """Check one field's new value the way the write tools do; returns the value to store."""
    types = _FIELD_TYPES.get(object_type)
    if types is None:
        raise Invalid(f"Fields of {object_type} cannot be updated here")
    if field not in types:
        raise Invalid(
            f"Unknown or read-only field '{field}' of {object_type}; writable: {', '.join(sorted(types))}"
        )
    try:
        clean = TypeAdapter(types[field]).validate_python(value)
    except ValidationError as e:
        raise Invalid(f"{field}: {e.errors()[0]['msg']}") from e
    if isinstance(clean, str):
        clean = clean.strip()
        if field == "source":
            clean = clean.lower()
    return None if clean == "" and field in _OPTIONAL else clean


def _fields(object_type: str, given: dict[str, Any]) -> dict[str, Any]:
    return {k: validate_field(object_type, k, v) for k, v in given.items() if v is not None}


async def create_contact(
    ctx: ToolContext,
    name: PersonName,
    email: Email | None = None,
    phone: Phone | None = None,
    company: Company | None = None,
    position: Position | None = None,
    tags: Annotated[TagList | None, Field(description="Tags to put on the contact.")] = None,
    notes: Notes | None = None,
    status: ContactStatus = "active",
) -> dict[str, Any]:
    """Create a contact in the account's CRM (the first word of `name` is the first name)."""
    ctx.require("crm.write")
    first, last = split_name(name)
    fields = _fields(
        "contacts",
        {"first_name": first, "last_name": last, "email": email, "phone": phone, "company": company}
        | {"position": position, "notes": notes, "status": status},
    )
    fields.setdefault("last_name", "")
    async with ctx.db.session() as s:
        contact = await store.create_contact(
            s, ctx.principal.account_id, fields, tags or [], actor=ctx.principal.user_id
        )
    return contact_public(contact)


async def update_contact(
    ctx: ToolContext,
    contact_id: ContactId,
    name: PersonName | None = None,
    email: Email | None = None,
    phone: Phone | None = None,
    company: Company | None = None,
    position: Position | None = None,
    status: ContactStatus | None = None,
    notes: Notes | None = None,
    tags: Annotated[TagList | None, Field(description="Replaces the contact's whole tag set.")] = None,
) -> dict[str, Any]:
    """Update a contact: only the fields given change; `tags` replaces the whole tag set."""
    ctx.require("crm.write")
    given: dict[str, Any] = {"email": email, "phone": phone, "company": company, "position": position}
    given |= {"status": status, "notes": notes}
    if name is not None:
        given["first_name"], given["last_name"] = split_name(name)
    fields = _fields("contacts", given)
    if name is not None:
        fields.setdefault("last_name", "")
    if not fields and tags is None:
        raise Invalid("Nothing to update: give at least one field")
    async with ctx.db.session() as s:
        contact = await store.update_contact(
            s, ctx.principal.account_id, contact_id, fields, tags, actor=ctx.principal.user_id
        )
    return contact_public(contact)


async def tag_contact(
    ctx: ToolContext,
    contact_id: ContactId,
    tags: Annotated[TagList | None, Field(description="Tags to add (created when new).")] = None,
    remove: Annotated[TagList | None, Field(description="Tags to take off.")] = None,
) -> dict[str, Any]:
    """Add tags to a contact (and optionally remove others); returns the contact with its tags."""
    ctx.require("crm.write")
    if not tags and not remove:
        raise Invalid("Give tags to add or remove")
    async with ctx.db.session() as s:
        contact = await store.tag_contact(
            s, ctx.principal.account_id, contact_id, tags or [], remove or [], actor=ctx.principal.user_id
        )
    return contact_public(contact)


async def create_lead(
    ctx: ToolContext,
    name: PersonName,
    email: Email | None = None,
    phone: Phone | None = None,
    company: Company | None = None,
    source: Source = "website",
    value: Money = 0.0,
    notes: Notes | None = None,
    status: Annotated[LeadStatus, Field(description="new, contacted, qualified or converted.")] = "new",
    contact_id: Annotated[str | None, Field(max_length=64, description="Link to a contact.")] = None,
) -> dict[str, Any]:
    """Create a sales lead (status new, contacted, qualified or converted)."""
    ctx.require("crm.write")
    given = {"name": name, "email": email, "phone": phone, "company": company, "source": source}
    fields = _fields("leads", given | {"value": value, "notes": notes, "status": status})
    fields["contact_id"] = contact_id or None
    async with ctx.db.session() as s:
        lead = await store.create_lead(s, ctx.principal.account_id, fields, actor=ctx.principal.user_id)
    return lead_public(lead)


async def update_lead(
    ctx: ToolContext,
    lead_id: LeadId,
    status: Annotated[
        LeadStatus | None, Field(description="Move the lead to new, contacted, qualified or converted.")
    ] = None,
    notes: Notes | None = None,
    value: Money | None = None,
    name: PersonName | None = None,
    email: Email | None = None,
    phone: Phone | None = None,
    company: Company | None = None,
    source: Source | None = None,
    contact_id: Annotated[
        str | None, Field(max_length=64, description="Link to a contact; '' unlinks.")
    ] = None,
) -> dict[str, Any]:
    """Update a lead, e.g. move it to another status; only the fields given change."""
    ctx.require("crm.write")
    given = {"status": status, "notes": notes, "value": value, "name": name, "email": email}
    fields = _fields("leads", given | {"phone": phone, "company": company, "source": source})
    if contact_id is not None:
        fields["contact_id"] = contact_id or None
    if not fields:
        raise Invalid("Nothing to update: give at least one field")
    async with ctx.db.session() as s:
        lead = await store.update_lead(
            s, ctx.principal.account_id, lead_id, fields, actor=ctx.principal.user_id
        )
    return lead_public(lead)


async def delete_lead(ctx: ToolContext, lead_id: LeadId) -> dict[str, Any]:
    """Delete a lead permanently."""
    ctx.require("crm.write")
    async with ctx.db.session() as s:
        await store.delete_lead(s, ctx.principal.account_id, lead_id, actor=ctx.principal.user_id)
    return {"id": lead_id, "deleted": True}


def register(registry: ToolRegistry) -> None:
    for fn in (create_contact, update_contact, tag_contact, create_lead, update_lead, delete_lead):
        registry.add(fn, permission="crm.write", read_only=False)

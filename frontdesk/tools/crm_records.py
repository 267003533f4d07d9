"""How CRM rows cross the tool boundary (plain dicts), and the argument types the CRM tools share.

The same dicts are what the tools return, what the native connector serves as records, and what
the REST routes render (in the CRM MVP's camelCase).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.storage.contact_rows import ContactRow
from frontdesk.storage.crm import LeadRow
from frontdesk.storage.ids import iso
from frontdesk.storage.models import Connection, Contact, Lead, Tag

MAX_PAGE = 100
MAX_TAGS = 50

LeadStatus = Literal["new", "contacted", "qualified", "converted"]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE, description=f"Page size, 1-{MAX_PAGE}.")]
Offset = Annotated[int, Field(ge=0, le=1_000_000, description="Rows to skip.")]
DateFrom = Annotated[date | None, Field(description="Created on or after this day (YYYY-MM-DD, UTC).")]
DateTo = Annotated[date | None, Field(description="Created on or before this day (YYYY-MM-DD, UTC).")]
ContactId = Annotated[str, Field(min_length=1, max_length=64, description="The contact's id, e.g. contact:…")]
LeadId = Annotated[str, Field(min_length=1, max_length=64, description="The lead's id, e.g. lead:…")]
TagName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
TagList = Annotated[list[TagName], Field(max_length=MAX_TAGS)]
# optional text fields: an empty string clears the field
Email = Annotated[
    str, Field(max_length=320, pattern=r"^(|[^@\s]+@[^@\s]+\.[^@\s]+)$", description="Email address.")
]
Phone = Annotated[
    str, Field(max_length=32, pattern=r"^(|\+?[0-9 ()./-]{3,32})$", description="Phone number.")
]
ShortText = Annotated[str, Field(max_length=200)]
Company = Annotated[str, Field(max_length=200, description="Company or organisation name.")]
Position = Annotated[str, Field(max_length=200, description="Job title or role at the company.")]
Notes = Annotated[str, Field(max_length=10_000, description="Free-text notes.")]
PersonName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S", description="Full name.")]
Source = Annotated[
    str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", description="e.g. website, referral")
]
Money = Annotated[float, Field(ge=0, le=1e12, description="Deal value in the account's currency.")]


def contact_public(c: Contact | ContactRow) -> dict[str, Any]:
    """A contact as a plain dict: an ORM `Contact` or a list page's `ContactRow` alike."""
    return {
        "id": c.id,
        "name": f"{c.first_name} {c.last_name}".strip(),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "company": c.company,
        "position": c.position,
        "tags": list(c.tag_names),
        "status": c.status,
        "notes": c.notes,
        "last_contact_date": iso(c.last_contact_date),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }


def lead_public(lead: Lead | LeadRow) -> dict[str, Any]:
    """A lead as a plain dict: an ORM `Lead` or a list page's `LeadRow` alike."""
    return {
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "company": lead.company,
        "status": lead.status,
        "source": lead.source,
        "value": lead.value,
        "notes": lead.notes,
        "contact_id": lead.contact_id,
        "created_at": iso(lead.created_at),
        "updated_at": iso(lead.updated_at),
    }


def tag_public(tag: Tag, contact_count: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": tag.id, "name": tag.name, "created_at": iso(tag.created_at)}
    if contact_count is not None:
        body["contact_count"] = contact_count
    return body


def connection_public(row: Connection, object_types: list[str] | None = None) -> dict[str, Any]:
    """A connection as MyFusion shows it. Never includes the credentials, only whether there are any."""
    settings = {k: v for k, v in (row.settings or {}).items() if k not in ("auth_type", "edits")}
    return {
        "connection_id": row.id,
        "platform_id": row.platform,
        "account_id": row.account_id,
        "name": row.name,
        "status": row.status,
        "auth_type": (row.settings or {}).get("auth_type", "none"),
        "has_credentials": bool(row.credentials_encrypted),
        "settings": settings,
        "object_types": object_types or [],
        "last_synced_at": iso(row.last_synced_at),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def split_name(name: str) -> tuple[str, str]:
    """'Ada King Lovelace' -> ('Ada', 'King Lovelace'): first word, then the rest."""
    parts = name.strip().split(maxsplit=1)
    return (parts[0], parts[1] if len(parts) > 1 else "")

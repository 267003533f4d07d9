"""`/api/contacts` and `/api/leads` (the CRM MVP's camelCase shapes)."""

from __future__ import annotations

from frontdesk.api.schemas.base import CamelPublic, Timestamp
from frontdesk.tools.crm_records import LeadStatus


class Pagination(CamelPublic):
    limit: int
    offset: int
    has_more: bool


class LeadPublic(CamelPublic):
    id: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    status: LeadStatus
    source: str
    value: float
    notes: str | None
    contact_id: str | None
    created_at: Timestamp
    updated_at: Timestamp


class LeadList(CamelPublic):
    leads: list[LeadPublic]
    total: int
    total_value: float
    pagination: Pagination
    next_cursor: str | None = None  # pass as `cursor` for the next page; null on the last page


class ContactPublic(CamelPublic):
    id: str
    name: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    company: str | None
    position: str | None
    tags: list[str]
    status: str
    notes: str | None
    last_contact_date: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class ContactDetail(ContactPublic):
    leads: list[LeadPublic]


class ContactList(CamelPublic):
    contacts: list[ContactPublic]
    total: int
    pagination: Pagination
    next_cursor: str | None = None  # pass as `cursor` for the next page; null on the last page

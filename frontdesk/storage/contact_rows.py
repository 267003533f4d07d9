"""A contact list page's rows: the contacts' columns and their tags' names as plain values.

Read with one Core statement (a contact's row once per tag, grouped here): the ORM's `Contact`
entities, identity map and `selectin` tag load cost more than the page's query on a page of 50.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, any_, literal, outerjoin, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.models import Contact, ContactTag, Tag


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact of a list page: its columns and its tags' names, sorted. Read-only: writes go
    through `crm_write` on ORM `Contact`s."""

    id: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    company: str | None
    position: str | None
    status: str
    notes: str | None
    last_contact_date: datetime | None
    created_at: datetime
    updated_at: datetime
    tag_names: tuple[str, ...]


_ROW_COLUMNS = [Contact.__table__.c[name] for name in ContactRow.__slots__ if name != "tag_names"]  # type: ignore[attr-defined]


async def load_rows(session: AsyncSession, ids: list[str]) -> list[ContactRow]:
    """The contacts `ids` in that order (ids not found are left out), with their tags: one
    statement, a contact's row once per tag (PostgreSQL: the ids as one array parameter, so the
    prepared statement is the same for every page size)."""
    if not ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        wanted = Contact.id == any_(literal(ids, ARRAY(String)))
    else:
        wanted = Contact.id.in_(ids)
    link = outerjoin(Contact, ContactTag, ContactTag.contact_id == Contact.id).outerjoin(
        Tag, Tag.id == ContactTag.tag_id
    )
    rows: dict[str, tuple[Any, ...]] = {}
    names: defaultdict[str, list[str]] = defaultdict(list)
    for *row, name in await session.execute(select(*_ROW_COLUMNS, Tag.name).select_from(link).where(wanted)):
        rows[row[0]] = tuple(row)
        if name is not None:
            names[row[0]].append(name)
    return [ContactRow(*rows[i], tag_names=tuple(sorted(names[i]))) for i in ids if i in rows]

"""A contact list page's rows: the contacts' columns and their tags' names as plain values.

Read with one Core statement (a contact's row once per tag, grouped here): the ORM's `Contact`
entities, identity map and `selectin` tag load cost more than the page's query on a page of 50.
The statement is built once a page size (`write_tx.Plan`, at most `MAX_ROWS` + 1 of them on
SQLite; one on PostgreSQL, whose ids go as one array) and runs inside the list's read
(`storage.read_tx`: on SQLite the same trip to the connection's thread as the page's query).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, outerjoin, select

from frontdesk.storage.models import Contact, ContactTag, Tag
from frontdesk.storage.write_tx import Plan, Tx

MAX_ROWS = 101  # a list page reads at most 100 contacts and one more


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


def _plan(dialect: str, n: int) -> Plan:
    """The row statement for `n` ids (`:row_id_0` ... on SQLite; `:row_ids`, one array, on
    PostgreSQL, the same prepared statement for every page size)."""
    key = (dialect, n if dialect == "sqlite" else 0)
    found = _PLANS.get(key)
    if found is None:
        if dialect == "postgresql":
            wanted = Contact.id == any_(bindparam("row_ids", type_=ARRAY(String)))
        else:
            wanted = Contact.id.in_([bindparam(f"row_id_{i}") for i in range(n)])
        link = outerjoin(Contact, ContactTag, ContactTag.contact_id == Contact.id).outerjoin(
            Tag, Tag.id == ContactTag.tag_id
        )
        found = _PLANS[key] = Plan(select(*_ROW_COLUMNS, Tag.name).select_from(link).where(wanted))
    return found


_PLANS: dict[tuple[str, int], Plan] = {}


def load_rows(tx: Tx, ids: list[str]) -> list[ContactRow]:
    """The contacts `ids` in that order, ids not found left out, with their tags: one statement
    for up to `MAX_ROWS` of them (a list page), a contact's row once per tag."""
    rows: dict[str, tuple[Any, ...]] = {}
    names: defaultdict[str, list[str]] = defaultdict(list)
    for at in range(0, len(ids), MAX_ROWS):
        chunk = ids[at : at + MAX_ROWS]
        if tx.dialect_name == "postgresql":
            params: dict[str, Any] = {"row_ids": chunk}
        else:
            params = {f"row_id_{i}": contact_id for i, contact_id in enumerate(chunk)}
        for *row, name in tx.execute(_plan(tx.dialect_name, len(chunk)), params):
            rows[row[0]] = tuple(row)
            if name is not None:
                names[row[0]].append(name)
    return [ContactRow(*rows[i], tag_names=tuple(sorted(names[i]))) for i in ids if i in rows]

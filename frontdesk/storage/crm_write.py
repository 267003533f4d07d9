"""Writes to the native CRM store: contacts, their tags, and leads. Always scoped to the account.

Callers pass values already validated by the tool layer; this module keeps the rows consistent
(tags created on first use, per-account, matched case-insensitively; a lead's contact must be
the account's own) and commits. After the commit it publishes the change on the event bus
(`contact.created`, `lead.created`, `lead.updated`), so every door and tool emits them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from frontdesk.errors import Conflict, Invalid, NotFound
from frontdesk.storage import audit
from frontdesk.storage.crm import get_contact, get_lead
from frontdesk.storage.events import contact_event_data, lead_event_data, publish
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Contact, Lead, Tag

CONTACT_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "position",
        "status",
        "notes",
        "last_contact_date",
    }
)
LEAD_FIELDS = frozenset(
    {"name", "email", "phone", "company", "status", "source", "value", "notes", "contact_id"}
)


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        clean = name.strip()
        if clean and clean.lower() not in seen:
            seen[clean.lower()] = clean
    return list(seen.values())


async def tags_by_name(session: AsyncSession, account_id: str, names: Iterable[str]) -> list[Tag]:
    """The account's tags with these names (case-insensitive), created when missing.

    Joins the caller's transaction without a savepoint: on SQLite, releasing a savepoint that
    opened the transaction commits it, which would defeat a later rollback. A tag created
    concurrently is absorbed by INSERT … ON CONFLICT DO NOTHING."""
    wanted = {name.lower(): name for name in _unique(names)}
    if not wanted:
        return []

    async def existing() -> dict[str, Tag]:
        rows = await session.scalars(
            select(Tag).where(Tag.account_id == account_id, func.lower(Tag.name).in_(list(wanted)))
        )
        return {t.name.lower(): t for t in rows}

    found = await existing()
    missing = [name for key, name in wanted.items() if key not in found]
    if missing:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        rows = [
            {"id": new_id("tag"), "account_id": account_id, "name": n, "created_at": utcnow()}
            for n in missing
        ]
        await session.execute(insert(Tag).values(rows).on_conflict_do_nothing())
        found = await existing()
    return [found[key] for key in wanted if key in found]


async def create_contact(
    session: AsyncSession,
    account_id: str,
    fields: Mapping[str, Any],
    tags: Iterable[str] = (),
    *,
    actor: str | None = None,
) -> Contact:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise Invalid(f"Unknown contact fields: {', '.join(sorted(unknown))}")
    contact = Contact(id=new_id("contact"), account_id=account_id, **fields)
    contact.tags = await tags_by_name(session, account_id, tags)
    session.add(contact)
    after = dict(fields) | {"tags": [t.name for t in contact.tags]}
    audit.record_change(session, account_id, actor, "contact.create", ("contact", contact.id), {}, after)
    await session.commit()
    publish(session, account_id, "contact.created", contact_event_data(contact))
    return contact


async def update_contact(
    session: AsyncSession,
    account_id: str,
    contact_id: str,
    fields: Mapping[str, Any],
    tags: Iterable[str] | None = None,
    *,
    actor: str | None = None,
) -> Contact:
    """Set the given fields (None clears an optional one); `tags` replaces the tag set when given
    (a collision with another request writing the same contact's tags: see `_tags_retried`)."""
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise Invalid(f"Unknown contact fields: {', '.join(sorted(unknown))}")
    names = None if tags is None else list(tags)

    async def update(fresh: bool) -> Contact:
        contact = await get_contact(session, account_id, contact_id, reload=fresh)
        before = audit.snapshot(contact, set(fields)) | {"tags": [t.name for t in contact.tags]}
        for name, value in fields.items():
            setattr(contact, name, value)
        if names is not None:
            contact.tags = await tags_by_name(session, account_id, names)
        contact.updated_at = utcnow()
        after = audit.snapshot(contact, set(fields)) | {"tags": [t.name for t in contact.tags]}
        audit.record_change(
            session, account_id, actor, "contact.update", ("contact", contact.id), before, after
        )
        await session.commit()
        return contact

    return await _tags_retried(session, update)


def _deadlock(e: DBAPIError) -> bool:
    """PostgreSQL broke a lock cycle by failing this transaction (two requests inserting the same
    link while each waited for the other's tag-count lock)."""
    return "deadlock detected" in str(e.orig if e.orig is not None else e).lower()


async def _tags_retried(session: AsyncSession, write: Callable[[bool], Awaitable[Contact]]) -> Contact:
    """`write(fresh)` a contact's tags, once more if it collides: a contact's tags are read, then
    written, so when another request adds the same tag to the same contact in between, this link
    breaks the `contact_tags` key (or, removing one, finds the link already gone; or PostgreSQL
    reports the two as a deadlock). The transaction is rolled back and `write(True)` reads the
    tags again and applies the change once more; a second collision is a `Conflict` (409)."""
    for attempt in range(2):
        try:
            return await write(attempt > 0)
        except (IntegrityError, StaleDataError, DBAPIError) as e:
            if isinstance(e, DBAPIError) and not isinstance(e, IntegrityError) and not _deadlock(e):
                raise
            await session.rollback()
    raise Conflict("The contact's tags were changed by another request at the same time; try again")


async def tag_contact(
    session: AsyncSession,
    account_id: str,
    contact_id: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    *,
    actor: str | None = None,
) -> Contact:
    """Add and remove tags on one contact. Adding a tag it has, or removing one it lacks, is a no-op
    (a collision with another request tagging the same contact: see `_tags_retried`)."""
    adding, drop = list(add), {n.strip().lower() for n in remove}

    async def tag(fresh: bool) -> Contact:
        contact = await get_contact(session, account_id, contact_id, reload=fresh)
        kept = [t for t in contact.tags if t.name.lower() not in drop]
        have = {t.name.lower() for t in kept}
        kept += [t for t in await tags_by_name(session, account_id, adding) if t.name.lower() not in have]
        before = {"tags": [t.name for t in contact.tags]}
        contact.tags = kept
        contact.updated_at = utcnow()
        after = {"tags": [t.name for t in kept]}
        audit.record_change(
            session, account_id, actor, "contact.update", ("contact", contact.id), before, after
        )
        await session.commit()
        return contact

    return await _tags_retried(session, tag)


async def _check_contact(session: AsyncSession, account_id: str, contact_id: str | None) -> None:
    if contact_id is None:
        return
    try:
        await get_contact(session, account_id, contact_id)
    except NotFound as e:
        raise Invalid(f"contact_id: contact {contact_id} not found") from e


async def create_lead(
    session: AsyncSession, account_id: str, fields: Mapping[str, Any], *, actor: str | None = None
) -> Lead:
    unknown = set(fields) - LEAD_FIELDS
    if unknown:
        raise Invalid(f"Unknown lead fields: {', '.join(sorted(unknown))}")
    await _check_contact(session, account_id, fields.get("contact_id"))
    lead = Lead(id=new_id("lead"), account_id=account_id, **fields)
    session.add(lead)
    audit.record_change(session, account_id, actor, "lead.create", ("lead", lead.id), {}, fields)
    await session.commit()
    publish(session, account_id, "lead.created", lead_event_data(lead))
    return lead


async def update_lead(
    session: AsyncSession,
    account_id: str,
    lead_id: str,
    fields: Mapping[str, Any],
    *,
    actor: str | None = None,
) -> Lead:
    unknown = set(fields) - LEAD_FIELDS
    if unknown:
        raise Invalid(f"Unknown lead fields: {', '.join(sorted(unknown))}")
    lead = await get_lead(session, account_id, lead_id)
    if "contact_id" in fields:
        await _check_contact(session, account_id, fields["contact_id"])
    previous = lead.status
    before = audit.snapshot(lead, set(fields))
    for name, value in fields.items():
        setattr(lead, name, value)
    lead.updated_at = utcnow()
    after = audit.snapshot(lead, set(fields))
    audit.record_change(session, account_id, actor, "lead.update", ("lead", lead.id), before, after)
    await session.commit()
    publish(session, account_id, "lead.updated", lead_event_data(lead) | {"previousStatus": previous})
    return lead


async def delete_lead(
    session: AsyncSession, account_id: str, lead_id: str, *, actor: str | None = None
) -> None:
    lead = await get_lead(session, account_id, lead_id)
    before = audit.snapshot(lead, LEAD_FIELDS)
    await session.execute(delete(Lead).where(Lead.id == lead.id, Lead.account_id == account_id))
    audit.record_change(session, account_id, actor, "lead.delete", ("lead", lead_id), before, {})
    await session.commit()

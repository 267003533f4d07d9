"""The native CRM (contacts, tags, leads in the SQL store) read in bulk as lake tables.

Rows are read in keyset-paged batches of `BATCH` so memory stays bounded by the Arrow columns,
not by ORM objects. A contact's `source` is the source of its first lead and its
`lifetime_value` the summed value of its converted leads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.lake.schema import SCHEMAS, records_to_table
from frontdesk.storage.models import Contact, ContactTag, Lead, Tag

OBJECT_TYPES = ("contacts", "tags", "leads")
BATCH = 5000
Progress = Callable[[int], None]


async def _batches(session: AsyncSession, model: Any, account_id: str) -> AsyncIterator[list[Any]]:
    last = ""
    while True:
        rows = list(
            await session.scalars(
                select(model)
                .where(model.account_id == account_id, model.id > last)
                .order_by(model.id)
                .limit(BATCH)
            )
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id


async def count(session: AsyncSession, account_id: str, object_type: str) -> int:
    model = {"contacts": Contact, "tags": Tag, "leads": Lead}[object_type]
    return int(await session.scalar(select(func.count()).where(model.account_id == account_id)) or 0)


async def _contact_extras(session: AsyncSession, account_id: str) -> tuple[dict[str, str], dict[str, float]]:
    first_source: dict[str, str] = {}
    value: dict[str, float] = {}
    rows = await session.execute(
        select(Lead.contact_id, Lead.source, Lead.status, Lead.value)
        .where(Lead.account_id == account_id, Lead.contact_id.is_not(None))
        .order_by(Lead.created_at, Lead.id)
    )
    for contact_id, source, status, amount in rows.all():
        first_source.setdefault(contact_id, source)
        if status == "converted":
            value[contact_id] = value.get(contact_id, 0.0) + float(amount or 0.0)
    return first_source, value


async def read_table(
    session: AsyncSession, account_id: str, object_type: str, progress: Progress | None = None
) -> pa.Table:
    """One native object type of the account as an Arrow table of the lake schema."""
    parts: list[pa.Table] = []
    if object_type == "contacts":
        first_source, ltv = await _contact_extras(session, account_id)
        tags_of: dict[str, list[str]] = {}
        links = await session.execute(
            select(ContactTag.contact_id, Tag.name)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(Tag.account_id == account_id)
            .order_by(Tag.name)
        )
        for contact_id, name in links.all():
            tags_of.setdefault(contact_id, []).append(name)
    elif object_type == "tags":
        counts = dict(
            (
                await session.execute(
                    select(ContactTag.tag_id, func.count())
                    .join(Tag, Tag.id == ContactTag.tag_id)
                    .where(Tag.account_id == account_id)
                    .group_by(ContactTag.tag_id)
                )
            ).all()
        )
    model = {"contacts": Contact, "tags": Tag, "leads": Lead}[object_type]
    columns = SCHEMAS[object_type].names
    async for rows in _batches(session, model, account_id):
        records = []
        for row in rows:
            rec = {c: getattr(row, c) for c in columns if hasattr(model, c)}
            if object_type == "contacts":
                rec |= {
                    "tags": tags_of.get(row.id, []),
                    "source": first_source.get(row.id),
                    "lifetime_value": ltv.get(row.id, 0.0),
                }
            elif object_type == "tags":
                rec["contact_count"] = int(counts.get(row.id, 0))
            records.append(rec)
        parts.append(records_to_table(object_type, records))
        if progress:
            progress(len(records))
    if not parts:
        return records_to_table(object_type, [])
    return pa.concat_tables(parts)

"""The dedupe_contacts helper type: find contacts that share an email, a phone number and/or a name,
then flag the later ones with a tag or merge them into the oldest."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import select, update

from frontdesk.errors import Invalid
from frontdesk.storage import crm
from frontdesk.storage import helper_records as records_store
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Contact, Lead
from frontdesk.tools.helpers.base import HelperConfig, HelperInput, HelperRun, HelperType
from frontdesk.tools.helpers.records import edit_tags

MAX_SCAN = 50_000
MAX_DETAILS = 100
MatchKey = Literal["email", "phone", "name"]
_FILL = ("last_name", "email", "phone", "company", "position")


class DedupeConfig(HelperConfig):
    match_on: list[MatchKey] = Field(
        default_factory=lambda: ["email"],
        min_length=1,
        max_length=3,
        description="Contacts are duplicates when all of these match (case, spacing and phone "
        "punctuation ignored).",
    )
    action: Literal["flag", "merge"] = Field(
        default="flag",
        description="flag: tag the later duplicates. merge: fold them into the oldest contact "
        "(empty fields filled, tags united, leads moved) and delete them.",
    )
    flag_tag: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        default="duplicate", description="The tag applied by `flag`."
    )


def match_key(row: Any, match_on: list[MatchKey]) -> tuple[str, ...] | None:
    parts = []
    for key in match_on:
        if key == "email":
            value = (row.email or "").strip().lower()
        elif key == "phone":
            value = re.sub(r"\D", "", row.phone or "")
            value = value if len(value) >= 7 else ""
        else:
            value = " ".join(f"{row.first_name} {row.last_name}".lower().split())
        if not value:
            return None
        parts.append(value)
    return tuple(parts)


async def duplicate_groups(ctx: HelperRun, match_on: list[MatchKey]) -> tuple[list[list[str]], int]:
    """Groups of contact ids (oldest first) sharing a match key, and how many contacts were scanned."""
    rows = (
        await ctx.session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name, Contact.email, Contact.phone)
            .where(Contact.account_id == ctx.account_id)
            .order_by(Contact.created_at, Contact.id)
            .limit(MAX_SCAN + 1)
        )
    ).all()
    if len(rows) > MAX_SCAN:
        raise Invalid(f"dedupe_contacts scans at most {MAX_SCAN} contacts; this account has more")
    groups: dict[tuple[str, ...], list[str]] = {}
    for row in rows:
        key = match_key(row, match_on)
        if key is not None:
            groups.setdefault(key, []).append(row.id)
    return [ids for ids in groups.values() if len(ids) > 1], len(rows)


async def merge_into(ctx: HelperRun, primary: Contact, dup: Contact) -> None:
    for name in _FILL:
        if not getattr(primary, name) and getattr(dup, name):
            setattr(primary, name, getattr(dup, name))
    if dup.notes:
        primary.notes = f"{primary.notes}\n{dup.notes}" if primary.notes else dup.notes
    if dup.last_contact_date and (
        primary.last_contact_date is None or dup.last_contact_date > primary.last_contact_date
    ):
        primary.last_contact_date = dup.last_contact_date
    have = {t.id for t in primary.tags}
    primary.tags = primary.tags + [t for t in dup.tags if t.id not in have]
    primary.updated_at = utcnow()
    await ctx.session.execute(
        update(Lead)
        .where(Lead.account_id == ctx.account_id, Lead.contact_id == dup.id)
        .values(contact_id=primary.id, updated_at=utcnow())
    )
    dup_owner = await records_store.owner_of(ctx.session, ctx.account_id, dup.id)
    if dup_owner and not await records_store.owner_of(ctx.session, ctx.account_id, primary.id):
        await records_store.set_owner(
            ctx.session,
            account_id=ctx.account_id,
            record_type="contact",
            record_id=primary.id,
            owner_user_id=dup_owner.owner_user_id,
            helper_id=dup_owner.helper_id,
        )
    await records_store.drop_owners(ctx.session, ctx.account_id, [dup.id])
    await ctx.session.delete(dup)
    await ctx.session.flush()


async def dedupe_contacts(ctx: HelperRun, config: DedupeConfig, inp: HelperInput) -> dict[str, Any]:
    groups, scanned = await duplicate_groups(ctx, config.match_on)
    if inp.contact_id:
        await crm.get_contact(ctx.session, ctx.account_id, inp.contact_id)
        groups = [g for g in groups if inp.contact_id in g]
    for primary_id, *dup_ids in groups:
        if config.action == "merge":
            primary = await crm.get_contact(ctx.session, ctx.account_id, primary_id)
            for dup_id in dup_ids:
                await merge_into(ctx, primary, await crm.get_contact(ctx.session, ctx.account_id, dup_id))
        else:
            for dup_id in dup_ids:
                dup = await crm.get_contact(ctx.session, ctx.account_id, dup_id)
                await edit_tags(ctx, dup, [config.flag_tag])
    return {
        "action": config.action,
        "match_on": config.match_on,
        "scanned": scanned,
        "groups": len(groups),
        "duplicates": sum(len(g) - 1 for g in groups),
        "details": [{"primary_id": g[0], "duplicate_ids": g[1:]} for g in groups[:MAX_DETAILS]],
        "details_truncated": len(groups) > MAX_DETAILS,
    }


TYPES = (
    HelperType(
        "dedupe_contacts",
        "Dedupe Contacts",
        "contact",
        "Find contacts sharing an email, phone and/or name; flag the later ones with a tag, or merge "
        "them into the oldest. With a contact_id, only that contact's duplicates.",
        DedupeConfig,
        dedupe_contacts,
        target="none",
    ),
)

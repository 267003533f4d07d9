"""Phone numbers: E.164 normalisation (the `phonenumbers` library), the number each user linked in
each account (unique per account), and SMS opt-outs (STOP / START)."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, Invalid
from frontdesk.storage.channel_models import PhoneLink, SmsOptOut
from frontdesk.storage.db import Database
from frontdesk.storage.models import User


def normalize_phone(raw: str) -> str:
    """`raw` as E.164 (`+15557654321`). It must be written in international form (a leading `+`;
    spaces, dashes and brackets are fine) with a known country code and the length that country's
    numbers have, else `Invalid`."""
    text = raw.strip()
    if not text.startswith("+"):
        raise Invalid("phone_number: use the international E.164 form, e.g. +15557654321")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as e:
        raise Invalid(f"phone_number: {e}") from e
    # A number of the right length for its country code; assigned ranges are not required, so the
    # fictional 555 numbers people test with (+1 555 765 4321) are accepted.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise Invalid("phone_number: not a possible phone number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize(raw: str | None) -> str | None:
    """E.164 for a sender's number, or None when it is not a phone number (short codes, ids)."""
    if not raw:
        return None
    try:
        return normalize_phone(raw)
    except Invalid:
        return None


@dataclass(frozen=True, slots=True)
class PhoneOwner:
    user_id: str
    account_id: str


async def link_phone(db: Database, user_id: str, account_id: str, phone: str | None) -> str | None:
    """Link `phone` (already normalised) to the user in the account, replacing their previous number;
    `None` unlinks. The user's profile number follows. Another user of the account with the same
    number -> `Conflict`."""

    async def write(s: AsyncSession) -> str | None:
        await s.execute(
            delete(PhoneLink).where(PhoneLink.account_id == account_id, PhoneLink.user_id == user_id)
        )
        if phone is not None:
            s.add(PhoneLink(account_id=account_id, user_id=user_id, phone_number=phone))
        user = await s.get(User, user_id)
        if user is not None:
            user.phone_number = phone
        await s.flush()
        return phone

    try:
        return await db.run_write(write)
    except IntegrityError as e:
        raise Conflict("This phone number is already linked to another user of the account") from e


async def owners_of(s: AsyncSession, phone: str) -> list[PhoneOwner]:
    """Who linked `phone`: the user and account of each link, the user's current account first.
    Only active users count."""
    rows = await s.execute(
        select(PhoneLink.user_id, PhoneLink.account_id, User.current_account_id)
        .join(User, User.id == PhoneLink.user_id)
        .where(PhoneLink.phone_number == phone, User.status == "active")
    )
    found = [(PhoneOwner(u, a), a == current) for u, a, current in rows.all()]
    found.sort(key=lambda item: not item[1])
    return [owner for owner, _ in found]


async def is_opted_out(s: AsyncSession, phone: str) -> bool:
    return await s.get(SmsOptOut, phone) is not None


async def set_opt_out(db: Database, phone: str, opted_out: bool) -> None:
    """Record STOP (`opted_out=True`) or START for a number. Idempotent."""

    async def write(s: AsyncSession) -> None:
        row = await s.get(SmsOptOut, phone)
        if opted_out and row is None:
            s.add(SmsOptOut(phone_number=phone))
        elif not opted_out and row is not None:
            await s.delete(row)

    try:
        await db.run_write(write)
    except IntegrityError:  # a concurrent STOP from the same number already recorded it
        if not opted_out:
            raise

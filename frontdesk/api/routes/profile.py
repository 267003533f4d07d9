"""`PUT /auth/profile`: the signed-in user's name, email and phone number (each optional; at least
one). The phone number links their texts to them.

The number is validated and normalised to E.164 with the `phonenumbers` library and linked in the
account of the token; within an account a number belongs to one user (409 otherwise). A text
from that number to the server's Twilio number is then a turn as this user (channel `sms`).
`null` unlinks it; leaving `phone_number` out keeps it. Changing the email needs the current
password (401 without it: a stolen token alone cannot move the account to another inbox); a taken
email is a 409.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.auth import Email
from frontdesk.api.schemas.base import Public, Timestamp
from frontdesk.errors import Invalid, Unauthenticated
from frontdesk.security import verify_password
from frontdesk.storage import phones
from frontdesk.storage.account_settings import update_profile as store_profile
from frontdesk.storage.ids import iso
from frontdesk.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


async def check_password(user_id: str, password: str, services: ServicesDep) -> None:
    async with services.db.session() as s:
        user = await s.get(User, user_id)
    if user is None or not await asyncio.to_thread(verify_password, user.password_hash, password):
        raise Unauthenticated("current_password is required to change the email, and must be right")


class ProfileUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
    current_password: str | None = Field(
        default=None, max_length=256, description="Required to change the email (401 when wrong)."
    )
    phone_number: str | None = Field(
        default=None,
        max_length=40,
        description="E.164, e.g. +15557654321 (spaces and dashes allowed); null unlinks, absent keeps.",
    )


class ProfilePublic(Public):
    user_id: str
    account_id: str
    name: str
    email: str
    phone_number: str | None
    updated_at: Timestamp


@router.put("/profile", response_model=ProfilePublic, responses=errors(400, 401, 409, 422))
async def update_profile(
    body: ProfileUpdate, identity: CurrentIdentity, services: ServicesDep
) -> ProfilePublic:
    """Set the user's name, email, or phone number for the SMS door (null clears the number)."""
    given = body.model_fields_set - {"current_password"}
    if not given:
        raise Invalid("Give at least one of name, email, phone_number")
    if body.email is not None and body.email.strip().lower() != identity.user.email:
        await check_password(identity.user.id, body.current_password or "", services)
    phone = identity.user.phone_number
    if "phone_number" in given:
        normalized = phones.normalize_phone(body.phone_number) if body.phone_number is not None else None
        phone = await phones.link_phone(services.db, identity.user.id, identity.account.id, normalized)
    user = identity.user
    if body.name is not None or body.email is not None:
        user = await store_profile(
            services.db, identity.user.id, identity.account.id, name=body.name, email=body.email
        )
    return ProfilePublic(
        user_id=user.id,
        account_id=identity.account.id,
        name=user.name,
        email=user.email,
        phone_number=phone,
        updated_at=iso(user.updated_at) or "",
    )

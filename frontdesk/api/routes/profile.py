"""`PUT /auth/profile`: the signed-in user's name, email and phone number (each optional; at least
one). The phone number links their texts to them.

The number is validated and normalised to E.164 with the `phonenumbers` library and linked in the
account of the token; within an account a number belongs to one user (409 otherwise). A text
from that number to the server's Twilio number is then a turn as this user (channel `sms`).
`null` unlinks it; leaving `phone_number` out keeps it. A taken email is a 409.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.auth import Email
from frontdesk.api.schemas.base import Public, Timestamp
from frontdesk.errors import Invalid
from frontdesk.storage import phones
from frontdesk.storage.account_settings import update_profile as store_profile
from frontdesk.storage.ids import iso

router = APIRouter(prefix="/auth", tags=["auth"])


class ProfileUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
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
    given = body.model_fields_set
    if not given:
        raise Invalid("Give at least one of name, email, phone_number")
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

"""`PUT /auth/profile`: the signed-in user's phone number, which links their texts to them.

The number is validated and normalised to E.164 with the `phonenumbers` library and linked in the
account of the token; within an account a number belongs to one user (409 otherwise). A text
from that number to the server's Twilio number is then a turn as this user (channel `sms`).
`null` unlinks it.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.storage import phones

router = APIRouter(prefix="/auth", tags=["auth"])


class ProfileUpdate(BaseModel):
    phone_number: str | None = Field(
        max_length=40, description="E.164, e.g. +15557654321 (spaces and dashes allowed); null unlinks."
    )


class ProfilePublic(BaseModel):
    user_id: str
    account_id: str
    phone_number: str | None


@router.put("/profile", response_model=ProfilePublic, responses=errors(400, 401, 409, 422))
async def update_profile(
    body: ProfileUpdate, identity: CurrentIdentity, services: ServicesDep
) -> ProfilePublic:
    """Set (or clear) the user's phone number for the SMS door."""
    phone = phones.normalize_phone(body.phone_number) if body.phone_number is not None else None
    linked = await phones.link_phone(services.db, identity.user.id, identity.account.id, phone)
    return ProfilePublic(user_id=identity.user.id, account_id=identity.account.id, phone_number=linked)

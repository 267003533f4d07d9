"""`/auth/*`: tokens, the user and the account."""

from __future__ import annotations

from typing import Literal

from frontdesk.api.schemas.base import Public, Timestamp


class UserPublic(Public):
    user_id: str
    email: str
    name: str
    status: str
    department: str | None
    current_account_id: str | None
    created_at: Timestamp
    updated_at: Timestamp


class AccountPublic(Public):
    account_id: str
    name: str
    plan: str
    status: str
    created_at: Timestamp


class AccessToken(Public):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class TokenPair(AccessToken):
    refresh_token: str
    user: UserPublic
    account: AccountPublic


class AccountContext(Public):
    account_id: str
    role: str
    permissions: list[str]


class Me(UserPublic):
    account: AccountPublic
    account_context: AccountContext

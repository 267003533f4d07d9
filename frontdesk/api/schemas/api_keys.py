"""`/api-keys`."""

from __future__ import annotations

from typing import Literal

from frontdesk.api.schemas.base import PageFields, Public, Timestamp


class ApiKeyPublic(Public):
    key_id: str
    name: str
    prefix: str
    user_id: str
    account_id: str
    status: Literal["active", "revoked", "expired"]
    created_at: Timestamp
    last_used_at: Timestamp | None
    expires_at: Timestamp | None
    revoked_at: Timestamp | None


class ApiKeyCreated(ApiKeyPublic):
    key: str


class ApiKeyList(PageFields):
    api_keys: list[ApiKeyPublic]

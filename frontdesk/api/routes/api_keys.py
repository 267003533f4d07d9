"""`/api-keys` (MyFusion "API Keys Service"): create (the key is shown once), list, read, revoke.

Keys act as the user who created them, in the current account. Managing keys needs the
`can_manage_api_keys` permission; another account's key is 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.api_keys import ApiKeyCreated, ApiKeyList, ApiKeyPublic
from frontdesk.errors import Forbidden
from frontdesk.paging import page_fields
from frontdesk.storage import apikeys as store
from frontdesk.storage.accounts import Identity
from frontdesk.storage.apikey_models import ApiKey
from frontdesk.storage.ids import iso, utcnow

router = APIRouter(prefix="/api-keys", tags=["api-keys"])
PERMISSION = "can_manage_api_keys"
MAX_PAGE = 100


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What the key is for, e.g. 'Claude Desktop'.")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="Omit for no expiry.")


def api_key_public(row: ApiKey) -> dict[str, Any]:
    return {
        "key_id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "user_id": row.user_id,
        "account_id": row.account_id,
        "status": store.key_status(row),
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "expires_at": iso(row.expires_at),
        "revoked_at": iso(row.revoked_at),
    }


def _require(identity: Identity) -> None:
    if not identity.principal().can(PERMISSION):
        raise Forbidden(f"Permission '{PERMISSION}' is required")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=errors(401, 403, 413, 422),
)
async def create_api_key(
    body: ApiKeyCreate, identity: CurrentIdentity, services: ServicesDep
) -> dict[str, Any]:
    """Create a key acting as you in this account. The `key` is in this response only."""
    _require(identity)
    expires_at: datetime | None = None
    if body.expires_in_days is not None:
        expires_at = utcnow() + timedelta(days=body.expires_in_days)
    async with services.db.session() as s:
        created = await store.create_api_key(s, identity, body.name.strip(), expires_at=expires_at)
    return api_key_public(created.row) | {"key": created.key}


@router.get("", response_model=ApiKeyList, responses=errors(401, 403, 422))
async def list_api_keys(
    identity: CurrentIdentity,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    include_revoked: bool = True,
) -> dict[str, Any]:
    """The account's API keys (prefix, name, status, last use; never the key itself); paged."""
    _require(identity)
    async with services.db.session() as s:
        rows, total = await store.list_api_keys(
            s, identity.account.id, limit=limit, offset=offset, include_revoked=include_revoked
        )
    return {
        "api_keys": [api_key_public(r) for r in rows],
        **page_fields(total, limit, offset, len(rows)),
    }


@router.get("/{key_id}", response_model=ApiKeyPublic, responses=errors(401, 403, 404))
async def get_api_key(key_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """One API key of the account: prefix, name, status, expiry and last use (never the key itself)."""
    _require(identity)
    async with services.db.session() as s:
        return api_key_public(await store.get_api_key(s, identity.account.id, key_id))


@router.delete("/{key_id}", response_model=ApiKeyPublic, responses=errors(401, 403, 404))
async def revoke_api_key(key_id: str, identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """Revoke a key: it stops authenticating at once. Revoking twice is harmless."""
    _require(identity)
    async with services.db.session() as s:
        return api_key_public(
            await store.revoke_api_key(s, identity.account.id, key_id, actor=identity.user.id)
        )

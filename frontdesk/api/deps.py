"""The one place that turns requests into typed dependencies (`Annotated` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frontdesk.api.services import Services
from frontdesk.errors import Unauthenticated
from frontdesk.security import decode_access_token
from frontdesk.storage.accounts import Identity, load_identity
from frontdesk.storage.apikeys import identity_for_api_key, looks_like_api_key
from frontdesk.types import Principal

_bearer = HTTPBearer(auto_error=False)


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_identity(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Identity:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("Missing bearer token")
    return await identity_from_bearer(services, credentials.credentials)


async def identity_from_bearer(services: Services, token: str) -> Identity:
    """Who a bearer credential is: an API key (`fdk_…`) or a JWT access token."""
    if looks_like_api_key(token):
        async with services.db.session() as s:
            return await identity_for_api_key(s, token)
    claims = decode_access_token(services.secret, token)
    async with services.db.session() as s:
        return await load_identity(s, claims["sub"], claims.get("acc"))


CurrentIdentity = Annotated[Identity, Depends(get_identity)]


async def get_principal(identity: CurrentIdentity) -> Principal:
    return identity.principal("web")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def auth_rate_limit(request: Request, services: ServicesDep) -> None:
    services.auth_limiter.hit(f"auth:{client_ip(request)}")


async def chat_rate_limit(principal: CurrentPrincipal, services: ServicesDep) -> None:
    services.chat_limiter.hit(f"chat:{principal.user_id}")

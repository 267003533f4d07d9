"""The one place that turns requests into typed dependencies (`Annotated` aliases)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Annotated

from fastapi import Depends, Request, WebSocket, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frontdesk import logs
from frontdesk.api.services import Services
from frontdesk.errors import FrontdeskError, Unauthenticated
from frontdesk.ratelimit import chat_key
from frontdesk.security import decode_access_token
from frontdesk.storage.accounts import Identity
from frontdesk.storage.apikeys import identity_for_api_key, looks_like_api_key
from frontdesk.storage.identity_cache import access_identity
from frontdesk.types import Principal

_bearer = HTTPBearer(auto_error=False)


async def get_services(request: Request) -> Services:
    """`async` so FastAPI calls it on the event loop (a plain `def` dependency goes to a worker
    thread on every request)."""
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_identity(services: ServicesDep, credentials: BearerCredentials) -> Identity:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("Missing bearer token")
    return await identity_from_bearer(services, credentials.credentials)


async def identity_from_bearer(services: Services, token: str) -> Identity:
    """Who a bearer credential is: an API key (`fdk_…`) or a JWT access token (not logged out).
    A token's expiry is checked on every request, its signature the first time this process
    sees it (`security.decode_access_token`); the store's answer for it is kept for a second
    (`storage.identity_cache`: a logout in this process refuses it at once)."""
    if looks_like_api_key(token):
        async with services.db.session() as s:
            identity = await identity_for_api_key(s, token)
    else:
        claims = decode_access_token(services.secret, token)
        identity = await access_identity(services.db, claims)
    logs.note_identity(identity.user.id, identity.account.id)  # on the request's log lines
    return identity


CurrentIdentity = Annotated[Identity, Depends(get_identity)]


async def get_principal(identity: CurrentIdentity) -> Principal:
    return identity.principal("web")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(t, strict=False) for t in trusted)


def _is_trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Request, trusted_proxies: Sequence[str] = ()) -> str:
    """The client's address for rate limits: the connecting peer, unless the peer is one of
    `trusted_proxies` (`Settings.trusted_proxies`); then the right-most `X-Forwarded-For` address
    that is not a trusted proxy itself (left of it, anyone could have written anything)."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(tuple(trusted_proxies))
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop if _is_valid_ip(hop) else peer
    return hops[0] if hops else peer


def _is_valid_ip(address: str) -> bool:
    try:
        ip_address(address)
    except ValueError:
        return False
    return True


async def get_client_ip(request: Request, services: ServicesDep) -> str:
    return client_ip(request, services.settings.trusted_proxies)


ClientIp = Annotated[str, Depends(get_client_ip)]


async def auth_rate_limit(ip: ClientIp, services: ServicesDep) -> None:
    await services.auth_limiter.ahit(f"auth:{ip}")


async def chat_rate_limit(principal: CurrentPrincipal, services: ServicesDep) -> Principal:
    """Count the request against the caller's chat turns (429 past the limit); return the caller.
    A route that needs the principal too takes `ChatPrincipal`: one dependency instead of this
    one beside `CurrentPrincipal` (FastAPI walks every dependency's sub-tree on each request,
    cached or not, which was a dozen walks on `POST /chat/send`)."""
    await services.chat_limiter.ahit(chat_key(principal.user_id))
    return principal


ChatPrincipal = Annotated[Principal, Depends(chat_rate_limit)]


async def websocket_identity(ws: WebSocket, services: Services, missing: str) -> Identity | None:
    """Accept the socket and resolve its credential (`?token=` or `Authorization: Bearer`, an access
    token or an API key). On failure: an `error` message, close 1008 (policy), and None."""
    await ws.accept()
    token = ws.query_params.get("token")
    if not token:
        scheme, _, value = ws.headers.get("authorization", "").partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else ""
    try:
        if not token:
            raise Unauthenticated(missing)
        return await identity_from_bearer(services, token)
    except FrontdeskError as e:
        await ws.send_json({"type": "error", "detail": e.detail, "code": e.code})
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="unauthenticated")
        return None

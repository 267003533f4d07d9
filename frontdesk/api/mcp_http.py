"""The MCP face over streamable HTTP, at `/mcp` on the API server.

`McpEndpoint` is a plain ASGI app in front of the SDK's `StreamableHTTPSessionManager`. Every HTTP
request is checked here first:

1. a browser `Origin` other than the server's own or `Settings.mcp_allowed_origins` -> 403;
2. the bearer (a JWT access token or an `fdk_…` API key) -> the principal, else 401 with
   `WWW-Authenticate: Bearer`;
3. the principal travels to the tool handlers in the request's ASGI scope (`principal_of`), and
   the SDK's session ownership check binds each MCP session to the user and account that opened it.

So a revoked key stops working on its next request, and each request lists and calls exactly the
tools its principal may use. `run(services)` belongs in the app lifespan: it builds the server over
the running registry and runs the session manager's task group.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from frontdesk.api.deps import identity_from_bearer
from frontdesk.api.services import Services
from frontdesk.errors import Unauthenticated
from frontdesk.tools.mcp_server import RequestContext, build_mcp_server
from frontdesk.types import Principal

PRINCIPAL_KEY = "frontdesk.principal"


def origin_allowed(request: Request, allowed: list[str]) -> bool:
    """No Origin (not a browser), the server's own origin, or a configured one."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in {o.rstrip("/") for o in allowed}:
        return True
    host = request.headers.get("host", "").lower()
    return bool(host) and urlsplit(origin).netloc.lower() == host


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def principal_of(ctx: RequestContext) -> Principal:
    """The principal `McpEndpoint` resolved for the HTTP request carrying this MCP message."""
    scope: dict[str, Any] = getattr(ctx.request, "scope", {})
    principal = scope.get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        raise Unauthenticated("This MCP request carries no authenticated principal")
    return principal


def _refuse(status: int, detail: str, code: str) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = (
            f'Bearer realm="frontdesk", error="invalid_token", error_description="{detail}"'
        )
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


class McpEndpoint:
    """ASGI app for `/mcp`: origin check, bearer -> principal, then the SDK's session manager."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def run(self, services: Services) -> AsyncIterator[None]:
        server = build_mcp_server(services.registry, services.db, services.settings, principal_of)
        # Builds `server.session_manager`; the SDK's Host/Origin allow-list is off because this
        # endpoint checks Origin itself and is served under whatever host the deployment uses.
        server.streamable_http_app(
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False)
        )
        async with server.session_manager.run():
            self._services, self._manager = services, server.session_manager
            try:
                yield
            finally:
                self._services = self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services, manager = self._services, self._manager
        if services is None or manager is None:
            await _refuse(503, "The MCP endpoint is not running", "unavailable")(scope, receive, send)
            return
        request = Request(scope)
        if not origin_allowed(request, services.settings.mcp_allowed_origins):
            await _refuse(403, "Origin not allowed", "forbidden_origin")(scope, receive, send)
            return
        token = bearer_token(request)
        try:
            if token is None:
                raise Unauthenticated("Missing bearer token")
            identity = await identity_from_bearer(services, token)
        except Unauthenticated as e:
            await _refuse(401, e.detail, e.code)(scope, receive, send)
            return
        principal = identity.principal("mcp")
        scope[PRINCIPAL_KEY] = principal
        # The SDK binds a session to the credential that opened it (client_id, issuer, subject).
        scope["user"] = AuthenticatedUser(
            AccessToken(token="", client_id=principal.account_id, subject=principal.user_id, scopes=[])
        )
        await manager.handle_request(scope, receive, send)

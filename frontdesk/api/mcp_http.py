"""The MCP face over streamable HTTP, at `/mcp` on the API server, and its OAuth metadata.

`McpEndpoint` is a plain ASGI app in front of the SDK's `StreamableHTTPSessionManager`. Every HTTP
request is checked here first:

1. the `Host` header against the allowed hosts (`allowed_hosts`) -> else 421, and a browser
   `Origin` other than the request's own or `Settings.mcp_allowed_origins` -> 403. Both checks are
   the SDK's `TransportSecurityMiddleware`, fed per request; they run before authentication, so a
   DNS-rebound page (`Host: evil.example.com`) is refused whether or not it carries a credential;
2. the bearer (a JWT access token or an `fdk_…` API key) -> the principal, else 401 with
   `WWW-Authenticate: Bearer realm="frontdesk", resource_metadata="…"` and, only when a token was
   sent and is bad, `error="invalid_token"` (RFC 6750 §3.1: no error code when none was sent);
3. the principal travels to the handlers in the request's ASGI scope (`principal_of`), and the
   SDK's session ownership check binds each MCP session to the user and account that opened it.

`/.well-known/oauth-protected-resource[/mcp]` serves RFC 9728 metadata naming frontdesk itself as
the authorization server: frontdesk issues the credentials `/mcp` accepts (API keys from
`POST /api-keys` or `frontdesk apikey create`, and its own JWTs from `/auth/login`). frontdesk is
*not* a full OAuth 2.1 authorization server — there is no `/authorize`, dynamic client registration
or OAuth token endpoint, so it serves no `/.well-known/oauth-authorization-server` document (404).
An MCP client therefore has to be given the key as a header (`Authorization: Bearer fdk_…`); one
that insists on running the OAuth flow stops at authorization-server discovery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from frontdesk.api.deps import identity_from_bearer
from frontdesk.api.services import Services
from frontdesk.config import Settings
from frontdesk.errors import Unauthenticated
from frontdesk.tools.mcp_prompts import DepartmentPrompt
from frontdesk.tools.mcp_server import RequestContext, build_mcp_server
from frontdesk.types import Principal

PRINCIPAL_KEY = "frontdesk.principal"
MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def allowed_hosts(settings: Settings) -> list[str]:
    """Host header patterns `/mcp` answers to: loopback names, the bound host and `public_url`'s
    host (each with any port), and `Settings.allowed_hosts` as given."""
    names = list(LOOPBACK_HOSTS)
    if settings.host not in ("0.0.0.0", "::", ""):
        names.append(f"[{settings.host}]" if ":" in settings.host else settings.host)
    if settings.public_url:
        names.append(urlsplit(settings.public_url).netloc.lower())
    patterns = [p for name in names for p in (name, f"{name}:*")]
    return patterns + [h for h in settings.allowed_hosts if h not in patterns]


async def transport_refusal(request: Request, settings: Settings) -> JSONResponse | None:
    """The SDK's Host/Origin check for this request: None when it may go on.

    Allowed origins are the configured ones plus the request's own origin (`http(s)://<Host>`);
    the Host itself must be allowed first, so a rebound name never vouches for itself."""
    host = request.headers.get("host", "")
    guard = TransportSecurityMiddleware(
        TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=allowed_hosts(settings),
            allowed_origins=[o.rstrip("/") for o in settings.mcp_allowed_origins]
            + [f"{scheme}://{host}" for scheme in ("http", "https")],
        )
    )
    refused = await guard.validate_request(request, is_post=False)
    if refused is None:
        return None
    if refused.status_code == 421:
        return _refuse(421, "Host not allowed", "forbidden_host")
    return _refuse(403, "Origin not allowed", "forbidden_origin")


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def base_url(request: Request, settings: Settings) -> str:
    """The server's public base URL: `public_url`, else the (already validated) request's origin."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def resource_metadata_url(request: Request, settings: Settings) -> str:
    return base_url(request, settings) + METADATA_PATH + MCP_PATH


async def principal_of(ctx: RequestContext) -> Principal:
    """The principal `McpEndpoint` resolved for the HTTP request carrying this MCP message."""
    scope: dict[str, Any] = getattr(ctx.request, "scope", {})
    principal = scope.get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        raise Unauthenticated("This MCP request carries no authenticated principal")
    return principal


def _refuse(status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def _unauthenticated(detail: str, metadata_url: str, token_sent: bool) -> JSONResponse:
    challenge = f'Bearer realm="frontdesk", resource_metadata="{metadata_url}"'
    if token_sent:
        challenge += f', error="invalid_token", error_description="{detail}"'
    return _refuse(401, detail, "unauthenticated", {"WWW-Authenticate": challenge})


class McpEndpoint:
    """ASGI app for `/mcp`: Host/Origin check, bearer -> principal, then the SDK's session manager."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def run(self, services: Services) -> AsyncIterator[None]:
        prompts = DepartmentPrompt.from_departments(services.agent.departments.values())
        server = build_mcp_server(
            services.registry, services.db, services.settings, principal_of, prompts=prompts
        )
        # Builds `server.session_manager`. The SDK transport's own Host/Origin check stays off:
        # `transport_refusal` runs the same check first, with the request's own origin allowed.
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
        refusal = await transport_refusal(request, services.settings)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        token = bearer_token(request)
        try:
            if token is None:
                raise Unauthenticated("Missing bearer token")
            identity = await identity_from_bearer(services, token)
        except Unauthenticated as e:
            metadata_url = resource_metadata_url(request, services.settings)
            await _unauthenticated(e.detail, metadata_url, token is not None)(scope, receive, send)
            return
        principal = identity.principal("mcp")
        scope[PRINCIPAL_KEY] = principal
        # The SDK binds a session to the credential that opened it (client_id, issuer, subject).
        scope["user"] = AuthenticatedUser(
            AccessToken(token="", client_id=principal.account_id, subject=principal.user_id, scopes=[])
        )
        await manager.handle_request(scope, receive, send)


async def protected_resource_metadata(request: Request) -> Response:
    """RFC 9728 metadata for `/mcp`: frontdesk is its own (API key / JWT) authorization server."""
    settings: Settings = request.app.state.services.settings
    refusal = await transport_refusal(request, settings)
    if refusal is not None:
        return refusal
    base = base_url(request, settings)
    metadata = ProtectedResourceMetadata.model_validate(
        {
            "resource": base + MCP_PATH,
            "authorization_servers": [base],
            "bearer_methods_supported": ["header"],
            "resource_name": "frontdesk",
            "resource_documentation": base + "/docs",
        }
    )
    return JSONResponse(
        metadata.model_dump(mode="json", exclude_none=True),
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


def metadata_routes() -> list[Route]:
    """`/.well-known/oauth-protected-resource` and its `/mcp`-suffixed form (RFC 9728 §3.1)."""
    return [
        Route(path, protected_resource_metadata, methods=["GET"], include_in_schema=False)
        for path in (METADATA_PATH, METADATA_PATH + MCP_PATH)
    ]

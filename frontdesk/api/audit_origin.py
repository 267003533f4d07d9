"""Tells the audit log where each request came from: a pure ASGI middleware that sets
`storage.audit.request_origin` (client IP, honouring `Settings.trusted_proxies`, and user agent)
for the request's task, so storage code records it without routes passing it down."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from frontdesk.api.deps import client_ip
from frontdesk.storage.audit import Origin, request_origin


class AuditOriginMiddleware:
    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        request = Request(scope) if scope["type"] == "http" else None
        ip = client_ip(request, self.trusted_proxies) if request is not None else None
        agent = dict(scope.get("headers") or []).get(b"user-agent", b"").decode("latin-1") or None
        token = request_origin.set(Origin(ip_address=ip, user_agent=agent))
        try:
            await self.app(scope, receive, send)
        finally:
            request_origin.reset(token)

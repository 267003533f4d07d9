"""`RequestContextMiddleware`: the request id, the access log line, the HTTP metrics and the route
span of every request (pure ASGI, so streams pass through unbuffered).

- **Request id.** `X-Request-ID` from the client when it is short and safe (`logs.request_id_from`),
  else a new one; echoed back in the response's `X-Request-ID` and set in `logs.request_scope` for
  every log line of the request and of the turn it starts.
- **Access line.** One `frontdesk.access` INFO line when the response ends: method, route template,
  path, status, duration, user and account (noted by `api/deps.py` once the bearer is resolved).
- **Metrics.** Requests and latency by route template; open SSE streams and WebSockets.
- **Trace.** A `HTTP <method> <route>` span (when tracing is on) that the turn's span nests under.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk import logs, metrics, tracing

access_log = logging.getLogger("frontdesk.access")


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/chat/turns/{turn_id}`), or `unmatched`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = logs.request_id_from(headers.get(logs.REQUEST_ID_HEADER))
        method = scope.get("method", "WS") if scope["type"] == "http" else "WS"
        with logs.request_scope(request_id) as entry, tracing.span(f"HTTP {method}") as span:
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send, entry, span)
            else:
                await self._http(scope, receive, send, entry, span, method)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, entry: logs.RequestLog, span: Any, method: str
    ) -> None:
        status = [500]
        streaming = [False]
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                response_headers = MutableHeaders(scope=message)
                response_headers[logs.REQUEST_ID_HEADER] = entry.request_id
                if response_headers.get("content-type", "").startswith("text/event-stream"):
                    streaming[0] = True
                    metrics.OPEN_CONNECTIONS.labels("sse").inc()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if streaming[0]:
                metrics.OPEN_CONNECTIONS.labels("sse").dec()
            seconds = time.perf_counter() - start
            route = route_template(scope)
            metrics.observe_request(method, route, status[0], seconds)
            _finish_span(span, method, route, status[0])
            access_log.info(
                "%s %s %d %.1fms",
                method,
                scope.get("path", ""),
                status[0],
                seconds * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status[0],
                    "duration_ms": round(seconds * 1000, 1),
                },
            )

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, entry: logs.RequestLog, span: Any
    ) -> None:
        start = time.perf_counter()
        closed = [1000]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "websocket.accept":
                extra = list(message.get("headers") or [])
                extra.append((b"x-request-id", entry.request_id.encode()))
                message = {**message, "headers": extra}
            elif message["type"] == "websocket.close":
                closed[0] = int(message.get("code", 1000))
            await send(message)

        try:
            with metrics.open_connection("websocket"):
                await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = route_template(scope)
            _finish_span(span, "WS", route, closed[0])
            access_log.info(
                "WS %s closed %d after %.1fs",
                scope.get("path", ""),
                closed[0],
                seconds,
                extra={"method": "WS", "route": route, "path": scope.get("path", ""), "status": closed[0]},
            )


def _finish_span(span: Any, method: str, route: str, status: int) -> None:
    if span is None:
        return
    span.update_name(f"HTTP {method} {route}")
    span.set_attribute("http.request.method", method)
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    entry = logs.current_request()
    if entry is not None:
        span.set_attribute("frontdesk.request_id", entry.request_id)
        if entry.user_id:
            span.set_attribute("enduser.id", entry.user_id)

"""Pure ASGI middleware that every HTTP request passes before a route sees it (outermost first):

- `UnhandledErrorMiddleware`: an unexpected exception answers 500 `{"detail", "code": "internal"}`
  and stops there. (Starlette's `ServerErrorMiddleware` sends its 500 and then re-raises to the
  server, and uvicorn closes the connection: a keep-alive client's next request was reset.)
- `BodyLimitMiddleware`: a body over its cap is 413 before anything parses it — at once when
  `Content-Length` says so, else as soon as the streamed (chunked) bytes pass the cap.
- `TextGuardMiddleware`: JSON and form bodies, the query string and the path carry no control
  characters (C0 but tab, LF and CR; DEL) and no lone UTF-16 surrogates (`"\\ud800"`), which no
  store or encoder can hold; else 422 naming the field.

Outside them all, `request_context.RequestContextMiddleware`: the request id, the access line, the
HTTP metrics and the route span.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk import tracing
from frontdesk.api.errors import validation_response
from frontdesk.api.request_context import RequestContextMiddleware
from frontdesk.config import Settings
from frontdesk.tools.explorer.files import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)

MULTIPART_BODY_BYTES = 2 * MAX_UPLOAD_BYTES + 1024 * 1024  # /data/import: two 10 MiB files and the form
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its cap. An `HTTPException`, so FastAPI's
    body reading passes it on (to `errors.http_error`) instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is over the {_size(limit)} limit")


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MiB" if n % mib == 0 else f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


def _tracking(send: Send) -> tuple[Send, list[bool]]:
    """`send` that remembers whether the response has started (`started[0]`)."""
    started = [False]

    async def tracked(message: Message) -> None:
        if message["type"] == "http.response.start":
            started[0] = True
        await send(message)

    return tracked, started


class UnhandledErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked, started = _tracking(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started[0]:
                raise  # half a response cannot become a 500: the server ends the connection
            log.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            response = JSONResponse({"detail": "Internal server error", "code": "internal"}, 500)
            await response(scope, receive, send)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_multipart_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_multipart_bytes = max_multipart_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.max_multipart_bytes if multipart else self.max_body_bytes
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        tracked, started = _tracking(send)
        try:
            await self.app(scope, receive_limited, tracked)
        except BodyTooLarge:  # raised outside the routes (while `TextGuardMiddleware` reads)
            if started[0]:
                raise
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> JSONResponse:
    exc = BodyTooLarge(limit)
    return JSONResponse({"detail": exc.detail, "code": "too_large"}, 413, headers={"Connection": "close"})


def text_problem(value: str) -> str | None:
    """Why `value` is refused, or None."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    if "\ud800" <= found.group() <= "\udfff":
        return "Text may not contain unpaired UTF-16 surrogates"
    return "Text may not contain control characters (other than tab and line breaks)"


def find_bad_text(document: Any, root: tuple[str | int, ...]) -> dict[str, Any] | None:
    """The first string (value or key) in a parsed JSON document that `text_problem` refuses, as
    a pydantic-style error; iterative, so any depth json.loads accepts is fine."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(root, document)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if problem := text_problem(value):
                return {"type": "text_refused", "loc": list(loc), "msg": problem}
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := text_problem(key):
                    return {"type": "text_refused", "loc": list(loc), "msg": f"{problem} (in a key)"}
                stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, i), item) for i, item in reversed(list(enumerate(value))))
    return None


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _check_body(media_type: str, body: bytes) -> dict[str, Any] | None:
    if not body:
        return None
    if _is_json(media_type):
        try:
            document = json.loads(body)  # as Starlette's `Request.json()` reads it
        except (ValueError, RecursionError):
            return None  # not JSON: the route answers its own 422
        return find_bad_text(document, ("body",))
    return _check_pairs(body, "body")


def _check_pairs(encoded: bytes, root: str) -> dict[str, Any] | None:
    """A query string or form body: each name and value."""
    for name, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if error := find_bad_text({name: value}, (root,)):
            return error
    return None


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = find_bad_text(scope.get("path", ""), ("path",)) or _check_pairs(
            scope.get("query_string", b""), "query"
        )
        headers = Headers(scope=scope)
        media_type = _media_type(headers)
        if error is None and (_is_json(media_type) or media_type == "application/x-www-form-urlencoded"):
            body = await _read_body(receive)
            if body is None:
                return  # the client left before it finished sending
            error = _check_body(media_type, body)
            receive = _replay(body, receive)
        if error is not None:
            await validation_response([error])(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def install(app: FastAPI, settings: Settings) -> None:
    """Add the guards; each `add_middleware` wraps the ones added before it."""
    app.add_middleware(TextGuardMiddleware)
    uploads = (settings.upload_max_mib + 1) * 1024 * 1024  # /files/upload, /chat/send-media + the form
    multipart = max(settings.max_body_bytes, MULTIPART_BODY_BYTES, uploads)
    app.add_middleware(
        BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes, max_multipart_bytes=multipart
    )
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RequestContextMiddleware)  # request id, access line, metrics, route span
    tracing.configure(settings)  # opt-in: FRONTDESK_OTEL_ENDPOINT

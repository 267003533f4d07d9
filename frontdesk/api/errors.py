"""Map domain errors and validation failures to JSON `{"detail": ..., "code": ...}` responses.

A 422 lists each failed check in `errors` (`loc`, `msg`, `type`) but never echoes what was sent
when it could be a secret (a field named like password, token, secret or key) or large: only short
scalar inputs of other fields come back, and long names and messages are cut short.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.errors import FrontdeskError, RateLimited, Unauthenticated, Unavailable
from frontdesk.storage.db import is_busy

log = logging.getLogger(__name__)

_SECRET_NAME = re.compile(r"pass|token|secret|key|auth|credential", re.IGNORECASE)
_MAX_ECHO = 100  # characters of a scalar input, a `loc` part or a message sent back
_INT64 = 2**63 - 1
_HTTP_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _short(text: str, limit: int = _MAX_ECHO) -> str:
    """`text` cut to `limit` characters, encodable as UTF-8 (lone surrogates replaced)."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def _public_error(err: dict[str, Any]) -> dict[str, Any]:
    loc = [x if isinstance(x, int) else _short(str(x), 64) for x in err.get("loc", ())]
    out: dict[str, Any] = {"type": str(err.get("type", "invalid")), "loc": loc}
    out["msg"] = _short(str(err.get("msg", "invalid")), 300)
    value = err.get("input")
    secret = any(isinstance(x, str) and _SECRET_NAME.search(x) for x in loc)
    if not secret and isinstance(value, bool | int | float) and abs(value) <= _INT64:
        out["input"] = value
    elif not secret and isinstance(value, str) and len(value) <= _MAX_ECHO:
        out["input"] = _short(value)
    return out


def validation_response(errors: list[dict[str, Any]]) -> JSONResponse:
    """The 422 answer for `errors` (pydantic-style dicts), with inputs filtered as described above."""
    public = [_public_error(e) for e in errors]
    parts = []
    for err in public:
        loc = ".".join(str(x) for x in err["loc"] if x != "body") or "body"
        parts.append(f"{loc}: {err['msg']}")
    detail = "; ".join(parts[:10]) + (f"; and {len(parts) - 10} more" if len(parts) > 10 else "")
    body = {"detail": detail or "Invalid request", "code": "validation_error", "errors": public}
    return JSONResponse(body, status_code=422)


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FrontdeskError)
    headers = {}
    if isinstance(exc, RateLimited | Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        {"detail": exc.detail, "code": exc.code}, status_code=exc.status_code, headers=headers
    )


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_response(list(exc.errors()))


async def http_error(_request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path 404, 405, a body over its limit 413) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304) or exc.status_code < 200:  # no body allowed
        return Response(status_code=exc.status_code, headers=exc.headers)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse({"detail": exc.detail, "code": code}, exc.status_code, headers=exc.headers)


def _out_of_range_params(request: Request) -> list[str]:
    """What is wrong with the query and path parameters an engine cannot hold: integers beyond
    64 bits, dates at the ends of the calendar (a day more or less leaves it)."""
    found = []
    params = list(request.query_params.multi_items()) + list(request.path_params.items())
    for name, value in params:
        text = str(value).strip()
        digits = text.lstrip("+-")
        if digits.isdigit() and (len(digits) > 19 or int(digits) > _INT64):
            found.append(f"{_short(name, 64)}: out of range (at most {_INT64})")
            continue
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            continue
        if day.year in (1, 9999):
            found.append(f"{_short(name, 64)}: out of range (too near the end of the calendar)")
    return list(dict.fromkeys(found))


async def out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A number or date the engine cannot hold (an offset past 64 bits, `date_to=9999-12-31` plus
    a day) is bad input: 400 naming the parameter when it can, never the engine's own message."""
    log.info("out of range input on %s: %r", request.url.path, exc)
    found = _out_of_range_params(request)
    detail = "; ".join(found) or "A number or date in the request is out of range"
    return JSONResponse({"detail": detail, "code": "out_of_range"}, 400)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error that reached a route: contention is 503 with `Retry-After` (never a 500),
    a value the engine cannot hold (asyncpg's int64 overflow is not a `DataError`) is 400."""
    if is_busy(exc):
        log.warning("database busy on %s", request.url.path)
        body = {"detail": "The store is busy; retry in a moment", "code": "busy"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})
    if _out_of_range_params(request) or "out of range" in str(exc).lower():
        return await out_of_range(request, exc)
    return await internal_error(request, exc)


async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected still answers in the documented JSON shape (the error is logged)."""
    log.error("unhandled error", exc_info=exc)
    return JSONResponse({"detail": "Internal server error", "code": "internal"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(FrontdeskError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OverflowError, out_of_range)
    app.add_exception_handler(DataError, out_of_range)  # e.g. PostgreSQL: integer out of range
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, internal_error)

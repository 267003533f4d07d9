"""Map domain errors and validation failures to JSON `{"detail": ..., "code": ...}` responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from frontdesk.errors import FrontdeskError, RateLimited, Unauthenticated

log = logging.getLogger(__name__)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FrontdeskError)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        {"detail": exc.detail, "code": exc.code}, status_code=exc.status_code, headers=headers
    )


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {
            "detail": _validation_detail(exc),
            "code": "validation_error",
            "errors": jsonable_encoder(exc.errors()),
        },
        status_code=422,
    )


async def out_of_range(_request: Request, exc: Exception) -> JSONResponse:
    """Date arithmetic past year 9999 (e.g. `date_to=9999-12-31` plus a day) is bad input."""
    return JSONResponse({"detail": f"A date or number is out of range: {exc}", "code": "out_of_range"}, 400)


async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected still answers in the documented JSON shape (the error is logged)."""
    log.error("unhandled error", exc_info=exc)
    return JSONResponse({"detail": "Internal server error", "code": "internal"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(FrontdeskError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OverflowError, out_of_range)
    app.add_exception_handler(Exception, internal_error)

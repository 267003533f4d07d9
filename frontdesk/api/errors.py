"""Map domain errors and validation failures to JSON `{"detail": ..., "code": ...}` responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from frontdesk.errors import FrontdeskError, RateLimited, Unauthenticated


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


def install(app: FastAPI) -> None:
    app.add_exception_handler(FrontdeskError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)

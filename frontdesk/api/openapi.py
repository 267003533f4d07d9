"""What the OpenAPI document says about errors: one `ErrorOut` shape and `errors(...)`, which a route
passes as `responses=` to document the statuses it can answer with.

    @router.get("/things/{id}", responses=errors(401, 404))

`install(app)` documents what the framework answers for every route: each 422 is the real body
(`ValidationErrorOut`: `detail`, `code: "validation_error"`, `errors`) instead of FastAPI's
`HTTPValidationError`, and an operation that takes a body also answers 400 when the body cannot be
read (JSON that is not UTF-8 or not JSON, broken multipart). `event_stream(...)` documents an SSE
answer as `text/event-stream`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

_DESCRIPTIONS = {
    400: "Invalid input (`code`: invalid, out_of_range, ...)",
    401: "Missing, invalid, expired or revoked credentials (`WWW-Authenticate: Bearer`)",
    403: "Authenticated, but missing the permission",
    404: "Not found, or not yours",
    409: "Conflict: a duplicate, or the resource is busy",
    413: "Request body or field over its documented size limit",
    415: "Unsupported media type",
    422: "The request does not match the schema (`errors` lists each field)",
    429: "Rate limited; `Retry-After` says how many seconds to wait",
    502: "An outside platform failed or refused the credentials",
    503: "Temporarily unavailable (not configured, or the store is busy); retry later",
    504: "The agent took longer than the turn budget",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}
_REF = "#/components/schemas/"


class ErrorOut(BaseModel):
    """Every error answer: a human-readable `detail` and a machine-readable `code`."""

    model_config = ConfigDict(extra="allow")
    detail: str
    code: str | None = None


class FieldError(BaseModel):
    """One failed check: where (`loc`), what (`msg`) and its kind (`type`)."""

    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    """A 422: `detail` sums up every field error, `errors` lists them."""

    code: Literal["validation_error"] = "validation_error"
    errors: list[FieldError]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented with the `ErrorOut` shape."""
    out: dict[int | str, dict[str, Any]] = {}
    for s in statuses:
        out[s] = {
            "model": ValidationErrorOut if s == 422 else ErrorOut,
            "description": _DESCRIPTIONS.get(s, "Error"),
        }
        if s in _HEADERS:
            out[s]["headers"] = _HEADERS[s]
    return out


def event_stream(description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry for a route answering 200 with Server-Sent Events."""
    content = {
        "text/event-stream": {"schema": {"type": "string", "description": "SSE: `id:`, `event:`, `data:`"}}
    }
    return {200: {"description": description, "content": content}}


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> str:
    if model.__name__ not in schemas:
        found = model.model_json_schema(ref_template=_REF + "{model}")
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    return _REF + model.__name__


def _document_framework_errors(doc: dict[str, Any]) -> None:
    """Every 422 is `ValidationErrorOut`, every body may be a 400; FastAPI's unused
    `HTTPValidationError` schemas go."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    invalid = {"application/json": {"schema": {"$ref": _add_schema(schemas, ValidationErrorOut)}}}
    unreadable = {"application/json": {"schema": {"$ref": _add_schema(schemas, ErrorOut)}}}
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] |= {"description": _DESCRIPTIONS[422], "content": invalid}
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = {"description": _DESCRIPTIONS[400], "content": unreadable}
    for unused in ("HTTPValidationError", "ValidationError"):  # the first refers to the second
        if f'"#/components/schemas/{unused}"' not in json.dumps(doc["paths"]):
            schemas.pop(unused, None)


def install(app: FastAPI) -> None:
    """Serve the document with the framework's own errors documented on every operation."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_framework_errors(build())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

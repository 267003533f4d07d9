"""What the OpenAPI document says about errors: one `ErrorOut` shape and `errors(...)`, which a route
passes as `responses=` to document the statuses it can answer with.

    @router.get("/things/{id}", responses=errors(401, 404))

`install(app)` documents what the framework answers for every route: each 422 is the real body
(`ValidationErrorOut`: `detail`, `code: "validation_error"`, `errors`) instead of FastAPI's
`HTTPValidationError`, and an operation that takes a body also answers 400 when the body cannot be
read (JSON that is not UTF-8 or not JSON, broken multipart). `event_stream(...)` documents an SSE
answer as `text/event-stream`. Each operation gets the request and response example of
`openapi_examples.json`; the few that cannot have one are in `WITHOUT_EXAMPLE`, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
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
_EXAMPLES = Path(__file__).with_name("openapi_examples.json")
WITHOUT_EXAMPLE = {  # operations with a body to show but not all its examples: why
    "GET /files/{file_id}": "the bytes of an uploaded file, of whatever type it was",
    "POST /chat/send-url": "no request example: the server would fetch its URL, and the API fuzzer "
    "(tests/api/test_openapi_schemathesis.py) sends every request example",
}


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
    """`responses=` entry for a route answering 200 with Server-Sent Events: the schema is one
    event's (`id`, `event`, `data` holding JSON), as OpenAPI tools validate each event."""
    event = {
        "type": "object",
        "description": "One SSE event: `id:`, `event:`, `data:` (JSON)",
        "properties": {
            "id": {"type": "string"},
            "event": {"type": "string"},
            "data": {"type": "string", "contentMediaType": "application/json"},
        },
        "required": ["data"],
    }
    return {200: {"description": description, "content": {"text/event-stream": {"schema": event}}}}


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


def load_examples() -> dict[str, dict[str, Any]]:
    """`openapi_examples.json`: `"METHOD /path": {"request": ..., "response": ...}`, captured from
    a demo server's real answers (ids and timestamps as the server makes them; secrets replaced,
    long lists cut to two items). A stream's `response` is one event where the document describes
    one (`event_stream`), else a few frames as text; an XML or Prometheus answer's is its text."""
    return json.loads(_EXAMPLES.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def example_media(operation: dict[str, Any]) -> dict[str, Any] | None:
    """Where an operation's response example goes: its first 2xx answer's JSON, or else its only
    other media type (an SSE event, CSV, XML, Prometheus text); None when it answers no body."""
    ok = sorted(s for s in operation.get("responses", {}) if s.startswith("2"))
    content: dict[str, Any] = operation["responses"][ok[0]].get("content", {}) if ok else {}
    if "application/json" in content:
        return content["application/json"]  # type: ignore[no-any-return]
    return next(iter(content.values()), None) if len(content) == 1 else None


def _document_examples(doc: dict[str, Any]) -> None:
    """Each listed operation's JSON request body and first 2xx answer get their example."""
    for name, example in load_examples().items():
        method, _, path = name.partition(" ")
        operation = doc.get("paths", {}).get(path, {}).get(method.lower())
        if operation is None:
            continue  # a route that is gone; tests/api/test_openapi_document.py says so
        if "request" in example and (body := operation.get("requestBody", {}).get("content", {})):
            body.get("application/json", {})["example"] = example["request"]
        if "response" in example and (media := example_media(operation)) is not None:
            media["example"] = example["response"]


def install(app: FastAPI) -> None:
    """Serve the document with the framework's own errors documented on every operation, and the
    examples of `openapi_examples.json`."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_framework_errors(build())
            _document_examples(app.openapi_schema or {})
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

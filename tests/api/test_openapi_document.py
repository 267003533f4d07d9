"""The OpenAPI document tells the truth about shapes: every operation names its success body, errors
are `{detail, code}` (422 adds `errors`), the SSE routes are `text/event-stream`. A new route without
a response model, or with FastAPI's default 422 body, or without a description, or without examples
of its JSON body and its answer that match their schemas, fails here; and the docs pages load nothing
from another origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from frontdesk.api.app import create_app
from frontdesk.api.openapi import WITHOUT_EXAMPLE, example_media, load_examples
from tests.conftest import _settings

SSE_OPERATIONS = [
    ("POST", "/chat/conversations/{conversation_id}/messages"),
    ("GET", "/chat/turns/{turn_id}/stream"),
]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_app(_settings(tmp_path_factory.mktemp("openapi"))).openapi()


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _generic(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """`{}`, or an object that names no property (what `-> dict[str, Any]` documents)."""
    schema = _resolve(doc, schema)
    if not schema:
        return True
    if "anyOf" in schema or "oneOf" in schema:
        return any(_generic(doc, s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    return schema.get("type", "object") == "object" and not schema.get("properties")


def test_every_operation_documents_a_typed_success_body(document: dict[str, Any]) -> None:
    problems = []
    for name, operation in _operations(document):
        ok = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        if not ok:
            problems.append(f"{name}: no 2xx response")
        for status, response in ok.items():
            content = response.get("content", {})
            if status == "204" and content:
                problems.append(f"{name}: 204 with a body")
            if not content and status not in ("202", "204"):  # only these may answer no body
                problems.append(f"{name}: {status} has no content")
            for media_type, body in content.items():
                schema = body.get("schema", {})
                if media_type.endswith("json") and _generic(document, schema):
                    problems.append(f"{name}: {status} {media_type} has a generic schema")
                sse_event = media_type == "text/event-stream" and schema.get("type") == "object"
                if not media_type.endswith("json") and schema.get("type") != "string" and not sse_event:
                    problems.append(f"{name}: {status} {media_type} is not documented as a string")
    assert not problems, "\n".join(problems)


def test_errors_are_documented_as_detail_and_code(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's 422 shape is not what we answer
    problems = []
    for name, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")) or (status == "503" and "health" in name):
                continue
            schema = _resolve(
                document, response.get("content", {}).get("application/json", {}).get("schema", {})
            )
            props = schema.get("properties", {})
            if props.get("detail", {}).get("type") != "string" or "code" not in props:
                problems.append(f"{name}: {status} is not {{detail, code}}")
            if status == "422" and (
                "errors" not in props or props["code"].get("const") != "validation_error"
            ):
                problems.append(f"{name}: 422 is not the validation error body")
    assert not problems, "\n".join(problems)


def test_statuses_every_route_can_answer_are_documented(document: dict[str, Any]) -> None:
    problems = []
    for name, operation in _operations(document):
        responses = operation["responses"]
        if operation.get("security") and "401" not in responses:
            problems.append(f"{name}: needs credentials but does not document 401")
        if "{" in name and "404" not in responses:
            problems.append(f"{name}: has an id in its path but does not document 404")
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body and not {"400", "422"} <= set(responses):
            problems.append(f"{name}: takes a JSON body but does not document 400 and 422")
        if body and "400" not in responses:
            problems.append(f"{name}: takes a body but does not document 400")
    assert not problems, "\n".join(problems)


def test_streams_are_documented_as_server_sent_events(document: dict[str, Any]) -> None:
    for method, path in SSE_OPERATIONS:
        content = document["paths"][path][method.lower()]["responses"]["200"]["content"]
        assert "text/event-stream" in content, f"{method} {path}"


def test_the_served_document_is_the_apps(client: Any) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert "ValidationErrorOut" in r.json()["components"]["schemas"]


def test_document_builds_without_a_data_directory(tmp_path: Path) -> None:
    """The schemathesis module builds the document at import, before any server exists."""
    create_app(_settings(tmp_path / "absent")).openapi()
    assert not (tmp_path / "absent").exists()


class _Urls(HTMLParser):
    """Every URL a page would load: `src`/`href` attributes and quoted URLs in inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls += re.findall(r"""["'`]((?:https?:)?//[^"'`]+|/[^"'`\s]*)["'`]""", data)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_nothing_from_another_origin(client: Any, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    parser = _Urls()
    parser.feed(r.text)
    assert parser.urls, "the page names no asset"
    off_origin = [u for u in parser.urls if re.match(r"^(https?:)?//", u)]
    assert not off_origin, off_origin
    for url in parser.urls:
        assert client.get(url).status_code == 200, url  # every asset is served here


def test_every_operation_has_a_description(document: dict[str, Any]) -> None:
    undescribed = [name for name, op in _operations(document) if not (op.get("description") or "").strip()]
    assert not undescribed, f"{len(undescribed)} operations without a description:\n" + "\n".join(undescribed)


def _example_places(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The media objects an operation's example must fill: its JSON request body, and the answer
    `example_media` picks (JSON, an SSE event, text), if it has a body."""
    places = {}
    if request := operation.get("requestBody", {}).get("content", {}).get("application/json"):
        places["request"] = request
    if (response := example_media(operation)) is not None:
        places["response"] = response
    return places


def test_every_operation_has_its_examples(document: dict[str, Any]) -> None:
    """A JSON body and a 2xx body each have an example; only `WITHOUT_EXAMPLE` says why not."""
    examples = load_examples()
    missing = []
    for name, operation in _operations(document):
        lacking = [part for part in _example_places(operation) if part not in examples.get(name, {})]
        if lacking and name not in WITHOUT_EXAMPLE:
            missing.append(f"{name}: no {' or '.join(lacking)} example")
        if not lacking and name in WITHOUT_EXAMPLE:
            missing.append(f"{name}: has its examples, so it leaves WITHOUT_EXAMPLE")
    assert not missing, f"{len(missing)} operations:\n" + "\n".join(missing)


def test_examples_name_real_operations_and_match_their_schemas(document: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    problems = []
    for name, example in load_examples().items():
        method, _, path = name.partition(" ")
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            problems.append(f"{name}: no such operation")
            continue
        places = _example_places(operation)
        for part in example:
            if part not in places:
                problems.append(f"{name}: {part} example, but no {part} body to show it")
                continue
            media = places[part]
            assert media.get("example") == example[part], f"{name}: {part} example not in the document"
            schema = media["schema"] | {"components": document["components"]}
            for error in Draft202012Validator(schema).iter_errors(media["example"]):
                problems.append(f"{name} {part}: {error.json_path}: {error.message}")
    assert not problems, "\n".join(problems)

"""Operability through the real interface: request ids (header -> log lines -> response), the
access line, `/metrics` after a real turn, who may scrape it, and the OpenTelemetry spans of a turn."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from frontdesk import tracing
from tests.conftest import _settings, demo_login, serve

QUESTION = {"message": "How is the pipeline looking?"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served_with_json_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`frontdesk serve` as a real process (SQLite; its own data directory), stderr to a file.
    FRONTDESK_LOG_FORMAT is left unset: stderr is a file, not a terminal, so lines are JSON."""
    root = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {"FRONTDESK_DATA_DIR": str(root / "data"), "FRONTDESK_DEMO_CONTACTS": "60"}
    env |= {"FRONTDESK_PORT": str(port), "FRONTDESK_CHAT_RATE_LIMIT_PER_MINUTE": "0"}
    log_path = root / "stderr.log"
    with log_path.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", "serve"],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"frontdesk serve did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield url, log_path
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for raw in path.read_text().splitlines():
        out.append(json.loads(raw))  # every line is JSON: a bare line would fail here
    return out


def _wait_for(path: Path, predicate: Any, seconds: float = 15.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        found = [line for line in _lines(path) if predicate(line)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_request_id_flows_from_header_to_log_lines_to_response(
    served_with_json_logs: tuple[str, Path],
) -> None:
    url, log_path = served_with_json_logs
    with httpx.Client(base_url=url, timeout=60) as client:
        headers = demo_login(client) | {"X-Request-ID": "trace-me-42"}
        r = client.post("/chat/send", json=QUESTION, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["X-Request-ID"] == "trace-me-42"

    [access] = _wait_for(
        log_path, lambda x: x.get("logger") == "frontdesk.access" and x.get("request_id") == "trace-me-42"
    )
    assert access["route"] == "/chat/send" and access["status"] == 200 and access["method"] == "POST"
    assert access["user_id"].startswith("user") or access["user_id"]
    assert access["account_id"] and access["duration_ms"] >= 0
    # The turn runs in a task of the server, and its lines carry the request that started it.
    [turn_line] = _wait_for(log_path, lambda x: x.get("logger") == "frontdesk.agent.turns" and "turn_id" in x)
    assert turn_line["request_id"] == "trace-me-42" and turn_line["outcome"] == "completed"
    assert turn_line["door"] == "web" and turn_line["department"]
    # frontdesk's own INFO lines and uvicorn's are written (not dropped), all as JSON.
    loggers = {line["logger"] for line in _lines(log_path)}
    assert {"frontdesk.access", "uvicorn.error"} <= loggers


def test_a_request_without_an_id_gets_one(client: httpx.Client) -> None:
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    unsafe = client.get("/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["X-Request-ID"])
    too_long = client.get("/health", headers={"X-Request-ID": "a" * 65})
    assert too_long.headers["X-Request-ID"] != "a" * 65
    errors = client.get("/no-such-route", headers={"X-Request-ID": "on-a-404"})
    assert errors.status_code == 404 and errors.headers["X-Request-ID"] == "on-a-404"


def _metrics(client: httpx.Client, needle: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        r = client.get("/metrics")
        assert r.status_code == 200, r.text
        if needle in r.text or time.monotonic() > deadline:
            return r.text
        time.sleep(0.1)


def test_metrics_expose_the_named_series_after_a_turn(client: httpx.Client) -> None:
    h = demo_login(client)
    r = client.post("/chat/send", json=QUESTION, headers=h)
    assert r.status_code == 200, r.text
    text = _metrics(client, 'frontdesk_turns_total{department="sales",door="web",outcome="completed"}')
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")
    assert re.search(
        r'frontdesk_http_requests_total\{method="POST",route="/chat/send",status="200"\} \d', text
    )
    assert (
        'frontdesk_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/chat/send"}' in text
    )
    assert 'frontdesk_turns_total{department="sales",door="web",outcome="completed"}' in text
    assert 'frontdesk_turn_duration_seconds_count{door="web"}' in text
    assert 'frontdesk_tool_calls_total{tool="pipeline_summary"}' in text
    assert "frontdesk_tool_errors_total" in text
    assert re.search(
        r'frontdesk_model_request_duration_seconds_count\{outcome="ok",provider="offline"\}', text
    )
    assert 'frontdesk_model_tokens_total{direction="output",provider="offline"}' in text
    assert re.search(r'frontdesk_job_queue_depth\{queue="default"\} \d', text)
    assert re.search(r"frontdesk_helper_executions_queued \d", text)
    assert 'frontdesk_open_connections{kind="sse"}' in text
    assert 'frontdesk_open_connections{kind="websocket"}' in text


def _gauge(client: httpx.Client, kind: str) -> float:
    found = re.search(rf'frontdesk_open_connections\{{kind="{kind}"\}} (\S+)', client.get("/metrics").text)
    assert found is not None
    return float(found.group(1))


def test_open_websockets_and_streams_are_counted(client: httpx.Client, base_url: str) -> None:
    h = demo_login(client)
    before = _gauge(client, "websocket")
    ws_url = base_url.replace("http://", "ws://") + "/ws"
    with connect(ws_url, additional_headers=h) as ws:
        ws.recv(timeout=10)  # connected: the socket is open
        assert _gauge(client, "websocket") == before + 1
        assert ws.response.headers["X-Request-ID"]
    deadline = time.monotonic() + 5
    while _gauge(client, "websocket") != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gauge(client, "websocket") == before
    conv = client.post("/chat/conversations", json={}, headers=h).json()["conversation_id"]
    path = f"/chat/conversations/{conv}/messages"
    with client.stream("POST", path, json={"content": "How is the pipeline looking?"}, headers=h) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["X-Request-ID"]
        body = "".join(r.iter_text())
    assert '"type":"done"' in body
    text = _metrics(client, f'route="{"/chat/conversations/{conversation_id}/messages"}",status="200"')
    assert 'route="/chat/conversations/{conversation_id}/messages",status="200"' in text  # a template
    assert conv not in text
    assert _gauge(client, "sse") == 0  # every stream that opened was closed


def test_metrics_refuse_proxied_or_untokened_scrapers(client: httpx.Client, tmp_path: Path) -> None:
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403 and "FRONTDESK_METRICS_TOKEN" in proxied.json()["detail"]
    with serve(_settings(tmp_path, metrics_token="scrape-secret-123")) as url:
        missing = httpx.get(f"{url}/metrics")
        assert missing.status_code == 401 and missing.json()["code"] == "unauthenticated"
        wrong = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
        assert ok.status_code == 200 and "frontdesk_http_requests_total" in ok.text


@pytest.fixture
def spans() -> Iterator[Any]:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracing.configure(_settings(Path("unused")), exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


def test_a_turn_is_traced_route_turn_model_tool(client: httpx.Client, spans: Any) -> None:
    h = demo_login(client)
    r = client.post("/chat/send", json=QUESTION, headers=h | {"X-Request-ID": "traced-1"})
    assert r.status_code == 200, r.text

    def found() -> tuple[list[Any], list[Any], list[Any]]:
        finished = list(spans.get_finished_spans())
        routes = [
            s
            for s in finished
            if s.name == "HTTP POST /chat/send" and s.attributes.get("frontdesk.request_id") == "traced-1"
        ]
        turns = [s for s in finished if s.name == "turn" and routes and s.parent is not None]
        turns = [s for s in turns if s.parent.span_id == routes[0].context.span_id]
        return finished, routes, turns

    deadline = time.monotonic() + 30  # the route span ends after the last byte, the turn after its store
    while not all(found()[1:]) and time.monotonic() < deadline:
        time.sleep(0.1)
    finished, [route], [turn] = found()
    by_id = {s.context.span_id: s for s in finished}
    assert turn.context.trace_id == route.context.trace_id  # one trace: the turn under its request
    models = [
        s for s in finished if s.name == "model offline" and s.context.trace_id == route.context.trace_id
    ]
    tools = [s for s in finished if s.name == "tool pipeline_summary"]
    assert models and tools

    def under_turn(span: Any) -> bool:
        while span.parent is not None:
            if span.parent.span_id == turn.context.span_id:
                return True
            span = by_id.get(span.parent.span_id)
            if span is None:
                return False
        return False

    assert all(under_turn(s) for s in [*models, *tools])

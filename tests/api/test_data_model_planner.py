"""`nl_query` planned by the configured model, end to end over real HTTP: the server runs with
`FRONTDESK_MODEL=anthropic/…` pointed at a loopback server replaying a recorded Anthropic stream
whose answer calls `set_filters`. A provider failure falls back to the offline planner."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.agent.test_providers import ANTHROPIC
from tests.agent.wire import ProviderServer, Reply
from tests.api.conftest import anthropic_backed_server
from tests.conftest import demo_login

QUESTION = "open deals worth at least 5k, biggest first"
MODEL_FILTERS = {
    "object_type": "leads",
    "in": {"status": ["new", "contacted", "qualified"]},
    "ranges": {"value": {"gte": 5000.0}},
}


@pytest.fixture(scope="module")
def model_server(wire: ProviderServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with anthropic_backed_server(wire, tmp_path_factory.mktemp("model-planner-server")) as url:
        yield url


@pytest.fixture(scope="module")
def native(model_server: str) -> dict[str, object]:
    with httpx.Client(base_url=model_server, timeout=60) as c:
        headers = demo_login(c)
        r = c.post("/data/sync", headers=headers, json={})
        conn = next(s["connection_id"] for s in r.json()["synced"] if s["platform"] == "native")
        return {"headers": headers, "conn": conn}


def _check_rows(rows: list[dict[str, object]]) -> None:
    assert rows
    for row in rows:
        assert row["status"] in ("new", "contacted", "qualified")
        assert isinstance(row["value"], int | float) and row["value"] >= 5000


def test_query_filters_from_the_model(model_server: str, native: dict, wire: ProviderServer) -> None:
    wire.reset()
    wire.queue(Reply.sse("anthropic_set_filters.sse"))
    with httpx.Client(base_url=model_server, timeout=30) as client:
        body = {"connection_id": native["conn"], "nl_query": QUESTION}
        r = client.post("/data/query", headers=native["headers"], json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["planner"] == f"model:{ANTHROPIC.model}"
    assert out["filters"] == MODEL_FILTERS and out["object_type"] == "leads"
    assert out["sort"] == ["-value"] and out["limit"] == 5
    assert out["nl_query"] == QUESTION and "object_type=leads" in out["understood"]
    _check_rows(out["results"])
    values = [row["value"] for row in out["results"]]
    assert values == sorted(values, reverse=True) and len(values) <= 5

    # Anthropic was asked once, with the set_filters tool and the connection's catalog
    [req] = wire.requests
    assert req.path == ANTHROPIC.path and req.tool_names() == ["set_filters"]
    assert {"object_type", "in", "ranges"} <= set(req.body["tools"][0]["input_schema"]["properties"])
    assert "lifetime_value: number" in req.text and QUESTION in req.text


def test_export_filters_from_the_model(model_server: str, native: dict, wire: ProviderServer) -> None:
    wire.reset()
    wire.queue(Reply.sse("anthropic_set_filters.sse"))
    body = {"connection_id": native["conn"], "format": "json", "query": {"nl_query": QUESTION}}
    with httpx.Client(base_url=model_server, timeout=30) as client:
        r = client.post("/data/export", headers=native["headers"], json=body)
    assert r.status_code == 200, r.text
    assert r.headers["x-frontdesk-planner"] == f"model:{ANTHROPIC.model}"
    rows = json.loads(r.content)
    _check_rows(rows)
    values = [row["value"] for row in rows]
    assert values == sorted(values, reverse=True)


def test_provider_500_falls_back_to_offline(model_server: str, native: dict, wire: ProviderServer) -> None:
    wire.reset()
    wire.queue(*[Reply.json(500, "anthropic_500.json") for _ in range(3)])  # first try + 2 retries
    question = "leads worth more than $20k created this year"
    with httpx.Client(base_url=model_server, timeout=30) as client:
        body = {"connection_id": native["conn"], "nl_query": question}
        r = client.post("/data/query", headers=native["headers"], json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["planner"] == "offline"
    assert out["filters"]["object_type"] == "leads"
    assert out["filters"]["ranges"] == {"value": {"gt": 20000.0}} and "in" not in out["filters"]
    assert all(row["value"] > 20000 for row in out["results"])
    assert len(wire.requests) == 3 and all(r.tool_names() == ["set_filters"] for r in wire.requests)


def test_explicit_filters_skip_the_model(model_server: str, native: dict, wire: ProviderServer) -> None:
    wire.reset()
    body = {
        "connection_id": native["conn"],
        "nl_query": "VIP contacts",
        "filters": {"object_type": "contacts", "tags": ["VIP"]},
    }
    with httpx.Client(base_url=model_server, timeout=30) as client:
        r = client.post("/data/query", headers=native["headers"], json=body)
    assert r.status_code == 200, r.text
    assert r.json()["planner"] == "offline" and r.json()["filters"]["tags"] == ["VIP"]
    assert wire.requests == []

"""CRM MVP agents through the real server: an account's agent is created, listed, executed (its
turn is stored under its id) and counted by `/api/analytics/ai-performance`; chat routes to it
over the department it is layered on; another account gets 404, a Viewer cannot create, bad input
is a 400/422 with `detail`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.models import Membership
from frontdesk.types import ROLE_PERMISSIONS
from tests.api.jobs_support import job_settings
from tests.api.test_chat import read_sse, stream
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Settings]]:
    settings = job_settings(tmp_path_factory.mktemp("agents"))
    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c, settings


def make_viewer(settings: Settings, tokens: dict[str, Any]) -> None:
    async def change() -> None:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                await s.execute(
                    update(Membership)
                    .where(Membership.user_id == tokens["user"]["user_id"])
                    .values(role="Viewer", permissions=sorted(ROLE_PERMISSIONS["Viewer"]))
                )
                await s.commit()
        finally:
            await db.close()

    asyncio.run(change())


AGENT = {
    "name": "Pipeline Coach",
    "type": "sales",
    "capabilities": ["lead-qualification", "pipeline-review"],
    "config": {"model": "offline", "temperature": 0.3, "maxTokens": 800, "systemPrompt": "Be brief."},
}


def test_create_list_execute_and_performance(server: tuple[httpx.Client, Settings]) -> None:
    client, _ = server
    headers = auth(register(client, "Owner"))
    r = client.post("/api/agents", json=AGENT, headers=headers)
    assert r.status_code == 201, r.text
    agent = r.json()
    assert agent["id"].startswith("agent_") and agent["type"] == "sales" and agent["status"] == "active"
    assert agent["config"] == {
        "model": "offline",
        "temperature": 0.3,
        "maxTokens": 800,
        "systemPrompt": "Be brief.",
    }
    assert agent["performance"] == {"totalInteractions": 0, "successRate": None, "avgResponseTime": None}
    assert agent["createdAt"].endswith("Z")
    listed = client.get("/api/agents", headers=headers).json()["agents"]
    assert [a["id"] for a in listed] == [agent["id"]]

    r = client.post(
        f"/api/agents/{agent['id']}/execute",
        json={"input": {"message": "How many leads are there?", "context": {"previousInteractions": 3}}},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["agentId"] == agent["id"] and run["output"]["response"]
    assert run["usage"]["totalCost"] == 0  # the offline model costs nothing (test_agent_figures: priced)
    assert 0.5 < run["output"]["confidence"] <= 1  # a question about leads fits a sales agent best
    assert all(set(a) == {"type", "parameters"} for a in run["output"]["actions"])
    history = client.get(f"/chat/conversations/{run['conversationId']}/messages", headers=headers).json()
    user, answer = history["messages"]
    assert (
        user["content"].startswith("How many leads are there?") and "previousInteractions" in user["content"]
    )
    assert answer["agent_used"] == agent["id"] and answer["content"] == run["output"]["response"]

    # the SDK's shape: input as a string, context beside it
    r = client.post(
        f"/api/agents/{agent['id']}/execute", json={"input": "Show me the pipeline"}, headers=headers
    )
    assert r.status_code == 200, r.text

    perf = client.get("/api/analytics/ai-performance", headers=headers).json()
    mine = next(a for a in perf["agents"] if a["agentId"] == agent["id"])
    assert mine["name"] == "Pipeline Coach" and mine["builtIn"] is False
    assert mine["metrics"]["totalInteractions"] == 2 and mine["metrics"]["successfulInteractions"] <= 2
    assert mine["metrics"]["avgResponseTime"] is not None and mine["metrics"]["avgResponseTime"] >= 0
    assert perf["overall"]["totalInteractions"] == 2
    shown = client.get(f"/api/agents/{agent['id']}", headers=headers).json()
    assert shown["performance"]["totalInteractions"] == 2


def test_chat_routes_to_the_account_agent_over_its_department(server: tuple[httpx.Client, Settings]) -> None:
    client, _ = server
    headers = auth(register(client, "Router"))
    question = "How many leads are in the pipeline?"

    def department() -> str:
        conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
        events = read_sse(stream(client, headers, conv, question))
        return next(data["department"] for _, data in events if data["type"] == "agent")

    built_in = department()
    created = client.post("/api/agents", json=AGENT | {"type": built_in, "name": "Layered"}, headers=headers)
    assert created.status_code == 201, created.text
    assert department() == created.json()["id"]


def test_other_accounts_viewers_and_bad_input(server: tuple[httpx.Client, Settings]) -> None:
    client, settings = server
    owner = auth(register(client, "Holder"))
    agent_id = client.post("/api/agents", json=AGENT, headers=owner).json()["id"]
    other = auth(register(client, "Stranger"))
    assert client.get(f"/api/agents/{agent_id}", headers=other).status_code == 404
    r = client.post(f"/api/agents/{agent_id}/execute", json={"input": "hi"}, headers=other)
    assert r.status_code == 404 and r.json()["detail"]
    assert client.get("/api/agents", headers=other).json()["agents"] == []

    viewer_tokens = register(client, "Viewer")
    make_viewer(settings, viewer_tokens)
    viewer = auth(viewer_tokens)
    r = client.post("/api/agents", json=AGENT, headers=viewer)
    assert r.status_code == 403 and "crm.write" in r.json()["detail"]
    assert client.get("/api/agents", headers=viewer).status_code == 200

    r = client.post("/api/agents", json={"type": "sales"}, headers=owner)
    assert r.status_code == 422 and r.json()["detail"]
    r = client.post("/api/agents", json=AGENT | {"name": "X", "type": "wizard"}, headers=owner)
    assert r.status_code == 400 and "sales" in r.json()["detail"]
    r = client.post("/api/agents", json=AGENT | {"name": "Y", "config": {"model": "nope"}}, headers=owner)
    assert r.status_code == 400 and "nope" in r.json()["detail"]
    r = client.post("/api/agents", json=AGENT, headers=owner)
    assert r.status_code == 409
    r = client.post("/api/agents", json=AGENT | {"name": "Z", "config": {"temperature": 5}}, headers=owner)
    assert r.status_code == 422
    r = client.post(f"/api/agents/{agent_id}/execute", json={"input": {"message": ""}}, headers=owner)
    assert r.status_code == 422
    assert (
        client.post("/api/agents/agent_missing/execute", json={"input": "x"}, headers=owner).status_code
        == 404
    )
    assert client.get("/api/agents").status_code == 401


def test_a_support_agent_greets_from_the_reads_it_has(server: tuple[httpx.Client, Settings]) -> None:
    """A support agent has no `pipeline_summary`: its greeting still names this account's own tag
    and company, read through the tool it has (no "that needs a tool" answer)."""
    client, _ = server
    headers = auth(register(client, "Supporter"))
    for first in ("Ana", "Rui"):
        body = {"name": f"{first} Costa", "company": "Harbour Lda", "tags": ["wholesale"]}
        assert client.post("/api/contacts", json=body, headers=headers).status_code == 201
    agent = client.post("/api/agents", json={**AGENT, "name": "Desk", "type": "support"}, headers=headers)
    assert agent.status_code == 201, agent.text
    r = client.post(
        f"/api/agents/{agent.json()['id']}/execute",
        json={"input": "hello, who are you and what can you do?"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    answer = r.json()["output"]["response"]
    assert "I'm frontdesk" in answer and "needs the" not in answer, answer
    assert "tagged wholesale" in answer and "contacts at Harbour Lda" in answer, answer
    assert "leads are worth the most" not in answer  # no pipeline read: no stage example

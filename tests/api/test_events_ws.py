"""`WS /ws` through the real server with a real WebSocket client: a socket hears `lead.created`
(and the other live events) of its own account only, whichever door wrote the change; a bad
token is refused with 1008; a scheduled agent task reports `agent.status` then `agent.completed`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.api.jobs_support import job_settings
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        serve(job_settings(tmp_path_factory.mktemp("events-ws"))) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


def ws_url(api: httpx.Client) -> str:
    return str(api.base_url).replace("http://", "ws://").rstrip("/") + "/ws"


def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def test_a_socket_hears_its_accounts_lead_created_and_nothing_else(api: httpx.Client) -> None:
    mine, theirs = auth(register(api)), auth(register(api, "Other"))
    with connect(ws_url(api), additional_headers=mine) as ws:
        assert receive(ws)["type"] == "connected"
        assert api.post("/api/leads", headers=theirs, json={"name": "Their lead"}).status_code == 201
        lead = api.post("/api/leads", headers=mine, json={"name": "My lead", "source": "referral"}).json()
        event = receive(ws)
        assert event["type"] == "lead.created" and event["timestamp"].endswith("Z")
        assert event["data"]["id"] == lead["id"] and event["data"]["name"] == "My lead"
        assert event["data"]["source"] == "referral"
        api.put(f"/api/leads/{lead['id']}", headers=mine, json={"status": "contacted"})
        updated = receive(ws)
        assert updated["type"] == "lead.updated" and updated["data"]["status"] == "contacted"
        assert updated["data"]["previousStatus"] == "new"
        ws.send("ping")
        assert receive(ws) == {"type": "pong"}


def test_the_chat_door_emits_the_same_event(api: httpx.Client) -> None:
    """The agent's `create_lead` tool writes through the same code, so the socket hears it too."""
    headers = auth(register(api))
    token = headers["Authorization"].split()[1]
    with connect(ws_url(api) + f"?token={token}") as ws:
        assert receive(ws)["type"] == "connected"
        r = api.post("/chat/send", headers=headers, json={"message": "Create a lead named Ada Lovelace"})
        assert r.status_code == 200, r.text
        event = receive(ws, timeout=30)
        while event["type"] not in ("lead.created",):
            event = receive(ws, timeout=30)
        assert event["data"]["name"] == "Ada Lovelace"


def test_a_bad_token_is_refused(api: httpx.Client) -> None:
    with connect(ws_url(api) + "?token=not-a-token") as ws:
        error = receive(ws)
        assert error["type"] == "error" and error["code"] == "unauthenticated"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    with connect(ws_url(api)) as ws:
        assert receive(ws)["type"] == "error"


def test_a_scheduled_agent_task_reports_its_status(api: httpx.Client) -> None:
    headers = auth(register(api))
    body = {
        "name": "Morning brief",
        "schedule": {"cron": "0 7 * * *"},
        "task_type": "agent_task",
        "task_params": {"message": "How many contacts do I have?"},
    }
    job = api.post("/scheduler/jobs", headers=headers, json=body).json()
    with connect(ws_url(api), additional_headers=headers) as ws:
        assert receive(ws)["type"] == "connected"
        api.post(f"/scheduler/jobs/{job['id']}/run", headers=headers)
        seen = [receive(ws, timeout=30)]
        while seen[-1]["type"] != "agent.completed":
            seen.append(receive(ws, timeout=30))
    types = [e["type"] for e in seen]
    assert types.index("agent.status") < types.index("agent.completed")
    status = seen[types.index("agent.status")]["data"]
    assert status["status"] == "processing" and status["currentTask"] == "How many contacts do I have?"
    assert seen[-1]["data"]["conversationId"].startswith("conv:")

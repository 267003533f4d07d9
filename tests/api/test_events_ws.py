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

from tests.agent.wire import running
from tests.api.jobs_support import job_settings
from tests.api.test_messages_api import text_to
from tests.channels.fakes_twilio import FakeTwilio
from tests.channels.test_sms import new_phone, sms_settings
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with running(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[httpx.Client]:
    """One server with the SMS door on (a local fake of Twilio), so the lead inbox can be texted."""
    data_dir = tmp_path_factory.mktemp("events-ws")
    sms = sms_settings(data_dir, twilio)
    settings = job_settings(data_dir, **{k: getattr(sms, k) for k in SMS_KEYS})
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


SMS_KEYS = ("public_url", "twilio_auth_token", "twilio_account_sid", "twilio_from_number", "twilio_api_base")


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
        assert "reply yes to confirm" in r.json()["message"]  # a new account confirms writes first
        r = api.post(
            "/chat/send", headers=headers, json={"message": "yes", "session_id": r.json()["session_id"]}
        )
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
        "task_params": {"message": "How many contacts do I have?", "agent": "sales"},
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


def test_a_text_to_the_lead_inbox_reaches_the_socket(api: httpx.Client) -> None:
    headers = auth(register(api))
    number, phone = new_phone(), new_phone()
    assert api.put("/api/inbox", headers=headers, json={"number": number, "enabled": True}).status_code == 200
    with connect(ws_url(api), additional_headers=headers) as ws:
        assert receive(ws)["type"] == "connected"
        assert text_to(api, number, phone, "Hi, is this still available?").status_code == 200
        created, received = receive(ws), receive(ws)
    assert created["type"] == "lead.created" and created["data"]["phone"] == phone
    assert created["data"]["source"] == "sms"
    assert received["type"] == "message.received" and received["data"]["sender"] == "lead"
    assert received["data"]["leadId"] == created["data"]["id"]
    assert received["data"]["content"] == "Hi, is this still available?"


def test_a_socket_hears_metrics_update_with_todays_counts(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = job_settings(tmp_path_factory.mktemp("metrics-ws"), metrics_update_seconds=0.3)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as api:
        mine, theirs = auth(register(api)), auth(register(api, "Other"))
        api.post("/api/leads", headers=theirs, json={"name": "Their lead"})
        with connect(ws_url(api), additional_headers=mine) as ws:
            assert receive(ws)["type"] == "connected"
            assert api.post("/api/leads", headers=mine, json={"name": "Mine"}).status_code == 201
            while (event := receive(ws))["type"] != "metrics.update" or event["data"]["leadsToday"] != 1:
                pass
    assert set(event["data"]) == {"leadsToday", "contactsToday", "messagesToday", "since"}
    assert event["data"]["since"].endswith("T00:00:00Z")

"""Approval before writes through the real server: on a new account a write asked in chat ends
the turn with a confirmation naming what would be written and writes nothing; "yes" resumes the
same turn state and the record exists (checked through REST); anything else cancels. With the
setting off (and on the demo account, unless set) the write runs at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from frontdesk.agent.approval import approval_enabled
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from tests.api.jobs_support import job_settings
from tests.api.test_chat import read_sse, stream
from tests.conftest import auth, demo_login, register, serve

ASK = "Create a lead named Ana Silva from website worth $1200"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Settings]]:
    settings = job_settings(tmp_path_factory.mktemp("approval"))
    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c, settings


def on_db(settings: Settings, fn: Any) -> Any:
    async def go() -> Any:
        db = Database(settings.resolved_database_url)
        try:
            return await fn(db)
        finally:
            await db.close()

    return asyncio.run(go())


def say(
    client: httpx.Client, headers: dict[str, str], conv: str, text: str
) -> tuple[dict[str, Any], list[str]]:
    """(the done event, the tools called) of one turn."""
    events = [data for _, data in read_sse(stream(client, headers, conv, text))]
    done = next(e for e in events if e["type"] == "done")
    return done, [e["tool"] for e in events if e["type"] == "tool_call"]


def leads_named(client: httpx.Client, headers: dict[str, str], name: str) -> list[dict[str, Any]]:
    r = client.get("/api/leads", params={"limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    return [lead for lead in r.json()["leads"] if lead["name"] == name]


def test_a_write_waits_for_yes(server: tuple[httpx.Client, Settings]) -> None:
    client, _ = server
    headers = auth(register(client, "Careful"))
    conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
    done, tools = say(client, headers, conv, ASK)
    assert tools == []  # nothing ran
    question = done["content"]
    assert question.startswith("I'll create lead Ana Silva") and question.endswith("reply yes to confirm.")
    assert "website" in question and "$1,200" in question
    assert leads_named(client, headers, "Ana Silva") == []

    done, tools = say(client, headers, conv, "yes")
    assert "create_lead" in tools
    [lead] = leads_named(client, headers, "Ana Silva")
    assert lead["source"] == "website" and lead["value"] == 1200
    assert "Ana Silva" in done["content"]
    history = client.get(f"/chat/conversations/{conv}/messages", headers=headers).json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[1]["content"] == question


def test_anything_else_cancels(server: tuple[httpx.Client, Settings]) -> None:
    client, _ = server
    headers = auth(register(client, "Doubtful"))
    conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
    first, _ = say(client, headers, conv, "Create a lead named Bo Stone")
    assert "reply yes to confirm" in first["content"]
    done, tools = say(client, headers, conv, "actually no")
    assert tools == [] and done["content"].startswith("Cancelled")
    assert leads_named(client, headers, "Bo Stone") == []
    # the conversation is not waiting any more: the next write asks again
    again, _ = say(client, headers, conv, "Create a lead named Bo Stone")
    assert "reply yes to confirm" in again["content"]


def test_with_the_setting_off_writes_run_at_once(server: tuple[httpx.Client, Settings]) -> None:
    client, settings = server
    tokens = register(client, "Quick")
    headers = auth(tokens)
    account_id = str(tokens["account"]["account_id"])  # type: ignore[index]
    r = client.put(f"/accounts/{account_id}", json={"approve_writes": False}, headers=headers)
    assert r.status_code == 200 and r.json()["approve_writes"] is False, r.text
    assert (
        client.get(f"/accounts/{account_id}", headers=headers).json()["settings"]["approve_writes"] is False
    )
    conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
    _, tools = say(client, headers, conv, "Create a lead named Cy Quick")
    assert tools == ["create_lead"] and len(leads_named(client, headers, "Cy Quick")) == 1

    demo = demo_login(client)
    demo_account = client.get("/auth/me", headers=demo).json()
    demo_id = demo_account.get("account_id") or demo_account["account"]["account_id"]
    assert on_db(settings, lambda db: approval_enabled(db, demo_id)) is False
    assert on_db(settings, lambda db: approval_enabled(db, account_id)) is False

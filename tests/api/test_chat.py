"""The web chat API over real HTTP: a streamed turn with a real tool call, history, isolation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy import func, select, update

from frontdesk.config import Settings
from frontdesk.storage import bulk_demo
from frontdesk.storage.db import Database
from frontdesk.storage.models import Contact, ContactTag, Message, Tag
from tests.conftest import auth, register


def read_sse(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body into (id, data) pairs, checking every event is `event: message`."""
    events = []
    for block in response.text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        assert fields["event"] == "message"
        events.append((fields["id"], json.loads(fields["data"])))
    return events


def stream(client: httpx.Client, headers: dict[str, str], conv_id: str, content: str) -> httpx.Response:
    r = client.post(f"/chat/conversations/{conv_id}/messages", json={"content": content}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-accel-buffering"] == "no"
    return r


def vip_names(settings: Settings, account_id: str) -> set[str]:
    """Names of the contacts that really carry the VIP tag, read straight from the database."""

    async def run() -> set[str]:
        db = Database(settings.resolved_database_url)
        async with db.session() as s:
            rows = await s.execute(
                select(Contact.first_name, Contact.last_name)
                .join(ContactTag, ContactTag.contact_id == Contact.id)
                .join(Tag, Tag.id == ContactTag.tag_id)
                .where(Tag.name == "VIP", Contact.account_id == account_id)
            )
            names = {f"{a} {b}" for a, b in rows.all()}
            count = await s.scalar(
                select(func.count()).select_from(Contact).where(Contact.account_id == account_id)
            )
        await db.close()
        assert count, "demo data missing"
        return names

    return asyncio.run(run())


def test_vip_question_streams_tool_call_and_real_names(
    client: httpx.Client, server_settings: Settings
) -> None:
    r = client.post("/auth/login", json={"email": "demo@frontdesk.local", "password": "frontdesk-demo"})
    login = r.json()
    headers = auth(login)
    conv = client.post("/chat/conversations", json={"title": "VIPs"}, headers=headers)
    assert conv.status_code == 201
    conv_id = conv.json()["conversation_id"]
    assert conv_id.startswith("conv:")

    events = read_sse(stream(client, headers, conv_id, "which contacts are tagged VIP?"))
    ids = [i for i, _ in events]
    assert len(set(ids)) == len(ids), "every event has its own id"
    kinds = [e["type"] for _, e in events]
    assert kinds[0] == "agent" and kinds[-1] == "done"
    call = next(e for _, e in events if e["type"] == "tool_call")
    assert call["tool"] == "get_contacts"
    assert [t.lower() for t in call["arguments"]["tags"]] == ["vip"]
    result = next(e for _, e in events if e["type"] == "tool_result")
    assert result["is_error"] is False and result["result"]["total"] > 0
    assert all("VIP" in c["tags"] for c in result["result"]["contacts"])
    text = "".join(e["delta"] for _, e in events if e["type"] == "content")
    done = events[-1][1]
    assert done["content"] == text

    truly_vip = vip_names(server_settings, login["account"]["account_id"])
    named = [c["name"] for c in result["result"]["contacts"]]
    assert named and all(n in text for n in named[:10])
    assert set(named) <= truly_vip
    assert f"I found {len(truly_vip)} contacts tagged VIP" in text

    history = client.get(f"/chat/conversations/{conv_id}/messages", headers=headers).json()
    assert history["total"] == 2 and history["has_more"] is False
    user, assistant = history["messages"]
    assert (user["role"], user["sequence"], user["content"]) == ("user", 1, "which contacts are tagged VIP?")
    assert assistant["role"] == "assistant" and assistant["sequence"] == 2
    assert assistant["content"] == text
    assert assistant["agent_used"] == done["agent"]
    assert assistant["tool_calls"][0]["function"]["name"] == "get_contacts"
    assert (
        json.loads(assistant["tool_calls"][0]["function"]["arguments"])["tags"] == call["arguments"]["tags"]
    )
    assert assistant["tool_results"][0]["tool_call_id"] == call["id"]
    assert assistant["tokens_used"]["output"] > 0

    detail = client.get(f"/chat/conversations/{conv_id}", headers=headers).json()
    assert [m["message_id"] for m in detail["messages"]] == [m["message_id"] for m in history["messages"]]
    listed = client.get("/chat/conversations", headers=headers).json()
    mine = next(c for c in listed["conversations"] if c["conversation_id"] == conv_id)
    assert mine["message_count"] == 2 and mine["department"] == done["agent"]


def test_second_user_gets_404_everywhere(client: httpx.Client) -> None:
    owner = auth(register(client, "Owner"))
    other = auth(register(client, "Intruder"))
    conv_id = client.post("/chat/conversations", json={}, headers=owner).json()["conversation_id"]
    stream(client, owner, conv_id, "how is the pipeline looking?")
    for method, path, body in (
        ("GET", f"/chat/conversations/{conv_id}", None),
        ("GET", f"/chat/conversations/{conv_id}/messages", None),
        ("POST", f"/chat/conversations/{conv_id}/messages", {"content": "hi"}),
        ("DELETE", f"/chat/conversations/{conv_id}", None),
        ("GET", f"/chat/history/{conv_id}", None),
        ("DELETE", f"/chat/session/{conv_id}", None),
        ("POST", "/chat/send", {"message": "hi", "session_id": conv_id}),
    ):
        r = client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["detail"] == "Conversation not found"
    assert client.get("/chat/conversations", headers=other).json()["total"] == 0
    # nothing was lost or added by the intruder
    assert client.get(f"/chat/conversations/{conv_id}/messages", headers=owner).json()["total"] == 2
    assert client.delete(f"/chat/conversations/{conv_id}", headers=owner).json()["success"] is True
    assert client.get(f"/chat/conversations/{conv_id}", headers=owner).status_code == 404


def test_bad_input_gets_clear_4xx(client: httpx.Client) -> None:
    h = auth(register(client))
    conv_id = client.post("/chat/conversations", headers=h).json()["conversation_id"]
    r = client.post(
        f"/chat/conversations/{conv_id}/messages",
        content=b'{"content": ',
        headers=h | {"content-type": "application/json"},
    )
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = client.post(f"/chat/conversations/{conv_id}/messages", json={}, headers=h)
    assert r.status_code == 422 and "content" in r.json()["detail"]
    r = client.post("/chat/conversations/conv:does-not-exist/messages", json={"content": "hi"}, headers=h)
    assert r.status_code == 404
    r = client.post(f"/chat/conversations/{conv_id}/messages", json={"content": "x" * 9000}, headers=h)
    assert r.status_code == 413 and "8000" in r.json()["detail"]
    r = client.post(f"/chat/conversations/{conv_id}/messages", json={"content": "   "}, headers=h)
    assert r.status_code == 400
    r = client.get(f"/chat/conversations/{conv_id}/messages?limit=0", headers=h)
    assert r.status_code == 422
    # none of the refused requests left a message behind
    assert client.get(f"/chat/conversations/{conv_id}/messages", headers=h).json()["total"] == 0


def test_chat_send_sessions_and_history(client: httpx.Client) -> None:
    h = auth(register(client))
    r = client.post("/chat/send", json={"message": "How is the pipeline looking?"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["session_id"].startswith("conv:")
    assert body["agent_used"] == "sales" and body["tokens_used"] > 0
    assert body["message"].startswith("Your pipeline has 0 leads")  # a new account has no leads
    r = client.post(
        "/chat/send",
        json={"message": "how many contacts do we have?", "session_id": body["session_id"]},
        headers=h,
    )
    assert r.json()["session_id"] == body["session_id"]
    assert r.json()["message"] == "There are 0 contacts."
    sessions = client.get("/chat/sessions", headers=h).json()
    assert sessions["total"] == 1 and sessions["sessions"][0]["message_count"] == 4
    history = client.get(f"/chat/history/{body['session_id']}", headers=h).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "user", "assistant"]
    assert history["messages"][1]["agent_used"] == "sales"
    cleared = client.delete(f"/chat/session/{body['session_id']}", headers=h).json()
    assert cleared == {"session_id": body["session_id"], "cleared": True}
    assert client.get(f"/chat/history/{body['session_id']}", headers=h).json()["messages"] == []


def test_health(client: httpx.Client) -> None:
    assert client.get("/health").json()["database"] == "connected"
    assert client.get("/chat/health").json()["status"] == "healthy"


def test_a_turn_continues_a_bulk_loaded_conversation_and_one_with_foreign_tool_calls(
    client: httpx.Client, server_settings: Settings
) -> None:
    """`frontdesk demo --messages N` conversations (assistants with tool calls and results) are
    continued like any other; a stored tool call in a shape turns do not write (an import) is
    left out of the model's history instead of failing the turn."""
    tokens = register(client, "Loaded")
    owner = (tokens["account"]["account_id"], tokens["user"]["user_id"])  # type: ignore[index]

    async def load(foreign: bool) -> str:
        db = Database(server_settings.resolved_database_url)
        try:
            if not foreign:
                await bulk_demo.load_messages(db, 60, 2, owner=owner)
            async with db.session() as s:
                conv_id = await s.scalar(
                    select(Message.conversation_id)
                    .where(Message.account_id == owner[0], Message.tool_calls.is_not(None))
                    .order_by(Message.conversation_id)
                    .limit(1)
                )
                if foreign:
                    await s.execute(
                        update(Message)
                        .where(Message.conversation_id == conv_id, Message.tool_calls.is_not(None))
                        .values(
                            tool_calls=[{"id": "x", "name": "search_contacts", "args": {}}],
                            tool_results=[{"ok": 1}],
                        )
                    )
                    await s.commit()
            return str(conv_id)
        finally:
            await db.close()

    for foreign in (False, True):
        conv_id = asyncio.run(load(foreign))
        r = client.post("/chat/send", json={"message": "hello", "session_id": conv_id}, headers=auth(tokens))
        assert r.status_code == 200, r.text
        assert r.json()["session_id"] == conv_id and r.json()["message_id"]

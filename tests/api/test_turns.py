"""Turns owned by the server, over real HTTP: concurrent turns in one conversation, a dropped SSE
client, resuming with `Last-Event-ID`, the JSON answer of a turn, cancelling, and a soak of 32 users."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.api.test_chat import read_sse
from tests.conftest import auth, register


def new_user(client: httpx.Client) -> dict[str, str]:
    return auth(register(client, "Turner"))


def history(client: httpx.Client, headers: dict[str, str], conv_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/chat/conversations/{conv_id}/messages?limit=500", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["messages"]


async def send(
    ac: httpx.AsyncClient, headers: dict[str, str], text: str, session: str | None
) -> httpx.Response:
    body: dict[str, Any] = {"message": text}
    if session:
        body["session_id"] = session
    return await ac.post("/chat/send", json=body, headers=headers)


def test_three_turns_at_once_in_one_conversation(base_url: str, client: httpx.Client) -> None:
    """10 rounds of 3 simultaneous turns into one session: no 5xx, each user message stored once,
    in order, each followed by its own answer (turns in one conversation run one after another)."""
    headers = new_user(client)
    first = client.post("/chat/send", json={"message": "how is the pipeline?"}, headers=headers)
    assert first.status_code == 200, first.text
    session = first.json()["session_id"]

    async def rounds() -> list[httpx.Response]:
        responses = []
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as ac:
            for r in range(10):
                texts = [f"round {r} question {i}: how many leads are qualified?" for i in range(3)]
                responses += await asyncio.gather(*(send(ac, headers, t, session) for t in texts))
        return responses

    responses = asyncio.run(rounds())
    assert [r.status_code for r in responses] == [200] * 30, [
        r.text for r in responses if r.status_code != 200
    ]
    messages = history(client, headers, session)
    assert len(messages) == 2 + 30 * 2
    assert [m["sequence"] for m in messages] == list(range(1, len(messages) + 1))
    assert [m["role"] for m in messages] == ["user", "assistant"] * 31
    asked = [m["content"] for m in messages if m["role"] == "user"][1:]
    assert sorted(asked) == sorted(
        f"round {r} question {i}: how many leads are qualified?" for r in range(10) for i in range(3)
    )
    replies = {r.json()["message_id"] for r in responses}
    assert replies == {m["message_id"] for m in messages if m["role"] == "assistant"} - {
        first.json()["message_id"]
    }
    turn_ids = {r.headers["x-turn-id"] for r in responses}
    assert len(turn_ids) == 30 and all(r.json()["turn_id"] == r.headers["x-turn-id"] for r in responses)


def test_dropped_sse_client_then_resume(base_url: str, client: httpx.Client) -> None:
    """The client reads one event and hangs up: the turn still ends and stores its answer; resuming
    with that event's id replays the rest up to `done`; the turn ran once."""
    headers = new_user(client)
    conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
    with (
        httpx.Client(base_url=base_url, timeout=30) as c,
        c.stream(
            "POST",
            f"/chat/conversations/{conv}/messages",
            json={"content": "which contacts are tagged VIP?"},
            headers=headers,
        ) as r,
    ):
        assert r.status_code == 200
        turn_id = r.headers["x-turn-id"]
        lines = r.iter_lines()
        first_id = next(line for line in lines if line.startswith("id: "))[4:]
    assert first_id == f"{turn_id}-1"

    answer = client.get(f"/chat/turns/{turn_id}?wait=30", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "completed" and body["content"] and body["message_id"]

    resumed = client.get(f"/chat/turns/{turn_id}/stream", headers=headers | {"Last-Event-ID": first_id})
    assert resumed.status_code == 200 and resumed.headers["content-type"].startswith("text/event-stream")
    events = read_sse(resumed)
    assert events[0][0] == f"{turn_id}-2"
    assert [int(i.rsplit("-", 1)[1]) for i, _ in events] == list(range(2, body["events"] + 1))
    assert events[-1][1]["type"] == "done" and events[-1][1]["message_id"] == body["message_id"]
    assert any(e["type"] == "tool_call" and e["tool"] == "get_contacts" for _, e in events)

    full = read_sse(client.get(f"/chat/turns/{turn_id}/stream", headers=headers))
    assert [i for i, _ in full][1:] == [i for i, _ in events]
    messages = history(client, headers, conv)
    assert [m["role"] for m in messages] == ["user", "assistant"]  # ran once
    assert messages[1]["message_id"] == body["message_id"]


def test_event_ids_are_unique_across_turns(client: httpx.Client) -> None:
    headers = new_user(client)
    conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
    ids: list[str] = []
    for text in ("how is the pipeline?", "how many leads are new?"):
        r = client.post(f"/chat/conversations/{conv}/messages", json={"content": text}, headers=headers)
        assert r.status_code == 200
        ids += [i for i, _ in read_sse(r)]
        assert all(i.startswith(r.headers["x-turn-id"] + "-") for i, _ in read_sse(r))
    assert len(ids) == len(set(ids))


def test_turns_are_private_and_checked(client: httpx.Client) -> None:
    owner = new_user(client)
    r = client.post("/chat/send", json={"message": "how is the pipeline?"}, headers=owner)
    turn_id = r.headers["x-turn-id"]
    other = new_user(client)
    for method, path in (
        ("GET", f"/chat/turns/{turn_id}"),
        ("GET", f"/chat/turns/{turn_id}/stream"),
        ("DELETE", f"/chat/turns/{turn_id}"),
        ("GET", "/chat/turns/turn:does-not-exist"),
    ):
        refused = client.request(method, path, headers=other)
        assert refused.status_code == 404 and refused.json()["code"] == "not_found", (method, path)
    assert client.delete(f"/chat/turns/{turn_id}", headers=owner).json()["code"] == "turn_finished"
    bad = client.get(f"/chat/turns/{turn_id}/stream", headers=owner | {"Last-Event-ID": "turn:other-3"})
    assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["detail"]
    done = client.get(f"/chat/turns/{turn_id}", headers=owner).json()
    assert done["status"] == "completed" and done["message_id"] == r.json()["message_id"]


def test_soak_32_users_20_seconds(base_url: str, client: httpx.Client) -> None:
    """32 users, each sending turns back to back for 20 s (SQLite by default): no errors, and every
    answered turn is in its conversation's history."""
    users = [new_user(client) for _ in range(32)]
    answered: list[tuple[dict[str, str], str, str, str]] = []
    failures: list[str] = []

    async def user_loop(ac: httpx.AsyncClient, headers: dict[str, str], deadline: float) -> None:
        session = None
        i = 0
        while time.monotonic() < deadline:
            text = f"soak {i}: how many leads are qualified?"
            try:
                r = await send(ac, headers, text, session)
            except httpx.HTTPError as e:
                failures.append(f"{type(e).__name__}: {e}")
                continue
            if r.status_code != 200:
                failures.append(f"{r.status_code} {r.text[:200]}")
                continue
            session = r.json()["session_id"]
            answered.append((headers, session, text, r.json()["message_id"]))
            i += 1

    async def run() -> None:
        # idle connections expire here before uvicorn closes them (its keep-alive timeout is 5 s,
        # httpx's default expiry too): a POST sent on a connection the server is closing at that
        # moment fails with a ReadError that says nothing about the server
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as ac:
            deadline = time.monotonic() + 20
            await asyncio.gather(*(user_loop(ac, h, deadline) for h in users))

    asyncio.run(run())
    assert failures == []
    assert len(answered) >= 32
    by_session: dict[str, list[dict[str, Any]]] = {}
    for headers, session, text, message_id in answered:
        if session not in by_session:
            by_session[session] = history(client, headers, session)
        stored = by_session[session]
        ids = [m["message_id"] for m in stored]
        assert message_id in ids
        assert stored[ids.index(message_id) - 1]["content"] == text

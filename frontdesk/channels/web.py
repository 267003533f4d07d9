"""The web door: render a turn's `AgentEvent`s as Server-Sent Events (MyFusion chat shapes).

Each event is `event: message` with a JSON `data` whose `type` is content / agent / tool_call /
tool_result / status / done / error, and an `id:` (`<turn_id>-<n>`) so a client can resume where
it stopped (`Last-Event-ID`). Comment pings keep idle connections open through proxies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.agent.events import AgentEvent, event_dict
from frontdesk.errors import Invalid

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


def sse_payload(event: AgentEvent) -> dict[str, Any]:
    """The JSON body of one SSE event for `event`."""
    body = event_dict(event)
    kind = body.pop("type")
    if kind == "delta":
        return {"type": "content", "delta": body["text"]}
    if kind == "tool_call":
        return {"type": "tool_call", "id": body["id"], "tool": body["name"], "arguments": body["arguments"]}
    if kind == "tool_result":
        return {
            "type": "tool_result",
            "id": body["id"],
            "tool": body["name"],
            "result": body["result"],
            "is_error": body["is_error"],
        }
    return {"type": kind, **body}


def sse_frame(event_id: str, payload: dict[str, Any], event: str = "message") -> str:
    data = json.dumps(payload, default=str, separators=(",", ":"))
    return f"id: {event_id}\nevent: {event}\ndata: {data}\n\n"


def event_id(turn_id: str, n: int) -> str:
    """The SSE id of a turn's `n`-th event: `<turn_id>-<n>`, unique across turns."""
    return f"{turn_id}-{n}"


def position_after(last_event_id: str | None, turn_id: str) -> int:
    """The event number a `Last-Event-ID` names within `turn_id` (0: from the start).
    An id of another turn, or not an id at all, is `Invalid`."""
    if not last_event_id:
        return 0
    prefix, sep, number = last_event_id.strip().rpartition("-")
    if not sep or prefix != turn_id or not number.isdigit() or len(number) > 9:
        raise Invalid(f"Last-Event-ID {last_event_id[:100]!r} is not an event of turn {turn_id}")
    return int(number)


async def sse_stream(
    events: AsyncIterator[tuple[int, AgentEvent]], turn_id: str, ping_seconds: float
) -> AsyncIterator[str]:
    """Frames for a turn's numbered `events`, with a `: ping` comment whenever no event arrived
    for `ping_seconds`.

    The events are read by one producer task (a follower of the turn, not the turn itself); if the
    client goes away, only that follower stops. The turn runs on, and a client resumes with
    `Last-Event-ID`."""
    queue: asyncio.Queue[tuple[int, AgentEvent] | None] = asyncio.Queue()

    async def produce() -> None:
        try:
            async for item in events:
                await queue.put(item)
        finally:
            await queue.put(None)

    producer = asyncio.create_task(produce())
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=ping_seconds)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if item is None:
                break
            n, event = item
            yield sse_frame(event_id(turn_id, n), sse_payload(event))
        await producer  # re-raise a producer crash instead of ending the stream silently
    finally:
        if not producer.done():
            producer.cancel()

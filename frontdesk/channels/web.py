"""The web door: render a turn's `AgentEvent`s as Server-Sent Events (MyFusion chat shapes).

Each event is `event: message` with a JSON `data` whose `type` is content / agent / tool_call /
tool_result / status / done / error, and an `id:` (`<message seq>-<n>`) so a client can tell where
it stopped. Comment pings keep idle connections open through proxies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.agent.events import AgentEvent, event_dict

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


async def sse_stream(
    events: AsyncIterator[AgentEvent], stream_id: str, ping_seconds: float
) -> AsyncIterator[str]:
    """Frames for `events`, with a `: ping` comment whenever no event arrived for `ping_seconds`.

    The turn runs in one producer task (so its timeouts and database sessions stay in one task);
    if the client goes away, the producer is cancelled."""
    queue: asyncio.Queue[AgentEvent | None] = asyncio.Queue()

    async def produce() -> None:
        try:
            async for event in events:
                await queue.put(event)
        finally:
            await queue.put(None)

    producer = asyncio.create_task(produce())
    n = 0
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=ping_seconds)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if event is None:
                break
            n += 1
            yield sse_frame(f"{stream_id}-{n}", sse_payload(event))
        await producer  # re-raise a producer crash instead of ending the stream silently
    finally:
        if not producer.done():
            producer.cancel()

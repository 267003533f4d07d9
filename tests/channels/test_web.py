"""The web channel's SSE rendering, including keep-alive pings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from frontdesk.agent.events import AgentEvent, Done, TextDelta, ToolCalled
from frontdesk.channels.web import sse_stream


async def slow_events() -> AsyncIterator[AgentEvent]:
    yield TextDelta("Hel")
    await asyncio.sleep(0.25)
    yield ToolCalled("c1", "get_contacts", {"tags": ["VIP"]})
    yield Done("conv:1", "msg:1", "Hel", "sales", {"input_tokens": 1})


async def test_frames_ids_and_pings() -> None:
    frames = [f async for f in sse_stream(slow_events(), "conv:1", ping_seconds=0.05)]
    assert ": ping\n\n" in frames
    data = [f for f in frames if not f.startswith(":")]
    assert data[0].startswith("id: conv:1-1\nevent: message\ndata: ")
    payloads = [json.loads(f.split("data: ", 1)[1]) for f in data]
    assert payloads[0] == {"type": "content", "delta": "Hel"}
    assert payloads[1] == {
        "type": "tool_call",
        "id": "c1",
        "tool": "get_contacts",
        "arguments": {"tags": ["VIP"]},
    }
    assert payloads[2]["type"] == "done" and payloads[2]["agent"] == "sales"

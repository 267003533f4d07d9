"""The web channel's SSE rendering, including keep-alive pings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from frontdesk.agent.events import AgentEvent, Done, TextDelta, ToolCalled
from frontdesk.channels.web import position_after, sse_stream
from frontdesk.errors import Invalid


async def slow_events() -> AsyncIterator[tuple[int, AgentEvent]]:
    yield 4, TextDelta("Hel")
    await asyncio.sleep(0.25)
    yield 5, ToolCalled("c1", "get_contacts", {"tags": ["VIP"]})
    yield 6, Done("conv:1", "msg:1", "Hel", "sales", {"input_tokens": 1})


async def test_frames_ids_and_pings() -> None:
    frames = [f async for f in sse_stream(slow_events(), "turn:1", ping_seconds=0.05)]
    assert ": ping\n\n" in frames
    data = [f for f in frames if not f.startswith(":")]
    assert data[0].startswith("id: turn:1-4\nevent: message\ndata: ")
    assert data[2].startswith("id: turn:1-6\n")
    payloads = [json.loads(f.split("data: ", 1)[1]) for f in data]
    assert payloads[0] == {"type": "content", "delta": "Hel"}
    assert payloads[1] == {
        "type": "tool_call",
        "id": "c1",
        "tool": "get_contacts",
        "arguments": {"tags": ["VIP"]},
    }
    assert payloads[2]["type"] == "done" and payloads[2]["agent"] == "sales"


def test_last_event_id_names_a_position_in_that_turn() -> None:
    assert position_after(None, "turn:a-b") == 0
    assert position_after("turn:a-b-7", "turn:a-b") == 7
    for bad in ("turn:other-7", "turn:a-b-x", "7", "turn:a-b-99999999999"):
        with pytest.raises(Invalid):
            position_after(bad, "turn:a-b")

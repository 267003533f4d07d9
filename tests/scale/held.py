"""A chat turn held mid-tool on replica A: the test locks the `leads` table, asks "How many leads do
I have?" and reads the turn's stream up to its tool call, which then waits on the lock. The turn is
still running while the test talks to replica B; `release()` lets it finish (closing the lock's
connection also does)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.scale.cluster import Cluster


def sse_events(lines: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(event id, data) for every `data:` line of an SSE body, with the latest `id:` before it."""
    events, event_id = [], ""
    for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            events.append((event_id, json.loads(line[6:])))
    return events


@dataclass
class HeldTurn:
    turn_id: str
    seen: list[tuple[str, dict[str, Any]]]  # the events read on A, the tool call last
    _tx: Any

    async def release(self) -> None:
        """End the lock (its transaction rolls back): the tool, then the turn, go on."""
        await self._tx.rollback()


@asynccontextmanager
async def held_turn(
    http: httpx.AsyncClient, servers: Cluster, headers: dict[str, str], conversation_id: str
) -> AsyncIterator[HeldTurn]:
    import asyncpg

    lock = await asyncpg.connect(servers.database_url.replace("+asyncpg", ""))
    try:
        tx = lock.transaction()
        await tx.start()
        await lock.execute("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
        url = f"{servers.a}/chat/conversations/{conversation_id}/messages"
        body = {"content": "How many leads do I have?"}
        seen: list[tuple[str, dict[str, Any]]] = []
        async with http.stream("POST", url, headers=headers, json=body) as r:
            assert r.status_code == 200
            turn_id = r.headers["x-turn-id"]
            lines: list[str] = []
            async for line in r.aiter_lines():  # up to the tool call, which then waits on the lock
                lines.append(line)
                seen = sse_events(lines)
                if seen and seen[-1][1]["type"] == "tool_call":
                    break
        yield HeldTurn(turn_id, seen, tx)
    finally:
        await lock.close()

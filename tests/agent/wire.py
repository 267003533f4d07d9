"""A recorded model provider on a loopback port: real HTTP, real SDKs, replayed wire traffic.

`ProviderServer` is an ASGI app run by a real uvicorn server. Each request is recorded and
answered with a queued `Reply` — status, headers, body (a recorded SSE stream from
`recordings/`), and an optional delay before the headers (for timeouts). A reply may carry a
predicate so concurrent requests (routing, the title, the agent) each get their own answer.

Why not respx: anthropic 2.x sends over `httpx2`, which respx does not patch, and LiteLLM may use
its own transport. A loopback server sees exactly what each SDK puts on the wire.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

RECORDINGS = Path(__file__).parent / "recordings"


def recording(name: str) -> bytes:
    return (RECORDINGS / name).read_bytes()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return json.dumps(self.body)

    def tool_names(self) -> list[str]:
        tools = self.body.get("tools") or []
        return [t.get("name") or t.get("function", {}).get("name") for t in tools]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    when: Callable[[Recorded], bool] | None = None

    @classmethod
    def sse(cls, name: str, **kw: Any) -> Reply:
        return cls(200, recording(name), {"content-type": "text/event-stream"}, **kw)

    @classmethod
    def json(cls, status: int, name: str, **kw: Any) -> Reply:
        headers = {"content-type": "application/json"} | kw.pop("headers", {})
        return cls(status, recording(name), headers, **kw)


class ProviderServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Recorded] = []
        self.url = ""

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()

    def _next(self, req: Recorded) -> Reply:
        for i, reply in enumerate(self.replies):
            if reply.when is None or reply.when(req):
                return self.replies.pop(i)
        return Reply(599, b'{"error": "no recorded reply for this request"}')

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        req = Recorded(scope["method"], scope["path"], headers, json.loads(raw or b"{}"))
        self.requests.append(req)
        reply = self._next(req)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode(), v.encode()) for k, v in reply.headers.items()],
            }
        )
        events = reply.body.split(b"\n\n") if reply.status == 200 else [reply.body]
        for i, event in enumerate(events):  # one SSE event per write, as a provider streams them
            last = i == len(events) - 1
            await send(
                {
                    "type": "http.response.body",
                    "body": event + (b"" if last else b"\n\n"),
                    "more_body": not last,
                }
            )


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def is_route(req: Recorded) -> bool:
    return "choose_department" in req.tool_names()


def is_title(req: Recorded) -> bool:
    return "Write a title" in req.text


def is_agent(req: Recorded) -> bool:
    return not is_route(req) and not is_title(req)

"""A real uvicorn server for an app a test built itself, run with given uvicorn options (e.g. those
`frontdesk serve` uses), and what a test can learn about its connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


@contextmanager
def serve_app(app: Any, **options: Any) -> Iterator[str]:
    """Run `app` on a free loopback port; yield its base URL."""
    config = uvicorn.Config(app, **({"log_level": "warning"} | options | {"host": "127.0.0.1", "port": 0}))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def local_port(response: httpx.Response) -> int:
    """The client-side port of the connection that carried `response` (same port: same connection)."""
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])

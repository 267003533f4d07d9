"""Shared pieces of the background-work tests: a module server with its own job queue, polling,
and a loopback webhook receiver that records raw requests."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from frontdesk.config import Settings
from tests.conftest import _settings


def job_settings(data_dir: Path, **overrides: object) -> Settings:
    """A server of its own: its own job queue name (so, on a shared PostgreSQL database, no other
    test server runs its jobs), fast polling and retries, loopback receivers trusted."""
    base: dict[str, object] = {
        "job_queue": f"test-{uuid.uuid4().hex[:8]}",
        "job_poll_seconds": 0.2,
        "job_retry_base_seconds": 0.2,
        "scheduler_tick_seconds": 0.5,
        "outbound_allowed_hosts": ["127.0.0.1"],
    }
    return _settings(data_dir, **(base | overrides))


def wait_until(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every)


@dataclass
class Receiver:
    """Answers each POST with the next status of `statuses` (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(receiver.answer())
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

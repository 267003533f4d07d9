"""`kill -9` of a real `frontdesk serve` process while 20 SSE streams are in flight: after a restart
the SQLite file passes `PRAGMA integrity_check`, every stream that got a 200 has its user message,
and no turn is left `running` (the ones cut off are `interrupted` and say so when resumed)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.test_chat import read_sse

STREAMS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(data_dir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_DEMO_CONTACTS": "40",
        "FRONTDESK_SECRET_KEY": "crash-test-secret-key-0123456789-abcdefghij",
        "FRONTDESK_CHAT_RATE_LIMIT_PER_MINUTE": "0",
        "FRONTDESK_AUTH_RATE_LIMIT_PER_MINUTE": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("frontdesk serve did not start")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def test_kill_9_with_streams_in_flight(tmp_path: Path) -> None:
    if os.environ.get("FRONTDESK_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("kills its own SQLite server; runs on the SQLite pass")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    accepted: list[tuple[str, str]] = []  # (conversation id, turn id) of each stream that got a 200
    lock = threading.Lock()
    started = threading.Barrier(STREAMS + 1, timeout=60)

    def one_stream(headers: dict[str, str], conv: str, i: int) -> None:
        try:
            with (
                httpx.Client(base_url=base, timeout=60) as c,
                c.stream(
                    "POST",
                    f"/chat/conversations/{conv}/messages",
                    json={"content": f"stream {i}: which contacts are tagged VIP?"},
                    headers=headers,
                ) as r,
            ):
                if r.status_code == 200:
                    with lock:
                        accepted.append((conv, r.headers["x-turn-id"]))
                started.wait()
                for _ in r.iter_bytes():
                    pass
        except (httpx.HTTPError, threading.BrokenBarrierError):
            pass  # the server died under us: that is the point

    with server_process(tmp_path / "data", port) as proc:
        login = httpx.post(
            f"{base}/auth/login", json={"email": "demo@frontdesk.local", "password": "frontdesk-demo"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        convs = [
            httpx.post(f"{base}/chat/conversations", json={}, headers=headers).json()["conversation_id"]
            for _ in range(STREAMS)
        ]
        threads = [
            threading.Thread(target=one_stream, args=(headers, conv, i)) for i, conv in enumerate(convs)
        ]
        for t in threads:
            t.start()
        started.wait()  # every stream has its status line (or failed)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        for t in threads:
            t.join(timeout=30)
    assert len(accepted) == STREAMS

    db_file = tmp_path / "data" / "frontdesk.db"
    with sqlite3.connect(db_file) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for conv, turn in accepted:
            user = con.execute(
                "SELECT m.content FROM turns t JOIN messages m ON m.id = t.user_message_id "
                "WHERE t.id = ? AND m.conversation_id = ?",
                (turn, conv),
            ).fetchall()
            assert len(user) == 1 and "which contacts are tagged VIP?" in user[0][0]

    with server_process(tmp_path / "data", port):
        login = httpx.post(
            f"{base}/auth/login", json={"email": "demo@frontdesk.local", "password": "frontdesk-demo"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        statuses = {}
        for conv, turn in accepted:
            body = httpx.get(f"{base}/chat/turns/{turn}", headers=headers).json()
            statuses[turn] = body["status"]
            assert body["status"] in {"completed", "interrupted"}, body
            events = read_sse(httpx.get(f"{base}/chat/turns/{turn}/stream", headers=headers))
            last = events[-1][1]
            if body["status"] == "completed":
                assert last["type"] == "done" and last["message_id"] == body["message_id"]
            else:
                assert last["type"] == "error" and last["code"] == "interrupted"
            roles = [
                m["role"]
                for m in httpx.get(f"{base}/chat/conversations/{conv}/messages", headers=headers).json()[
                    "messages"
                ]
            ]
            if body["status"] == "completed":
                assert roles == ["user", "assistant"]
            else:  # cut off before its answer, or between storing the answer and ending the turn
                assert roles in (["user"], ["user", "assistant"])
    with sqlite3.connect(db_file) as con:
        assert con.execute("SELECT count(*) FROM turns WHERE status = 'running'").fetchone() == (0,)
    print(f"after kill -9: {sorted(statuses.values()).count('interrupted')} of {STREAMS} turns interrupted")

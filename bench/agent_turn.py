"""Benchmark: one chat turn through the API (offline model) vs a bare FastAPI JSON echo.

    .venv/bin/python bench/agent_turn.py [--turns 200] [--warmup 20] [--no-write]

Both servers run in this process under real uvicorn on loopback ports, one at a time; one
keep-alive HTTP client sends requests one after another. A turn is `POST
/chat/conversations/{id}/messages` on a fresh conversation of the demo account (300 contacts),
read to the end of its SSE stream: routing, a tool call against SQLite, the answer, and the stored
messages. The echo is `POST /echo` returning its JSON body. The median latency and requests a
second of both, and their ratio, are printed and written into docs/benchmarks.md (the section
between the agent_turn markers; the rest of the file is left alone).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontdesk.api.app import create_app  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.storage.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402

QUESTIONS = (
    "which contacts are tagged VIP?",
    "how is the pipeline looking?",
    "how many leads came from referral last month?",
    "how many contacts were created last week?",
    "show me the qualified leads from the website",
)
START, END = "<!-- agent_turn:start -->", "<!-- agent_turn:end -->"


@contextmanager
def running(app: Any) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    return app


def measure(call: Callable[[int], None], turns: int, warmup: int) -> dict[str, float]:
    for i in range(warmup):
        call(i)
    times = []
    started = time.perf_counter()
    for i in range(turns):
        t = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - started
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
        "per_second": turns / wall,
    }


def bench_agent(turns: int, warmup: int, data_dir: Path) -> dict[str, float]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        secret_key="bench-secret-key-with-enough-length-0123456789",
        chat_rate_limit_per_minute=0,
        auth_rate_limit_per_minute=0,
    )
    with running(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        login = client.post("/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        new = {"title": "bench"}
        conversations = [
            client.post("/chat/conversations", json=new, headers=headers).json()["conversation_id"]
            for _ in range(turns + warmup)
        ]

        def turn(i: int) -> None:
            r = client.post(
                f"/chat/conversations/{conversations[i]}/messages",
                json={"content": QUESTIONS[i % len(QUESTIONS)]},
                headers=headers,
            )
            if r.status_code != 200 or '"type":"done"' not in r.text:
                raise RuntimeError(f"turn failed: {r.status_code} {r.text[-300:]}")

        return measure(turn, turns, warmup)


def bench_echo(turns: int, warmup: int) -> dict[str, float]:
    body = {"content": QUESTIONS[0]}
    with running(echo_app()) as url, httpx.Client(base_url=url, timeout=60) as client:

        def echo(_: int) -> None:
            r = client.post("/echo", json=body)
            if r.json() != body:
                raise RuntimeError("echo failed")

        return measure(echo, turns, warmup)


def report(agent: dict[str, float], echo: dict[str, float], turns: int) -> str:
    ratio_latency = agent["median_ms"] / echo["median_ms"]
    ratio_rate = echo["per_second"] / agent["per_second"]
    machine = (
        f"{platform.machine()} with {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    return "\n".join(
        [
            START,
            "## Agent turn vs bare FastAPI echo (`bench/agent_turn.py`)",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, {turns} sequential requests each "
            "over one keep-alive connection, both servers in one process under uvicorn on loopback, SQLite, "
            "the offline model, the demo account (300 contacts). A turn is one SSE "
            "`POST /chat/conversations/{id}/messages` read to its `done` event (route, tool call, answer, "
            "two stored messages); the echo is `POST /echo` returning its JSON body.",
            "",
            "| | median latency | p95 latency | requests/s |",
            "|---|---|---|---|",
            f"| agent turn (offline) | {agent['median_ms']:.1f} ms | {agent['p95_ms']:.1f} ms | "
            f"{agent['per_second']:.1f} |",
            f"| FastAPI JSON echo | {echo['median_ms']:.2f} ms | {echo['p95_ms']:.2f} ms | "
            f"{echo['per_second']:.0f} |",
            f"| ratio | {ratio_latency:.1f}x slower | | {ratio_rate:.1f}x fewer |",
            "",
            "Run it again with `.venv/bin/python bench/agent_turn.py` (`--turns N`, `--no-write`).",
            END,
        ]
    )


def write(section: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        agent = bench_agent(args.turns, args.warmup, Path(tmp))
    echo = bench_echo(args.turns, args.warmup)
    section = report(agent, echo, args.turns)
    print(section)
    if not args.no_write:
        write(section, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()

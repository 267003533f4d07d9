"""Load/soak: N users sending chat turns at once for D seconds, then a count of lost messages.

    .venv/bin/python bench/soak.py [--users 32] [--seconds 20] [--same-conversation 3] [--no-write]

A real uvicorn server runs the app in this process on a loopback port (SQLite in a temp dir, the
offline model, the demo account). Each of `--users` registered users sends `POST /chat/send`
back to back into its own conversation until the time is up; `--same-conversation K` adds K more
clients that all post into ONE shared conversation at once (the collision case). Bounded: fixed
users, a fixed duration, loopback only, stops by itself.

Baseline in the same run: the same server answering one user's turns one after another; the
ratios (turn latency under load / alone) are what compares across machines.

Afterwards every conversation's history is read back: a *lost message* is an answered turn whose
reply is not stored, or a user message missing before it. Results go to docs/benchmarks.md
(between the soak markers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontdesk.api.app import create_app  # noqa: E402
from frontdesk.config import Settings  # noqa: E402

QUESTION = "how many leads are qualified?"
PASSWORD = "Soak-pass-1"
START, END = "<!-- soak:start -->", "<!-- soak:end -->"


@contextmanager
def running(settings: Settings) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.answered: list[tuple[dict[str, str], str, str, str]] = []  # headers, session, text, reply id


async def register(ac: httpx.AsyncClient, i: int) -> dict[str, str]:
    r = await ac.post(
        "/auth/register",
        json={
            "email": f"soak{i}-{time.time_ns()}@example.com",
            "password": "Soak-pass-1",
            "name": f"Soak {i}",
        },
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def user_loop(
    ac: httpx.AsyncClient,
    headers: dict[str, str],
    session: str | None,
    deadline: float,
    tally: Tally,
    tag: str,
) -> None:
    i = 0
    while time.monotonic() < deadline:
        text = f"{tag} #{i}: {QUESTION}"
        body: dict[str, Any] = {"message": text} | ({"session_id": session} if session else {})
        t0 = time.perf_counter()
        try:
            r = await ac.post("/chat/send", json=body, headers=headers)
        except httpx.HTTPError as e:
            tally.errors.append(f"{type(e).__name__}")
            continue
        if r.status_code != 200:
            tally.errors.append(f"{r.status_code} {r.json().get('code')}")
            continue
        tally.latencies.append(time.perf_counter() - t0)
        session = r.json()["session_id"]
        tally.answered.append((headers, session, text, r.json()["message_id"]))
        i += 1


async def messages_of(ac: httpx.AsyncClient, headers: dict[str, str], session: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        r = await ac.get(
            f"/chat/conversations/{session}/messages",
            params={"limit": 500, "offset": len(out)},
            headers=headers,
        )
        r.raise_for_status()
        out += r.json()["messages"]
        if not r.json()["has_more"]:
            return out


async def lost_messages(ac: httpx.AsyncClient, tally: Tally) -> int:
    """Answered turns whose user message or reply is missing, plus user messages left unanswered."""
    stored: dict[str, list[dict[str, Any]]] = {}
    for headers, session, _, _ in tally.answered:
        if session not in stored:
            stored[session] = await messages_of(ac, headers, session)
    ids = {m["message_id"] for messages in stored.values() for m in messages}
    texts = {m["content"] for messages in stored.values() for m in messages if m["role"] == "user"}
    lost = sum((reply not in ids) + (text not in texts) for _, _, text, reply in tally.answered)
    for messages in stored.values():
        roles = [m["role"] for m in messages]
        lost += abs(roles.count("user") - roles.count("assistant"))
    return lost


async def load(base: str, users: int, shared: int, seconds: float) -> tuple[Tally, float, int]:
    limits = httpx.Limits(max_connections=users + shared + 8, max_keepalive_connections=users + shared + 8)
    async with httpx.AsyncClient(base_url=base, timeout=180, limits=limits) as ac:
        headers = [await register(ac, i) for i in range(users + (1 if shared else 0))]
        shared_session = None
        if shared:
            r = await ac.post("/chat/send", json={"message": QUESTION}, headers=headers[-1])
            shared_session = r.json()["session_id"]
        tally = Tally()
        t0 = time.monotonic()
        deadline = t0 + seconds
        loops = [user_loop(ac, h, None, deadline, tally, f"user {i}") for i, h in enumerate(headers[:users])]
        loops += [
            user_loop(ac, headers[-1], shared_session, deadline, tally, f"shared {k}") for k in range(shared)
        ]
        await asyncio.gather(*loops)
        elapsed = time.monotonic() - t0
        return tally, elapsed, await lost_messages(ac, tally)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--same-conversation", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key="soak-secret-key-0123456789-abcdefghijklmnop",
            auth_rate_limit_per_minute=0,
            chat_rate_limit_per_minute=0,
        )
        with running(settings) as base:
            alone, alone_s, alone_lost = asyncio.run(load(base, 1, 0, min(args.seconds, 10)))
            tally, elapsed, lost = asyncio.run(load(base, args.users, args.same_conversation, args.seconds))
    turns = len(tally.latencies)
    rows = [
        ("1 user alone (baseline)", alone, alone_s, alone_lost),
        (f"{args.users} users + {args.same_conversation} on one conversation", tally, elapsed, lost),
    ]
    lines = [
        "| load | turns | turns/s | p50 | p95 | errors | lost messages |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t, secs, lost_n in rows:
        lines.append(
            f"| {name} | {len(t.latencies)} | {len(t.latencies) / secs:.1f} | {pct(t.latencies, 0.5):.0f} ms "
            f"| {pct(t.latencies, 0.95):.0f} ms | {len(t.errors)} | {lost_n} |"
        )
    ratio_p50 = pct(tally.latencies, 0.5) / pct(alone.latencies, 0.5)
    ratio_tps = (turns / elapsed) / (len(alone.latencies) / alone_s)
    lines.append("")
    lines.append(
        f"Under load vs alone: p50 latency {ratio_p50:.1f}x, throughput {ratio_tps:.2f}x "
        f"(2 cores: the turns share them)."
    )
    if tally.errors:
        lines.append(f"Errors: {sorted(set(tally.errors))}")
    table = "\n".join(lines)
    print(table)
    if args.no_write:
        return
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"{START}\n## Soak: concurrent chat turns, nothing lost (`bench/soak.py`)\n\n"
        f"Measured {now} on {platform.machine()} with {os.cpu_count()} cores (load average "
        f"{os.getloadavg()[0]:.1f}), CPython {platform.python_version()}, one uvicorn server in-process on "
        f"loopback, SQLite, the offline model. `POST /chat/send` back to back for {args.seconds:g} s per "
        f"user, each user in its own conversation, plus {args.same_conversation} clients posting into one "
        "shared conversation at once (they are served one after another). Lost messages = answered turns "
        "whose user message is not in the history, plus unanswered user messages.\n\n"
        f"{table}\n\nRun it again with `.venv/bin/python bench/soak.py` (`--users`, `--seconds`, "
        f"`--same-conversation`, `--no-write`).\n{END}"
    )
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    if START in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()

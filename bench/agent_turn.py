"""Benchmark: a stored offline chat turn (`POST /chat/send`) against the same server's `GET /health`.

    .venv/bin/python bench/agent_turn.py                     # embedded default: SQLite, offline model
    .venv/bin/python bench/agent_turn.py --postgres          # FRONTDESK_DATABASE_URL (+ FRONTDESK_REDIS_URL)
    .venv/bin/python bench/agent_turn.py --profile out.txt   # py-spy over the server's turns, top entries

The server runs in a subprocess of its own (one uvicorn process, as `frontdesk serve`) so the client
does not share its interpreter. A turn is `POST /chat/send` into a conversation of the demo account
(300 contacts) created beforehand, answered as JSON once the turn is stored: routing, a tool call
against the store, the answer, the user and assistant messages and the turn row. `/health` runs
`SELECT 1` on the same store, so the ratio of the two is the turn's own cost.

Two phases: sequential (one keep-alive client, median of each) and concurrent (`--users` clients,
each sending its turns one after another: turns a second, p50 and p95). Figures are printed and
written into docs/benchmarks.md between the agent_turn markers (`--no-write`: print only). With
`--postgres` they go in a table row of their own beside the SQLite figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontdesk.storage.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402

QUESTIONS = (
    "which contacts are tagged VIP?",
    "how is the pipeline looking?",
    "how many leads came from referral last month?",
    "how many contacts were created last week?",
    "show me the qualified leads from the website",
)
START, END = "<!-- agent_turn:start -->", "<!-- agent_turn:end -->"
ROW = re.compile(r"^\| (?P<setup>[^|]+?) \| .*$")
COLUMNS = 11
Figures = dict[str, float]


# -- the server (a subprocess: `agent_turn.py --serve`) --------------------------------------------


def serve(data_dir: Path, database_url: str | None, redis_url: str | None, stats: Path) -> None:
    import uvicorn

    from frontdesk.api.app import create_app
    from frontdesk.config import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench-secret-key-with-enough-length-0123456789",
        chat_rate_limit_per_minute=0,
        auth_rate_limit_per_minute=0,
    )
    count_sql(stats)
    # IPPROTO_TCP, as `frontdesk serve`'s own listening socket has it (uvicorn binds host:port
    # through getaddrinfo): asyncio sets TCP_NODELAY only on connections accepted from such a
    # socket. With `socket.socket()` (proto 0) Nagle stayed on, and the body uvicorn writes after
    # the headers waited for the client's delayed ACK: +40 ms on every keep-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", access_log=False))
    server.run(sockets=[sock])


def count_sql(path: Path) -> None:
    """Count SQL statements, commits and connection checkouts of every engine in this process:
    reset on SIGUSR1, written to `path` (JSON) on SIGUSR2. The write transactions that run in one
    trip to SQLite's thread bypass the engine's events and count themselves (`write_tx.COUNTS`)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    from frontdesk.storage.write_tx import COUNTS as one_hop

    counts = dict.fromkeys(("statements", "commits", "checkouts"), 0)

    def bump(key: str) -> Callable[..., None]:
        def listener(*_: Any, **__: Any) -> None:
            counts[key] += 1

        return listener

    event.listen(Engine, "before_cursor_execute", bump("statements"))
    event.listen(Engine, "commit", bump("commits"))
    event.listen(Pool, "checkout", bump("checkouts"))

    def reset(*_: Any) -> None:
        counts.update(dict.fromkeys(counts, 0))
        one_hop.update(dict.fromkeys(one_hop, 0))

    def write(*_: Any) -> None:
        total = {k: v + one_hop.get(k, 0) for k, v in counts.items()}
        path.write_text(json.dumps(total), encoding="utf-8")

    signal.signal(signal.SIGUSR1, reset)
    signal.signal(signal.SIGUSR2, write)


class Server:
    """`agent_turn.py --serve` in a subprocess; `mark()` / `counts()` bracket a phase's SQL counts,
    `profile()` samples it with py-spy (on-CPU stacks only)."""

    def __init__(self, args: argparse.Namespace, data_dir: Path) -> None:
        self.stats = data_dir / "sql-counts.json"
        cmd = [sys.executable, __file__, "--serve", "--data-dir", str(data_dir), "--stats", str(self.stats)]
        if args.postgres:
            cmd += ["--database-url", os.environ["FRONTDESK_DATABASE_URL"]]
            if os.environ.get("FRONTDESK_REDIS_URL"):
                cmd += ["--redis-url", os.environ["FRONTDESK_REDIS_URL"]]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}"
        self.spy: subprocess.Popen[bytes] | None = None

    async def wait_ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode})")
            try:
                async with http.get(self.url + "/health") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("the server did not start")

    def mark(self) -> None:
        self.proc.send_signal(signal.SIGUSR1)

    async def counts(self) -> dict[str, int]:
        self.stats.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR2)
        while not self.stats.exists():  # noqa: ASYNC110 (a file written by another process)
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)
        return dict(json.loads(self.stats.read_text(encoding="utf-8")))

    def profile(self, path: str) -> None:
        spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(self.proc.pid)]
        spy += ["--format", "raw", "--rate", "200", "--gil", "--nonblocking", "-o", path]
        self.spy = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def end_profile(self) -> None:
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)
            self.spy.wait(timeout=120)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=120)


# -- the client ------------------------------------------------------------------------------------


async def login(http: aiohttp.ClientSession, url: str) -> dict[str, str]:
    async with http.post(url + "/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}) as r:
        r.raise_for_status()
        return {"Authorization": f"Bearer {(await r.json())['access_token']}"}


async def new_conversations(http: aiohttp.ClientSession, url: str, auth: dict[str, str], n: int) -> list[str]:
    ids = []
    for _ in range(n):
        async with http.post(url + "/chat/conversations", json={"title": "bench"}, headers=auth) as r:
            ids.append((await r.json())["conversation_id"])
    return ids


def turn_call(
    http: aiohttp.ClientSession, url: str, auth: dict[str, str], conversations: list[str]
) -> Callable[[int], Awaitable[None]]:
    async def turn(i: int) -> None:
        body = {"message": QUESTIONS[i % len(QUESTIONS)], "session_id": conversations[i]}
        async with http.post(url + "/chat/send", json=body, headers=auth) as r:
            data = await r.read()
            if r.status != 200 or not json.loads(data).get("message_id"):
                raise RuntimeError(f"turn failed: {r.status} {data[-300:]!r}")

    return turn


def health_call(http: aiohttp.ClientSession, url: str) -> Callable[[int], Awaitable[None]]:
    async def health(_: int) -> None:
        async with http.get(url + "/health") as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"health failed: {r.status}")

    return health


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(times: list[float], wall: float, errors: int = 0) -> Figures:
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
        "per_second": len(times) / wall,
        "errors": errors,
    }


async def sequential(call: Callable[[int], Awaitable[None]], n: int, pid: int, offset: int = 0) -> Figures:
    times = []
    cpu, started = cpu_seconds(pid), time.perf_counter()
    for i in range(offset, offset + n):
        t = time.perf_counter()
        await call(i)
        times.append(time.perf_counter() - t)
    figures = summary(times, time.perf_counter() - started)
    return figures | {"server_cpu_ms": (cpu_seconds(pid) - cpu) * 1000 / n}


async def concurrent(
    call: Callable[[int], Awaitable[None]], users: int, per_user: int, pid: int, offset: int
) -> Figures:
    times: list[float] = []
    errors = 0

    async def user(u: int) -> None:
        nonlocal errors
        for k in range(per_user):
            t = time.perf_counter()
            try:
                await call(offset + u * per_user + k)
            except Exception as e:  # counted and shown once: the figures say how many
                if not errors:
                    print(f"error: {e}", file=sys.stderr)
                errors += 1
                continue
            times.append(time.perf_counter() - t)

    cpu, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(user(u) for u in range(users)))
    figures = summary(times, time.perf_counter() - started, errors)
    return figures | {"server_cpu_ms": (cpu_seconds(pid) - cpu) * 1000 / max(1, len(times))}


async def run(args: argparse.Namespace, server: Server) -> dict[str, Figures]:
    conn = aiohttp.TCPConnector(limit=args.users + 4)
    async with aiohttp.ClientSession(connector=conn) as http:
        await server.wait_ready(http)
        auth = await login(http, server.url)
        total = args.warmup + args.turns + args.users * args.per_user
        conversations = await new_conversations(http, server.url, auth, total)
        turn, health = turn_call(http, server.url, auth, conversations), health_call(http, server.url)
        pid = server.proc.pid
        idle = cpu_seconds(pid)
        await asyncio.sleep(3)
        out: dict[str, Figures] = {"idle": {"server_cpu_ms_per_s": (cpu_seconds(pid) - idle) * 1000 / 3}}
        await sequential(turn, args.warmup, pid)
        await sequential(health, args.warmup, pid)
        out["health"] = await sequential(health, args.turns, pid)
        if args.profile:
            server.profile(args.profile)
            await asyncio.sleep(1)
        server.mark()
        out["turn"] = await sequential(turn, args.turns, pid, args.warmup)
        out["sql_per_turn"] = {k: v / args.turns for k, v in (await server.counts()).items()}
        offset = args.warmup + args.turns
        out["concurrent"] = await concurrent(turn, args.users, args.per_user, pid, offset)
        server.end_profile()
        return out


def top_of_profile(path: str, n: int = 12) -> str:
    """The functions holding the GIL most often (py-spy `--gil` samples): by own time, and the
    frontdesk functions by time inside them."""
    own: dict[str, int] = {}
    inside: dict[str, int] = {}
    total = 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f.rsplit(":", 1)[0] + ")" if f.endswith(")") else f for f in stack.split(";")]
        total += int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for f in {f for f in frames if "(frontdesk/" in f}:
            inside[f] = inside.get(f, 0) + int(count)
    lines = [f"{total} samples"]
    for title, table in (("own time", own), ("time inside (frontdesk)", inside)):
        lines.append(f"{title}:")
        top = sorted(table.items(), key=lambda x: -x[1])[:n]
        lines += [f"  {100 * c / max(1, total):5.1f}%  {f}" for f, c in top]
    return "\n".join(lines)


# -- the report ------------------------------------------------------------------------------------


def row(setup: str, f: dict[str, Figures]) -> str:
    turn, health, con, sql = f["turn"], f["health"], f["concurrent"], f["sql_per_turn"]
    return (
        f"| {setup} | {turn['median_ms']:.1f} ms | {health['median_ms']:.1f} ms | "
        f"{turn['median_ms'] / health['median_ms']:.1f}x | "
        f"{turn['server_cpu_ms']:.1f} ms / {health['server_cpu_ms']:.1f} ms "
        f"({turn['server_cpu_ms'] / health['server_cpu_ms']:.1f}x) | "
        f"{sql['statements']:.0f} / {sql['commits']:.0f} / {sql['checkouts']:.1f} | "
        f"{con['per_second']:.0f} | {con['median_ms']:.0f} ms | {con['p95_ms']:.0f} ms | "
        f"{con['p95_ms'] / con['median_ms']:.1f}x | {con['errors']:.0f} |"
    )


def section(rows: dict[str, str], users: int, notes: str) -> str:
    machine = (
        f"{platform.machine()} with {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} "
        f"at the end of the run), {platform.python_implementation()} {platform.python_version()}"
    )
    return "\n".join(
        [
            START,
            "## A stored agent turn vs the same server's `/health` (`bench/agent_turn.py`)",
            "",
            f"Last measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}. One server process "
            "(uvicorn, as `frontdesk serve`), the offline model, the demo account (300 contacts); the "
            "client runs in another process. A turn is `POST /chat/send` into a new conversation, "
            "answered once stored (route, tool call, answer, user + assistant messages, turn row). "
            "Sequential: one keep-alive client, medians. Concurrent: "
            f"{users} users each sending turns one after another.",
            "",
            "| setup | turn median | `/health` median | ratio | server CPU: turn / `/health` | SQL "
            f"statements / commits / sessions a turn | turns/s at {users} users | p50 | p95 | p95/p50 "
            "| errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows.values(),
            "",
            "Targets (issue 15): ratio <= 3x, >= 300 turns/s at 32 users with 0 errors, p95 <= 4x p50.",
            "",
            notes.strip(),
            "",
            "Run it again: `.venv/bin/python bench/agent_turn.py` (`--postgres` for the row beside it, "
            "`--profile FILE` for a py-spy profile of the server's turns, `--no-write`).",
            END,
        ]
    )


NOTES_START, NOTES_END = "<!-- agent_turn:notes -->", "<!-- agent_turn:notes-end -->"


def write(setup: str, line: str, users: int, path: Path) -> str:
    """Put `line` in the section's table (replacing the row of the same setup); keep other rows and
    the notes between the notes markers."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    rows: dict[str, str] = {}
    notes = f"{NOTES_START}\n{NOTES_END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        old, tail = rest.split(END, 1)
        for ln in old.splitlines():
            m = ROW.match(ln)
            if m and m["setup"] != "setup" and ln.count("|") == COLUMNS + 1:  # rows of this table
                rows[m["setup"]] = ln
        if NOTES_START in old and NOTES_END in old:
            notes = NOTES_START + old.split(NOTES_START, 1)[1].split(NOTES_END, 1)[0] + NOTES_END
    else:
        head, tail = text.rstrip("\n") + "\n\n", "\n"
    rows[setup] = line
    body = section(rows, users, notes)
    path.write_text(head + body + tail, encoding="utf-8")
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=300, help="sequential turns (and /health calls)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--per-user", type=int, default=40, help="turns each concurrent user sends")
    parser.add_argument(
        "--postgres", action="store_true", help="the store at FRONTDESK_DATABASE_URL (+ FRONTDESK_REDIS_URL)"
    )
    parser.add_argument("--profile", metavar="FILE", help="py-spy's collapsed stacks of the turns to FILE")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.data_dir, args.database_url, args.redis_url, args.stats)
        return
    if args.postgres and not os.environ.get("FRONTDESK_DATABASE_URL", "").startswith("postgresql"):
        parser.error("--postgres needs FRONTDESK_DATABASE_URL=postgresql+asyncpg://...")
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(args, Path(tmp))
        try:
            figures = asyncio.run(run(args, server))
        finally:
            server.stop()
    setup = "SQLite (embedded default)"
    if args.postgres:
        setup = "PostgreSQL + Redis" if os.environ.get("FRONTDESK_REDIS_URL") else "PostgreSQL"
    line = row(setup, figures)
    print(json.dumps(figures, indent=1))
    if args.profile:
        print(top_of_profile(args.profile))
    print(line)
    if not args.no_write:
        print(write(setup, line, args.users, ROOT / "docs" / "benchmarks.md"))


if __name__ == "__main__":
    main()

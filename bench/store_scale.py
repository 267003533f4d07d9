"""Store at scale (issue 17): the routes of search, analytics and lists over a million messages and
200,000 CRM contacts, against the naive queries on the same data.

    .venv/bin/python bench/store_scale.py [--messages 1000000] [--contacts 200000] [--runs 7]
    .venv/bin/python bench/store_scale.py --database-url postgresql+asyncpg://.../fd_scale
    add --data-dir DIR to keep (and reuse) the loaded store (else a temporary dir, removed after);
    --no-write to only print

Loads the demo account with `frontdesk.storage.bulk_demo` (as `frontdesk demo --messages N
--crm-contacts M`), serves the app with uvicorn in this process, and measures the p50 of
`--runs` requests (after a warm-up) per route over HTTP. The baseline runs the naive query for the
same answer on the same database: a LIKE scan for search, a raw GROUP BY for analytics and the
dashboard, the pre-issue-17 list queries (per-request message counts, LIKE and IN filters,
OFFSET over rows). Every route's answer is checked equal to its baseline's before it is timed.
Results go into docs/benchmarks.md between the store_scale markers, one table per database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import bindparam, text

from frontdesk.api.app import create_app
from frontdesk.config import Settings
from frontdesk.storage import analytics, bulk_crm, bulk_demo, contact_anchors
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DEMO_EMAIL, DEMO_PASSWORD
from frontdesk.storage.migrate import upgrade

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
Baseline = Callable[[Database, str, str], Awaitable[Any]]


def p50(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


# --- the naive baselines (what the store did before issue 17) -------------------------------


async def like_search(db: Database, account: str, word: str) -> tuple[set[str], int]:
    """Matches of one word by a LIKE scan of the account's messages (word boundaries in Python)."""
    async with db.session() as s:
        rows = await s.execute(
            text(
                "SELECT m.id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE m.account_id = :a AND lower(m.content) LIKE :p"
            ),
            {"a": account, "p": f"%{word}%"},
        )
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
        found = {i for i, content in rows.all() if pattern.search(content)}
    return found, len(found)


async def raw_daily(db: Database, account: str, days: int, grain: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    if grain == "day":
        end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        start = end - timedelta(days=days)
    else:
        end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        start = end - timedelta(hours=days)
    metric = analytics.METRICS["messages_sent"]
    async with db.session() as s:
        series = await analytics.raw_series(s, metric, account, start, end, grain, {})  # type: ignore[arg-type]
        by = await analytics.raw_breakdown(s, metric, account, start, end, {})
    return {"total": sum(v for v, _ in series.values()), "series": series, "breakdown": by}


async def raw_sessions(db: Database, account: str, user: str) -> tuple[int, list[tuple[str, int]]]:
    async with db.session() as s:
        total = await s.scalar(
            text("SELECT count(*) FROM conversations WHERE account_id = :a AND user_id = :u"),
            {"a": account, "u": user},
        )
        rows = await s.execute(
            text(
                "SELECT c.id, coalesce(n.n, 0) FROM conversations c LEFT JOIN "
                "(SELECT conversation_id, count(*) AS n "
                "FROM messages WHERE account_id = :a GROUP BY conversation_id) n ON n.conversation_id = c.id "
                "WHERE c.account_id = :a AND c.user_id = :u ORDER BY c.updated_at DESC, c.id LIMIT 20"
            ),
            {"a": account, "u": user},
        )
        return int(total or 0), [(i, int(n)) for i, n in rows.all()]


async def raw_dashboard(db: Database, account: str) -> dict[str, int]:
    now = datetime.now(UTC)
    async with db.session() as s:
        return await analytics.raw_activity_counts(
            s, account, now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        )


async def raw_contacts(
    db: Database, account: str, where: str, params: dict[str, Any], offset: int = 0
) -> tuple[int, list[str]]:
    """The pre-issue-17 contact list: LIKE / IN filters, ORDER BY lower(name), OFFSET over rows."""
    sql = f"FROM contacts WHERE account_id = :a {where}"
    order = "ORDER BY lower(last_name), lower(first_name), id"
    async with db.session() as s:
        total = await s.scalar(text(f"SELECT count(*) {sql}"), {"a": account} | params)
        rows = await s.scalars(
            text(f"SELECT id {sql} {order} LIMIT 50 OFFSET {offset}"), {"a": account} | params
        )
        return int(total or 0), list(rows)


def tag_filter(*names: str) -> str:
    return "".join(
        f" AND id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
        f"WHERE t.account_id = :a AND lower(t.name) = '{n.lower()}')"
        for n in names
    )


SEARCH_LIKE = (
    " AND (lower(first_name || ' ' || last_name) LIKE :p OR lower(email) LIKE :p OR lower(company) LIKE :p)"
)


NAME_LIKE = " AND lower(first_name || ' ' || last_name) LIKE :p"


async def _with_db(settings: Settings, fn: Callable[[Database], Awaitable[Any]]) -> Any:
    db = Database(settings.resolved_database_url)
    try:
        return await fn(db)
    finally:
        await db.close()


async def one_row(settings: Settings, sql: str, account: str) -> tuple[Any, ...]:
    """The one row of `sql` (`:a` bound to the account), on a connection of its own."""

    async def go(db: Database) -> tuple[Any, ...]:
        async with db.session() as s:
            return tuple((await s.execute(text(sql), {"a": account})).one())

    return await _with_db(settings, go)  # type: ignore[no-any-return]


async def largest_conversation(settings: Settings, account: str) -> tuple[str, int]:
    """The account's conversation with the most messages, and how many."""
    sql = "SELECT id, message_count FROM conversations WHERE account_id = :a ORDER BY 2 DESC, id LIMIT 1"
    conv_id, n = await one_row(settings, sql, account)
    return str(conv_id), int(n)


async def store_counts(settings: Settings, account: str) -> tuple[int, int, int, int]:
    """(messages, conversations, the longest conversation's messages, contacts) of the account."""
    row = await one_row(
        settings,
        "SELECT (SELECT count(*) FROM messages WHERE account_id = :a), "
        "(SELECT count(*) FROM conversations WHERE account_id = :a), "
        "(SELECT max(message_count) FROM conversations WHERE account_id = :a), "
        "(SELECT count(*) FROM contacts WHERE account_id = :a)",
        account,
    )
    return int(row[0]), int(row[1]), int(row[2] or 0), int(row[3])


async def raw_history(db: Database, conversation: str) -> int:
    """The naive history read: every message of the conversation, in order."""
    async with db.session() as s:
        rows = await s.execute(
            text("SELECT role, content FROM messages WHERE conversation_id = :c ORDER BY created_at, id"),
            {"c": conversation},
        )
        return len(rows.all())


async def contacts_total(
    settings: Settings, account: str, where: str, params: dict[str, Any]
) -> tuple[int, list[str]]:
    return await _with_db(settings, lambda db: raw_contacts(db, account, where, params))  # type: ignore[no-any-return]


async def some_name(settings: Settings, account: str) -> tuple[str, str]:
    """A contact's first and last name from the middle of the list."""
    sql = "SELECT first_name, last_name FROM contacts WHERE account_id = :a ORDER BY id LIMIT 1 OFFSET 1000"
    first, last = await one_row(settings, sql, account)
    return str(first), str(last)


# --- running -------------------------------------------------------------------------------


class Server:
    def __init__(self, settings: Settings) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def remove_contacts(settings: Settings, ids: list[str]) -> None:
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as s:
            gone = text("DELETE FROM contacts WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
            await s.execute(gone, {"ids": ids})
            await s.commit()
    finally:
        await db.close()


async def prepare(
    settings: Settings, messages: int, contacts: int, big: int
) -> tuple[str, str, dict[str, tuple[float, float, float]], str, int]:
    """Migrate, load if empty (`messages` with one conversation of `big` among them); (account,
    user, load seconds, rare word, its matches)."""
    db = Database(settings.resolved_database_url)
    await upgrade(db)
    loads: dict[str, tuple[float, float, float]] = {}  # what: (wall s, CPU s of this process, load)
    account, user = await bulk_demo.demo_owner(db)
    async with db.session() as s:
        have = int(
            await s.scalar(text("SELECT count(*) FROM messages WHERE account_id = :a"), {"a": account}) or 0
        )
        have_contacts = int(
            await s.scalar(text("SELECT count(*) FROM contacts WHERE account_id = :a"), {"a": account}) or 0
        )

    def progress(what: str, done: int, total: int) -> None:
        print(f"\r{what}: {done:,}/{total:,}", end="", flush=True)

    big = min(big, messages // 2)
    if have < messages:  # conversations of ~50 messages, and one of `big` (the send row's)
        started, cpu = time.perf_counter(), time.process_time()
        rest = messages - have - big
        await bulk_demo.load_messages(db, rest, max(1, rest // 50), progress=progress)
        loads["messages"] = (time.perf_counter() - started, time.process_time() - cpu, os.getloadavg()[0])
        print()
    biggest = (await largest_conversation(settings, account))[1]
    if big and biggest < big:  # (a store loaded before the big conversation: it is added)
        started, cpu = time.perf_counter(), time.process_time()
        await bulk_demo.load_messages(db, big, 1, seed=8, progress=progress)
        loads[f"one conversation of {big:,} messages"] = (
            time.perf_counter() - started,
            time.process_time() - cpu,
            os.getloadavg()[0],
        )
        print()
    if have_contacts < contacts:
        started, cpu = time.perf_counter(), time.process_time()
        await bulk_crm.load_contacts(db, contacts - have_contacts, progress=progress)
        loads["contacts"] = (time.perf_counter() - started, time.process_time() - cpu, os.getloadavg()[0])
        print()
    async with db.engine.connect() as conn:  # PostgreSQL: VACUUM as autovacuum would after a
        # load, so index-only scans (a deep offset's walk) find the pages marked all-visible
        if not db.is_sqlite:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"))
        await conn.commit()
    rare = bulk_demo.rare_words(max(1000, messages // 25))[123]
    _, n = await like_search(db, account, rare)
    await db.close()
    return account, user, loads, rare, n


GROUPS = ("chat", "search", "analytics", "sessions", "dashboard", "contacts")


def measure(
    settings: Settings, account: str, user: str, rare: str, runs: int, only: set[str] | None = None
) -> list[tuple[str, float, float, bool]]:
    """(route, p50 ms, baseline p50 ms, same answer) for each route of the `only` groups (all by
    default); a group whose route fails is reported and skipped, the others still run."""
    db_url = settings.resolved_database_url
    out: list[tuple[str, float, float, bool]] = []

    def base(fn: Callable[..., Awaitable[Any]], *args: Any) -> tuple[float, Any]:
        async def go() -> Any:
            db = Database(db_url)
            try:
                return await fn(db, *args)
            finally:
                await db.close()

        return p50(lambda: asyncio.run(go()), max(3, runs // 2))

    with Server(settings) as url, httpx.Client(base_url=url, timeout=120) as http:
        token = http.post("/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}).json()[
            "access_token"
        ]
        http.headers["Authorization"] = f"Bearer {token}"

        def route(path: str, **params: Any) -> tuple[float, Any]:
            def call() -> Any:
                r = http.get(path, params=params)
                r.raise_for_status()
                return r.json()

            return p50(call, runs)

        def row(name: str, new: tuple[float, Any], old: tuple[float, Any], equal: bool) -> None:
            out.append((name, new[0], old[0], equal))
            print(f"{name:<48} {new[0]:9.1f} ms  baseline {old[0]:9.1f} ms  equal={equal}")

        def group_search() -> None:
            search = "/api/v1/message-history/search/"
            new = route(search, q=rare, limit=100)  # a rare word's matches fit on one page
            old = base(like_search, account, rare)
            ids = {h["id"] for h in new[1]["data"]}
            row(
                f"search, rare word ({old[1][1]} matches)",
                new,
                old,
                ids == old[1][0] if old[1][1] <= 100 else new[1]["total"] == old[1][1] and ids <= old[1][0],
            )
            new = route(search, q="order")
            old = base(like_search, account, "order")
            ids = {h["id"] for h in new[1]["data"]}
            same = new[1]["total"] == min(old[1][1], 10_000) and ids <= old[1][0] and len(ids) == 20
            row(f"search, common word ({old[1][1]:,} matches), first page", new, old, same)

        def group_analytics() -> None:
            for path, params, grain, span in (
                ("/api/v1/analytics/daily/", {"metric_type": "messages_sent", "days": 366}, "day", 366),
                ("/api/v1/analytics/hourly/", {"hours": 168}, "hour", 168),
            ):
                new = route(path, **params)
                old = base(raw_daily, account, span, grain)
                got = {
                    (p.get("date") or p["hour"][:13]): (p["total"], p["count"])
                    for p in new[1]["data"]
                    if p["total"]
                }
                want = {k: v for k, v in old[1]["series"].items() if v[0]}
                row(f"{path.split('/')[-2]} ({', '.join(f'{k}={v}' for k, v in params.items())})", new, old,
                    got == want and new[1]["breakdown"] == old[1]["breakdown"])  # fmt: skip

        def group_sessions() -> None:
            new = route("/chat/sessions")
            old = base(raw_sessions, account, user)
            row("/chat/sessions", new, old,
                (new[1]["total"], [(x["id"], x["message_count"]) for x in new[1]["sessions"]])
                == old[1])  # fmt: skip

        def group_dashboard() -> None:
            new = route("/api/analytics/dashboard")
            old = base(raw_dashboard, account)
            row("/api/analytics/dashboard", new, old, new[1]["activity"] == old[1])

        def group_contacts() -> None:
            for label, params, where, args, offset in (
                ("limit=50", {"limit": 50}, "", {}, 0),
                ("tags=VIP", {"tags": "VIP"}, tag_filter("VIP"), {}, 0),
                ("tags=VIP,customer", {"tags": "VIP,customer"}, tag_filter("VIP", "customer"), {}, 0),
                ("search=chen", {"search": "chen"}, SEARCH_LIKE, {"p": "%chen%"}, 0),
                ("offset=150000", {"offset": 150_000}, "", {}, 150_000),
            ):
                if offset:  # the first deep page starts reading the list's anchors in the
                    # background (storage/contact_anchors.py): measure once they are read
                    http.get("/api/contacts", params=params).raise_for_status()
                    settle_anchors()
                new = route("/api/contacts", **params)
                old = base(raw_contacts, account, where, args, offset)
                row(
                    f"/api/contacts?{label}",
                    new,
                    old,
                    (new[1]["total"], [c["id"] for c in new[1]["contacts"]]) == old[1],
                )
                if offset:
                    changed = after_a_change(params)
                    row(f"/api/contacts?{label}, right after a contact is added", changed, old,
                        [c["id"] for c in changed[1]["contacts"]] == old[1][1])  # fmt: skip

        def settle_anchors() -> None:
            deadline = time.monotonic() + 60
            while contact_anchors.reading() and time.monotonic() < deadline:
                time.sleep(0.05)

        def after_a_change(params: dict[str, Any]) -> tuple[float, Any]:
            """The deep page right after a contact is added (sorting last, so the page is the
            same): the anchors are stale, the page is read the plain way (p50 of `runs`)."""
            times, added, result = [], [], None
            for _ in range(runs):
                r = http.post("/api/contacts", json={"name": "Zz Zzzz-bench"})
                r.raise_for_status()
                added.append(r.json()["id"])
                started = time.perf_counter()
                r = http.get("/api/contacts", params=params)
                times.append((time.perf_counter() - started) * 1000)
                result = r.raise_for_status().json()
            asyncio.run(remove_contacts(settings, added))  # (the API has no contact delete)
            settle_anchors()
            return statistics.median(times), result

        def send(message: str, conversation: str | None) -> tuple[float, Any]:
            def call() -> Any:
                body = {"message": message} | ({"session_id": conversation} if conversation else {})
                r = http.post("/chat/send", json=body)
                r.raise_for_status()
                return r.json()

            return p50(call, runs)

        def group_chat() -> None:
            biggest, size = asyncio.run(largest_conversation(settings, account))
            new = send("hello", biggest)
            old = base(raw_history, biggest)
            row(f"POST /chat/send into a conversation of {size:,} messages", new, old,
                bool(new[1].get("message_id")) and old[1] >= size)  # fmt: skip
            total, _ = asyncio.run(contacts_total(settings, account, tag_filter("VIP"), {}))
            new = send("which contacts are tagged VIP?", None)
            old = base(raw_contacts, account, tag_filter("VIP"), {})
            row("chat: which contacts are tagged VIP?", new, old, f"{total:,}" in str(new[1].get("message")))
            first, last = asyncio.run(some_name(settings, account))
            who = {"p": f"%{first} {last}%".lower()}
            new = send(f"find the contact named {first} {last}", None)
            old = base(raw_contacts, account, NAME_LIKE, who)
            said = str(new[1].get("message", ""))
            row(f"chat: find the contact named {first} {last}", new, old,
                old[1][0] > 0 and f"{old[1][0]:,}" in said and f"{first} {last}" in said)  # fmt: skip

        groups = {
            "chat": group_chat,
            "search": group_search,
            "analytics": group_analytics,
            "sessions": group_sessions,
            "dashboard": group_dashboard,
            "contacts": group_contacts,
        }
        for name, group in groups.items():
            if only is None or name in only:
                try:
                    group()
                except (httpx.HTTPError, KeyError, TypeError) as e:
                    print(f"{name}: failed ({e!r}), skipped")
    return out


def write_section(key: str, body: str) -> None:
    start, end = f"<!-- store_scale:{key}:start -->", f"<!-- store_scale:{key}:end -->"
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{start}\n{body}\n{end}"
    if start in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end) :]
    else:
        header = "## Store at scale: search, analytics, lists (`bench/store_scale.py`)"
        if header not in doc:
            doc = doc.rstrip() + f"\n\n{header}\n"
        doc = doc.rstrip() + f"\n\n{block}\n"
    DOC.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--big-conversation", type=int, default=100_000, help="messages of the one long conversation"
    )
    parser.add_argument("--database-url", help="default: SQLite in the data dir")
    parser.add_argument("--data-dir", type=Path, help="keep the store here (default: a temporary dir)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", help=f"comma-separated groups of routes to measure ({', '.join(GROUPS)})")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="store_scale-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url, model="offline")
    account, user, loads, rare, _ = asyncio.run(
        prepare(settings, args.messages, args.contacts, args.big_conversation)
    )
    held = asyncio.run(store_counts(settings, account))
    only = set(args.only.split(",")) if args.only else None
    rows = measure(settings, account, user, rare, args.runs, only)
    if args.data_dir is None:
        shutil.rmtree(data_dir, ignore_errors=True)  # a 1M-message store is several hundred MB
    dialect = "PostgreSQL" if settings.resolved_database_url.startswith("postgresql") else "SQLite"
    load = (
        ", ".join(
            f"{k} loaded in {wall:.1f} s wall, {cpu:.1f} s CPU of the loading process, load average {avg:.1f}"
            for k, (wall, cpu, avg) in loads.items()
        )
        or "store reused"
    )
    lines = [
        f"### {dialect}",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.1f}: the machine was shared), {held[0]:,} messages in "
        f"{held[1]:,} conversations (the longest {held[2]:,} messages) and {held[3]:,} CRM contacts in "
        f"the demo account ({load}). "
        f"p50 of {args.runs} HTTP requests after a warm-up; baseline: the naive query in-process (no HTTP).",
        "",
        "| route | now ms | naive baseline ms | baseline / now | same answer |",
        "|---|---:|---:|---:|---|",
        *(
            f"| `{n}` | {a:.1f} | {b:.1f} | {b / a:.0f}x | {'yes' if eq else '**no**'} |"
            for n, a, b, eq in rows
        ),
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section(dialect.lower(), "\n".join(lines))


if __name__ == "__main__":
    main()

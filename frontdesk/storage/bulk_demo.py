"""Bulk demo loads for scale work: `frontdesk demo --messages N [--conversations M]` and
`--crm-contacts N`, straight into the SQL store of the demo account, fast.

Conversations belong to the demo owner, spread over the last 365 days (oldest first, so rowid
order is time order), on several doors and departments. Each has user turns and assistant
replies, some with a tool call and its tool result. Message text mixes a small common
vocabulary (e.g. "order" is in about a fifth of the messages) with a large rare one (each rare
word in a few dozen messages), so search has both kinds of word to find.

The CRM side (`--crm-contacts`) is `frontdesk.storage.bulk_crm`, on the same machinery.

Speed (a million messages in well under a minute on 2 cores, see docs/benchmarks.md): rows go
in through the driver in one transaction, `executemany` in batches of 50,000 on SQLite (the
driver's thread writes a batch while the next one is generated; `synchronous=OFF` for the load)
and `COPY` on PostgreSQL. The per-row triggers (rollups, and the full-text insert trigger on
SQLite) are dropped for the load and re-created before it commits: the FTS5 index is fed each
batch in one `INSERT ... SELECT` (PostgreSQL: the GIN index is dropped and rebuilt), and the
rollup counts are summed in Python while the rows are generated and added in a few upserts
(`frontdesk.storage.bulk_counts`), instead of recounting the tables. Other writers wait for the
load (SQLite's write lock; PostgreSQL's lock on the tables whose triggers are dropped).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.storage import bulk_counts, rollup_triggers
from frontdesk.storage.bulk_counts import LoadCounts
from frontdesk.storage.db import SQLITE_CACHE_KIB, Database
from frontdesk.storage.demo import demo_exists, seed_demo
from frontdesk.storage.models import User

Progress = Callable[[str, int, int], None]  # (what, done, total)
CHUNK = 50_000
CHANNELS = (("web", 50), ("sms", 20), ("teams", 15), ("voice", 10), ("mcp", 5))
DEPARTMENTS = ("sales", "support", "marketing", "operations", "data")
COMMON = (
    "the my order please help with account thanks can you check status refund invoice delivery "
    "price plan update contact team today tomorrow meeting report customer issue problem question"
).split()
TOPICS = (("order", 0.2), ("refund", 0.05), ("invoice", 0.08), ("password", 0.03))
SYLLABLES = "ka lo mi ren tu vas zel pri quo dan fe gor hin jub ly nox pem rask sid tov".split()
_SQLITE_FTS_INSERT = importlib.import_module("frontdesk.storage.migrations.versions.0005_search").SQLITE_UP[1]


@dataclass(frozen=True, slots=True)
class LoadReport:
    account_id: str
    conversations: int
    messages: int


def rare_words(n: int) -> list[str]:
    """`n` distinct made-up words (three or four syllables), deterministic."""
    words: list[str] = []
    for a in SYLLABLES:
        for b in SYLLABLES:
            for c in SYLLABLES:
                for d in ("", *SYLLABLES):
                    words.append(a + b + c + d)
                    if len(words) == n:
                        return words
    return words


def _sentences(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = rng.choices(COMMON, k=rng.randint(5, 12))
        words += [w for w, p in TOPICS if rng.random() < p]
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


async def demo_owner(db: Database, seed: int = 42) -> tuple[str, str]:
    """(account id, user id) of the demo owner, seeding the demo account first if missing."""
    async with db.session() as s:
        if not await demo_exists(s):
            await seed_demo(s, seed=seed)
        from frontdesk.storage.demo import DEMO_EMAIL

        row = (
            await s.execute(select(User.current_account_id, User.id).where(User.email == DEMO_EMAIL))
        ).one()
    return str(row[0]), str(row[1])


class Ids:
    """UUID-shaped ids: a random head per load and a counter tail, so one load's rows go into the
    primary-key B-tree in order (random uuid4s would touch a random page per row)."""

    def __init__(self, rng: random.Random) -> None:
        h = f"{rng.getrandbits(80):020x}"
        self.head = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-a{h[15:18]}-{h[18:20]}"
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}:{self.head}{self.n:010x}"


class Clock:
    """Integer microseconds since the epoch -> (the value the driver stores, UTC day, UTC hour).

    SQLite gets SQLAlchemy's text form (`YYYY-MM-DD HH:MM:SS.ffffff`), PostgreSQL a UTC datetime;
    the day and hour are the rollup buckets the triggers would derive from that value. Formatted
    by hand (one `date` per day cached): `datetime.isoformat` per row was a third of the load."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite
        self.days: dict[int, str] = {}
        self.times = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

    def __call__(self, us: int) -> tuple[Any, str, str]:
        seconds, micro = divmod(us, 1_000_000)
        d, rest = divmod(seconds, 86400)
        day = self.days.get(d)
        if day is None:
            day = self.days[d] = (_EPOCH + timedelta(days=d)).date().isoformat()
        clock = self.times[rest]
        hour = f"{day}T{clock[:2]}"
        if self.sqlite:
            return f"{day} {clock}.{micro:06d}", day, hour
        return _EPOCH + timedelta(microseconds=us), day, hour


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ROLES = ("user", "assistant", "tool", "assistant", "user", "assistant")
# the shapes a turn stores (`agent.history.stored_tool_calls` / `stored_tool_results`): an
# assistant message carries its calls and their results, so a loaded conversation's history
# reads back as the model's messages like any other
_CALLS = json.dumps(
    [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "search_contacts", "arguments": "{}"},
            "iteration": 0,
        }
    ]
)
_RESULTS = json.dumps(
    [{"tool_call_id": "call_1", "name": "search_contacts", "is_error": False, "content": {"total": 0}}]
)


def _messages(
    rng: random.Random, owner: tuple[str, str], messages: int, conversations: int, clock: Clock,
    counts: LoadCounts,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:  # fmt: skip
    """Per conversation: (conversation row, its message rows), oldest conversation first; adds
    what the rollup triggers would count for them to `counts`."""
    account_id, user_id = owner
    new_id = Ids(random.Random())  # a fresh id head per load
    sentences = _sentences(rng, 4000)
    rare = rare_words(max(1000, messages // 25))
    now = int(datetime.now(UTC).timestamp() * 1_000_000)
    year = 365 * 86400 * 1_000_000
    starts = sorted(now - rng.randint(3600 * 1_000_000, year) for _ in range(conversations))
    per, extra = divmod(messages, conversations)
    channels = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS], k=conversations)
    for n, start in enumerate(starts):
        conv_id = new_id("conv")
        dept, channel = rng.choice(DEPARTMENTS), channels[n]
        count = per + (1 if n < extra else 0)
        picks = rng.choices(sentences, k=count)
        words = rng.choices(rare, k=count)
        rows = []
        buckets: dict[tuple[str, str, str], list[int]] = {}
        for i in range(count):
            kind = i % 6  # user, assistant with a tool call, tool result, assistant, user, assistant
            role = _ROLES[kind]
            reply = role == "assistant"
            at, day, hour = clock(start + (20 * i + i % 7) * 1_000_000)
            tokens_in, tokens_out = (120 + i % 50, 40 + i % 30) if reply else (0, 0)
            rows.append(
                (new_id("msg"), conv_id, account_id, i + 1, role,
                 picks[i] + " " + words[i] if i % 3 else picks[i],
                 _CALLS if kind == 1 else None, _RESULTS if kind in (1, 2) else None, dept if reply else None,
                 tokens_in, tokens_out, channel, None, at)
            )  # fmt: skip
            acc = buckets.get((day, hour, role))
            if acc is None:
                acc = buckets[day, hour, role] = [0, 0, 0]
            acc[0] += 1
            acc[1] += tokens_in + tokens_out
            acc[2] += 1 if reply else 0
        created, day, _ = clock(start)
        # every message's department is `dept`: assistants carry it, the rest take the conversation's
        counts.conversation(conv_id, channel, dept, day, buckets)
        last = rows[-1][-1] if rows else created
        yield (
            (conv_id, account_id, user_id, channel, f"Demo {dept} chat {n + 1}", dept, created, last, count),
            rows,
        )


MESSAGE_COLUMNS = (
    "id, conversation_id, account_id, seq, role, content, tool_calls, tool_results, agent_used, "
    "tokens_in, tokens_out, channel, external_id, created_at"
)
CONVERSATION_COLUMNS = (
    "id, account_id, user_id, channel, title, department, created_at, updated_at, message_count"
)


class Writer:
    """Rows into one table through the driver: `executemany` (SQLite) or `COPY` (PostgreSQL).

    On SQLite, `fts` names a full-text table fed by the same job from the new rows (rowid above
    the last one seen), so the index is built batch by batch in the driver's thread."""

    def __init__(self, conn: AsyncConnection, driver: Any) -> None:
        self.conn, self.driver = conn, driver
        self.sqlite = conn.dialect.name == "sqlite"
        self.indexed: dict[str, int] = {}

    async def write(
        self, table: str, columns: str, rows: list[tuple[Any, ...]], fts: tuple[str, str] | None = None
    ) -> None:
        if not rows:
            return
        if self.sqlite:
            marks = ", ".join("?" for _ in columns.split(","))
            await self.driver.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            if fts is not None:
                await self.fts(table, *fts)
        else:
            names = [c.strip() for c in columns.split(",")]
            await self.driver.copy_records_to_table(table, records=rows, columns=names)

    async def mark(self, table: str) -> None:
        """Remember `table`'s highest rowid: the rows above it are the load's, to index."""
        cursor = await self.driver.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}")
        self.indexed[table] = int((await cursor.fetchone())[0])

    async def fts(self, table: str, index: str, select: str) -> None:
        """Feed `index` the rows of `table` added since the last call (or `mark`)."""
        before = self.indexed[table]
        await self.mark(table)
        await self.driver.execute(
            f"INSERT INTO {index} {select} FROM {table} WHERE rowid > ? AND rowid <= ?",
            (before, self.indexed[table]),
        )


async def _raw(conn: AsyncConnection) -> Any:
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def _drop_gin(conn: AsyncConnection, tables: tuple[str, ...]) -> list[str]:
    """Drop the GIN indexes of `tables` (PostgreSQL: full-text and trigram), returning the
    statements that re-create them: one build after a load is much cheaper than a million
    per-row updates, and whichever migrations made them, they come back as they were."""
    rows = await conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(:tables) AND indexdef LIKE '%USING gin%'"
        ),
        {"tables": list(tables)},
    )
    found = rows.all()
    for name, _ in found:
        await conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in found]


@asynccontextmanager
async def bulk_transaction(
    db: Database, sqlite_drops: list[str], tables: tuple[str, ...]
) -> AsyncIterator[tuple[AsyncConnection, Any]]:
    """One connection and one transaction for a load into `tables`. The per-row rollup triggers
    are dropped inside it, with `sqlite_drops` on SQLite and the tables' GIN indexes on
    PostgreSQL; all come back before it commits (the caller re-creates the SQLite statements).
    On SQLite: the write lock taken first (`BEGIN IMMEDIATE`), no fsync (`synchronous=OFF`: a
    crash mid-load can lose the load, which is then re-run) and a 256 MiB page cache, both
    restored after."""
    sqlite = db.is_sqlite
    async with db.engine.connect() as conn:
        driver = await _raw(conn)
        if sqlite:
            await driver.execute("PRAGMA synchronous = OFF")
            await driver.execute("PRAGMA cache_size = -262144")
        try:
            async with conn.begin():
                if sqlite:
                    await conn.execute(text("BEGIN IMMEDIATE"))
                for statement in rollup_triggers.drop_statements(conn.dialect.name) + (
                    sqlite_drops if sqlite else []
                ):
                    await conn.execute(text(statement))
                indexes = [] if sqlite else await _drop_gin(conn, tables)
                yield conn, driver
                if indexes:
                    await conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
                for statement in indexes:
                    await conn.execute(text(statement))
                for statement in rollup_triggers.create_statements(conn.dialect.name):
                    await conn.execute(text(statement))
        finally:
            if sqlite:
                await driver.execute("PRAGMA synchronous = NORMAL")
                await driver.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")


async def load_messages(
    db: Database,
    messages: int,
    conversations: int,
    *,
    seed: int = 7,
    progress: Progress | None = None,
    owner: tuple[str, str] | None = None,
) -> LoadReport:
    """Add `messages` messages in `conversations` conversations to the demo account (or `owner`)."""
    account_id, user_id = owner or await demo_owner(db)
    rng, counts = random.Random(seed), LoadCounts()
    sqlite = db.is_sqlite
    async with bulk_transaction(db, ["DROP TRIGGER IF EXISTS messages_fts_insert"], ("messages",)) as (
        conn,
        driver,
    ):
        writer = Writer(conn, driver)
        fts = ("messages_fts", "(rowid, content) SELECT rowid, content") if sqlite else None
        if sqlite:
            await writer.mark("messages")
        pending: asyncio.Task[None] | None = None
        done = 0
        generated = _messages(rng, (account_id, user_id), messages, conversations, Clock(sqlite), counts)

        def next_batch() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
            """The next conversations and their messages, about `CHUNK` rows (in a worker thread:
            only one thread advances the generator at a time)."""
            convs: list[tuple[Any, ...]] = []
            batch: list[tuple[Any, ...]] = []
            for conv, rows in generated:
                convs.append(conv)
                batch += rows
                if len(batch) >= CHUNK:
                    break
            return convs, batch

        while True:
            # generated in a thread while the previous batch is written: SQLite's thread and
            # PostgreSQL's COPY (sent by this loop, worked by the server) run beside it
            convs, batch = await asyncio.to_thread(next_batch)
            if pending is not None:
                await pending
            if not convs:
                break
            await writer.write("conversations", CONVERSATION_COLUMNS, convs)
            pending = asyncio.ensure_future(writer.write("messages", MESSAGE_COLUMNS, batch, fts))
            await asyncio.sleep(0)
            done += len(batch)
            if progress:
                progress("messages", done, messages)
        if progress:
            progress("indexing", 0, 1)
        if sqlite:
            await conn.execute(text(_SQLITE_FTS_INSERT))
        await bulk_counts.add(conn, driver, counts, account_id)
    if progress:
        progress("indexing", 1, 1)
    return LoadReport(account_id, conversations, messages)

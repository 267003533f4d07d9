"""Bulk demo loads for scale work: `frontdesk demo --messages N [--conversations M]` and
`--crm-contacts N`, straight into the SQL store of the demo account, fast.

Conversations belong to the demo owner, spread over the last 365 days (oldest first, so rowid
order is time order), on several doors and departments. Each has user turns and assistant
replies, some with a tool call and its tool result. Message text mixes a small common
vocabulary (e.g. "order" is in about a fifth of the messages) with a large rare one (each rare
word in a few dozen messages), so search has both kinds of word to find.

Speed: rows go in through the driver (`executemany` on SQLite, `COPY` on PostgreSQL) in one
transaction. The per-row triggers (rollups, and the FTS5 insert trigger on SQLite) are dropped
for the load and re-created after it, in the same transaction; the FTS5 index gets the new rows
in one statement and the rollups are recomputed from the tables (`rollups.rebuild`).
"""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.storage import rollup_triggers, rollups
from frontdesk.storage.db import Database
from frontdesk.storage.demo import COMPANIES, FIRST, LAST, POSITIONS, TAGS, demo_exists, seed_demo
from frontdesk.storage.models import Tag, User

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
_PG_FTS = "ix_messages_content_fts"
_PG_FTS_CREATE = importlib.import_module("frontdesk.storage.migrations.versions.0005_search").POSTGRES_UP[0]
_SQLITE_CONTACTS_FTS_INSERT = importlib.import_module(
    "frontdesk.storage.migrations.versions.0014_scale"
).SQLITE_CONTACTS_FTS[1]


@dataclass(frozen=True, slots=True)
class LoadReport:
    account_id: str
    conversations: int
    messages: int


def _rare_words(n: int) -> list[str]:
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


class _Ids:
    """UUID-shaped ids: a random head per load and a counter tail, so one load's rows go into the
    primary-key B-tree in order (random uuid4s would touch a random page per row)."""

    def __init__(self, rng: random.Random) -> None:
        h = f"{rng.getrandbits(80):020x}"
        self.head = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-a{h[15:18]}-{h[18:20]}"
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}:{self.head}{self.n:010x}"


_EPOCH = datetime(1970, 1, 1)


def _stamp(sqlite: bool) -> Callable[[float], Any]:
    """Epoch seconds -> the value the driver stores (SQLAlchemy's SQLite text, or a datetime)."""
    if sqlite:
        return lambda t: (_EPOCH + timedelta(seconds=t)).isoformat(" ", "microseconds")
    return lambda t: datetime.fromtimestamp(t, UTC)


_ROLES = ("user", "assistant", "tool", "assistant", "user", "assistant")
_CALLS = json.dumps([{"id": "call_1", "name": "search_contacts", "args": {}}])
_RESULTS = json.dumps([{"id": "call_1", "ok": True}])


def _messages(
    rng: random.Random, owner: tuple[str, str], messages: int, conversations: int, sqlite: bool
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Per conversation: (conversation row, its message rows), oldest conversation first."""
    account_id, user_id = owner
    stamp, new_id = _stamp(sqlite), _Ids(random.Random())  # a fresh id head per load
    sentences = _sentences(rng, 4000)
    rare = _rare_words(max(1000, messages // 25))
    now = datetime.now(UTC).timestamp()
    starts = sorted(now - rng.uniform(3600, 365 * 86400) for _ in range(conversations))
    per, extra = divmod(messages, conversations)
    channels = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS], k=conversations)
    for n, start in enumerate(starts):
        conv_id = new_id("conv")
        dept, channel = rng.choice(DEPARTMENTS), channels[n]
        count = per + (1 if n < extra else 0)
        picks = rng.choices(sentences, k=count)
        words = rng.choices(rare, k=count)
        rows = []
        for i in range(count):
            kind = i % 6  # user, assistant with a tool call, tool result, assistant, user, assistant
            role = _ROLES[kind]
            reply = role == "assistant"
            rows.append(
                (new_id("msg"), conv_id, account_id, i + 1, role,
                 picks[i] + " " + words[i] if i % 3 else picks[i],
                 _CALLS if kind == 1 else None, _RESULTS if kind == 2 else None, dept if reply else None,
                 120 + i % 50 if reply else 0, 40 + i % 30 if reply else 0, channel, None,
                 stamp(start + 20 * i + i % 7))
            )  # fmt: skip
        last = rows[-1][-1] if rows else stamp(start)
        yield (
            (conv_id, account_id, user_id, channel, f"Demo {dept} chat {n + 1}", dept, stamp(start), last),
            rows,
        )


MESSAGE_COLUMNS = (
    "id, conversation_id, account_id, seq, role, content, tool_calls, tool_results, agent_used, "
    "tokens_in, tokens_out, channel, external_id, created_at"
)
CONVERSATION_COLUMNS = "id, account_id, user_id, channel, title, department, created_at, updated_at"


class _Writer:
    """Rows into one table through the driver: `executemany` (SQLite) or `COPY` (PostgreSQL)."""

    def __init__(self, conn: AsyncConnection, driver: Any) -> None:
        self.conn, self.driver = conn, driver
        self.sqlite = conn.dialect.name == "sqlite"

    async def write(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.sqlite:
            marks = ", ".join("?" for _ in columns.split(","))
            await self.driver.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        else:
            names = [c.strip() for c in columns.split(",")]
            await self.driver.copy_records_to_table(table, records=rows, columns=names)


async def _raw(conn: AsyncConnection) -> Any:
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def _begin(conn: AsyncConnection, extra_drops: list[str]) -> None:
    """Take the write lock (SQLite) and drop the per-row triggers for the load (this transaction)."""
    if conn.dialect.name == "sqlite":
        await conn.execute(text("PRAGMA cache_size = -262144"))  # 256 MiB: random ids touch every page
        await conn.execute(text("BEGIN IMMEDIATE"))
    for statement in rollup_triggers.drop_statements(conn.dialect.name) + extra_drops:
        await conn.execute(text(statement))


async def load_messages(
    db: Database,
    messages: int,
    conversations: int,
    *,
    seed: int = 7,
    progress: Progress | None = None,
    owner: tuple[str, str] | None = None,
) -> LoadReport:
    """Add `messages` messages in `conversations` conversations to the demo account."""
    account_id, user_id = owner or await demo_owner(db)
    rng = random.Random(seed)
    dialect = db.engine.dialect.name
    sqlite = dialect == "sqlite"
    async with db.engine.begin() as conn:
        # the full-text index is rebuilt after the load: per-row maintenance is the slow part
        fts = (
            ["DROP TRIGGER IF EXISTS messages_fts_insert"] if sqlite else [f"DROP INDEX IF EXISTS {_PG_FTS}"]
        )
        await _begin(conn, fts)
        writer = _Writer(conn, await _raw(conn))
        before = 0
        if dialect == "sqlite":
            before = int(await conn.scalar(text("SELECT coalesce(max(rowid), 0) FROM messages")) or 0)
        convs: list[tuple[Any, ...]] = []
        batch: list[tuple[Any, ...]] = []
        done = 0
        for conv, rows in _messages(rng, (account_id, user_id), messages, conversations, sqlite):
            convs.append(conv)
            batch += rows
            if len(batch) >= CHUNK:
                await writer.write("conversations", CONVERSATION_COLUMNS, convs)
                await writer.write("messages", MESSAGE_COLUMNS, batch)
                done += len(batch)
                convs, batch = [], []
                if progress:
                    progress("messages", done, messages)
        await writer.write("conversations", CONVERSATION_COLUMNS, convs)
        await writer.write("messages", MESSAGE_COLUMNS, batch)
        done += len(batch)
        if progress:
            progress("messages", done, messages)
            progress("indexing", 0, 1)
        if dialect == "sqlite":
            await conn.execute(
                text(
                    "INSERT INTO messages_fts(rowid, content) "
                    "SELECT rowid, content FROM messages WHERE rowid > :b"
                ),
                {"b": before},
            )
            await conn.execute(text(_SQLITE_FTS_INSERT))
        else:
            await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            await conn.execute(text(_PG_FTS_CREATE))
        await rollups.rebuild(conn)
        for statement in rollup_triggers.create_statements(dialect):
            await conn.execute(text(statement))
        if progress:
            progress("indexing", 1, 1)
    return LoadReport(account_id, conversations, messages)


async def load_contacts(
    db: Database,
    contacts: int,
    *,
    seed: int = 11,
    progress: Progress | None = None,
    owner: tuple[str, str] | None = None,
) -> int:
    """Add `contacts` CRM contacts (1-2 tags each, a lead for every fourth) to the demo account."""
    account_id, _ = owner or await demo_owner(db)
    rng, new_id = random.Random(seed), _Ids(random.Random())  # a fresh id head per load
    now = datetime.now(UTC)
    async with db.session() as s:
        tag_ids = dict((await s.execute(select(Tag.name, Tag.id).where(Tag.account_id == account_id))).all())
    names, weights = [n for n, _ in TAGS if n in tag_ids], [p for n, p in TAGS if n in tag_ids]
    sqlite = db.engine.dialect.name == "sqlite"
    async with db.engine.begin() as conn:
        await _begin(conn, ["DROP TRIGGER IF EXISTS contacts_fts_insert"] if sqlite else [])
        writer = _Writer(conn, await _raw(conn))
        before = 0
        if sqlite:
            before = int(await conn.scalar(text("SELECT coalesce(max(rowid), 0) FROM contacts")) or 0)
        done = 0
        while done < contacts:
            n = min(CHUNK, contacts - done)
            people, links, leads = [], [], []
            for i in range(done, done + n):
                first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
                created = now - timedelta(seconds=rng.uniform(60, 365 * 86400))
                cid = new_id("contact")
                email = f"{first}.{last}.{i}@{company.split()[0]}.example".lower()
                people.append((cid, account_id, first, last, email, None, company, rng.choice(POSITIONS),
                               "active", created, created))  # fmt: skip
                for tag in set(rng.choices(names, weights=weights, k=rng.randint(1, 2)) if names else ()):
                    links.append((cid, tag_ids[tag]))
                if i % 4 == 0:
                    status = rng.choice(("new", "contacted", "qualified", "converted"))
                    leads.append((new_id("lead"), account_id, cid,
                                  f"{first} {last}", email, company, status,
                                  rng.choice(("website", "referral", "ads")),
                                  float(rng.randrange(500, 50_000, 250)), created, created))  # fmt: skip
            await writer.write("contacts", "id, account_id, first_name, last_name, email, phone, company, "
                               "position, status, created_at, updated_at", people)  # fmt: skip
            await writer.write("contact_tags", "contact_id, tag_id", links)
            await writer.write("leads", "id, account_id, contact_id, name, email, company, status, source, "
                               "value, created_at, updated_at", leads)  # fmt: skip
            done += n
            if progress:
                progress("contacts", done, contacts)
        if sqlite:
            await conn.execute(
                text(
                    "INSERT INTO contacts_fts(rowid, name, email, company) SELECT rowid, "
                    "first_name || ' ' || last_name, email, company FROM contacts WHERE rowid > :b"
                ),
                {"b": before},
            )
            await conn.execute(text(_SQLITE_CONTACTS_FTS_INSERT))
        await rollups.rebuild(conn)
        for statement in rollup_triggers.create_statements(conn.dialect.name):
            await conn.execute(text(statement))
    return contacts

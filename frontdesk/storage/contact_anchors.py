"""Deep offsets of the unfiltered contact list, sought from sort-key anchors instead of skipped.

`OFFSET 150000` makes either database step through 150,000 entries of the sort index before the
page starts (~30 ms on the 2-core machine, most of such a page's cost). This module keeps, per
(database, account, sort, order), the sort keys of every `STEP`th contact of the whole list; an
offset of at least `FROM_OFFSET` then seeks just after the anchor below it (`keyset.after`, as a
cursor does) and skips fewer than `STEP` entries.

Anchors are right only while the list is what it was when they were read, so each list carries a
version in `contact_list_versions` (migration 0027), moved on by triggers on `contacts` whenever a
contact of the account is added, removed or changes a sort column (name, company, created_at,
account). Anchors are read with the version in one statement (one snapshot), and a page read from
them selects the version again in its own statement: if it moved, that request pages the plain
way. A version starts at a random value, so a list in another database (or one recreated at the
same path) never matches anchors read from an older one.

No request waits for anchors: with none, or stale ones, the request pages the plain way and the
anchors are read in the background on a connection of their own (one read at a time per list, at
most one per `REBUILD_EVERY` seconds). The read is one recursive statement of seeks, each the
`STEP`th index entry after the previous anchor: 0.1-0.25 s on 200,000 contacts on PostgreSQL and
SQLite by name or date, 0.7 s on SQLite by company, whose row-value seek uses the first key only and
so scans the ties of a company name (a `row_number()` window over the list took 1.8 s).

SQLite bumps the version in row triggers (it has one writer anyway). PostgreSQL bumps it in a
deferred constraint trigger, once per transaction (the row remembers the last writer's
transaction id): the version row is locked only from the writer's commit processing to its
commit, so concurrent contact writes of one account wait for each other only for that instant,
never for a transaction's whole length. Because of that, a transaction that has written
(anything: it has a transaction id) pages the plain way, since it may see contact changes of its
own that the version does not show yet.

Partial by design: only the unfiltered list (no tags, text or dates) and only offsets (a cursor
seeks already). Each process keeps its own anchors (`CACHE_SIZE` lists, least recently used out).
A list whose contacts change between every two deep requests gains nothing (its requests page
the plain way) and costs a background read every `REBUILD_EVERY` seconds while it is paged deep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Select, String, case, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.util import ClauseAdapter

from frontdesk.storage import keyset
from frontdesk.storage.models import Base, Contact

log = logging.getLogger(__name__)
STEP = 1_000  # contacts between two anchors: an anchored page skips fewer than this
FROM_OFFSET = 5_000  # shallower offsets skip their entries (a few ms at most)
CACHE_SIZE = 64  # lists whose anchors a process keeps
REBUILD_EVERY = 5.0  # seconds: a list read again sooner (it keeps changing) pages the plain way


class ContactListVersion(Base):
    __tablename__ = "contact_list_versions"
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    writer: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL: the last bumping transaction


_SORT_COLUMNS = "account_id, first_name, last_name, company, created_at"
_SQLITE_START, _POSTGRES_START = "abs(random() % 1000000000000)", "(random() * 1e12)::bigint"


def _sqlite_bump(row: str) -> str:
    return (
        f"\n    INSERT INTO contact_list_versions (account_id, version) VALUES ({row}.account_id, "
        f"{_SQLITE_START})\n        ON CONFLICT (account_id) DO UPDATE SET version = version + 1;"
    )


SQLITE_TRIGGERS = (
    f"CREATE TRIGGER contact_list_insert AFTER INSERT ON contacts BEGIN{_sqlite_bump('new')}\nEND",
    f"CREATE TRIGGER contact_list_delete AFTER DELETE ON contacts BEGIN{_sqlite_bump('old')}\nEND",
    f"CREATE TRIGGER contact_list_update AFTER UPDATE OF {_SORT_COLUMNS} ON contacts BEGIN"
    f"{_sqlite_bump('old')}{_sqlite_bump('new')}\nEND",
)

POSTGRES_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION contact_list_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        acct text;
    BEGIN
        FOREACH acct IN ARRAY CASE TG_OP
            WHEN 'INSERT' THEN ARRAY[NEW.account_id]
            WHEN 'DELETE' THEN ARRAY[OLD.account_id]
            ELSE ARRAY[OLD.account_id, NEW.account_id] END
        LOOP
            INSERT INTO contact_list_versions AS v (account_id, version, writer)
                VALUES (acct, {_POSTGRES_START}, txid_current())
                ON CONFLICT (account_id) DO UPDATE SET version = v.version + 1, writer = EXCLUDED.writer
                WHERE v.writer IS DISTINCT FROM EXCLUDED.writer;
        END LOOP;
        RETURN NULL;
    END $$""",
    "CREATE CONSTRAINT TRIGGER contact_list_change AFTER INSERT OR DELETE OR UPDATE OF "
    f"{_SORT_COLUMNS} ON contacts DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION contact_list_bump()",
)


def create_statements(dialect: str) -> tuple[str, ...]:
    """The statements that install the version triggers."""
    return SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS


def drop_statements(dialect: str) -> tuple[str, ...]:
    """The statements that remove the triggers (the PostgreSQL function stays)."""
    if dialect == "sqlite":
        return tuple(f"DROP TRIGGER IF EXISTS contact_list_{op}" for op in ("insert", "delete", "update"))
    return ("DROP TRIGGER IF EXISTS contact_list_change ON contacts",)


async def bump(conn: AsyncConnection, account_id: str) -> None:
    """Move the account's version on (a bulk load that wrote contacts with the triggers off)."""
    start = _SQLITE_START if conn.dialect.name == "sqlite" else _POSTGRES_START
    await conn.execute(
        text(
            f"INSERT INTO contact_list_versions (account_id, version) VALUES (:a, {start}) "
            "ON CONFLICT (account_id) DO UPDATE SET version = contact_list_versions.version + 1"
        ),
        {"a": account_id},
    )


def _version(account_id: str) -> Any:
    """A scalar subquery: the account's list version (NULL before its first contact write)."""
    return (
        select(ContactListVersion.version)
        .where(ContactListVersion.account_id == account_id)
        .scalar_subquery()
    )


def _version_seen(account_id: str, dialect: str) -> Any:
    """The version as a page's statement sees it. PostgreSQL bumps it at commit, so a
    transaction that has written (it has a transaction id) may see its own contact changes
    ahead of the version: it reads -1, which matches no anchors (SQLite bumps at once)."""
    if dialect != "postgresql":
        return _version(account_id)
    wrote = func.txid_current_if_assigned().is_not(None)
    return case((wrote, literal(-1, BigInteger)), else_=_version(account_id))


@dataclass(frozen=True, slots=True)
class _Anchors:
    version: int | None
    keys: list[tuple[Any, ...]]  # keys[i]: the sort key of the contact at position (i + 1) * STEP - 1
    read_at: float  # time.monotonic()


_cache: OrderedDict[tuple[str, str, str, str], _Anchors] = OrderedDict()
_building: dict[tuple[str, str, str, str], asyncio.Task[None]] = {}
SERVED = [0]  # pages served from anchors in this process (a counter for tests and metrics)


def _anchor_chain(account_id: str, keys: keyset.Keys) -> Select[Any]:
    """One statement: the list's version, then the sort key of every `STEP`th contact in order.

    A recursive chain of seeks: the first anchor is the `STEP`th entry of the sort index, each
    next one the `STEP`th entry after the previous (the index sought to the previous key, then
    `STEP - 1` entries skipped), so the index is walked once with no per-row work, where a
    `row_number()` window over the list cost SQLite 1.8 s on 200,000 contacts. Keys all run one
    way (`contact_list.contact_keys`), so "after" is one row-value comparison."""
    table = Contact.__table__
    exprs = [getattr(e, "__clause_element__", lambda e=e: e)() for e, _ in keys]  # ORM -> table columns
    desc = keys[0][1]

    def on(alias: Any) -> list[Any]:
        adapter = ClauseAdapter(alias)
        return [adapter.traverse(e) for e in exprs]

    def order(over: list[Any]) -> list[Any]:
        return keyset.order_by([(e, desc) for e in over])

    start = table.alias("start")
    first = (
        select(literal(1).label("n"), *[e.label(f"k{i}") for i, e in enumerate(on(start))])
        .where(start.c.account_id == account_id)
        .order_by(*order(on(start)))
        .limit(1)
        .offset(STEP - 1)
        .subquery()
    )
    chain = select(first).cte("anchors", recursive=True)
    probe, picked = table.alias("probe"), table.alias("picked")
    previous = tuple_(*[chain.c[f"k{i}"] for i in range(len(exprs))])
    over, head = on(probe), chain.c.k0
    behind = tuple_(*over)
    after = (over[0] <= head) & (behind < previous) if desc else (over[0] >= head) & (behind > previous)
    nxt = (
        select(probe.c.id)
        .where(probe.c.account_id == account_id, after)  # (the first key too: see `keyset.after`)
        .order_by(*order(over))
        .limit(1)
        .offset(STEP - 1)
        .scalar_subquery()
    )
    chain = chain.union_all(
        select(chain.c.n + 1, *on(picked)).select_from(chain.join(picked, picked.c.id == nxt))
    )
    return select(_version(account_id), *[chain.c[f"k{i}"] for i in range(len(exprs))]).order_by(chain.c.n)


async def _build(engine: AsyncEngine, where: tuple[str, str, str, str], keys: keyset.Keys) -> None:
    """Read the list's anchors and its version in one statement (one snapshot) and keep them."""
    async with engine.connect() as conn:
        rows = (await conn.execute(_anchor_chain(where[1], keys))).all()
    if not rows:  # fewer than STEP contacts: nothing to anchor
        _cache.pop(where, None)
        return
    _cache[where] = _Anchors(rows[0][0], [tuple(r[1:]) for r in rows], time.monotonic())
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def _refresh(session: AsyncSession, where: tuple[str, str, str, str], keys: keyset.Keys) -> None:
    """Start reading the list's anchors in the background (once at a time per list, and not
    again within `REBUILD_EVERY` seconds of the last read), on a connection of its own."""
    engine, known = session.bind, _cache.get(where)
    if where in _building or not isinstance(engine, AsyncEngine):
        return
    if known is not None and time.monotonic() - known.read_at < REBUILD_EVERY:
        return
    task = asyncio.create_task(_build(engine, where, keys), name="contact-anchors")
    _building[where] = task

    def done(t: asyncio.Task[None]) -> None:
        _building.pop(where, None)
        if not t.cancelled() and t.exception() is not None:
            log.warning("reading the contact list's anchors failed", exc_info=t.exception())

    task.add_done_callback(done)


def reading() -> bool:
    """Whether an anchor read is under way in this process (the bench waits for it, from
    another thread)."""
    return bool(_building)


async def settled() -> None:
    """Wait for the anchor reads under way (tests; shutdown)."""
    while _building:
        await asyncio.gather(*_building.values(), return_exceptions=True)


async def deep_page(
    session: AsyncSession, account_id: str, keys: keyset.Keys, sort: str, order: str, limit: int, offset: int
) -> list[Any] | None:
    """The rows (`keyset.columns(keys)`) of the unfiltered list's page at `offset` and one more,
    or None when the anchors cannot serve it (the caller reads the page the plain way).

    None when the offset is shallow, when this process has no anchors for the list yet or the
    list changed since they were read (the page's statement reads the version beside its rows):
    then the anchors are read again in the background while this request pages the plain way,
    so no request waits for them (their read costs a few times one deep page: 0.1-0.7 s on
    200,000 contacts, SQLite's row-value seek being on the first key only)."""
    if offset < FROM_OFFSET:
        return None
    where = (str(session.get_bind().url), account_id, sort, order)
    anchors = _cache.get(where)
    k = min(offset // STEP, len(anchors.keys)) if anchors else 0
    if anchors is None or k == 0:
        _refresh(session, where, keys)
        return None
    _cache.move_to_end(where)
    seen = _version_seen(account_id, session.get_bind().dialect.name)
    stmt = (
        select(seen, *keyset.columns(keys))
        .where(Contact.account_id == account_id, keyset.after(keys, anchors.keys[k - 1]))
        .order_by(*keyset.order_by(keys))
        .limit(limit + 1)
        .offset(offset - k * STEP)
    )
    found = (await session.execute(stmt)).all()
    # past the end no row carries the version: read alone, the anchors' version still means no
    # change committed since they were read, so the (empty) page was read from the same list
    version = found[0][0] if found else (await session.execute(select(seen))).scalar()
    if version != anchors.version:
        _refresh(session, where, keys)
        return None
    SERVED[0] += 1
    return [tuple(row)[1:] for row in found]

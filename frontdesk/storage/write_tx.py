"""A short write transaction written as plain (synchronous) code over Core statements, run either
in one trip to SQLite's connection thread or on a SQLAlchemy session.

    result = await db.run_write_tx(lambda tx: my_writes(tx, ...))   # `Database.run_write_tx`
    rows = tx.execute(plan, {"conv_id": ...})                        # inside: tuples, typed

Why: the turn's two write transactions are a few small statements each. Through the async
session every statement is its own trip to aiosqlite's thread (queue, wake-up, `call_soon_threadsafe`,
wake-up of the loop) plus SQLAlchemy's per-execution work (greenlet switch, cache key, execution
context, result metadata), and `BEGIN IMMEDIATE` and `COMMIT` are two more trips. On SQLite with
`sqlite_driver`'s connections (the embedded default) `HopTx` runs the whole transaction — `BEGIN
IMMEDIATE`, the statements and the decisions between them, `COMMIT` — as one call on the
connection's thread, with each statement compiled once by SQLAlchemy for the engine's dialect
(`Plan`) and its parameters and RETURNING values put through the column types' own bind and
result processors (the same conversion SQLAlchemy applies: SQLite's datetime strings, JSON text).
Elsewhere (PostgreSQL) `SessionTx` runs the same function on the session's connection inside
SQLAlchemy's greenlet (`AsyncSession.run_sync`): the same statements, one round trip each.

The function runs on another thread in the SQLite case: it must only build rows and read their
results (no awaiting, no event-loop objects). Errors: SQLite's own exceptions are raised as
SQLAlchemy's (`DBAPIError.instance`: `IntegrityError`, `OperationalError`, ...), as the session
path raises them, so `Database` retries "database is locked" the same way; any exception rolls
the transaction back.

Reads go the same way (`run_reads_in_one_hop`, `Database.run_read_tx`, `storage.read_tx`): the
statements of one read in one call on the thread, without `BEGIN`. A plan's literal values
(`func.coalesce(x, 0)`) are sent as compiled; `bindparam("name")`s come from the parameters.

Counted for benchmarks: `COUNTS` (statements, commits) of the transactions run in one hop, since
they bypass the engine's `before_cursor_execute` / `commit` events (`bench/agent_turn.py` adds them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql import ClauseElement

T = TypeVar("T")
Processor = Callable[[Any], Any] | None
COUNTS: dict[str, int] = {"statements": 0, "commits": 0}


_REQUIRED = object()  # a bind parameter the caller must give (no value of its own)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    binds: tuple[tuple[str, Processor, Any], ...]  # positional order: name, bind processor, own value
    results: tuple[Processor, ...]  # RETURNING / SELECT columns' result processors


class Plan:
    """A Core statement and the parameter names it is executed with; compiled once a dialect
    (`column_keys`: an INSERT's columns, or the columns an UPDATE sets)."""

    def __init__(self, stmt: ClauseElement, keys: Sequence[str] = ()) -> None:
        self.stmt = stmt
        self.keys = tuple(keys)
        self._compiled: dict[int, tuple[Dialect, _Compiled]] = {}  # by engine dialect

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(id(dialect))
        if found is None or found[0] is not dialect:  # (an id can be reused after an engine goes)
            found = self._compiled[id(dialect)] = (dialect, self._compile(dialect))
        return found[1]

    def _compile(self, dialect: Dialect) -> _Compiled:
        c: Any = self.stmt.compile(dialect=dialect, column_keys=list(self.keys) or None)
        if c.positiontup is None:
            raise ValueError("Plan needs a dialect with positional parameters (SQLite's qmark)")
        binds = tuple(
            (name, _bind_processor(c.binds[name].type, dialect), _own_value(c.binds[name]))
            for name in c.positiontup
        )
        results = tuple(_result_processor(column[3], dialect) for column in getattr(c, "_result_columns", ()))
        return _Compiled(c.string, binds, results)


def _own_value(bind: Any) -> Any:
    """A literal's value (`func.coalesce(x, 0)`, `.having(n > 0)`): used when the parameters do not
    name it, as SQLAlchemy does; a `bindparam("name")` without a value must be given."""
    return _REQUIRED if bind.required else bind.effective_value


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    return type_.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


def _result_processor(type_: Any, dialect: Dialect) -> Processor:
    return type_.dialect_impl(dialect).result_processor(dialect, None)  # type: ignore[no-any-return]


class Tx(Protocol):
    """What a write function gets: the dialect's name and `execute(plan, params) -> rows`."""

    dialect_name: str

    def execute(self, plan: Plan, params: Mapping[str, Any]) -> list[tuple[Any, ...]]: ...


class HopTx:
    """On SQLite's connection thread, inside `BEGIN IMMEDIATE`: statements straight on sqlite3."""

    dialect_name = "sqlite"

    def __init__(self, conn: sqlite3.Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def execute(self, plan: Plan, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        c = plan.compiled(self._dialect)
        args = []
        for name, proc, own in c.binds:
            value = params[name] if own is _REQUIRED else params.get(name, own)
            args.append(value if proc is None else proc(value))
        try:
            cursor = self._conn.execute(c.sql, args)
            rows = cursor.fetchall() if cursor.description else []  # (rows are stepped here too)
        except sqlite3.Error as e:
            raise _translated(c.sql, args, e) from e
        COUNTS["statements"] += 1
        cursor.close()
        if not rows or not any(c.results):
            return rows
        return [tuple(v if p is None else p(v) for v, p in zip(row, c.results, strict=True)) for row in rows]


class SessionTx:
    """On a session's connection (SQLAlchemy's greenlet, `AsyncSession.run_sync`): the same plans
    executed as ordinary Core statements."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect_name = conn.dialect.name

    def execute(self, plan: Plan, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        result = self._conn.execute(plan.stmt, dict(params))  # type: ignore[arg-type]
        return [tuple(row) for row in result] if result.returns_rows else []


def run_in_one_hop(conn: sqlite3.Connection, dialect: Dialect, fn: Callable[[Tx], T]) -> T:
    """On the connection's thread: `BEGIN IMMEDIATE`, `fn`, `COMMIT` (`ROLLBACK` if anything fails)."""
    return _immediate(conn, lambda: fn(HopTx(conn, dialect)))


def run_batch_in_one_hop(
    conn: sqlite3.Connection, dialect: Dialect, fns: Sequence[Callable[[Tx], Any]]
) -> list[tuple[bool, Any]]:
    """On the connection's thread: `fns` in one transaction, each inside a savepoint of its own
    (`storage.group_commit`); `(True, result)` or `(False, its exception)` for each, after the
    `COMMIT`. One function runs as `run_in_one_hop` runs it. A failure of the transaction itself
    (`BEGIN`, `COMMIT`, or a savepoint that cannot be rolled back) rolls everything back and
    raises."""
    if len(fns) == 1:
        return [(True, run_in_one_hop(conn, dialect, fns[0]))]

    def each() -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        for i, fn in enumerate(fns):
            conn.execute(f"SAVEPOINT write_{i}")
            try:
                outcomes.append((True, fn(HopTx(conn, dialect))))
            except Exception as e:  # this function's own failure: only its writes go
                conn.execute(f"ROLLBACK TO write_{i}")
                outcomes.append((False, e))
            conn.execute(f"RELEASE write_{i}")
        return outcomes

    return _immediate(conn, each)


def _immediate(conn: sqlite3.Connection, body: Callable[[], T]) -> T:
    """`body()` inside `BEGIN IMMEDIATE` ... `COMMIT`, rolled back if anything fails (sqlite3's
    errors raised as SQLAlchemy's)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as e:
        raise _translated("BEGIN IMMEDIATE", (), e) from e
    COUNTS["statements"] += 1
    try:
        result = body()
        conn.commit()
    except BaseException as e:
        if conn.in_transaction:
            conn.rollback()
        if isinstance(e, sqlite3.Error):
            raise _translated("COMMIT", (), e) from e
        raise
    COUNTS["commits"] += 1
    return result


def run_reads_in_one_hop(conn: sqlite3.Connection, dialect: Dialect, fn: Callable[[Tx], T]) -> T:
    """On the connection's thread: `fn`'s reads, outside a transaction (sqlite3 opens none for a
    SELECT); one that a statement left open anyway is rolled back, so the connection goes back
    to the pool as it came."""
    try:
        return fn(HopTx(conn, dialect))
    finally:
        if conn.in_transaction:
            conn.rollback()


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy" (another connection holds the lock)."""
    if not isinstance(exc, OperationalError):
        return False
    text_ = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text_ or "database is busy" in text_


def _translated(sql: str, params: Any, e: sqlite3.Error) -> DBAPIError:
    """SQLite's exception as the SQLAlchemy one the session path would raise."""
    return DBAPIError.instance(sql, params, e, sqlite3.Error)

"""Short SQLite work run on the event loop's own thread: a lone write, and a read within a budget.

    async with hops.connection() as (dialect, driver):       # a kept connection, ours for the call
        outcome = run_write(driver._conn, dialect, fn)        # `group_commit`: nothing else writing
        outcome = run_read(driver._conn, dialect, fn)         # `Database.run_read_tx`
        if outcome is DEFERRED: ...                           # run it on the connection's thread

Why: on SQLite a one-trip call (`write_tx`) is sent to a connection's thread and its result sent
back; each way wakes a sleeping thread and hands the GIL over. On the bench machine (a 2-vCPU VM,
where waking the other CPU goes through the hypervisor, and takes longer the longer it slept) the
hand-overs of a turn's three calls cost more than SQLite's own work in them: run here, a stored
turn went from ~3.4 to ~2.9 ms (`docs/benchmarks.md`). The connection is one of the store's kept
ones (`hop_pool`), held by the caller for the call, so its thread is idle meanwhile (the engine
opens them with `check_same_thread=False`) and the next call on it finds its page cache warm.

What keeps this from stalling the loop:
- **No waiting for locks.** For the call the busy timeout is 0. If another process holds SQLite's
  write lock (a `frontdesk` command on the same file), `BEGIN IMMEDIATE` fails at once, nothing is
  written, and the outcome is `DEFERRED`: the caller runs the same function on the connection's
  thread, which waits for the lock there as before.
- **No checkpoints.** For a write `wal_autocheckpoint` is 0: copying the WAL back is left to the
  background checkpoints (`wal_checkpoints`) and to the writes on the connections' threads.
- **Only lone writes.** Writes that queue behind another one are batched on a connection's
  thread (`group_commit`), so under load the loop does not run batches. A write function is a
  few Core statements over given rows (`write_tx`): its cost is bounded by what it writes.
- **Reads within `READ_BUDGET_SECONDS`.** A read's size is not known beforehand (a contact page
  of a 300-contact account, or a count over 200,000), so SQLite's progress handler checks the
  clock every `PROGRESS_STEPS` virtual-machine steps and interrupts a read past its budget; the
  read is then `DEFERRED` and runs again from the start on the connection's thread (reads have
  no effects). A large read costs at most the budget more than before; a small one no hand-over.

Partial: the budget is checked between SQLite's steps, so a step that waits for the disk (pages
not yet in the OS's cache, e.g. the first reads after a start on a cold machine) holds the loop
for that wait; on a store the OS has cached, the budget bounds a read. A write's `COMMIT`
appends its pages to the WAL without an `fsync` (`synchronous=NORMAL`), a write to the OS cache.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError

from frontdesk.storage import write_tx

T = TypeVar("T")
DEFERRED: Final = object()  # not done here: run it on the connection's thread
READ_BUDGET_SECONDS = 0.0005  # a read longer than this goes to the connection's thread
PROGRESS_STEPS = 2_000  # SQLite virtual-machine steps between two looks at the clock


def run_write(conn: sqlite3.Connection, dialect: Dialect, fn: Callable[[write_tx.Tx], T]) -> T | object:
    """`fn` in a write transaction (`BEGIN IMMEDIATE`, `fn`, `COMMIT`) on this thread, on `conn`
    (out of any transaction, no other thread using it): its result, or `DEFERRED` (rolled back,
    nothing written) when SQLite's write lock is taken. Other errors reach the caller as
    `run_in_one_hop` raises them (rolled back)."""
    try:
        with _zero(conn, "busy_timeout", "wal_autocheckpoint"):
            return write_tx.run_in_one_hop(conn, dialect, fn)
    except OperationalError as e:
        if write_tx.is_busy(e):
            return DEFERRED
        raise


def run_read(
    conn: sqlite3.Connection,
    dialect: Dialect,
    fn: Callable[[write_tx.Tx], T],
    budget: float = READ_BUDGET_SECONDS,
) -> T | object:
    """`fn`'s reads (`write_tx.run_reads_in_one_hop`) on this thread, on `conn`: their result, or
    `DEFERRED` when they ran past `budget` seconds (interrupted) or met a lock. Other errors reach
    the caller as on the thread."""
    deadline = time.perf_counter() + budget
    over = False

    def past_budget() -> int:
        nonlocal over
        over = time.perf_counter() > deadline
        return 1 if over else 0  # non-zero: SQLite interrupts the statement

    conn.set_progress_handler(past_budget, PROGRESS_STEPS)
    try:
        with _zero(conn, "busy_timeout"):
            result = write_tx.run_reads_in_one_hop(conn, dialect, fn)
    except (OperationalError, sqlite3.OperationalError) as e:  # (the second: a read on `conn` itself)
        if over or write_tx.is_busy(e):
            return DEFERRED
        raise
    finally:
        conn.set_progress_handler(None, 0)
    return DEFERRED if over else result  # (a function that swallowed the interrupt: not trusted)


@contextmanager
def _zero(conn: sqlite3.Connection, *pragmas: str) -> Iterator[None]:
    """`pragmas` (integer settings) at 0 for the block, then back to the store's values."""
    kept = {name: int(conn.execute(f"PRAGMA {name}").fetchone()[0]) for name in pragmas}
    for name in pragmas:
        conn.execute(f"PRAGMA {name}=0")
    try:
        yield
    finally:
        for name, value in kept.items():
            conn.execute(f"PRAGMA {name}={value}")

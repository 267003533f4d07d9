"""Per-process caches of small rows that every turn reads and that are rarely written (an account's
agents, its settings), so a turn does not spend a session and a SQL statement on each.

    agents_cache = ReadCache("account_agents", watches=(AccountAgent,), ttl=2.0)
    agents = await agents_cache.get(account_id, lambda: load(account_id))

How a cached value stays true:

- **Writes in this process** drop the cache at once: a session that flushes a change to a watched
  model (ORM add / change / delete, or an `insert` / `update` / `delete` statement on it run
  through a session) clears it when it flushes or executes, and again when it commits — a turn that
  read the old row between the flush and the commit cannot leave it behind. A load that raced a
  write (the cache was cleared while it ran) is returned to its caller but not kept.
- **Loads are shared**: callers that miss the same key while its load is under way wait for that
  load instead of starting their own (a busy server whose entry just expired would otherwise open
  one session per waiting request). A caller that is cancelled leaves the load running for the
  others; a load that fails fails every caller waiting on it, and the next `get` tries again.
- **Writes by another process** (a replica on the same PostgreSQL, `frontdesk mcp` beside a
  server on one SQLite file) are seen once the entry is `ttl` seconds old: such a change reaches a
  turn on another replica at most `ttl` seconds late. Writes that bypass the ORM session (raw
  connections, SQL typed into a console) are covered by the same bound.

The session events are registered once, on SQLAlchemy's `Session` class (every session of every
engine in the process, `AsyncSession` included), the first time a cache is created.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

V = TypeVar("V")
_TOUCHED = "frontdesk.read_cache.touched"  # session.info key: caches a flush changed, to clear on commit
_caches: list[ReadCache[Any]] = []


class ReadCache(Generic[V]):
    """Values by key, each kept `ttl` seconds (at most `size` keys), cleared by any write to one of
    the `watches` models made through a session of this process."""

    def __init__(self, name: str, *, watches: tuple[type, ...], ttl: float, size: int = 4096) -> None:
        self.name = name
        self.watches = watches
        self.ttl = ttl
        self.size = size
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._version = 0  # bumped on every clear: a load that spans one is not stored
        self._loading: dict[Hashable, asyncio.Future[V]] = {}  # key -> the load under way
        self.hits = 0
        self.loads = 0
        _register(self)

    async def get(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value of `key`, or `await load()` (stored unless a write raced it)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self.hits += 1
            return entry[1]
        loading = self._loading.get(key)
        if loading is None or loading.get_loop() is not asyncio.get_running_loop():  # (a test's old loop)
            loading = asyncio.ensure_future(self._load(key, load, self._loading, self._version))
            loading.add_done_callback(_retrieved)
            self._loading[key] = loading
        return await asyncio.shield(loading)

    async def _load(
        self, key: Hashable, load: Callable[[], Awaitable[V]], loading: dict[Hashable, Any], version: int
    ) -> V:
        try:
            value = await load()
        finally:
            loading.pop(key, None)
        self.loads += 1
        if version == self._version:
            if len(self._entries) >= self.size:
                self._entries.clear()  # rows of many accounts: start over rather than track age
            self._entries[key] = (time.monotonic() + self.ttl, value)
        return value

    def clear(self) -> None:
        self._version += 1
        self._entries.clear()
        self._loading = {}  # a caller from now on starts a load that sees the write


def _retrieved(loading: asyncio.Future[Any]) -> None:
    """Mark a load's failure seen even when every caller waiting on it was cancelled."""
    if not loading.cancelled():
        loading.exception()


def _register(cache: ReadCache[Any]) -> None:
    if not _caches:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
    _caches.append(cache)


def _touch(session: Session, classes: set[type]) -> None:
    for cache in _caches:
        if any(issubclass(c, w) for c in classes for w in cache.watches):
            cache.clear()
            session.info.setdefault(_TOUCHED, set()).add(id(cache))


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    changed = {type(o) for o in (*session.new, *session.dirty, *session.deleted)}
    if changed:
        _touch(session, changed)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _touch(state.session, {m.class_ for m in state.all_mappers})


def _after_commit(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, None)
    if touched:
        for cache in _caches:
            if id(cache) in touched:
                cache.clear()

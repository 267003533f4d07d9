"""`TurnRunner`: turns owned by the server, not by the request that started them.

    handle = await runner.submit(inbound)      # user message + turn row committed; the turn runs
    async for n, event in runner.follow(handle.turn_id, after=0): ...   # replay, then live
    outcome = await runner.result(handle.turn_id, timeout=4.0)          # Done | Failed

- **Durable.** `submit` commits the user message and the turn row (and the conversation, when the
  message starts one) in one write transaction before it returns, so a door answers only after
  the message is safe. The turn then runs in a task of its own to its end, whoever listens; a
  dropped client only stops its follower. Cancelling is explicit (`cancel`).
- **Cheap.** Two write transactions a turn: that one, and the answer stored together with the end
  of the turn (its status and events, written once) — the engine hands the answer back unstored
  (`Answer`). Ownership of an existing conversation is checked inside the first one, or before
  waiting when the conversation is busy or the message may be a retry.
- **Serialized per conversation.** Turns of one conversation run one after another (the second
  waits for the first, so history reads user, answer, user, answer); at most
  `Settings.turn_queue_per_conversation` wait behind a running one, more are refused with
  `Conflict` (409, code `conversation_busy`).
- **Resumable.** Every event gets a number `n` (1, 2, ...) within its turn; `follow(after=n)`
  replays the rest and then follows the live turn. Live turns are held in memory in this process
  (`LiveTurn`); a finished turn's events are stored on its row, so any process replays it. A turn
  running in another process is followed by polling its row until it finishes.
- **Idempotent.** A message whose `external_id` was already received in that conversation (a
  platform's retry) starts nothing: the handle of the earlier turn comes back with `replayed=True`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import logs, metrics, tracing
from frontdesk.agent.events import AgentEvent, Done, Failed, event_dict, event_from_dict
from frontdesk.agent.turn_begin import begin_turn
from frontdesk.agent.turn_log import (
    Answer,
    Began,
    ConversationGate,
    LiveTurn,
    Outcome,
    TurnEngine,
    TurnHandle,
)
from frontdesk.agent.turn_stream import TurnEventLog
from frontdesk.config import Settings
from frontdesk.errors import Conflict, FrontdeskError, NotFound
from frontdesk.storage import conversations as store
from frontdesk.storage import turn_writes as writes
from frontdesk.storage import turns as turn_store
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.turn_models import Turn
from frontdesk.storage.write_tx import Tx
from frontdesk.types import InboundMessage, Principal

log = logging.getLogger(__name__)
KEEP_FINISHED_SECONDS = 60.0  # finished turns stay in memory this long (then they replay from the row)
POLL_SECONDS = 0.5  # how often a follower re-reads a turn running in another process


class TurnRunner:
    def __init__(self, engine: TurnEngine, db: Database, settings: Settings) -> None:
        self.engine = engine
        self.db = db
        self.settings = settings
        self.runner_id = f"runner:{uuid.uuid4().hex[:16]}"
        self._live: dict[str, LiveTurn] = {}
        self._gates: dict[str, ConversationGate] = {}
        self._evictions: dict[str, asyncio.TimerHandle] = {}
        self._closing = False
        self.event_log: TurnEventLog | None = None  # shared by replicas (Redis Streams) when set

    # -- starting -----------------------------------------------------------------------------

    async def submit(self, inbound: InboundMessage) -> TurnHandle:
        """Validate, store the user message and its turn (committed), start the turn; return its handle.
        Raises domain errors (Invalid, TooLarge, NotFound, Conflict) before anything is stored."""
        if self._closing:
            raise Conflict("The server is shutting down; send the message again in a moment")
        self.engine.check(inbound)
        create = inbound.conversation_id is None
        conv_id = new_id("conv") if inbound.conversation_id is None else inbound.conversation_id
        if not create and (inbound.external_id or conv_id in self._gates):
            await self._check_owner(inbound.principal, conv_id)  # before waiting or replaying
        if inbound.external_id and (seen := await self._seen(conv_id, inbound.external_id)):
            return seen
        gate = await self._enter(conv_id)
        try:
            if inbound.external_id and (seen := await self._seen(conv_id, inbound.external_id)):
                self._leave(conv_id, gate)
                return seen
            began = await self.db.run_write_tx(
                lambda tx: begin_turn(tx, conv_id, inbound, create=create, runner=self.runner_id),
                retry_conflicts=True,
            )
        except BaseException:
            self._leave(conv_id, gate)
            raise
        conv = began.conversation
        live = LiveTurn(began.turn.id, conv.id, conv.account_id, inbound.principal.user_id)
        self._live[live.turn_id] = live
        live.task = asyncio.create_task(self._observed(live, inbound, began, gate), name=live.turn_id)
        if self.event_log is not None:  # other replicas follow it there
            await self.event_log.mirror(live)
        return TurnHandle(live.turn_id, conv.id, began.message.id)

    async def _check_owner(self, principal: Principal, conversation_id: str) -> None:
        async with self.db.session() as s:
            await store.get_conversation(s, principal, conversation_id)  # NotFound unless theirs

    async def _seen(self, conversation_id: str, external_id: str) -> TurnHandle | None:
        async with self.db.session() as s:
            turn = await turn_store.turn_for_external_id(s, conversation_id, external_id)
        if turn is None:
            return None
        return TurnHandle(turn.id, turn.conversation_id, turn.user_message_id, replayed=True)

    async def _enter(self, conversation_id: str) -> ConversationGate:
        gate = self._gates.setdefault(conversation_id, ConversationGate())
        if gate.users > self.settings.turn_queue_per_conversation:
            raise Conflict(
                f"This conversation already has {gate.users} turns running or waiting; "
                "wait for an answer and send again",
                code="conversation_busy",
            )
        gate.users += 1
        try:
            async with asyncio.timeout(self.settings.turn_timeout_seconds + 5):
                await gate.lock.acquire()
        except BaseException as e:
            gate.users -= 1
            self._forget_gate(conversation_id, gate)
            if isinstance(e, TimeoutError):
                raise Conflict("The conversation stayed busy too long", code="conversation_busy") from e
            raise
        return gate

    def _leave(self, conversation_id: str, gate: ConversationGate) -> None:
        gate.users -= 1
        gate.lock.release()
        self._forget_gate(conversation_id, gate)

    def _forget_gate(self, conversation_id: str, gate: ConversationGate) -> None:
        if gate.users == 0 and self._gates.get(conversation_id) is gate:
            del self._gates[conversation_id]

    # -- running ------------------------------------------------------------------------------

    async def _observed(
        self, live: LiveTurn, inbound: InboundMessage, began: Began, gate: ConversationGate
    ) -> None:
        """`_drive` under the turn's log context and span, counted in the turn metrics. The task
        inherits the submitting request's context (its request id and span) from `create_task`."""
        start = time.perf_counter()
        with logs.turn_scope(live.turn_id), tracing.span("turn", turn_id=live.turn_id, door=inbound.channel):
            await self._drive(live, inbound, began, gate)
            last = live.events[-1] if live.events else None
            department = last.agent if isinstance(last, Done) else ""
            seconds = time.perf_counter() - start
            metrics.observe_turn(inbound.channel, department, live.status, seconds)
            log.info(
                "turn %s %s in %.2fs",
                live.turn_id,
                live.status,
                seconds,
                extra={"door": inbound.channel, "department": department, "outcome": live.status},
            )

    async def _drive(
        self, live: LiveTurn, inbound: InboundMessage, began: Began, gate: ConversationGate
    ) -> None:
        stored = False  # the end of the turn was written with its answer
        try:
            answer: Answer | None = None
            async for event in self.engine.stream(inbound, began):
                if isinstance(event, Answer):
                    answer = event
                else:
                    live.append(event)
            if answer is not None:
                live.append(await self._store_answer(live, answer))
                stored = True
            elif not live.events or not isinstance(live.events[-1], Done | Failed):
                live.append(Failed("The agent stopped without an answer", "agent_error"))
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            reason = live.stop_reason or "interrupted"
            detail = "The turn was cancelled" if reason == "cancelled" else turn_store.INTERRUPTED_DETAIL
            live.append(Failed(detail, reason))
        except FrontdeskError as e:  # e.g. the conversation was deleted while the agent answered
            live.append(Failed(e.detail, e.code))
        except Exception:
            log.exception("turn %s failed", live.turn_id)
            live.append(Failed("The agent failed while answering; the message was saved.", "agent_error"))
        finally:
            self._leave(live.conversation_id, gate)
        outcome = live.events[-1]
        status = "completed" if isinstance(outcome, Done) else live.stop_reason or "failed"
        if not stored:
            try:
                await self.db.run_write_tx(self._record_end(live, status))
            except Exception:
                log.exception("could not store the end of turn %s", live.turn_id)
        live.close(status)
        loop = asyncio.get_running_loop()
        self._evictions[live.turn_id] = loop.call_later(KEEP_FINISHED_SECONDS, self._evict, live.turn_id)

    async def _store_answer(self, live: LiveTurn, answer: Answer) -> Done:
        """Store the answer and the end of the turn (its events and the `Done`) in one write
        (on SQLite one trip to the connection's thread: the events are encoded here first)."""
        events = [event_dict(e) for e in live.events]

        def write(tx: Tx) -> Done:
            done = answer.store(tx)
            writes.finish_turn_tx(
                tx,
                live.turn_id,
                status="completed",
                events=[*events, event_dict(done)],
                reply_message_id=done.message_id,
            )
            return done

        return await self.db.run_write_tx(write, retry_conflicts=True)

    def _record_end(self, live: LiveTurn, status: str) -> Callable[[Tx], None]:
        outcome = live.events[-1]
        events = [event_dict(e) for e in live.events]
        reply = outcome.message_id if isinstance(outcome, Done) else None
        error = (outcome.code, outcome.detail) if isinstance(outcome, Failed) else None

        def write(tx: Tx) -> None:
            writes.finish_turn_tx(
                tx, live.turn_id, status=status, events=events, reply_message_id=reply, error=error
            )

        return write

    def _evict(self, turn_id: str) -> None:
        self._evictions.pop(turn_id, None)
        live = self._live.get(turn_id)
        if live is not None and live.finished:
            del self._live[turn_id]

    # -- reading ------------------------------------------------------------------------------

    async def lookup(self, principal: Principal, turn_id: str) -> Turn:
        """The turn's row, if it is the principal's (else `NotFound`)."""
        async with self.db.session() as s:
            return await turn_store.get_turn(s, principal, turn_id)

    def live(self, turn_id: str) -> LiveTurn | None:
        return self._live.get(turn_id)

    async def follow(self, turn_id: str, after: int = 0) -> AsyncIterator[tuple[int, AgentEvent]]:
        """Events numbered after `after`: replayed, then live until the turn's last event."""
        live = self._live.get(turn_id)
        if live is not None:
            async for item in live.follow(after):
                yield item
            return
        if self.event_log is not None and await self.event_log.has(turn_id):  # running elsewhere
            async for item in self.event_log.follow(turn_id, after):
                yield item
            return
        n = after
        while True:
            async with self.db.session() as s:
                row = await s.get(Turn, turn_id, populate_existing=True)
            if row is None:
                raise NotFound("Turn not found")
            if row.status != "running" or (live := self._live.get(turn_id)) is not None:
                break
            if self._orphaned(row):
                yield n + 1, Failed(turn_store.INTERRUPTED_DETAIL, "interrupted")
                return
            await asyncio.sleep(POLL_SECONDS)  # running in another process: wait for its row
        if live is not None:
            async for item in live.follow(n):
                yield item
            return
        for i, data in enumerate(row.events or [], start=1):
            if i > n:
                yield i, event_from_dict(data)

    def _orphaned(self, row: Turn) -> bool:
        """A row still `running` past any turn's budget: the process that ran it is gone."""
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        return utcnow() - created > timedelta(seconds=self.settings.turn_timeout_seconds + 60)

    async def result(self, turn_id: str, timeout: float | None = None) -> Outcome:  # noqa: ASYNC109
        """The turn's final event. Raises `TimeoutError` if it is still running after `timeout` s."""

        async def last() -> Outcome:
            outcome: AgentEvent | None = None
            if (live := self._live.get(turn_id)) is not None:
                outcome = await live.last_event()
            else:
                async for _, event in self.follow(turn_id):
                    outcome = event
            if isinstance(outcome, Done | Failed):
                return outcome
            return Failed("The turn ended without an answer", "agent_error")

        if timeout is None:
            return await last()
        return await asyncio.wait_for(last(), timeout)

    # -- stopping -----------------------------------------------------------------------------

    async def cancel(self, principal: Principal, turn_id: str) -> str:
        """Cancel a running turn of the principal; return its status after the cancel."""
        row = await self.lookup(principal, turn_id)
        live = self._live.get(turn_id)
        if live is None or live.finished:
            if row.status == "running":
                raise Conflict("The turn is running in another server process", code="turn_elsewhere")
            raise Conflict(f"The turn already finished ({row.status})", code="turn_finished")
        live.stop_reason = "cancelled"
        if live.task is not None:
            live.task.cancel()
            await asyncio.wait({live.task})
        return live.status

    async def cancel_held(self, turn_id: str) -> str | None:
        """Cancel the turn if this process runs it, for a replica that relays a cancel it already
        checked (`api/scale_out.py`); its status once it ended, or None when it does not run here."""
        live = self._live.get(turn_id)
        if live is None or live.finished:
            return None
        live.stop_reason = "cancelled"
        if live.task is not None:
            live.task.cancel()
            await asyncio.wait({live.task})
        return live.status

    async def cancel_conversation(self, conversation_id: str) -> None:
        """Cancel the turns of a conversation that is being deleted."""
        tasks = []
        for live in list(self._live.values()):
            if live.conversation_id == conversation_id and not live.finished and live.task is not None:
                live.stop_reason = "cancelled"
                live.task.cancel()
                tasks.append(live.task)
        if tasks:
            await asyncio.wait(tasks)

    async def start(self, *, owns_store: bool = False) -> int:
        """Mark turns that a stopped process left running as interrupted; return how many.

        `owns_store` (the server on SQLite): every running turn of another runner is an orphan.
        Otherwise (replicas on PostgreSQL, `frontdesk mcp` beside a server) only those past the
        turn budget are."""
        budget = timedelta(seconds=self.settings.turn_timeout_seconds + 60)
        before = None if owns_store else utcnow() - budget

        async def sweep(s: AsyncSession) -> int:
            return await turn_store.interrupt_orphans(s, runner=self.runner_id, started_before=before)

        count = await self.db.run_write(sweep)
        if count:
            log.warning("marked %d turns interrupted by a previous stop", count)
        return count

    async def aclose(self, grace_seconds: float | None = None) -> None:
        """Stop taking turns; let running turns finish within the grace period, then interrupt them."""
        self._closing = True
        grace = self.settings.shutdown_grace_seconds if grace_seconds is None else grace_seconds
        running = [t.task for t in self._live.values() if t.task is not None and not t.task.done()]
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for live in self._live.values():
                if live.task in pending:
                    live.stop_reason = "interrupted"
                    live.task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        for handle in self._evictions.values():
            handle.cancel()
        self._evictions.clear()

"""The job system: durable job rows in the SQL store, run by taskiq.

    job_id = await queue.submit("webhook_delivery", payload, account_id=..., max_attempts=5)

`submit` commits a `queued` row, then kicks a taskiq task with the job's id. The task claims the row
(a conditional update, so whichever runner gets there first runs it, once), calls the handler
registered for the job's `kind` under the job's time budget and records `result` or `error`. A
handler raising `Retry` is put back in the queue with exponential backoff until `max_attempts`.

The broker is taskiq's `InMemoryBroker` by default: tasks run on this process's event loop. With a
Redis URL it is `taskiq_redis.ListQueueBroker` (the `redis` extra): a kick goes to a Redis list
that every process of the queue (the servers and `frontdesk worker`s) consumes with taskiq's
`Receiver`. The rows are the source of truth either way, so nothing is lost when a process stops:
on start (and every minute) jobs left `running` past their budget are marked failed, and a
dispatcher kicks every due `queued` job — those a restart left behind, retries whose backoff has
passed, jobs queued by processes that run none, and kicks whose message was lost (again after
`REKICK_SECONDS`). Several deployments may share one database: each takes jobs of its `queue` only.
A job cancelled through another process (its row set `cancelled`) is stopped by the process running
it on that process's next poll (`poll_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.receiver import Receiver

from frontdesk.errors import FrontdeskError
from frontdesk.storage import jobs as rows
from frontdesk.storage.db import Database
from frontdesk.storage.job_models import Job

log = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 60.0
STALE_GRACE_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 300.0
REKICK_SECONDS = 30.0  # a kicked job still queued after this is kicked again (its message was lost)


def make_broker(redis_url: str | None, queue: str, concurrency: int) -> AsyncBroker:
    """The in-memory broker, or a Redis list per queue when `redis_url` is set."""
    if not redis_url:
        return InMemoryBroker(max_async_tasks=max(concurrency, 1), propagate_exceptions=False)
    try:
        from taskiq_redis import ListQueueBroker
    except ImportError as e:
        raise RuntimeError("FRONTDESK_REDIS_URL needs taskiq-redis: pip install 'frontdesk[redis]'") from e
    # No read timeout: the consumer blocks in BRPOP until a job comes (redis-py >= 6 would otherwise
    # give up after 5 s of quiet and end taskiq's receiver).
    return ListQueueBroker(redis_url, queue_name=f"frontdesk:jobs:{queue}", socket_timeout=None)


class Retry(Exception):
    """Raised by a handler whose work may succeed later (a 5xx, a timeout): run it again after a
    backoff while attempts remain, else the job fails with this message."""


@dataclass(slots=True)
class JobRun:
    """What a handler receives: the job's row fields and a way to report progress."""

    job_id: str
    kind: str
    account_id: str | None
    user_id: str | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    db: Database

    async def progress(self, percent: int) -> None:
        await self.db.run_write(lambda s: rows.set_progress(s, self.job_id, percent))


Handler = Callable[[JobRun], Awaitable[dict[str, Any] | None]]
Listener = Callable[[Job, str, dict[str, Any] | None, str | None], Awaitable[None]]


class JobQueue:
    def __init__(
        self,
        db: Database,
        *,
        queue: str = "default",
        concurrency: int = 4,
        poll_seconds: float = 1.0,
        retry_base_seconds: float = 1.0,
        redis_url: str | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.retry_base_seconds = retry_base_seconds
        self.broker = make_broker(redis_url, queue, concurrency)

        async def run_job(job_id: str) -> None:  # a plain function: taskiq renames what it registers
            await self._run(job_id)

        self._task = self.broker.register_task(run_job, task_name="frontdesk.run_job")
        self._handlers: dict[str, Handler] = {}
        self._listeners: list[Listener] = []
        self._kicked: dict[str, float] = {}  # job id -> when this process kicked it
        self._receiver: asyncio.Task[None] | None = None
        self._finish = asyncio.Event()
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def on_finish(self, listener: Listener) -> None:
        """Call `listener(job, status, result, error)` after each job ends (completed / failed)."""
        self._listeners.append(listener)

    @property
    def started(self) -> bool:
        return self._dispatcher is not None

    async def submit(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        account_id: str | None,
        user_id: str | None = None,
        max_attempts: int = 1,
        budget_seconds: float = 300.0,
    ) -> str:
        """Store a queued job (committed) and start it; returns its id."""
        if kind not in self._handlers:
            raise ValueError(f"no handler for job kind {kind!r}")

        async def write(s: Any) -> str:
            job = rows.add_job(
                s,
                kind=kind,
                payload=payload,
                account_id=account_id,
                user_id=user_id,
                queue=self.queue,
                max_attempts=max_attempts,
                budget_seconds=budget_seconds,
            )
            return job.id

        job_id = await self.db.run_write(write)
        await self.kick(job_id)
        return job_id

    async def kick(self, job_id: str) -> None:
        """Hand a queued job to the broker (once per process until it has been tried)."""
        if self._dispatcher is None or self._stopping:
            return
        if time.monotonic() - self._kicked.get(job_id, -REKICK_SECONDS) < REKICK_SECONDS:
            return
        self._kicked[job_id] = time.monotonic()
        await self._task.kiq(job_id)

    async def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job (a running one here is stopped). False if it had ended."""
        cancelled = await self.db.run_write(lambda s: rows.cancel(s, job_id))
        task = self._running.get(job_id)
        if cancelled and task is not None:
            task.cancel()
        return cancelled

    @property
    def uses_redis(self) -> bool:
        return not isinstance(self.broker, InMemoryBroker)

    async def start(self) -> None:
        """Start dispatching (and, with workers, running) jobs. In memory with no workers this does
        nothing: jobs stay queued for a process that runs them. With Redis and no workers the
        process only kicks jobs into Redis for `frontdesk worker`s."""
        if self._dispatcher is not None or (self.concurrency == 0 and not self.uses_redis):
            return
        self._stopping = False
        await self.broker.startup()
        await self.sweep()
        if self.uses_redis and self.concurrency > 0:  # consume the Redis list of this queue
            self._finish = asyncio.Event()
            receiver = Receiver(
                self.broker, max_async_tasks=self.concurrency, propagate_exceptions=False, run_startup=False
            )
            self._receiver = asyncio.create_task(
                receiver.listen(self._finish), name=f"jobs-{self.queue}-receiver"
            )
        self._wake = asyncio.Event()
        self._dispatcher = asyncio.create_task(self._dispatch(), name=f"jobs-{self.queue}")

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop taking jobs; running ones get `grace_seconds`, then are cancelled and recorded failed."""
        if self._dispatcher is None:
            return
        self._stopping = True
        self._dispatcher.cancel()
        await asyncio.gather(self._dispatcher, return_exceptions=True)
        self._dispatcher = None
        if self._receiver is not None:  # stop taking messages; what it holds stays in the rows
            self._finish.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._receiver), grace_seconds)
            self._receiver.cancel()
            await asyncio.gather(self._receiver, return_exceptions=True)
            self._receiver = None
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if isinstance(self.broker, InMemoryBroker):
            await self.broker.wait_all()
        await self.broker.shutdown()
        self._kicked.clear()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def sweep(self) -> int:
        failed = await self.db.run_write(lambda s: rows.fail_stale(s, self.queue, STALE_GRACE_SECONDS))
        if failed:
            log.warning("marked %d interrupted jobs failed", failed)
        return failed

    async def _dispatch(self) -> None:
        assert self._wake is not None
        last_sweep = time.monotonic()
        while True:
            try:
                async with self.db.session() as s:
                    due = await rows.due(s, self.queue)
                    stopped = await rows.cancelled_among(s, list(self._running))
                for job_id in stopped:  # cancelled by another process: stop it here
                    task = self._running.get(job_id)
                    if task is not None:
                        task.cancel()
                for job_id in due:
                    await self.kick(job_id)
                now = time.monotonic()  # forget old kicks (another process may have run them)
                self._kicked = {k: t for k, t in self._kicked.items() if now - t < REKICK_SECONDS}
                if time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:
                    last_sweep = time.monotonic()
                    await self.sweep()
            except Exception:  # the store hiccuped: keep dispatching on the next poll
                log.exception("job dispatcher could not read the queue")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def _run(self, job_id: str) -> None:
        """The taskiq task: claim, run the handler, record the end."""
        if self._stopping:  # kicked before the stop: it stays queued for the next start
            return
        try:
            job = await self.db.run_write(lambda s: rows.claim(s, job_id))
        finally:
            self._kicked.pop(job_id, None)
        if job is None:
            return
        task = asyncio.current_task()
        assert task is not None
        self._running[job_id] = task
        try:
            await self._execute(job)
        finally:
            self._running.pop(job_id, None)

    async def _execute(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        run = JobRun(
            job.id,
            job.kind,
            job.account_id,
            job.user_id,
            dict(job.payload),
            job.attempts,
            job.max_attempts,
            self.db,
        )
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            if handler is None:
                raise FrontdeskError(f"no handler for job kind {job.kind!r} in this process")
            async with asyncio.timeout(job.budget_seconds):
                result = await handler(run)
        except Retry as e:
            reason = str(e)
            if job.attempts < job.max_attempts:
                delay = min(self.retry_base_seconds * 2 ** (job.attempts - 1), MAX_BACKOFF_SECONDS)
                await self.db.run_write(lambda s: rows.retry_later(s, job.id, delay, reason))
                log.info("job %s (%s) retried in %.1fs: %s", job.id, job.kind, delay, reason)
                return
            error = f"{reason} (after {job.attempts} attempts)"
        except asyncio.CancelledError:
            error = "cancelled"
            if self._stopping:
                await asyncio.shield(self._record(job, None, "interrupted: the server stopped"))
                raise
        except TimeoutError:
            error = f"took longer than its budget of {job.budget_seconds:g}s"
        except FrontdeskError as e:
            error = str(e)
        except Exception as e:  # a handler bug: recorded on the job, the queue keeps running
            log.exception("job %s (%s) failed", job.id, job.kind)
            error = f"{type(e).__name__}: {e}"
        await self._record(job, result, error)

    async def _record(self, job: Job, result: dict[str, Any] | None, error: str | None) -> None:
        ended = await self.db.run_write(lambda s: rows.finish(s, job.id, result=result, error=error))
        if not ended:  # cancelled meanwhile
            return
        for listener in self._listeners:
            try:
                await listener(job, "failed" if error is not None else "completed", result, error)
            except Exception:
                log.exception("job listener failed for %s", job.id)

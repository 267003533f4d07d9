"""`frontdesk worker`: a process that runs jobs (and the scheduler, webhook fan-out and the turn
runner that `agent_task` needs) without serving HTTP — `Services.start_background` and nothing
else, until SIGINT / SIGTERM. With `FRONTDESK_REDIS_URL` it takes jobs from Redis as they are
kicked; without, it finds the queue's due jobs in the database by polling."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from frontdesk.config import Settings


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> int:
    from frontdesk.api.services import start_services

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    services = await start_services(settings)
    try:
        await services.start_background()
        broker = "redis" if settings.redis_url else "database polling"
        print(f"frontdesk worker: queue {settings.job_queue!r} ({broker})", file=sys.stderr)
        await stop.wait()
        return 0
    finally:
        await services.aclose()


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if args.queue:
        settings = settings.model_copy(update={"job_queue": args.queue})
    return asyncio.run(run_worker(settings))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run background jobs (no HTTP)")
    worker.add_argument("--queue", help="the job queue to run (default FRONTDESK_JOB_QUEUE)")
    worker.set_defaults(func=cmd_worker)

"""The work a server does without a chat, composed once at start-up: the job queue (taskiq) and the
helper executions it runs, the scheduler, outbound webhook fan-out, inbound webhook processing,
async insight tasks and the lead notifier. The app lifespan starts it after the turn runner and
stops it before (`Services.start_background` / `aclose`)."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.agent.scheduled import agent_task
from frontdesk.agent.turns import TurnRunner
from frontdesk.api.doors import Doors
from frontdesk.api.scale_out import ScaleOut, shared_limiter
from frontdesk.config import Settings
from frontdesk.ratelimit import RateLimiter
from frontdesk.storage.db import Database
from frontdesk.tools.helpers.net import OutboundHttp
from frontdesk.tools.helpers.worker import ExecutionWorker
from frontdesk.tools.jobs.insight_tasks import InsightTasks
from frontdesk.tools.jobs.queue import JobQueue
from frontdesk.tools.jobs.scheduler import ScheduledRuns, Scheduler
from frontdesk.tools.jobs.tasks import TASKS
from frontdesk.tools.live_metrics import MetricsTicker
from frontdesk.tools.notifications import LeadNotifier
from frontdesk.tools.webhooks.inbound import InboundProcessor
from frontdesk.tools.webhooks.outbound import WebhookFanout


@dataclass(slots=True)
class Background:
    queue: JobQueue
    scheduler: Scheduler | None
    fanout: WebhookFanout
    notifier: LeadNotifier
    http: OutboundHttp  # the SSRF guard, trusting `FRONTDESK_OUTBOUND_ALLOWED_HOSTS`
    inbound_limiter: RateLimiter
    metrics: MetricsTicker  # metrics.update for accounts with a live /ws socket
    executions: ExecutionWorker  # helper executions, run as `helper_execution` jobs of `queue`

    async def start(self) -> None:
        await self.executions.start()
        await self.fanout.start()
        await self.notifier.start()
        await self.queue.start()
        if self.scheduler is not None:
            await self.scheduler.start()
        await self.metrics.start()

    async def aclose(self, grace_seconds: float) -> None:
        await self.metrics.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.queue.stop(grace_seconds)
        await self.notifier.stop()
        await self.fanout.stop()
        await self.executions.stop()


def build_background(
    settings: Settings, db: Database, turns: TurnRunner, doors: Doors, scale: ScaleOut | None = None
) -> Background:
    """`scale` (replicas sharing Redis) makes the inbound webhook limit shared."""
    queue = JobQueue(
        db,
        queue=settings.job_queue,
        concurrency=settings.job_workers,
        poll_seconds=settings.job_poll_seconds,
        retry_base_seconds=settings.job_retry_base_seconds,
        redis_url=settings.redis_url,
    )
    ScheduledRuns(db, settings, TASKS | {"agent_task": agent_task(turns, doors.deliver)}).install(queue)
    InboundProcessor(db, queue)
    InsightTasks(db, settings, queue)
    executions = ExecutionWorker(db, timeout_seconds=settings.helper_timeout_seconds)
    executions.install(queue)
    http = OutboundHttp(trusted_hosts=settings.outbound_allowed_hosts)
    fanout = WebhookFanout(db, queue, http, settings.resolved_secret_key(), settings.webhook_max_attempts)
    return Background(
        queue=queue,
        scheduler=Scheduler(db, queue, settings.scheduler_tick_seconds)
        if settings.scheduler_tick_seconds
        else None,
        fanout=fanout,
        notifier=LeadNotifier(db),
        http=http,
        inbound_limiter=shared_limiter(
            scale, settings.inbound_webhook_rate_per_minute, 60.0, "webhook events"
        ),
        metrics=MetricsTicker(db, settings.metrics_update_seconds),
        executions=executions,
    )

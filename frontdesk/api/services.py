"""What the app holds for its lifetime, built once at start-up from `Settings`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from frontdesk.agent.delegate import register_ask_frontdesk
from frontdesk.agent.model import ChatModel
from frontdesk.agent.providers import resolve_real_model
from frontdesk.agent.turn import Agent
from frontdesk.agent.turns import TurnRunner
from frontdesk.api.background import Background, build_background
from frontdesk.api.doors import Doors, build_doors
from frontdesk.api.scale_out import ScaleOut, shared_limiter
from frontdesk.config import Settings
from frontdesk.ratelimit import RateLimiter
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DemoSummary, demo_exists, lock_seeding, seed_demo
from frontdesk.storage.migrate import upgrade
from frontdesk.tools.explorer.sync import sync_account
from frontdesk.tools.mcp_client import ExternalServers
from frontdesk.tools.media.engines import MediaEngines
from frontdesk.tools.registry import ToolRegistry, default_registry

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    registry: ToolRegistry
    agent: Agent
    secret: str
    auth_limiter: RateLimiter
    chat_limiter: RateLimiter
    login_failures: RateLimiter  # failed logins per email (`login:<email>`)
    demo: DemoSummary | None = None
    external: ExternalServers | None = None
    filter_model: ChatModel | None = None  # plans `nl_query` filters when a real model is configured
    doors: Doors | None = None  # the SMS and Teams doors (each None when not configured)
    media: MediaEngines | None = None  # speech and OCR engines (models load on first use)
    background: Background | None = None  # jobs, scheduler, webhooks, notifier (api/background.py)
    scale: ScaleOut | None = None  # what replicas share through Redis (api/scale_out.py)

    @property
    def turns(self) -> TurnRunner:
        """The server's turn runner: every door submits turns here."""
        return self.agent.turns

    async def start_background(self, *, owns_store: bool = False) -> None:
        """Mark turns a stopped process left running as interrupted and start the background work
        (job queue with helper executions, scheduler, webhooks; the app lifespan and `frontdesk mcp`
        call this; the server on SQLite `owns_store`)."""
        if self.scale is not None:  # events of other replicas reach this one's sockets from now on
            await self.scale.start()
        await self.agent.turns.start(owns_store=owns_store)
        if self.background is not None:
            await self.background.start()

    async def aclose(self) -> None:
        """Stop the background work, let running turns finish (within the grace period),
        disconnect external MCP servers and close the database."""
        if self.background is not None:  # jobs first: a scheduled agent turn ends before the runner
            await self.background.aclose(self.settings.shutdown_grace_seconds)
        await self.agent.turns.aclose()
        if self.scale is not None:
            await self.scale.aclose()
        if self.doors is not None:  # SMS / Teams replies still being sent
            await self.doors.aclose()
        if self.external is not None:
            await self.external.aclose()
        if self.media is not None:
            await self.media.aclose()
        await self.db.close()


async def start_services(settings: Settings) -> Services:
    """Open the database, apply migrations, seed demo data into an empty database, build the agent."""
    db = Database(settings.resolved_database_url)
    await upgrade(db)
    demo = None
    if settings.demo_data:
        async with db.session() as s:
            await lock_seeding(s)  # replicas started together: one seeds, the others find it
            if not await demo_exists(s):
                demo = await seed_demo(s, seed=settings.demo_seed, contacts=settings.demo_contacts)
                log.info("seeded demo account %s with %d contacts", demo.account_id, demo.contacts)
        if demo is not None:  # a fresh demo also gets its lake, so the data explorer has data
            report = await sync_account(db, settings, demo.account_id)
            log.info("synced the demo account into the lake: %d objects", len(report.synced))
    await db.start_checkpoints()  # SQLite: the WAL copied back off the turns' commits
    registry = default_registry()
    external = ExternalServers(settings.mcp_servers, timeout=settings.mcp_connect_timeout_seconds)
    await external.start(registry)  # their tools join the registry; failing servers are skipped
    try:
        agent = Agent(db, settings, registry)
    except BaseException:
        await external.aclose()
        raise
    scale = ScaleOut.connect(settings, db, agent.turns)  # None without FRONTDESK_REDIS_URL
    chat_limiter = shared_limiter(scale, settings.chat_rate_limit_per_minute, 60.0, "chat turns")
    register_ask_frontdesk(registry, agent, chat_limiter)  # MCP turns count like REST turns
    doors = build_doors(settings, db, agent.turns, scale)
    return Services(
        settings=settings,
        db=db,
        registry=registry,
        agent=agent,
        secret=settings.resolved_secret_key(),
        auth_limiter=shared_limiter(scale, settings.auth_rate_limit_per_minute, 60.0),
        chat_limiter=chat_limiter,
        login_failures=shared_limiter(scale, settings.login_failures_per_email, 15 * 60.0, "failed logins"),
        demo=demo,
        external=external,
        filter_model=resolve_real_model(settings.model, settings) if settings.model != "offline" else None,
        doors=doors,
        media=MediaEngines.local(settings),
        background=build_background(settings, db, agent.turns, doors, scale),
        scale=scale,
    )

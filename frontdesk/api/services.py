"""What the app holds for its lifetime, built once at start-up from `Settings`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from frontdesk.agent.delegate import register_ask_frontdesk
from frontdesk.agent.model import ChatModel
from frontdesk.agent.providers import resolve_real_model
from frontdesk.agent.turn import Agent
from frontdesk.api.ratelimit import RateLimiter
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DemoSummary, demo_exists, seed_demo
from frontdesk.storage.migrate import upgrade
from frontdesk.tools.explorer.sync import sync_account
from frontdesk.tools.helpers.worker import ExecutionWorker
from frontdesk.tools.mcp_client import ExternalServers
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
    demo: DemoSummary | None = None
    external: ExternalServers | None = None
    helper_worker: ExecutionWorker | None = None
    filter_model: ChatModel | None = None  # plans `nl_query` filters when a real model is configured

    async def start_background(self) -> None:
        """Start the in-process helper worker (the app lifespan and `frontdesk mcp` call this)."""
        if self.helper_worker is not None:
            await self.helper_worker.start()

    async def aclose(self) -> None:
        """Stop the helper worker, disconnect external MCP servers and close the database."""
        if self.helper_worker is not None:
            await self.helper_worker.stop()
        if self.external is not None:
            await self.external.aclose()
        await self.db.close()


async def start_services(settings: Settings) -> Services:
    """Open the database, apply migrations, seed demo data into an empty database, build the agent."""
    db = Database(settings.resolved_database_url)
    await upgrade(db)
    demo = None
    if settings.demo_data:
        async with db.session() as s:
            if not await demo_exists(s):
                demo = await seed_demo(s, seed=settings.demo_seed, contacts=settings.demo_contacts)
                log.info("seeded demo account %s with %d contacts", demo.account_id, demo.contacts)
        if demo is not None:  # a fresh demo also gets its lake, so the data explorer has data
            report = await sync_account(db, settings, demo.account_id)
            log.info("synced the demo account into the lake: %d objects", len(report.synced))
    registry = default_registry()
    external = ExternalServers(settings.mcp_servers, timeout=settings.mcp_connect_timeout_seconds)
    await external.start(registry)  # their tools join the registry; failing servers are skipped
    try:
        agent = Agent(db, settings, registry)
    except BaseException:
        await external.aclose()
        raise
    register_ask_frontdesk(registry, agent)
    return Services(
        settings=settings,
        db=db,
        registry=registry,
        agent=agent,
        secret=settings.resolved_secret_key(),
        auth_limiter=RateLimiter(settings.auth_rate_limit_per_minute, 60.0),
        chat_limiter=RateLimiter(settings.chat_rate_limit_per_minute, 60.0),
        demo=demo,
        external=external,
        helper_worker=ExecutionWorker(
            db,
            concurrency=settings.helper_workers,
            poll_seconds=settings.helper_poll_seconds,
            timeout_seconds=settings.helper_timeout_seconds,
        )
        if settings.helper_workers > 0
        else None,
        filter_model=resolve_real_model(settings.model, settings) if settings.model != "offline" else None,
    )

"""What the app holds for its lifetime, built once at start-up from `Settings`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from frontdesk.agent.turn import Agent
from frontdesk.api.ratelimit import RateLimiter
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DemoSummary, demo_exists, seed_demo
from frontdesk.storage.migrate import upgrade
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
    registry = default_registry()
    return Services(
        settings=settings,
        db=db,
        registry=registry,
        agent=Agent(db, settings, registry),
        secret=settings.resolved_secret_key(),
        auth_limiter=RateLimiter(settings.auth_rate_limit_per_minute, 60.0),
        chat_limiter=RateLimiter(settings.chat_rate_limit_per_minute, 60.0),
        demo=demo,
    )

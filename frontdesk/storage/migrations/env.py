"""Alembic environment: runs on a connection handed in by `frontdesk.storage.migrate.upgrade`,
or builds an async engine from `sqlalchemy.url` when invoked by the `alembic` command."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.storage import (
    agent_models,  # noqa: F401  (registers agents)
    apikey_models,  # noqa: F401  (registers api_keys)
    audit_models,  # noqa: F401  (registers audit_log)
    channel_models,  # noqa: F401  (registers the SMS / Teams door and lead inbox tables)
    file_models,  # noqa: F401  (registers files)
    helper_models,  # noqa: F401  (registers helpers, executions)
    job_models,  # noqa: F401  (registers jobs, scheduled_jobs, webhooks, notifications)
    lake_models,  # noqa: F401  (registers lake_objects)
    team_models,  # noqa: F401  (registers invitations, settings, preferences, reset codes, outbox)
    turn_models,  # noqa: F401  (registers turns)
)
from frontdesk.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async(context.config.get_main_option("sqlalchemy.url") or ""))

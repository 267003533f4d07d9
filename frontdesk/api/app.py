"""The FastAPI app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from frontdesk import __version__
from frontdesk.api import errors
from frontdesk.api.routes import auth, chat, health, sessions
from frontdesk.api.services import start_services
from frontdesk.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await start_services(settings)
        try:
            yield
        finally:
            await app.state.services.db.close()

    app = FastAPI(title="frontdesk", version=__version__, lifespan=lifespan)
    errors.install(app)
    for router in (health.router, auth.router, chat.router, sessions.router):
        app.include_router(router)
    return app

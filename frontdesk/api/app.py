"""The FastAPI app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from frontdesk import __version__
from frontdesk.api import errors, heap, middleware, openapi
from frontdesk.api.audit_origin import AuditOriginMiddleware
from frontdesk.api.mcp_http import McpEndpoint, metadata_routes
from frontdesk.api.routes import (
    accounts,
    admin,
    ads,
    agents,
    analytics,
    api_keys,
    audit,
    auth,
    billing,
    bronze,
    chat,
    connections,
    contacts,
    dashboard,
    data,
    events_ws,
    executions,
    files,
    health,
    helpers,
    insights_async,
    leads,
    media,
    messages,
    metrics,
    notifications,
    pages,
    password,
    profile,
    quick_insights,
    scheduler,
    search,
    sessions,
    sms,
    snapshot,
    suggestions,
    team,
    teams,
    tenants,
    turns,
    voice,
    webhooks_in,
    webhooks_out,
)
from frontdesk.api.services import start_services
from frontdesk.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    mcp_endpoint = McpEndpoint()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await start_services(settings)
        try:
            await app.state.services.start_background(owns_store=app.state.services.db.is_sqlite)
            async with mcp_endpoint.run(app.state.services):  # the MCP session manager's task group
                heap.freeze_startup_heap()  # startup's objects out of the collector's walks (api/heap.py)
                yield
        finally:
            await app.state.services.aclose()

    app = FastAPI(
        title="frontdesk", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )  # /docs and /redoc: routes/pages.py, from vendored assets
    errors.install(app)
    middleware.install(app, settings)  # body cap, text guard, 500s that keep the connection
    openapi.install(app)
    app.add_middleware(AuditOriginMiddleware, trusted_proxies=settings.trusted_proxies)  # audit: IP, agent
    for router in (health.router, auth.router, chat.router, sessions.router, turns.router):
        app.include_router(router)
    app.include_router(api_keys.router)
    app.include_router(contacts.router)
    app.include_router(leads.router)
    app.include_router(connections.router)
    app.include_router(data.router)
    app.include_router(helpers.router)
    app.include_router(executions.router)
    app.include_router(ads.router)
    app.include_router(analytics.router)
    app.include_router(dashboard.router)
    app.include_router(search.router)
    for router in (sms.router, teams.router, messages.router, profile.router):  # the messaging doors
        app.include_router(router)
    for router in (voice.router, media.router, files.router):  # voice, camera and media
        app.include_router(router)
    for router in (suggestions.router, pages.router):  # the web page
        app.include_router(router)
    for router in (password.router, accounts.router, team.router, tenants.router):  # teams of people
        app.include_router(router)
    for router in (admin.router, audit.router, billing.router):  # admin, the audit trail, billing
        app.include_router(router)
    for router in (scheduler.router, webhooks_in.router, webhooks_out.router, notifications.router):
        app.include_router(router)  # work without a chat (api/background.py)
    app.include_router(insights_async.router)
    for router in (quick_insights.router, snapshot.router, bronze.router):  # MIA insights
        app.include_router(router)
    for router in (agents.router, agents.analytics_router):  # CRM MVP agents
        app.include_router(router)
    app.include_router(events_ws.router)
    app.include_router(metrics.router)  # Prometheus; loopback or FRONTDESK_METRICS_TOKEN
    app.add_route("/mcp", mcp_endpoint, include_in_schema=False)  # streamable HTTP MCP
    app.router.routes.extend(metadata_routes())  # RFC 9728 metadata for /mcp
    return app

"""Liveness and database health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from frontdesk import __version__
from frontdesk.api.deps import ServicesDep
from frontdesk.api.schemas.health import ChatHealthOut, HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={
        503: {"model": HealthOut, "description": "The database (or Redis, when configured) is unreachable"}
    },
)
async def health(services: ServicesDep) -> Any:
    """Liveness, and whether the database (and Redis, when configured) is reachable: 503 when not."""
    try:
        async with services.db.session() as s:
            await s.execute(text("SELECT 1"))
        database = "connected"
    except Exception as e:  # reported, not swallowed: the status code says unhealthy
        database = f"error: {type(e).__name__}"
    redis = await services.scale.health() if services.scale is not None else "not_configured"
    healthy = database == "connected" and redis in ("connected", "not_configured")
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "redis": redis,
        "version": __version__,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/chat/health", response_model=ChatHealthOut)
async def chat_health() -> dict[str, str]:
    """Liveness of the chat service (no database access)."""
    return {"status": "healthy", "service": "chat", "version": __version__}

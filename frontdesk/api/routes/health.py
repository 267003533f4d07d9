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
    responses={503: {"model": HealthOut, "description": "The database is unreachable"}},
)
async def health(services: ServicesDep) -> Any:
    try:
        async with services.db.session() as s:
            await s.execute(text("SELECT 1"))
        database = "connected"
    except Exception as e:  # reported, not swallowed: the status code says unhealthy
        database = f"error: {type(e).__name__}"
    body = {
        "status": "ok" if database == "connected" else "degraded",
        "database": database,
        "version": __version__,
    }
    return JSONResponse(body, status_code=200 if database == "connected" else 503)


@router.get("/chat/health", response_model=ChatHealthOut)
async def chat_health() -> dict[str, str]:
    return {"status": "healthy", "service": "chat", "version": __version__}

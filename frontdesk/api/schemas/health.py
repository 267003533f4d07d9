"""`/health` and `/chat/health`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.api.schemas.base import Public


class HealthOut(Public):
    status: Literal["ok", "degraded"]
    database: str
    redis: str = Field(description="`connected`, `error: …`, or `not_configured` (no FRONTDESK_REDIS_URL)")
    version: str


class ChatHealthOut(Public):
    status: Literal["healthy"]
    service: str
    version: str

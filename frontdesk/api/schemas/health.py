"""`/health` and `/chat/health`."""

from __future__ import annotations

from typing import Literal

from frontdesk.api.schemas.base import Public


class HealthOut(Public):
    status: Literal["ok", "degraded"]
    database: str
    version: str


class ChatHealthOut(Public):
    status: Literal["healthy"]
    service: str
    version: str

"""How helpers, executions and helper types look to callers (REST, agent, MCP alike)."""

from __future__ import annotations

from typing import Any

from frontdesk.storage.helper_models import Execution, Helper
from frontdesk.storage.ids import iso
from frontdesk.tools.helpers.catalog import HELPER_TYPES


def helper_public(h: Helper) -> dict[str, Any]:
    return {
        "helper_id": h.id,
        "name": h.name,
        "description": h.description,
        "helper_type": h.helper_type,
        "category": h.category,
        "status": h.status,
        "enabled": h.enabled,
        "connection_id": h.connection_id,
        "execution_count": h.execution_count,
        "last_executed_at": iso(h.last_executed_at),
        "created_at": iso(h.created_at),
        "updated_at": iso(h.updated_at),
    }


SECRET_MASK = "***"


def masked_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config as shown to callers: header values (webhook tokens) are write-only."""
    if isinstance(config.get("headers"), dict):
        return config | {"headers": dict.fromkeys(config["headers"], SECRET_MASK)}
    return config


def helper_detail(h: Helper) -> dict[str, Any]:
    return helper_public(h) | {
        "config": masked_config(h.config),
        "config_schema": HELPER_TYPES.get(h.helper_type).config_schema(),
    }


def execution_public(e: Execution) -> dict[str, Any]:
    return {
        "execution_id": e.id,
        "helper_id": e.helper_id,
        "account_id": e.account_id,
        "user_id": e.user_id,
        "connection_id": e.connection_id,
        "contact_id": e.contact_id,
        "status": e.status,
        "trigger_type": e.trigger_type,
        "error_message": e.error_message,
        "duration_ms": e.duration_ms,
        "created_at": iso(e.created_at),
        "started_at": iso(e.started_at),
        "completed_at": iso(e.completed_at),
    }


def execution_detail(e: Execution) -> dict[str, Any]:
    return execution_public(e) | {"input": e.input, "output": e.output}

"""`/helpers` and `/executions`."""

from __future__ import annotations

from typing import Any

from frontdesk.api.schemas.base import Public, Timestamp
from frontdesk.tools.helpers.tools import ExecutionStatus


class HelperTypePublic(Public):
    type: str
    name: str
    category: str
    description: str
    target: str
    requires_crm: bool
    supported_crms: list[str]
    config_schema: dict[str, Any]


class HelperTypeList(Public):
    types: list[HelperTypePublic]
    total_count: int
    categories: list[str]


class HelperPublic(Public):
    helper_id: str
    name: str
    description: str | None
    helper_type: str
    category: str
    status: str
    enabled: bool
    connection_id: str | None
    execution_count: int
    last_executed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class HelperDetail(HelperPublic):
    """A helper with its `config` (header values masked) and its type's `config_schema`."""

    config: dict[str, Any]
    config_schema: dict[str, Any]


class HelperCreated(Public):
    helper_id: str
    name: str
    helper_type: str
    category: str
    enabled: bool
    config: dict[str, Any]
    created_at: Timestamp


class HelperList(Public):
    helpers: list[HelperPublic]
    total_count: int
    limit: int
    offset: int
    has_more: bool


class HelperDeleted(Public):
    helper_id: str
    status: str


class ExecutionQueued(Public):
    execution_id: str
    helper_id: str
    status: ExecutionStatus
    started_at: Timestamp


class ExecutionPublic(Public):
    execution_id: str
    helper_id: str
    account_id: str
    user_id: str | None
    connection_id: str | None
    contact_id: str | None
    status: ExecutionStatus
    trigger_type: str
    error_message: str | None
    duration_ms: int | None
    created_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None


class ExecutionDetail(ExecutionPublic):
    input: dict[str, Any]
    output: Any


class ExecutionList(Public):
    executions: list[ExecutionPublic]
    total_count: int
    next_token: str | None
    has_more: bool

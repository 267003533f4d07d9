"""Bodies of the background-work routes: scheduled jobs, webhooks out and in, notifications."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.schemas.base import Public, Timestamp

TaskType = Literal["agent_task", "helper_run", "data_sync", "insight_report"]
WebhookEvent = Literal[
    "lead.created",
    "lead.updated",
    "contact.created",
    "message.received",
    "agent.completed",
    "integration.error",
]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["cron"] = "cron"
    cron: str = Field(min_length=1, max_length=120, description="Five-field cron, e.g. `0 9 * * 1`.")
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone; default the account's time zone, else UTC."
    )


class ScheduledJobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    schedule: ScheduleIn
    task_type: TaskType
    task_params: dict[str, Any] = Field(
        default_factory=dict,
        description="agent_task: {message, agent?, deliver_to?: sms}; "
        "helper_run: {helper_id, contact_id?, input?}; data_sync: {connection_id?}; "
        "insight_report: {date_range?, platforms?}.",
    )
    is_active: bool = True


class ScheduledJobUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    schedule: ScheduleIn | None = None
    task_type: TaskType | None = None
    task_params: dict[str, Any] | None = None
    is_active: bool | None = None


class ScheduledJobPublic(Public):
    id: str
    name: str
    description: str | None
    cron_expression: str
    timezone: str
    task_type: TaskType
    task_params: dict[str, Any]
    is_active: bool
    user_id: str
    last_run: Timestamp | None
    next_run: Timestamp | None
    last_status: str | None = Field(description="running, completed or failed")
    last_error: str | None
    last_task_id: str | None
    created_at: Timestamp
    updated_at: Timestamp


class ScheduledJobList(Public):
    jobs: list[ScheduledJobPublic]
    count: int


class RunQueued(Public):
    job_id: str
    task_id: str
    status: Literal["queued"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, description="http(s); private addresses refused.")
    events: list[WebhookEvent] = Field(min_length=1, max_length=10)


class WebhookPublic(Public):
    id: str
    url: str
    events: list[str]
    is_active: bool
    created_at: Timestamp


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Signs each delivery (`X-Webhook-Signature`); shown only here.")


class WebhookList(Public):
    webhooks: list[WebhookPublic]


class Delivery(Public):
    id: str
    event: str
    attempt: int
    status_code: int | None
    latency_ms: int | None
    success: bool
    error: str | None
    task_id: str | None
    created_at: Timestamp


class DeliveryList(Public):
    deliveries: list[Delivery]


class InboundSecretOut(Public):
    source: str
    account_id: str
    secret: str = Field(description="Signs the source's deliveries to this account; shown only here.")
    created_at: Timestamp


class Received(Public):
    received: Literal[True]
    event_id: str
    duplicate: bool = Field(description="True when this event id was received before (not processed again).")


class NotificationPublic(Public):
    id: str
    type: str = Field(description="lead, message or system")
    title: str
    message: str
    data: dict[str, Any]
    status: Literal["unread", "read"]
    created_at: Timestamp


class NotificationList(Public):
    notifications: list[NotificationPublic]

"""Core types that walk every hallway: who asks (`Principal`) and what they said (`InboundMessage`).

They sit beside `config` and `errors` at the bottom of the import graph, so every layer may use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["Owner", "Admin", "Member", "Viewer"]
Channel = Literal["web", "sms", "teams", "voice", "mcp", "cli", "scheduler"]

PERMISSIONS = (
    "chat",
    "crm.read",
    "crm.write",
    "can_manage_helpers",
    "can_execute_helpers",
    "can_manage_connections",
    "can_manage_team",
    "can_manage_billing",
    "can_view_analytics",
    "can_manage_api_keys",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "Owner": frozenset(PERMISSIONS),
    "Admin": frozenset(PERMISSIONS),
    "Member": frozenset(
        {
            "chat",
            "crm.read",
            "crm.write",
            "can_manage_helpers",
            "can_execute_helpers",
            "can_manage_connections",
            "can_view_analytics",
        }
    ),
    "Viewer": frozenset({"chat", "crm.read", "can_view_analytics"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, resolved once at the door and passed down explicitly."""

    user_id: str
    account_id: str
    role: Role
    permissions: frozenset[str]
    channel: Channel = "web"
    department: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """What every channel produces. `external_id` (Twilio MessageSid, Teams activity id) makes
    retries idempotent."""

    principal: Principal
    text: str
    conversation_id: str | None = None
    channel: Channel = "web"
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    external_id: str | None = None

"""The messaging doors the server runs: SMS (Twilio) and Teams (Bot Framework), each built only when
its settings are complete. A door that is not configured is `None` and its route answers 503
naming the settings it lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frontdesk.agent.turns import TurnRunner
from frontdesk.api.scale_out import ScaleOut, shared_limiter
from frontdesk.channels.sms import SmsDoor
from frontdesk.channels.sms_text import plain_text, split_sms
from frontdesk.channels.teams import TeamsDoor
from frontdesk.channels.teams_auth import BotConnectorAuth
from frontdesk.channels.teams_connector import BotConnector
from frontdesk.channels.twilio_rest import TwilioSender
from frontdesk.config import Settings
from frontdesk.errors import Invalid, ToolFailure
from frontdesk.storage import phones
from frontdesk.storage.db import Database
from frontdesk.storage.models import User
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers.net import OutboundHttp

SMS_SETTINGS = ("twilio_auth_token", "twilio_account_sid", "twilio_from_number")
TEAMS_SETTINGS = ("teams_app_id", "teams_app_password")
SMS_PATH = "/sms-webhook"
TEAMS_PATHS = ("/webhooks/teams", "/api/messages")


def missing(settings: Settings, names: tuple[str, ...]) -> list[str]:
    """The settings of `names` that are unset, as environment variable names."""
    return [f"FRONTDESK_{n.upper()}" for n in names if not getattr(settings, n)]


@dataclass(slots=True)
class Doors:
    sms: SmsDoor | None = None
    sender: TwilioSender | None = None  # the SMS door's REST sender (staff replies to leads use it too)
    teams: TeamsDoor | None = None
    teams_auth: BotConnectorAuth | None = None
    sms_missing: list[str] = field(default_factory=list)
    teams_missing: list[str] = field(default_factory=list)

    async def deliver(self, ctx: ToolContext, door: str, text: str) -> dict[str, Any]:
        """Send a scheduled `agent_task`'s reply to the principal themselves: by text to their own
        linked phone through the SMS door (an opted-out number gets nothing), or as a Teams message
        in their latest personal chat with the bot."""
        if door == "teams":
            if self.teams is None:
                raise ToolFailure(f"The Teams door is off: set {', '.join(self.teams_missing)}")
            return await self.teams.send_to(ctx.principal, text)
        if door != "sms":
            raise Invalid(f"Delivery to the {door} door is not supported")
        if self.sender is None:
            raise ToolFailure(f"The SMS door is off: set {', '.join(self.sms_missing)}")
        async with ctx.db.session() as s:
            user = await s.get(User, ctx.principal.user_id)
            phone = user.phone_number if user is not None else None
            if phone is None:
                raise Invalid("The job's owner has no linked phone number (PUT /auth/profile)")
            if await phones.is_opted_out(s, phone):
                return {"sent": 0, "note": "the number opted out"}
        parts = split_sms(plain_text(text))
        for part in parts:
            await self.sender.send(phone, part)
        return {"sent": len(parts)}

    async def aclose(self) -> None:
        """Let replies still being sent finish (a few seconds), then cancel them."""
        if self.sms is not None:
            await self.sms.aclose()
        if self.teams is not None:
            await self.teams.aclose()


def build_doors(settings: Settings, db: Database, turns: TurnRunner, scale: ScaleOut | None = None) -> Doors:
    """The configured doors; `scale` (replicas sharing Redis) makes the SMS hourly limit shared."""
    http = OutboundHttp(trusted_hosts=settings.outbound_allowed_hosts)
    doors = Doors(
        sms_missing=missing(settings, SMS_SETTINGS), teams_missing=missing(settings, TEAMS_SETTINGS)
    )
    if not doors.sms_missing:
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number
        doors.sender = TwilioSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from_number,
            settings.twilio_api_base,
            http,
        )
        limiter = shared_limiter(scale, settings.sms_hourly_limit, 3600.0, "texts")
        doors.sms = SmsDoor(db, settings, turns, doors.sender, limiter)
    if not doors.teams_missing:
        assert settings.teams_app_id and settings.teams_app_password
        doors.teams_auth = BotConnectorAuth(settings.teams_app_id, settings.teams_openid_url, http)
        connector = BotConnector(
            settings.teams_app_id,
            settings.teams_app_password,
            settings.teams_token_url,
            settings.teams_service_url_hosts,
            http,
        )
        doors.teams = TeamsDoor(db, turns, connector)
    return doors


def webhook_urls(settings: Settings) -> list[str]:
    """The webhook URLs Twilio and the Bot Framework should call (`frontdesk serve` prints them),
    each with the settings still missing for that door."""
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")

    def note(names: tuple[str, ...]) -> str:
        lacking = missing(settings, names)
        return f"  (off: set {', '.join(lacking)})" if lacking else ""

    return [
        f"SMS   Twilio 'A message comes in' (HTTP POST): {base}{SMS_PATH}{note(SMS_SETTINGS)}",
        f"Teams Azure bot messaging endpoint: {base}{TEAMS_PATHS[0]}{note(TEAMS_SETTINGS)}",
    ]

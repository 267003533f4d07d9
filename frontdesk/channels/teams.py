"""The Microsoft Teams door (Mezzofy `/webhooks/teams`): Bot Framework activities in, the same
agent, replies through the Bot Connector.

The route authenticates the call (`teams_auth`) and hands the parsed `Activity` (the
`microsoft-agents-activity` model) to `TeamsDoor.accept`, which answers at once; the work runs in a
task of this door, so the Bot Connector's request never waits on the agent:

- `conversationUpdate` that adds the bot: a short welcome.
- `message`: the bot's @mention is stripped; the sender's email comes from the connector
  (`GET .../members/{from.id}`) and is matched to a frontdesk user (their current account). An
  unknown person gets a reply explaining how to get access, and no turn. A known one gets a turn,
  channel `teams`, in the conversation mapped to the Teams conversation (`threads`), with the
  activity id as `external_id` (a redelivery is not answered twice). A typing activity is sent
  every few seconds while the agent works; the answer is a reply to the activity, with an
  Adaptive Card table when the turn's tools returned records.

Platform fields stop here: the agent sees an `InboundMessage`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from sqlalchemy import func, select

from frontdesk.agent.events import AgentEvent, Done, ToolReturned
from frontdesk.agent.turns import TurnRunner
from frontdesk.channels.base import Background
from frontdesk.channels.teams_cards import ADAPTIVE_CARD, record_card, records_of
from frontdesk.channels.teams_connector import BotConnector
from frontdesk.errors import FrontdeskError, Invalid, Unauthenticated
from frontdesk.storage import teams_refs, threads
from frontdesk.storage.accounts import load_identity
from frontdesk.storage.db import Database
from frontdesk.storage.models import User
from frontdesk.types import InboundMessage, Principal

log = logging.getLogger(__name__)
TYPING_EVERY_SECONDS = 3.0  # Teams shows a typing indicator for about three seconds

WELCOME = (
    "Hi, I'm frontdesk: ask me about your contacts, leads, helpers and analytics, e.g. "
    '"how many contacts do I have?" In a channel, @mention me.'
)
NO_ACCESS = (
    "I don't know you yet: frontdesk answers people who have a frontdesk account under the same "
    "work email as Teams{email}. Ask your frontdesk admin to invite you, then message me again."
)
FAILED = "Sorry, I could not answer that just now. Please try again in a moment."


def _dump(activity: Activity) -> dict[str, Any]:
    return activity.model_dump(mode="json", by_alias=True, exclude_none=True)


class TeamsDoor:
    def __init__(self, db: Database, turns: TurnRunner, connector: BotConnector) -> None:
        self.db = db
        self.turns = turns
        self.connector = connector
        self.background = Background()

    def accept(self, activity: Activity) -> None:
        """Handle an authenticated activity in a task of this door; return at once."""
        self.background.spawn(self._handle(activity), name=f"teams:{activity.id}")

    async def _handle(self, activity: Activity) -> None:
        try:
            if activity.type == ActivityTypes.conversation_update:
                await self._welcome(activity)
            elif activity.type == ActivityTypes.message:
                await self._message(activity)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Teams activity %s could not be handled", activity.id)

    async def _welcome(self, activity: Activity) -> None:
        bot = activity.recipient.id if activity.recipient else None
        if bot and any(m.id == bot for m in activity.members_added or []):
            await self.connector.send(
                activity.service_url, activity.conversation.id, _dump(activity.create_reply(WELCOME))
            )

    async def _message(self, activity: Activity) -> None:
        text = activity.remove_recipient_mention().strip()
        if not text or activity.from_property is None or activity.conversation is None:
            return
        email = await self._email(activity)
        principal = await self._principal(email)
        if principal is None:
            shown = f" ({email})" if email else ""
            await self._reply(activity, NO_ACCESS.format(email=shown))
            return
        conversation_id = await threads.conversation_for_thread(
            self.db, principal, "teams", activity.conversation.id
        )
        if activity.conversation.conversation_type == "personal" and activity.recipient is not None:
            ref = teams_refs.Reference(
                activity.service_url, activity.conversation.id, activity.recipient.id, activity.recipient.name
            )
            await teams_refs.remember(self.db, principal, ref)
        inbound = InboundMessage(
            principal, text, conversation_id=conversation_id, channel="teams", external_id=activity.id
        )
        try:
            turn = await self.turns.submit(inbound)
        except FrontdeskError as e:
            await self._reply(activity, e.detail)
            return
        if turn.replayed:
            return
        events = await self._events_with_typing(activity, turn.turn_id)
        await self._answer(activity, events)

    async def _email(self, activity: Activity) -> str | None:
        member = await self.connector.member(
            activity.service_url, activity.conversation.id, activity.from_property.id
        )
        email = member.get("email") or member.get("userPrincipalName")
        return str(email).strip().lower() if email else None

    async def _principal(self, email: str | None) -> Principal | None:
        if not email:
            return None
        async with self.db.session() as s:
            user_id = await s.scalar(select(User.id).where(func.lower(User.email) == email))
            if user_id is None:
                return None
            try:
                identity = await load_identity(s, user_id)
            except Unauthenticated:
                return None
        return identity.principal("teams")

    async def _events_with_typing(self, activity: Activity, turn_id: str) -> list[AgentEvent]:
        """The turn's events, sending a typing activity every few seconds until it ends."""
        events: list[AgentEvent] = []

        async def collect() -> None:
            async for _, event in self.turns.follow(turn_id):
                events.append(event)

        collector = asyncio.create_task(collect())
        typing = _dump(Activity(type=ActivityTypes.typing, from_property=activity.recipient))
        try:
            while not collector.done():
                try:
                    await self.connector.send(activity.service_url, activity.conversation.id, typing)
                except FrontdeskError as e:
                    log.info("typing activity not sent: %s", e.detail)
                await asyncio.wait({collector}, timeout=TYPING_EVERY_SECONDS)
            await collector
        finally:
            collector.cancel()
        return events

    async def _answer(self, activity: Activity, events: list[AgentEvent]) -> None:
        outcome = events[-1] if events else None
        if not isinstance(outcome, Done):
            await self._reply(activity, FAILED)
            return
        records = None
        for event in events:
            if isinstance(event, ToolReturned) and not event.is_error:
                records = records_of(event.result) or records
        card = record_card(records, outcome.content.splitlines()[0]) if records else None
        await self._reply(activity, outcome.content or FAILED, card)

    async def _reply(self, activity: Activity, text: str, card: dict[str, Any] | None = None) -> None:
        reply = activity.create_reply(text)
        reply.text_format = "markdown"
        if card is not None:
            reply.attachments = [Attachment(content_type=ADAPTIVE_CARD, content=card)]
        if activity.id:
            await self.connector.reply(
                activity.service_url, activity.conversation.id, activity.id, _dump(reply)
            )
        else:
            await self.connector.send(activity.service_url, activity.conversation.id, _dump(reply))

    async def send_to(self, principal: Principal, text: str) -> dict[str, Any]:
        """Write `text` to the user first, in their latest personal chat with the bot (a scheduled
        job's reply); `Invalid` when they have never talked to the bot in a 1:1 chat."""
        async with self.db.session() as s:
            ref = await teams_refs.reference_for(s, principal.account_id, principal.user_id)
        if ref is None:
            raise Invalid(
                "The job's owner has no personal chat with the bot in Teams: message it there first"
            )
        activity = {
            "type": "message",
            "text": text,
            "textFormat": "markdown",
            "from": {"id": ref.bot_id} | ({"name": ref.bot_name} if ref.bot_name else {}),
        }
        sent = await self.connector.send(ref.service_url, ref.conversation_id, activity)
        return {"sent": 1, "activity_id": sent.get("id") if isinstance(sent, dict) else None}

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Let pending replies finish within `grace_seconds`, then cancel them."""
        await self.background.aclose(grace_seconds)

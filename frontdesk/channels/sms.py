"""The SMS door (MyFusion "SMS Chat Webhook"): a Twilio text in, the same agent, answers back by SMS.

`SmsDoor.receive(InboundSms)` returns the texts to answer inline (the route renders them as TwiML
`<Message>`s); everything else happens here:

1. A `MessageSid` seen before in this process gets nothing (Twilio retried); a turn's own
   idempotency (`external_id`) covers retries after a restart.
2. STOP / START / HELP (and the carriers' synonyms) are answered as carriers expect; STOP is
   recorded and from then on nothing is sent to the number until START (HELP is still answered).
3. `sms_hourly_limit` texts an hour per phone: past it one reply says so, then silence until the
   window frees up; no turn (counted in Redis when replicas share one).
4. The number's owner (`phones.owners_of`): one user -> a turn as that user in that account,
   channel `sms`, in the conversation mapped to the phone (`threads`). Nobody -> if the account
   owning the Twilio number turned its lead inbox on, the text goes to the lead inbox (no reply,
   no agent); otherwise one polite reply saying the number is not linked. Several users (the
   number linked in more than one account) -> a reply saying so; no turn.
5. The answer, if it is ready within `sms_reply_wait_seconds`, goes back inline; otherwise the
   webhook answers at once and a task of this door sends it through Twilio's REST API. Long
   answers are split into numbered messages of at most 1,600 characters.

Platform fields stop here: the agent sees an `InboundMessage`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass

from frontdesk.agent.events import Done, Failed
from frontdesk.agent.turns import TurnRunner
from frontdesk.channels.base import Background
from frontdesk.channels.sms_text import keyword, plain_text, split_sms
from frontdesk.channels.twilio_rest import TwilioSender
from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError, Invalid, RateLimited, Unauthenticated
from frontdesk.ratelimit import RateLimiter
from frontdesk.storage import lead_inbox, phones, threads
from frontdesk.storage.accounts import load_identity
from frontdesk.storage.db import Database
from frontdesk.types import InboundMessage, Principal

log = logging.getLogger(__name__)
SEEN_SIDS = 10_000  # MessageSids remembered in this process

NOT_LINKED = (
    "This number is not linked to a frontdesk account. To chat by text, sign in to frontdesk and "
    "add this number to your profile, then text again. Reply HELP for help, STOP to opt out."
)
AMBIGUOUS = (
    "This number is linked to more than one frontdesk account, so I cannot tell which one you mean. "
    "Keep it linked in one account only."
)
HELP = (
    "frontdesk: text a question to your AI assistant (link this number in your frontdesk profile "
    "first). Msg & data rates may apply. Reply STOP to opt out."
)
STOPPED = "You are unsubscribed from frontdesk and will get no more messages. Reply START to resubscribe."
STARTED = "You are resubscribed to frontdesk messages. Reply HELP for help, STOP to opt out."
FAILED = "Sorry, I could not answer that just now. Please try again in a moment."


@dataclass(frozen=True, slots=True)
class InboundSms:
    """The fields of Twilio's webhook this door uses."""

    message_sid: str
    from_number: str
    to_number: str
    body: str


class SmsDoor:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        turns: TurnRunner,
        sender: TwilioSender,
        limiter: RateLimiter,
    ) -> None:
        self.db = db
        self.settings = settings
        self.turns = turns
        self.sender = sender
        self.limiter = limiter
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.background = Background()

    async def receive(self, sms: InboundSms) -> list[str]:
        """Handle one inbound text; return the texts to answer inline (possibly none)."""
        if self._seen_before(sms.message_sid):
            return []
        phone = phones.try_normalize(sms.from_number)
        if phone is None:
            log.info("SMS %s from a sender that is not a phone number; ignored", sms.message_sid)
            return []
        word = keyword(sms.body)
        if word == "stop":
            await phones.set_opt_out(self.db, phone, True)
            return [STOPPED]
        if word == "start":
            await phones.set_opt_out(self.db, phone, False)
            return [STARTED]
        if word == "help":  # answered even to an opted-out number, as carriers require
            return [HELP]
        async with self.db.session() as s:
            if await phones.is_opted_out(s, phone):
                return []  # opted out: nothing goes back until START
            owners = await phones.owners_of(s, phone)
            inbox = await lead_inbox.inbox_account(s, phones.try_normalize(sms.to_number) or sms.to_number)
        if (notice := await self._over_limit(phone)) is not None:
            return notice
        if not owners:
            if inbox is not None:
                await lead_inbox.record_inbound(self.db, inbox, phone, sms.body, sms.message_sid)
                return []
            return [NOT_LINKED]
        if len({(o.user_id, o.account_id) for o in owners}) > 1:
            return [AMBIGUOUS]
        principal = await self._principal(owners[0])
        if principal is None:
            return [NOT_LINKED]
        return await self._turn(principal, phone, sms)

    def _seen_before(self, sid: str) -> bool:
        if sid in self._seen:
            return True
        self._seen[sid] = None
        if len(self._seen) > SEEN_SIDS:
            self._seen.popitem(last=False)
        return False

    async def _over_limit(self, phone: str) -> list[str] | None:
        """None if the phone may send; else the reply: one notice per window, then nothing (both
        counted in Redis when replicas share one, so a phone's texts add up across replicas)."""
        try:
            await self.limiter.ahit(f"sms:{phone}")
        except RateLimited as e:
            if not await self.limiter.once(f"sms-notice:{phone}", e.retry_after):
                return []
            limit = self.settings.sms_hourly_limit
            return [f"You have reached the limit of {limit} messages an hour. Please try again later."]
        return None

    async def _principal(self, owner: phones.PhoneOwner) -> Principal | None:
        try:
            async with self.db.session() as s:
                identity = await load_identity(s, owner.user_id, owner.account_id)
        except Unauthenticated:
            return None
        return identity.principal("sms")

    async def _turn(self, principal: Principal, phone: str, sms: InboundSms) -> list[str]:
        conversation_id = await threads.conversation_for_thread(self.db, principal, "sms", phone)
        inbound = InboundMessage(
            principal, sms.body, conversation_id=conversation_id, channel="sms", external_id=sms.message_sid
        )
        try:
            turn = await self.turns.submit(inbound)
        except Invalid:
            return [HELP]
        except FrontdeskError as e:
            return [e.detail]
        if turn.replayed:
            return []  # this MessageSid was answered before
        try:
            outcome = await self.turns.result(turn.turn_id, timeout=self.settings.sms_reply_wait_seconds)
        except TimeoutError:
            self.background.spawn(self._deliver_later(turn.turn_id, phone), name=f"sms:{turn.turn_id}")
            return []
        return render(outcome)

    async def _deliver_later(self, turn_id: str, phone: str) -> None:
        """Wait for the turn's end and send its answer through Twilio's REST API."""
        try:
            outcome = await self.turns.result(turn_id)
            for part in render(outcome):
                async with self.db.session() as s:
                    if await phones.is_opted_out(s, phone):
                        log.info("SMS answer of turn %s not sent: the number opted out", turn_id)
                        return
                await self.sender.send(phone, part)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not send the SMS answer of turn %s", turn_id)

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Let pending REST deliveries finish within `grace_seconds`, then cancel them."""
        await self.background.aclose(grace_seconds)


def render(outcome: Done | Failed) -> list[str]:
    """A turn's outcome as text messages."""
    if isinstance(outcome, Failed):
        return [FAILED]
    return split_sms(plain_text(outcome.content)) or [FAILED]

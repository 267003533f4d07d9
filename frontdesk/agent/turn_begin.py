"""The first write transaction of a turn (`TurnRunner.submit`): the conversation (created, or the
principal's own), the user message and the turn row, committed before the door answers.

In SQLAlchemy Core statements (`storage.turn_writes`): for an existing conversation one statement
moves it up the list, checks it is the principal's and reads its last sequence number and its
approval wait (SQLite: `UPDATE ... RETURNING`), then the message and the turn row — three
statements, no ORM unit of work.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agent.titles import title_from
from frontdesk.agent.turn_log import Began
from frontdesk.errors import NotFound
from frontdesk.storage import conversations as store
from frontdesk.storage import turn_writes as writes
from frontdesk.storage import turns as turn_store
from frontdesk.storage.ids import utcnow
from frontdesk.types import InboundMessage


async def begin_turn(
    s: AsyncSession, conversation_id: str, inbound: InboundMessage, *, create: bool, runner: str
) -> Began:
    """One write transaction (the caller's, `Database.run_write`): the conversation (created, or
    the principal's own, else `NotFound`), the user message and the turn row of `runner`."""
    principal = inbound.principal
    now = utcnow()
    waiting: str | None = None
    if create:
        conv = store.new_conversation(principal, channel=inbound.channel, conversation_id=conversation_id)
        last_seq = 0  # no messages yet: nothing to read
    else:  # moved up the list, and read back with its last number (theirs, else NotFound)
        owner = (principal.account_id, principal.user_id)
        found = await writes.update_for_write(s, conversation_id, {"updated_at": now}, owner=owner)
        if found is None:
            raise NotFound("Conversation not found")
        conv, last_seq, waiting = found.conversation, found.last_seq, found.waiting
    fresh, previous = conv.title is None, conv.department
    if fresh:
        conv.title = title_from(inbound.text)
    conv.updated_at = now
    if create:
        await writes.insert_conversation(s, conv)
    elif fresh:  # created empty (`POST /chat/conversations`): its first message names it
        await writes.touch_conversation(s, conv.id, {"title": conv.title})
    user_message = store.NewMessage(
        "user", inbound.text, channel=inbound.channel, external_id=inbound.external_id
    )
    [msg] = await writes.insert_messages(s, conv, [user_message], last_seq=last_seq, now=now)
    turn = turn_store.new_turn(
        conv, msg, user_id=inbound.principal.user_id, channel=inbound.channel, runner=runner
    )
    await writes.insert_turn(s, turn)
    return Began(conv, msg, turn, fresh, previous, waiting)

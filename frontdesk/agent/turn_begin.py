"""The first write transaction of a turn (`TurnRunner.submit`): the conversation (created, or the
principal's own), the user message and the turn row, committed before the door answers.

In SQLAlchemy Core statements (`storage.turn_writes`): for an existing conversation one statement
moves it up the list, checks it is the principal's and reads its last sequence number and its
approval wait (SQLite: `UPDATE ... RETURNING`), then the message and the turn row — three
statements, no ORM unit of work. Synchronous over a `write_tx.Tx`, so on SQLite the whole
transaction is one trip to the connection's thread (`Database.run_write_tx`).
"""

from __future__ import annotations

from frontdesk.agent.titles import title_from
from frontdesk.agent.turn_log import Began
from frontdesk.errors import NotFound
from frontdesk.storage import conversations as store
from frontdesk.storage import turn_writes as writes
from frontdesk.storage import turns as turn_store
from frontdesk.storage.ids import utcnow
from frontdesk.storage.write_tx import Tx
from frontdesk.types import InboundMessage


def begin_turn(tx: Tx, conversation_id: str, inbound: InboundMessage, *, create: bool, runner: str) -> Began:
    """One write transaction (the caller's, `Database.run_write_tx`): the conversation (created, or
    the principal's own, else `NotFound`), the user message and the turn row of `runner`."""
    principal = inbound.principal
    now = utcnow()
    waiting: str | None = None
    if create:
        conv = store.new_conversation(principal, channel=inbound.channel, conversation_id=conversation_id)
        last_seq = 0  # no messages yet: nothing to read
    else:  # moved up the list, and read back with its last number (theirs, else NotFound)
        owner = (principal.account_id, principal.user_id)
        found = writes.update_for_write_tx(tx, conversation_id, {"updated_at": now}, owner=owner)
        if found is None:
            raise NotFound("Conversation not found")
        conv, last_seq, waiting = found.conversation, found.last_seq, found.waiting
    fresh, previous = conv.title is None, conv.department
    if fresh:
        conv.title = title_from(inbound.text)
    conv.updated_at = now
    if create:
        writes.insert_conversation_tx(tx, conv)
    elif fresh:  # created empty (`POST /chat/conversations`): its first message names it
        writes.touch_conversation_tx(tx, conv.id, {"title": conv.title})
    user_message = store.NewMessage(
        "user", inbound.text, channel=inbound.channel, external_id=inbound.external_id
    )
    [msg] = writes.insert_messages_tx(tx, conv, [user_message], last_seq=last_seq, now=now)
    turn = turn_store.new_turn(
        conv, msg, user_id=inbound.principal.user_id, channel=inbound.channel, runner=runner
    )
    writes.insert_turn_tx(tx, turn)
    return Began(conv, msg, turn, fresh, previous, waiting)

"""The CRM MVP messages API: staff's lead-facing view of the conversation store.

- `GET /api/conversations`: one conversation per lead that texted in (lead inbox) or was written to.
- `GET /api/messages/{leadId}`: a lead's messages, oldest first (reading marks them read).
- `POST /api/messages`: staff write to a lead (`sender: "agent"`, sent by SMS when the lead has a
  phone, SMS is configured and the number has not opted out) or log a lead's message
  (`sender: "lead"`). The same path is the Bot Framework's default messaging endpoint: a body that
  is a Bot Framework activity goes to the Teams door (`routes/teams.py`).
- `GET /api/inbox`, `PUT /api/inbox`: the account's lead inbox on a Twilio number (texts from
  numbers nobody linked become lead conversations; staff are notified).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from frontdesk.api.deps import BearerCredentials, CurrentPrincipal, ServicesDep, get_identity
from frontdesk.api.openapi import errors
from frontdesk.api.routes.teams import receive_activity
from frontdesk.errors import Forbidden, FrontdeskError
from frontdesk.paging import page_fields
from frontdesk.storage import lead_inbox, phones
from frontdesk.storage.channel_models import LeadMessage, SmsInbox
from frontdesk.storage.crm import get_lead
from frontdesk.storage.ids import iso
from frontdesk.types import Principal

router = APIRouter(prefix="/api", tags=["messages"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


# Field names below follow the CRM MVP seed (camelCase).


class LastMessage(BaseModel):
    content: str
    timestamp: str | None
    sender: str


class LeadConversationOut(BaseModel):
    id: str
    leadId: str
    leadName: str
    lastMessage: LastMessage | None
    unreadCount: int
    status: str
    channel: str


class ConversationsOut(BaseModel):
    conversations: list[LeadConversationOut]
    total: int
    limit: int
    offset: int
    has_more: bool


class LeadMessageOut(BaseModel):
    id: str
    leadId: str
    content: str
    sender: str
    timestamp: str | None
    status: str
    channel: str


class MessagesOut(BaseModel):
    messages: list[LeadMessageOut]
    total: int
    limit: int
    offset: int
    has_more: bool


class MessageSend(BaseModel):
    leadId: str = Field(min_length=1, max_length=64)
    content: str = Field(min_length=1, max_length=1600, description="At most one SMS (1,600 characters).")
    sender: Literal["agent", "lead"] = Field(
        default="agent", description="`agent`: staff write to the lead; `lead`: log what the lead said."
    )


class InboxIn(BaseModel):
    number: str = Field(min_length=2, max_length=32, description="The Twilio number (E.164) texts arrive at.")
    enabled: bool = True


class InboxOut(BaseModel):
    number: str
    enabled: bool
    updated_at: str | None


def _require(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden(f"Missing permission {permission}")


def message_out(m: LeadMessage) -> LeadMessageOut:
    return LeadMessageOut(
        id=m.id,
        leadId=m.lead_id,
        content=m.content,
        sender=m.sender,
        timestamp=iso(m.created_at),
        status=m.status,
        channel=m.channel,
    )


@router.get("/conversations", response_model=ConversationsOut, responses=errors(401, 403))
async def list_lead_conversations(
    principal: CurrentPrincipal, services: ServicesDep, limit: Limit = 50, offset: Offset = 0
) -> ConversationsOut:
    """The account's lead conversations, most recent first, with the last message and unread count."""
    _require(principal, "crm.read")
    async with services.db.session() as s:
        rows, total = await lead_inbox.list_threads(s, principal.account_id, limit=limit, offset=offset)
    items = [
        LeadConversationOut(
            id=r.thread.id,
            leadId=r.lead.id,
            leadName=r.lead.name,
            lastMessage=LastMessage(
                content=r.last.content, timestamp=iso(r.last.created_at), sender=r.last.sender
            )
            if r.last
            else None,
            unreadCount=r.unread,
            status=r.thread.status,
            channel=r.thread.channel,
        )
        for r in rows
    ]
    return ConversationsOut(conversations=items, **page_fields(total, limit, offset, len(items)))  # type: ignore[arg-type]


@router.get("/messages/{lead_id}", response_model=MessagesOut, responses=errors(401, 403, 404))
async def lead_messages(
    lead_id: str, principal: CurrentPrincipal, services: ServicesDep, limit: Limit = 100, offset: Offset = 0
) -> MessagesOut:
    """A lead's messages, oldest first. Reading them marks them read."""
    _require(principal, "crm.read")
    async with services.db.session() as s:
        lead = await get_lead(s, principal.account_id, lead_id)
    rows, total = await lead_inbox.messages_for_lead(services.db, lead, limit=limit, offset=offset)
    return MessagesOut(
        messages=[message_out(m) for m in rows], **page_fields(total, limit, offset, len(rows))
    )  # type: ignore[arg-type]


_SEND_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": MessageSend.model_json_schema()}},
        "description": "A message to or from a lead (a Bot Framework activity goes to the Teams door).",
    }
}


@router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=LeadMessageOut,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=_SEND_DOC,
)
async def send_message(request: Request, services: ServicesDep, credentials: BearerCredentials) -> Any:
    """Write to a lead (`sender: agent`, delivered by SMS when possible: `status` sent / failed /
    opted_out / stored) or log a lead's message (`sender: lead`)."""
    try:
        body = json.loads(await request.body())
    except ValueError as e:
        raise HTTPException(400, "The body is not JSON") from e
    if isinstance(body, dict) and "serviceUrl" in body and "type" in body and "leadId" not in body:
        return await receive_activity(request, services, body)
    principal = (await get_identity(services, credentials)).principal("web")
    _require(principal, "crm.write")
    try:
        sent = MessageSend.model_validate(body)
    except ValidationError as e:
        raise RequestValidationError(e.errors()) from e
    async with services.db.session() as s:
        lead = await get_lead(s, principal.account_id, sent.leadId)
    if sent.sender == "lead":
        msg = await lead_inbox.add_outbound(services.db, lead, sent.content, "lead", "received")
        return message_out(msg)
    msg = await lead_inbox.add_outbound(services.db, lead, sent.content, "agent", "stored")
    deliver_to = phones.try_normalize(lead.phone)
    sender = services.doors.sender if services.doors else None
    if deliver_to is None or sender is None:
        return message_out(msg)
    async with services.db.session() as s:
        opted_out = await phones.is_opted_out(s, deliver_to)
    result = "opted_out"
    if not opted_out:
        try:
            await sender.send(deliver_to, sent.content)
            result = "sent"
        except FrontdeskError:
            result = "failed"
    await lead_inbox.set_status(services.db, msg.id, result)
    msg.status = result
    return message_out(msg)


def inbox_out(row: SmsInbox) -> InboxOut:
    return InboxOut(number=row.number, enabled=row.enabled, updated_at=iso(row.updated_at))


@router.get("/inbox", response_model=list[InboxOut], responses=errors(401, 403))
async def get_inbox(principal: CurrentPrincipal, services: ServicesDep) -> list[InboxOut]:
    """The account's lead inboxes (Twilio numbers whose unknown senders become leads)."""
    _require(principal, "crm.read")
    async with services.db.session() as s:
        return [inbox_out(r) for r in await lead_inbox.inboxes(s, principal.account_id)]


@router.put("/inbox", response_model=InboxOut, responses=errors(400, 401, 403, 409))
async def put_inbox(body: InboxIn, principal: CurrentPrincipal, services: ServicesDep) -> InboxOut:
    """Turn the lead inbox on (or off) for a Twilio number: texts to it from numbers nobody linked
    become lead conversations and staff are notified; nothing is sent back to them automatically.
    Needs `can_manage_connections`. A number already used by another account's inbox is 409."""
    _require(principal, "can_manage_connections")
    number = phones.normalize_phone(body.number)
    return inbox_out(await lead_inbox.set_inbox(services.db, principal.account_id, number, body.enabled))

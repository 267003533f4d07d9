"""The CRM MVP messages API and the SMS lead inbox through the real server: a text from a number
nobody linked becomes a lead conversation (message.received recorded, staff notified, nothing sent
back); staff read it and answer by SMS (a local fake of Twilio's REST API)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from frontdesk.config import Settings
from frontdesk.storage.channel_models import ChannelEvent
from frontdesk.storage.db import Database
from frontdesk.storage.helper_models import HelperNotification
from tests.agent.wire import running
from tests.channels.fakes_twilio import ACCOUNT_SID, PUBLIC_URL, FakeTwilio, sign
from tests.channels.test_sms import new_phone, sms_settings
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with running(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Settings:
    return sms_settings(tmp_path_factory.mktemp("inbox"), twilio)


@pytest.fixture(scope="module")
def inbox_server(settings: Settings) -> Iterator[str]:
    with serve(settings) as url:
        yield url


@pytest.fixture
def client(inbox_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=inbox_server, timeout=30) as c:
        yield c


def text_to(client: httpx.Client, to: str, phone: str, body: str, sid: str | None = None) -> httpx.Response:
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": to,
        "Body": body,
    }
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms-webhook", form)}
    return client.post("/sms-webhook", data=form, headers=headers)


def staff_with_inbox(client: httpx.Client) -> tuple[dict[str, str], dict[str, object], str]:
    tokens = register(client, "Staff")
    headers = auth(tokens)
    number = new_phone()  # the account's Twilio number (one per test: inboxes are unique per number)
    r = client.put("/api/inbox", json={"number": number, "enabled": True}, headers=headers)
    assert r.status_code == 200, r.text
    return headers, tokens, number


def recorded(settings: Settings, account_id: str) -> tuple[list[ChannelEvent], list[HelperNotification]]:
    async def read() -> tuple[list[ChannelEvent], list[HelperNotification]]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                events = list(
                    await s.scalars(select(ChannelEvent).where(ChannelEvent.account_id == account_id))
                )
                notes = list(
                    await s.scalars(
                        select(HelperNotification).where(HelperNotification.account_id == account_id)
                    )
                )
        finally:
            await db.close()
        return events, notes

    return asyncio.run(read())


def test_a_text_from_an_unknown_number_becomes_a_lead_conversation(
    client: httpx.Client, twilio: FakeTwilio, settings: Settings
) -> None:
    headers, tokens, number = staff_with_inbox(client)
    lead_phone = new_phone()
    sid = f"SM{uuid.uuid4().hex}"
    r = text_to(client, number, lead_phone, "Hi, I'm interested in your product", sid=sid)
    assert r.status_code == 200 and "<Message>" not in r.text  # nothing internal goes back
    assert (
        text_to(client, number, lead_phone, "Hi, I'm interested in your product", sid=sid).status_code == 200
    )

    [conv] = client.get("/api/conversations", headers=headers).json()["conversations"]
    assert conv["leadName"] == lead_phone and conv["unreadCount"] == 1 and conv["channel"] == "sms"
    assert conv["lastMessage"]["content"] == "Hi, I'm interested in your product"
    assert conv["lastMessage"]["sender"] == "lead" and conv["lastMessage"]["timestamp"].endswith("Z")
    messages = client.get(f"/api/messages/{conv['leadId']}", headers=headers).json()["messages"]
    assert [(m["sender"], m["content"]) for m in messages] == [("lead", "Hi, I'm interested in your product")]
    assert client.get("/api/conversations", headers=headers).json()["conversations"][0]["unreadCount"] == 0
    lead = client.get(f"/api/leads/{conv['leadId']}", headers=headers).json()
    assert lead["phone"] == lead_phone and lead["source"] == "sms"

    account_id = str(tokens["account"]["account_id"])  # type: ignore[index]
    events, notes = recorded(settings, account_id)
    assert [(e.type, e.data["leadId"], e.data["sender"]) for e in events] == [
        ("message.received", conv["leadId"], "lead")
    ]
    assert len(notes) == 1 and lead_phone in notes[0].title
    assert twilio.to(lead_phone) == []


def test_staff_answer_a_lead_by_sms_and_stop_is_respected(client: httpx.Client, twilio: FakeTwilio) -> None:
    headers, _, number = staff_with_inbox(client)
    lead_phone = new_phone()
    text_to(client, number, lead_phone, "When can we talk pricing?")
    [conv] = client.get("/api/conversations", headers=headers).json()["conversations"]
    r = client.post(
        "/api/messages", json={"leadId": conv["leadId"], "content": "Tomorrow at 10?"}, headers=headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "sent" and r.json()["sender"] == "agent"
    [sent] = twilio.wait_for(lead_phone, 1)
    assert sent.body == "Tomorrow at 10?"
    assert text_to(client, number, lead_phone, "STOP").status_code == 200
    r = client.post(
        "/api/messages", json={"leadId": conv["leadId"], "content": "Still there?"}, headers=headers
    )
    assert r.json()["status"] == "opted_out"
    assert [m.body for m in twilio.to(lead_phone)] == ["Tomorrow at 10?"]  # nothing after STOP
    contents = [
        m["content"]
        for m in client.get(f"/api/messages/{conv['leadId']}", headers=headers).json()["messages"]
    ]
    assert contents == ["When can we talk pricing?", "Tomorrow at 10?", "Still there?"]


def test_another_account_sees_none_of_it(client: httpx.Client) -> None:
    headers, _, number = staff_with_inbox(client)
    text_to(client, number, new_phone(), "hello")
    [conv] = client.get("/api/conversations", headers=headers).json()["conversations"]
    other = auth(register(client, "Outsider"))
    assert client.get("/api/conversations", headers=other).json()["conversations"] == []
    assert client.get(f"/api/messages/{conv['leadId']}", headers=other).status_code == 404
    body = {"leadId": conv["leadId"], "content": "hi"}
    assert client.post("/api/messages", json=body, headers=other).status_code == 404
    assert client.put("/api/inbox", json={"number": number}, headers=other).status_code == 409


def test_the_messages_api_checks_input_and_auth(client: httpx.Client) -> None:
    headers, _, _ = staff_with_inbox(client)
    assert client.post("/api/messages", json={"leadId": "lead:x", "content": "hi"}).status_code == 401
    assert client.post("/api/messages", json={"leadId": "lead:x"}, headers=headers).status_code == 422
    assert (
        client.post(
            "/api/messages", json={"leadId": "lead:nope", "content": "hi"}, headers=headers
        ).status_code
        == 404
    )
    assert client.put("/api/inbox", json={"number": "12"}, headers=headers).status_code == 400
    assert client.get("/api/conversations").status_code == 401

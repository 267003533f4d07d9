"""The SMS door through the real server: Twilio's signed webhook in (signed with the SDK's real
`RequestValidator`), TwiML or Twilio's REST API (a local fake on loopback) out."""

from __future__ import annotations

import json
import random
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.channels.sms import HELP, NOT_LINKED, STARTED, STOPPED
from frontdesk.channels.sms_text import split_sms
from frontdesk.config import Settings
from tests.agent.test_providers import ANTHROPIC, provider_overrides
from tests.agent.wire import ProviderServer, Reply, is_agent, running
from tests.channels.fakes_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_URL, FakeTwilio, sign
from tests.conftest import _settings, auth, register, serve

HOURLY_LIMIT = 4


def sms_settings(data_dir: Path, twilio: FakeTwilio, **more: object) -> Settings:
    return _settings(
        data_dir,
        demo_data=False,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        twilio_account_sid=ACCOUNT_SID,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=twilio.url,
        outbound_allowed_hosts=["127.0.0.1"],
        sms_hourly_limit=HOURLY_LIMIT,
        **more,
    )


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with running(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="module")
def sms_server(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[str]:
    with serve(sms_settings(tmp_path_factory.mktemp("sms"), twilio)) as url:
        yield url


@pytest.fixture
def client(sms_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sms_server, timeout=30) as c:
        yield c


def new_phone() -> str:
    return f"+1415{random.randint(0, 9_999_999):07d}"


def text(
    client: httpx.Client, phone: str, body: str, sid: str | None = None, signature: str | None = None
) -> httpx.Response:
    """POST Twilio's webhook form for a text from `phone`, signed for the public URL."""
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": FROM_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    sig = sign(f"{PUBLIC_URL}/sms-webhook", form) if signature is None else signature
    return client.post("/sms-webhook", data=form, headers={"X-Twilio-Signature": sig})


def messages_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def linked_user(client: httpx.Client, contacts: int = 0) -> tuple[dict[str, str], str]:
    """A new user with `contacts` contacts and a linked phone; returns (auth headers, phone)."""
    headers = auth(register(client, "Texter"))
    for i in range(contacts):
        r = client.post("/api/contacts", json={"name": f"Person {i} Example"}, headers=headers)
        assert r.status_code == 201, r.text
    phone = new_phone()
    r = client.put("/auth/profile", json={"phone_number": phone}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["phone_number"] == phone
    return headers, phone


def sms_conversation(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, object]]:
    convs = client.get("/chat/conversations", headers=headers).json()["conversations"]
    sms = [c for c in convs if c["channel"] == "sms"]
    if not sms:
        return []
    return client.get(f"/chat/conversations/{sms[0]['conversation_id']}/messages", headers=headers).json()[
        "messages"
    ]


def test_a_signed_text_is_answered_inline_with_the_figure_and_kept_in_the_history(
    client: httpx.Client,
) -> None:
    headers, phone = linked_user(client, contacts=3)
    [answer] = messages_of(text(client, phone, "how many contacts do I have?"))
    assert "3 contacts" in answer
    history = sms_conversation(client, headers)
    assert [(m["role"], m["channel"]) for m in history] == [("user", "sms"), ("assistant", "sms")]
    assert history[0]["content"] == "how many contacts do I have?"
    assert "3 contacts" in str(history[1]["content"])
    # the next text from the same phone continues the same conversation
    messages_of(text(client, phone, "how many contacts do I have?"))
    assert len(sms_conversation(client, headers)) == 4


def test_a_bad_or_missing_signature_is_403_and_nothing_is_stored_or_sent(
    client: httpx.Client, twilio: FakeTwilio
) -> None:
    headers, phone = linked_user(client, contacts=1)
    forged = sign(f"{PUBLIC_URL}/sms-webhook", {"Body": "other"})
    assert text(client, phone, "how many contacts do I have?", signature=forged).status_code == 403
    assert text(client, phone, "how many contacts do I have?", signature="").status_code == 403
    wrong_url = sign("http://127.0.0.1/sms-webhook", {"From": phone})
    assert text(client, phone, "how many contacts?", signature=wrong_url).status_code == 403
    time.sleep(0.3)
    assert sms_conversation(client, headers) == []
    assert twilio.to(phone) == []


def test_the_same_message_sid_twice_is_answered_and_stored_once(
    client: httpx.Client, twilio: FakeTwilio
) -> None:
    headers, phone = linked_user(client, contacts=2)
    sid = f"SM{uuid.uuid4().hex}"
    first = messages_of(text(client, phone, "how many contacts do I have?", sid=sid))
    again = messages_of(text(client, phone, "how many contacts do I have?", sid=sid))
    assert "2 contacts" in first[0]
    assert again == []
    time.sleep(0.3)
    assert twilio.to(phone) == []
    assert [m["role"] for m in sms_conversation(client, headers)] == ["user", "assistant"]


def test_an_unknown_number_gets_one_polite_reply_and_no_turn(client: httpx.Client) -> None:
    assert messages_of(text(client, new_phone(), "how many contacts do I have?")) == [NOT_LINKED]


def test_past_the_hourly_limit_one_reply_says_so_then_nothing(client: httpx.Client) -> None:
    headers, phone = linked_user(client)
    for _ in range(HOURLY_LIMIT):
        assert len(messages_of(text(client, phone, "hello"))) == 1
    [notice] = messages_of(text(client, phone, "hello"))
    assert f"limit of {HOURLY_LIMIT} messages an hour" in notice
    assert messages_of(text(client, phone, "hello")) == []
    assert len([m for m in sms_conversation(client, headers) if m["role"] == "user"]) == HOURLY_LIMIT


def test_stop_opts_out_until_start(client: httpx.Client) -> None:
    headers, phone = linked_user(client, contacts=1)
    assert messages_of(text(client, phone, "STOP")) == [STOPPED]
    assert messages_of(text(client, phone, "how many contacts do I have?")) == []
    assert sms_conversation(client, headers) == []
    assert messages_of(text(client, phone, "help")) == [HELP]  # HELP is answered even when opted out
    assert messages_of(text(client, phone, "Start")) == [STARTED]
    assert "1 contact" in messages_of(text(client, phone, "how many contacts do I have?"))[0]


def test_phone_numbers_are_validated_normalised_and_unique_per_account(client: httpx.Client) -> None:
    headers = auth(register(client, "Phoner"))
    r = client.put("/auth/profile", json={"phone_number": "+1 (415) 555-2671"}, headers=headers)
    assert r.status_code == 200 and r.json()["phone_number"] == "+14155552671"
    for bad in ("4155552671", "+1 555", "call me"):
        assert client.put("/auth/profile", json={"phone_number": bad}, headers=headers).status_code == 400
    other = auth(register(client, "Other"))
    # another account may use the same number (unique per account); then texts from it are ambiguous
    assert (
        client.put("/auth/profile", json={"phone_number": "+14155552671"}, headers=other).status_code == 200
    )
    assert (
        client.put("/auth/profile", json={"phone_number": None}, headers=other).json()["phone_number"] is None
    )


def test_without_twilio_settings_the_webhook_is_503(base_url: str) -> None:
    r = httpx.post(f"{base_url}/sms-webhook", data={"From": "+14155552671", "Body": "hi"})
    assert r.status_code == 503
    assert "FRONTDESK_TWILIO_AUTH_TOKEN" in r.json()["detail"]


# -- a slow, long answer: a real model (recorded Anthropic wire format) that takes 2 s ------------


def anthropic_text(text_: str) -> bytes:
    """An Anthropic Messages stream (SSE) that answers `text_`."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_long",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-5-5",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 400, "output_tokens": 1},
        },
    }
    events = [("message_start", start)]
    events.append(
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
    )
    for i in range(0, len(text_), 400):
        delta = {"type": "text_delta", "text": text_[i : i + 400]}
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 1200},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


LONG_ANSWER = "Your pipeline holds 81 leads worth $2,184,500 in total.\n\n" + "\n\n".join(
    f"Lead group {i}: " + " ".join(f"follow-up item {i}.{j} is due this week." for j in range(13))
    for i in range(10)
)


@pytest.fixture(scope="module")
def slow_server(
    tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio
) -> Iterator[tuple[str, ProviderServer]]:
    wire = ProviderServer()
    with running(wire) as wire_url:
        base = sms_settings(tmp_path_factory.mktemp("sms-slow"), twilio, sms_reply_wait_seconds=0.5)
        with serve(provider_overrides(base, wire_url, model=ANTHROPIC.model, model_max_retries=0)) as url:
            yield url, wire


def test_a_slow_long_answer_comes_by_rest_in_numbered_parts_of_at_most_1600(
    slow_server: tuple[str, ProviderServer], twilio: FakeTwilio
) -> None:
    url, wire = slow_server
    assert len(LONG_ANSWER) > 5000
    wire.queue(
        Reply(
            200, anthropic_text(LONG_ANSWER), {"content-type": "text/event-stream"}, delay=2.0, when=is_agent
        )
    )
    with httpx.Client(base_url=url, timeout=30) as c:
        headers, phone = linked_user(c)
        started = time.monotonic()
        assert messages_of(text(c, phone, "summarise my pipeline")) == []  # empty <Response/> at once
        assert time.monotonic() - started < 2.0
        expected = split_sms(LONG_ANSWER)
        sent = twilio.wait_for(phone, len(expected))
        history = sms_conversation(c, headers)
    bodies = [m.body for m in sent]
    assert len(bodies) == len(expected) >= 4
    assert all(len(b) <= 1600 for b in bodies)
    assert [b.split(" ", 1)[0] for b in bodies] == [f"({i}/{len(bodies)})" for i in range(1, len(bodies) + 1)]
    assert "$2,184,500" in bodies[0]
    words = " ".join(b.split(" ", 1)[1] for b in bodies).split()
    assert words == LONG_ANSWER.split()  # nothing lost, no word cut
    assert all(m.from_ == FROM_NUMBER for m in sent)
    assert history[-1]["role"] == "assistant" and history[-1]["content"] == LONG_ANSWER

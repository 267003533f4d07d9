"""The Teams door through the real server: Bot Framework activities with Bot Connector tokens (signed
with an RSA key of a local fake's JWKS) in, replies to the fake Bot Connector out."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.channels.teams import WELCOME
from tests.agent.wire import running
from tests.api.jobs_support import job_settings, wait_until
from tests.channels.fakes_botframework import (
    APP_ID,
    APP_PASSWORD,
    BOT_ID,
    BOT_TOKEN,
    FakeBotFramework,
    message_activity,
    new_key,
)
from tests.conftest import _settings, auth, register, serve


@pytest.fixture(scope="module")
def bot() -> Iterator[FakeBotFramework]:
    fake = FakeBotFramework()
    with running(fake.app()) as url:
        fake.url = url
        yield fake


def teams_options(bot: FakeBotFramework) -> dict[str, object]:
    """The Teams door's settings, pointed at the fake Bot Framework on loopback."""
    return {
        "demo_data": False,
        "teams_app_id": APP_ID,
        "teams_app_password": APP_PASSWORD,
        "teams_openid_url": f"{bot.url}/v1/.well-known/openidconfiguration",
        "teams_token_url": f"{bot.url}/botframework.com/oauth2/v2.0/token",
        "teams_service_url_hosts": ["127.0.0.1"],
        "outbound_allowed_hosts": ["127.0.0.1"],
    }


@pytest.fixture(scope="module")
def teams_server(tmp_path_factory: pytest.TempPathFactory, bot: FakeBotFramework) -> Iterator[str]:
    settings = _settings(tmp_path_factory.mktemp("teams"), **teams_options(bot))
    with serve(settings) as url:
        yield url


@pytest.fixture
def client(teams_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=teams_server, timeout=30) as c:
        yield c


def teams_user(client: httpx.Client, bot: FakeBotFramework, contacts: int = 0) -> tuple[dict[str, str], str]:
    """A frontdesk user who is also a Teams member; returns (auth headers, their Teams id)."""
    tokens = register(client, "Teamer")
    headers = auth(tokens)
    for i in range(contacts):
        r = client.post("/api/contacts", json={"name": f"Member {i} Example"}, headers=headers)
        assert r.status_code == 201, r.text
    member_id = f"29:{uuid.uuid4().hex}"
    bot.members[member_id] = {"id": member_id, "name": "Teamer", "email": str(tokens["email"]).upper()}
    return headers, member_id


def post(
    client: httpx.Client, activity: dict[str, Any], token: str | None, path: str = "/webhooks/teams"
) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(path, json=activity, headers=headers).status_code


def service_url(bot: FakeBotFramework) -> str:
    return f"{bot.url}/"


def test_a_signed_message_gets_a_reply_with_the_bot_token_and_the_figure(
    client: httpx.Client, bot: FakeBotFramework
) -> None:
    headers, member = teams_user(client, bot, contacts=3)
    conversation = f"a:{uuid.uuid4().hex}"
    activity = message_activity(service_url(bot), conversation, member, "how many contacts do I have?")
    assert post(client, activity, bot.token(service_url(bot))) == 202
    [reply] = bot.wait_for_replies(conversation)
    assert reply.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert reply.path.endswith(f"/activities/{activity['id']}")  # a reply to the activity
    assert "3 contacts" in reply.body["text"]
    assert reply.body["replyToId"] == activity["id"]
    assert reply.body["from"]["id"] == BOT_ID and reply.body["recipient"]["id"] == member
    calls = bot.connector_calls(conversation)
    assert any(c.body == {"type": "typing", "from": {"id": BOT_ID, "name": "frontdesk"}} for c in calls)
    assert any(c.method == "GET" and c.path.endswith(f"/members/{member}") for c in calls)
    token_calls = [c for c in bot.calls if c.path.endswith("/oauth2/v2.0/token")]
    assert token_calls and token_calls[0].body["client_id"] == APP_ID  # client credentials, then cached
    # the thread is readable on the web with its channel; the @mention was stripped
    convs = client.get("/chat/conversations", headers=headers).json()["conversations"]
    [conv] = [c for c in convs if c["channel"] == "teams"]
    messages = client.get(f"/chat/conversations/{conv['conversation_id']}/messages", headers=headers).json()
    assert [(m["role"], m["channel"]) for m in messages["messages"]] == [
        ("user", "teams"),
        ("assistant", "teams"),
    ]
    assert messages["messages"][0]["content"] == "how many contacts do I have?"


def test_records_come_back_as_an_adaptive_card_with_a_text_fallback(
    client: httpx.Client, bot: FakeBotFramework
) -> None:
    _, member = teams_user(client, bot, contacts=3)
    conversation = f"a:{uuid.uuid4().hex}"
    activity = message_activity(service_url(bot), conversation, member, "list all contacts")
    assert post(client, activity, bot.token(service_url(bot))) == 202
    [reply] = bot.wait_for_replies(conversation)
    assert "Member 0 Example" in reply.body["text"]  # the text fallback
    [card] = reply.body["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    table = next(b for b in card["content"]["body"] if b["type"] == "Table")
    cells = [[c["items"][0]["text"] for c in row["cells"]] for row in table["rows"]]
    assert len(cells) == 4  # header + three contacts
    assert any("Member 1 Example" in cell for row in cells for cell in row)


def test_the_same_activity_twice_is_answered_once(client: httpx.Client, bot: FakeBotFramework) -> None:
    _, member = teams_user(client, bot, contacts=1)
    conversation = f"a:{uuid.uuid4().hex}"
    activity = message_activity(service_url(bot), conversation, member, "how many contacts do I have?")
    assert post(client, activity, bot.token(service_url(bot))) == 202
    bot.wait_for_replies(conversation)
    assert (
        post(client, activity, bot.token(service_url(bot)), path="/api/messages") == 202
    )  # also the BF default
    time.sleep(1.0)
    assert len(bot.replies(conversation)) == 1


def test_an_unknown_person_is_told_how_to_get_access_and_gets_no_turn(
    client: httpx.Client, bot: FakeBotFramework
) -> None:
    member = f"29:{uuid.uuid4().hex}"
    bot.members[member] = {"id": member, "name": "Stranger", "email": "stranger@elsewhere.example"}
    conversation = f"a:{uuid.uuid4().hex}"
    activity = message_activity(service_url(bot), conversation, member, "how many contacts do I have?")
    assert post(client, activity, bot.token(service_url(bot))) == 202
    [reply] = bot.wait_for_replies(conversation)
    assert "stranger@elsewhere.example" in reply.body["text"] and "invite" in reply.body["text"]
    assert not any(
        c.body == {"type": "typing", "from": {"id": BOT_ID, "name": "frontdesk"}}
        for c in bot.connector_calls(conversation)
    )


def test_the_bot_added_to_a_conversation_says_hello(client: httpx.Client, bot: FakeBotFramework) -> None:
    conversation = f"a:{uuid.uuid4().hex}"
    activity = message_activity(service_url(bot), conversation, "29:someone", "")
    activity |= {
        "type": "conversationUpdate",
        "membersAdded": [{"id": BOT_ID}],
        "text": None,
        "entities": None,
    }
    assert post(client, activity, bot.token(service_url(bot))) == 202
    [welcome] = bot.wait_for_replies(conversation)
    assert welcome.body["text"] == WELCOME


def refused(bot: FakeBotFramework) -> list[tuple[str, dict[str, Any] | None, int]]:
    url = service_url(bot)
    now = int(time.time())
    return [
        ("no token", None, 401),
        ("wrong audience", {"aud": "someone-else"}, 401),
        ("expired", {"exp": now - 600, "nbf": now - 7200, "iat": now - 7200}, 401),
        ("not yet valid", {"nbf": now + 900}, 401),
        ("wrong issuer", {"iss": "https://sts.windows.net/attacker/"}, 401),
        ("unknown key", {"key": new_key(), "kid": "unknown-key"}, 401),
        ("known kid, other key", {"key": new_key()}, 401),
        ("serviceUrl mismatch", {"serviceurl": "https://smba.trafficmanager.net/amer/"}, 403),
        ("no serviceurl claim", {"serviceurl": None}, 403),
        ("within the 5 minutes' skew", {"exp": now - 120}, 202),
        ("(control) valid", {"serviceurl": url}, 202),
    ]


@pytest.mark.parametrize("case", range(11))
def test_each_bad_token_is_refused_and_nothing_is_sent(
    client: httpx.Client, bot: FakeBotFramework, case: int
) -> None:
    name, override, status = refused(bot)[case]
    member = f"29:{uuid.uuid4().hex}"  # nobody: an accepted call gets the no-access reply
    bot.members[member] = {"id": member, "email": "nobody@example.com"}
    conversation = f"a:{uuid.uuid4().hex}"
    activity = message_activity(service_url(bot), conversation, member, "how many contacts do I have?")
    token = None if override is None else bot.token(service_url(bot), **override)
    assert post(client, activity, token) == status, name
    if status == 202:
        bot.wait_for_replies(conversation)
    else:
        time.sleep(0.5)
        assert bot.connector_calls(conversation) == [], name


def test_a_service_url_outside_the_allowed_hosts_is_refused(
    client: httpx.Client, bot: FakeBotFramework
) -> None:
    evil = "https://evil.example.com/"
    activity = message_activity(evil, f"a:{uuid.uuid4().hex}", "29:x", "hi")
    assert post(client, activity, bot.token(evil)) == 403


def test_a_scheduled_reply_is_written_in_the_owners_personal_chat(
    tmp_path: Path, bot: FakeBotFramework
) -> None:
    """`deliver_to: "teams"`: refused politely before the owner ever talked to the bot (noted in the
    job's result), then written first by the bot in their 1:1 chat once they have."""
    settings = job_settings(tmp_path, **teams_options(bot))
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        headers, member = teams_user(client, bot, contacts=2)
        body = {
            "name": "Morning count",
            "schedule": {"type": "cron", "cron": "0 9 * * *"},
            "task_type": "agent_task",
            "task_params": {"message": "how many contacts do I have?", "deliver_to": "teams"},
        }
        job = client.post("/scheduler/jobs", headers=headers, json=body).json()

        def run_once() -> dict[str, Any]:
            before = client.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()["last_run"]
            assert client.post(f"/scheduler/jobs/{job['id']}/run", headers=headers).status_code == 200

            def finished() -> dict[str, Any] | None:
                j = client.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()
                done = j["last_status"] in ("completed", "failed") and j["last_run"] != before
                return j if done else None

            return wait_until(finished, timeout=60)

        assert run_once()["last_status"] == "completed"
        notes = client.get("/api/notifications", headers=headers, params={"type": "system"}).json()
        delivery = notes["notifications"][0]["data"]["result"]["delivery"]
        assert delivery["door"] == "teams" and "personal chat" in delivery["error"]

        personal = f"a:{uuid.uuid4().hex}"
        hello = message_activity(service_url(bot), personal, member, "hello")
        assert post(client, hello, bot.token(service_url(bot))) == 202
        bot.wait_for_replies(personal)
        assert run_once()["last_status"] == "completed"
        first = wait_until(
            lambda: [
                c
                for c in bot.connector_calls(personal)
                if c.path.endswith(f"/{personal}/activities") and c.body.get("type") == "message"
            ],
            timeout=30,
        )
    assert "2 contacts" in first[0].body["text"]
    assert first[0].body["from"]["id"] == BOT_ID

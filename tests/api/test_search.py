"""`/api/v1/message-history/search/` over real HTTP: messages written by real chat turns are found
with AND / OR / NOT / phrase semantics; bad queries are 400; accounts never see each other."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.config import Settings
from tests.api.test_ads import set_permissions
from tests.conftest import auth, register

SEARCH = "/api/v1/message-history/search/"
SAID = {
    "order": "zq7 where is my parcel order",
    "refund": "zq7 refund for the broken order please",
    "phrase": "zq7 the reset password link expired",
    "other": "zq7 password reset done, thanks",
}


@pytest.fixture(scope="module")
def owner(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """An account whose user said SAID through /chat/send; (headers, {key: conversation id})."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        headers = auth(register(client, "Speaker"))
        sessions = {}
        for key, text in SAID.items():
            r = client.post("/chat/send", json={"message": text}, headers=headers)
            assert r.status_code == 200, r.text
            sessions[key] = r.json()["session_id"]
    return headers, sessions


def found(client: httpx.Client, headers: dict[str, str], q: str, **params: object) -> set[str]:
    r = client.get(SEARCH, params={"q": q, "role": "user", **params}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["query"] == q and body["count"] == len(body["data"])
    return {next(k for k, v in SAID.items() if v == m["content"]) for m in body["data"]}


def test_operators_on_messages_from_real_turns(
    client: httpx.Client, owner: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, sessions = owner
    assert found(client, headers, "order") == {"order", "refund"}
    assert found(client, headers, "order AND refund") == {"refund"}
    assert found(client, headers, "parcel OR refund") == {"order", "refund"}
    assert found(client, headers, "order NOT refund") == {"order"}
    assert found(client, headers, "zq7 -password -order") == set()
    assert found(client, headers, '"reset password"') == {"phrase"}
    assert found(client, headers, "reset password") == {"phrase", "other"}
    assert found(client, headers, "(parcel OR expired) zq7") == {"order", "phrase"}
    hit = client.get(SEARCH, params={"q": "parcel", "role": "user"}, headers=headers).json()["data"][0]
    assert hit["conversation_id"] == sessions["order"] and hit["score"] > 0 and hit["type"] == "text"
    page = client.get(SEARCH, params={"q": "zq7", "role": "user", "limit": 3}, headers=headers).json()
    assert (page["total"], page["count"], page["has_more"]) == (4, 3, True)


@pytest.mark.parametrize(
    ("q", "detail"),
    [
        ('"unclosed', "Unterminated quote"),
        ("order OR", "ends where a term"),
        ("NOT order", "NOT needs a term"),
        ("(order", "Unbalanced"),
        ("!!!", "no words"),
    ],
)
def test_malformed_queries_are_400(
    client: httpx.Client, owner: tuple[dict[str, str], dict[str, str]], q: str, detail: str
) -> None:
    r = client.get(SEARCH, params={"q": q}, headers=owner[0])
    assert r.status_code == 400, r.text
    assert detail in r.json()["detail"]


def test_paging_limits_and_auth(client: httpx.Client, owner: tuple[dict[str, str], dict[str, str]]) -> None:
    headers = owner[0]
    assert client.get(SEARCH, params={"q": "x", "limit": 101}, headers=headers).status_code == 422
    assert client.get(SEARCH, params={"q": ""}, headers=headers).status_code == 422
    assert client.get(SEARCH, headers=headers).status_code == 422
    assert client.get(SEARCH, params={"q": "order"}).status_code == 401


def test_accounts_are_isolated_and_permission_is_checked(
    client: httpx.Client, server_settings: Settings, owner: tuple[dict[str, str], dict[str, str]]
) -> None:
    tokens = register(client, "Stranger")
    headers = auth(tokens)
    r = client.get(SEARCH, params={"q": "zq7 OR parcel OR refund"}, headers=headers)
    assert r.status_code == 200 and r.json()["total"] == 0
    r = client.get(SEARCH, params={"q": "zq7", "conversation_id": owner[1]["order"]}, headers=headers)
    assert r.json()["total"] == 0
    set_permissions(server_settings, tokens, ["crm.read"])
    r = client.get(SEARCH, params={"q": "zq7"}, headers=headers)
    assert r.status_code == 403 and "chat" in r.json()["detail"]

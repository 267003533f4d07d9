"""`PATCH /chat/conversations/{id}` (rename) and `GET /chat/suggestions` over a real server."""

from __future__ import annotations

import httpx

from tests.conftest import auth, register


def _conversation(client: httpx.Client, headers: dict[str, str], title: str | None = None) -> str:
    r = client.post("/chat/conversations", json={"title": title}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["conversation_id"])


def test_rename_keeps_the_place_in_the_list(client: httpx.Client) -> None:
    headers = auth(register(client, "Renamer"))
    older = _conversation(client, headers, "first")
    newer = _conversation(client, headers, "second")
    body = {"title": "  Quarterly   VIP review "}
    r = client.patch(f"/chat/conversations/{older}", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Quarterly VIP review"
    listed = client.get("/chat/conversations", headers=headers).json()["conversations"]
    assert [c["conversation_id"] for c in listed] == [newer, older]
    assert listed[1]["title"] == "Quarterly VIP review"


def test_rename_refuses_blank_long_and_foreign(client: httpx.Client) -> None:
    owner = auth(register(client, "Owner"))
    other = auth(register(client, "Stranger"))
    conv = _conversation(client, owner, "mine")
    path = f"/chat/conversations/{conv}"
    assert client.patch(path, json={"title": "   "}, headers=owner).status_code == 400
    assert client.patch(path, json={"title": ""}, headers=owner).status_code == 422
    assert client.patch(path, json={"title": "x" * 201}, headers=owner).status_code == 422
    r = client.patch(f"/chat/conversations/{conv}", json={"title": "mine now"}, headers=other)
    assert r.status_code == 404
    assert client.patch(f"/chat/conversations/{conv}", json={"title": "x"}).status_code == 401
    assert client.get(f"/chat/conversations/{conv}", headers=owner).json()["title"] == "mine"


def test_suggestions_come_from_the_accounts_own_tags(client: httpx.Client) -> None:
    headers = auth(register(client, "Suggest"))
    fresh = client.get("/chat/suggestions", headers=headers)
    assert fresh.status_code == 200
    assert fresh.json()["questions"] and not any("tagged" in q for q in fresh.json()["questions"])
    for n in range(3):
        body = {"name": f"Person {n}", "email": f"p{n}@example.com", "tags": ["Gold circle"]}
        assert client.post("/api/contacts", json=body, headers=headers).status_code == 201
    body = {"name": "Solo", "email": "solo@example.com", "tags": ["rare"]}
    assert client.post("/api/contacts", json=body, headers=headers).status_code == 201
    questions = client.get("/chat/suggestions", headers=headers).json()["questions"]
    assert questions[0] == "Which contacts are tagged Gold circle?"  # the most used tag
    assert 1 <= len(questions) <= 4
    assert client.get("/chat/suggestions").status_code == 401

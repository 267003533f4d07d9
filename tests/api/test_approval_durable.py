"""Durable approvals through the real server: a pending approval lives in the store, not in the
process that asked. On one SQLite file, a question asked before a restart is answered after it
(a new app instance runs the write); on PostgreSQL, a question asked on one app instance is
answered on another (a replica pair). "no" cancels there too; a stranger (another account, or
another conversation of the same account) cannot resume it; once resolved, nothing is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from frontdesk.config import Settings
from frontdesk.storage.checkpoint_models import ApprovalWait, GraphCheckpoint, GraphWrite
from frontdesk.storage.migrate import upgrade
from tests.api.jobs_support import job_settings
from tests.api.test_approval import leads_named, on_db, say
from tests.conftest import auth, register, serve
from tests.scale.cluster import postgres_database


def stored_rows(settings: Settings) -> dict[str, int]:
    """How many checkpoint, write and waiting rows the store holds."""

    async def count(db: Any) -> dict[str, int]:
        await upgrade(db)
        async with db.session() as s:
            return {
                m.__tablename__: int(await s.scalar(select(func.count()).select_from(m)) or 0)
                for m in (GraphCheckpoint, GraphWrite, ApprovalWait)
            }

    return on_db(settings, count)  # type: ignore[no-any-return]


def new_conversation(client: httpx.Client, headers: dict[str, str]) -> str:
    r = client.post("/chat/conversations", json={}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["conversation_id"])


def test_a_pending_approval_survives_a_restart_on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = tmp_path_factory.mktemp("durable-sqlite")  # a SQLite file even in the PostgreSQL pass
    settings = job_settings(data_dir, database_url=f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}")
    assert settings.resolved_database_url.startswith("sqlite")
    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as first:
        tokens = register(first, "Restart")
        headers = auth(tokens)
        conv = new_conversation(first, headers)
        asked, tools = say(first, headers, conv, "Create a contact named Rita Restart")
        assert tools == [] and asked["content"].endswith("reply yes to confirm.")
        assert "Rita Restart" in asked["content"]
    rows = stored_rows(settings)
    assert rows["approval_waits"] == 1 and rows["graph_checkpoints"] == 1  # the latest one only

    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as second:  # a new app instance
        done, tools = say(second, headers, conv, "yes")
        assert tools == ["create_contact"] and "Rita" in done["content"]
        r = second.get("/api/contacts", params={"search": "Rita"}, headers=headers)
        assert r.status_code == 200, r.text
        names = [f"{c['firstName']} {c['lastName']}" for c in r.json()["contacts"]]
        assert names == ["Rita Restart"]
    assert stored_rows(settings) == {
        "graph_checkpoints": 0,
        "graph_checkpoint_writes": 0,
        "approval_waits": 0,
    }


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, httpx.Client, Settings]]:
    """Two app instances on one fresh PostgreSQL database."""
    with postgres_database() as database_url:
        settings = job_settings(tmp_path_factory.mktemp("durable-pg"), database_url=database_url)
        with (
            serve(settings) as url_a,
            serve(settings) as url_b,
            httpx.Client(base_url=url_a, timeout=60) as a,
            httpx.Client(base_url=url_b, timeout=60) as b,
        ):
            yield a, b, settings


def test_asked_on_one_replica_confirmed_on_the_other(
    replicas: tuple[httpx.Client, httpx.Client, Settings],
) -> None:
    a, b, settings = replicas
    headers = auth(register(a, "Replica"))
    conv = new_conversation(a, headers)
    asked, tools = say(a, headers, conv, "Create a lead named Pia Replica from referral worth $900")
    assert tools == [] and "$900" in asked["content"] and "referral" in asked["content"]
    assert leads_named(b, headers, "Pia Replica") == []

    done, tools = say(b, headers, conv, "yes")
    assert "create_lead" in tools and "Pia Replica" in done["content"]
    assert stored_rows(settings) == {
        "graph_checkpoints": 0,
        "graph_checkpoint_writes": 0,
        "approval_waits": 0,
    }
    [lead] = leads_named(a, headers, "Pia Replica")
    assert lead["source"] == "referral" and lead["value"] == 900
    history = b.get(f"/chat/conversations/{conv}/messages", headers=headers).json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[1]["content"] == asked["content"]


def test_no_on_the_other_replica_cancels(replicas: tuple[httpx.Client, httpx.Client, Settings]) -> None:
    a, b, _ = replicas
    headers = auth(register(a, "Refuser"))
    conv = new_conversation(a, headers)
    say(a, headers, conv, "Create a lead named Nils Refused")
    done, tools = say(b, headers, conv, "no")
    assert tools == [] and done["content"].startswith("Cancelled")
    assert leads_named(a, headers, "Nils Refused") == []
    again, tools = say(a, headers, conv, "yes")  # nothing is waiting any more: a plain new turn
    assert "create_lead" not in tools and leads_named(b, headers, "Nils Refused") == []
    assert not again["content"].startswith("Cancelled")


def test_a_stranger_cannot_resume_it(replicas: tuple[httpx.Client, httpx.Client, Settings]) -> None:
    a, b, _ = replicas
    owner = auth(register(a, "Owner"))
    conv = new_conversation(a, owner)
    say(a, owner, conv, "Create a lead named Vera Guarded")

    stranger = auth(register(b, "Stranger"))  # another account: the conversation is not theirs
    r = b.post(f"/chat/conversations/{conv}/messages", json={"content": "yes"}, headers=stranger)
    assert r.status_code == 404, r.text
    elsewhere = new_conversation(b, owner)  # the owner's other conversation does not resume it either
    _, tools = say(b, owner, elsewhere, "yes")
    assert "create_lead" not in tools
    assert leads_named(a, owner, "Vera Guarded") == []

    _, tools = say(b, owner, conv, "yes")  # the question is still pending in its own conversation
    assert "create_lead" in tools and len(leads_named(a, owner, "Vera Guarded")) == 1


def test_a_second_question_after_a_resume_carries_the_whole_state(
    replicas: tuple[httpx.Client, httpx.Client, Settings],
) -> None:
    """A multi-step write asks again after the first yes: the state resumed on one replica (only
    some channels change) is what the other replica resumes next."""
    a, b, _ = replicas
    headers = auth(register(a, "Stepper"))
    conv = new_conversation(a, headers)
    first, _ = say(a, headers, conv, "Create a contact named Tess Steps and tag her VIP")
    assert first["content"].endswith("reply yes to confirm.")
    second, tools = say(b, headers, conv, "yes")  # runs the first step, asks for the second
    assert tools == ["create_contact"] and second["content"].startswith("I'll tag contact")
    _, tools = say(a, headers, conv, "yes")
    assert tools == ["tag_contact"]
    r = a.get("/api/contacts", params={"search": "Tess"}, headers=headers)
    [contact] = r.json()["contacts"]
    assert "VIP" in str(contact.get("tags"))

"""The `search_messages` tool through the registry: who sees what, paging, refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from frontdesk import clock
from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid
from frontdesk.security import hash_password
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.models import Membership, Message, User
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from frontdesk.types import ROLE_PERMISSIONS, Principal
from tests.conftest import new_identity

pytestmark = pytest.mark.usefixtures("pinned_today")


async def add_member(db: Database, owner: Principal, role: str = "Member") -> Principal:
    """A second user in the owner's account (what an invite would create)."""
    async with db.session() as s:
        user = User(
            id=f"user:{uuid.uuid4()}",
            email=f"member-{uuid.uuid4().hex[:8]}@example.com",
            name="Member",
            password_hash=hash_password("pw-12345678"),
            current_account_id=owner.account_id,
        )
        s.add(user)
        await s.flush()
        perms = sorted(ROLE_PERMISSIONS[role])
        s.add(Membership(account_id=owner.account_id, user_id=user.id, role=role, permissions=perms))
        await s.commit()
    return Principal(user.id, owner.account_id, role, frozenset(perms))  # type: ignore[arg-type]


async def say(db: Database, principal: Principal, *texts: str) -> list[str]:
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal)
        stored = await convs.add_messages(s, conv, [convs.NewMessage("user", t) for t in texts])
    return [m.id for m in stored]


@pytest.fixture
async def owner(db: Database) -> Principal:
    return (await new_identity(db, "Owner")).principal()


async def test_owner_sees_the_account_member_sees_their_own(
    db: Database, settings: Settings, owner: Principal
) -> None:
    reg = default_registry()
    member = await add_member(db, owner)
    owner_ids = await say(db, owner, "quarterly budget review", "budget approved")
    member_ids = await say(db, member, "my budget question")
    as_owner = await reg.call("search_messages", {"q": "budget"}, ToolContext(owner, db, settings))
    assert as_owner["scope"] == "account"
    assert {m["id"] for m in as_owner["data"]} == set(owner_ids + member_ids)
    assert {m["user_id"] for m in as_owner["data"]} == {owner.user_id, member.user_id}
    as_member = await reg.call("search_messages", {"q": "budget"}, ToolContext(member, db, settings))
    assert as_member["scope"] == "own"
    assert [m["id"] for m in as_member["data"]] == member_ids
    admin = await add_member(db, owner, "Admin")
    as_admin = await reg.call("search_messages", {"q": "budget"}, ToolContext(admin, db, settings))
    assert as_admin["total"] == 3


async def test_results_are_paged_and_shaped(db: Database, settings: Settings, owner: Principal) -> None:
    ids = await say(db, owner, *[f"ticket number {i} about shipping" for i in range(7)])
    ctx = ToolContext(owner, db, settings)
    reg = default_registry()
    first = await reg.call("search_messages", {"q": "shipping", "limit": 5}, ctx)
    rest = await reg.call("search_messages", {"q": "shipping", "limit": 5, "offset": 5}, ctx)
    assert (first["total"], first["count"], first["has_more"]) == (7, 5, True)
    assert (rest["count"], rest["has_more"]) == (2, False)
    assert {m["id"] for m in first["data"] + rest["data"]} == set(ids)
    hit = first["data"][0]
    assert set(hit) >= {"id", "conversation_id", "content", "type", "created_at", "score", "role", "channel"}
    assert hit["created_at"].endswith("Z") and hit["score"] > 0 and hit["role"] == "user"
    scores = [m["score"] for m in first["data"] + rest["data"]]
    assert scores == sorted(scores, reverse=True)


async def test_date_and_role_filters(db: Database, settings: Settings, owner: Principal) -> None:
    old, new = await say(db, owner, "invoice from march", "invoice from today")
    async with db.session() as s:
        await s.execute(
            update(Message).where(Message.id == old).values(created_at=datetime.now(UTC) - timedelta(days=40))
        )
        await s.commit()
    ctx = ToolContext(owner, db, settings)
    reg = default_registry()
    today = clock.today()
    recent = await reg.call(
        "search_messages", {"q": "invoice", "date_from": str(today - timedelta(days=7))}, ctx
    )
    assert [m["id"] for m in recent["data"]] == [new]
    older = await reg.call(
        "search_messages", {"q": "invoice", "date_to": str(today - timedelta(days=30))}, ctx
    )
    assert [m["id"] for m in older["data"]] == [old]
    assert (await reg.call("search_messages", {"q": "invoice", "role": "assistant"}, ctx))["total"] == 0
    with pytest.raises(Invalid, match="date_from is after date_to"):
        await reg.call("search_messages", {"q": "x", "date_from": "2026-02-01", "date_to": "2026-01-01"}, ctx)


async def test_refusals(db: Database, settings: Settings, owner: Principal) -> None:
    reg = default_registry()
    ctx = ToolContext(owner, db, settings)
    for bad in ('"open quote', "a OR", "NOT alone", "(a"):
        with pytest.raises(Invalid):
            await reg.call("search_messages", {"q": bad}, ctx)
    with pytest.raises(Invalid, match="q"):
        await reg.call("search_messages", {"q": ""}, ctx)
    with pytest.raises(Invalid, match="limit"):
        await reg.call("search_messages", {"q": "a", "limit": 101}, ctx)
    mute = Principal(owner.user_id, owner.account_id, "Viewer", frozenset({"crm.read"}))
    with pytest.raises(Forbidden):
        await reg.call("search_messages", {"q": "a"}, ToolContext(mute, db, settings))
    with pytest.raises(Forbidden):  # the function itself refuses, not only the registry
        await reg.get("search_messages").fn(ToolContext(mute, db, settings), q="a")
    assert "search_messages" not in {s.name for s in reg.visible_to(mute)}


async def test_two_accounts_never_see_each_other(db: Database, settings: Settings, owner: Principal) -> None:
    other = (await new_identity(db, "Rival")).principal()
    await say(db, owner, "the secret merger plan")
    mine = await say(db, other, "our own merger memo")
    reg = default_registry()
    found = await reg.call("search_messages", {"q": "merger"}, ToolContext(other, db, settings))
    assert [m["id"] for m in found["data"]] == mine
    assert (await reg.call("search_messages", {"q": "secret"}, ToolContext(other, db, settings)))[
        "total"
    ] == 0

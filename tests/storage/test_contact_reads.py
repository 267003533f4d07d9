"""The contact list read in one go (`contact_list._read`): through the `Database` (on SQLite one trip
to a pooled connection's thread, no statement through the engine) every page, total and cursor
equals the same read on a session (through SQLAlchemy), for every kind of filter, sort and
offset, and the cursors chain the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from frontdesk.storage import crm, write_tx
from frontdesk.storage.db import Database
from tests.storage.test_read_tx import demo_account

WEEK_AGO = datetime.now(UTC) - timedelta(days=7)
SHAPES: list[dict[str, Any]] = [
    {},
    {"tags": ["VIP"]},
    {"tags": ["vip", "Customer"]},  # case folded
    {"tags": ["VIP", "customer", "prospect"]},
    {"tags": ["no such tag"]},
    {"search": "an"},  # under 3 characters: LIKE
    {"search": "example"},  # the text index on SQLite
    {"company": "acme"},
    {"search": "example", "company": "co"},
    {"created_from": WEEK_AGO - timedelta(days=60)},
    {"created_from": WEEK_AGO - timedelta(days=90), "created_to": WEEK_AGO},
    {"tags": ["VIP"], "created_from": WEEK_AGO - timedelta(days=365)},
    {"tags": ["customer"], "search": "example"},
    {"sort": "company", "order": "desc"},
    {"sort": "created_at", "order": "desc", "tags": ["customer"]},
    {"offset": 7},
    {"offset": 10_000},  # past the end
    {"search": "example", "offset": 10_000},
]


def _plain(page: Any) -> tuple[Any, ...]:
    return [(r.id, r.last_name, r.company, r.tag_names, r.created_at) for r in page.items], page.total


@pytest.mark.parametrize("shape", SHAPES)
async def test_contact_pages_through_the_database_equal_the_session_pages(
    db: Database, shape: dict[str, Any]
) -> None:
    account_id = await demo_account(db)
    first = await crm.contacts_page(db, account_id, limit=6, **shape)
    async with db.session() as s:
        on_session = await crm.contacts_page(s, account_id, limit=6, **shape)
    assert _plain(first) == _plain(on_session)
    assert first.next_cursor == on_session.next_cursor
    if "no such tag" not in shape.get("tags", []) and not shape.get("offset"):
        assert first.items, shape  # the demo data has matches for every other shape
    if first.next_cursor:
        after = await crm.contacts_page(db, account_id, limit=6, cursor=first.next_cursor, **shape)
        async with db.session() as s:
            after_session = await crm.contacts_page(s, account_id, limit=6, cursor=first.next_cursor, **shape)
        assert _plain(after) == _plain(after_session)
        assert not {r.id for r in after.items} & {r.id for r in first.items}


async def test_on_sqlite_a_page_is_one_trip_to_the_thread(db: Database) -> None:
    if not db.one_hop:
        pytest.skip("one trip to SQLite's thread: the embedded store only")
    account_id = await demo_account(db)
    through_engine: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        through_engine.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        before = write_tx.COUNTS["statements"]
        page = await crm.contacts_page(db, account_id, tags=["VIP"], limit=5)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert page.items and all("VIP" in r.tag_names for r in page.items)
    assert through_engine == []  # no statement went through SQLAlchemy's engine
    # the tag's id, its size with the account's count, the page, its rows
    assert write_tx.COUNTS["statements"] - before == 4

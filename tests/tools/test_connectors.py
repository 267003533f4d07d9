"""The native and demo connectors behind the `Connector` interface, and `connector_for`."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage import crm_connections
from frontdesk.storage.db import Database
from frontdesk.storage.models import Connection
from frontdesk.tools.connectors.base import Connector
from frontdesk.tools.connectors.demo import DemoConnector
from frontdesk.tools.connectors.demo_data import demo_dataset
from frontdesk.tools.connectors.factory import connector_for
from frontdesk.tools.connectors.hubspot import HubSpotConnector
from frontdesk.tools.connectors.native import NativeConnector
from tests.conftest import DEMO_CONTACTS, demo_identity, new_identity

SECRET = "test-secret-key-with-enough-length-0123456789"


async def _all(connector: Connector, object_type: str, page: int) -> list[dict]:
    records, cursor = [], None
    while True:
        got = await connector.list_objects(object_type, cursor=cursor, limit=page)
        assert len(got.records) <= page
        records += got.records
        cursor = got.next_cursor
        if cursor is None:
            return records


async def _connection(db: Database, account_id: str, platform: str) -> Connection:
    async with db.session() as s:
        rows = await crm_connections.list_connections(s, account_id, platform=platform)
    assert len(rows) == 1, f"expected one {platform} connection"
    return rows[0]


async def test_native_connector_pages_every_record_once(db: Database) -> None:
    identity = await demo_identity(db)
    row = await _connection(db, identity.account.id, "native")
    connector = connector_for(row, db=db, secret=SECRET)
    assert isinstance(connector, NativeConnector)
    first = await connector.list_objects("contacts", limit=40)
    assert first.total == DEMO_CONTACTS and first.next_cursor == "40"
    contacts = await _all(connector, "contacts", 40)
    assert len(contacts) == DEMO_CONTACTS == len({c["id"] for c in contacts})
    assert [c["created_at"] for c in contacts] == sorted(c["created_at"] for c in contacts)
    leads = await _all(connector, "leads", 33)
    assert len(leads) == (await connector.list_objects("leads", limit=1)).total
    tags = await _all(connector, "tags", 3)
    assert {t["name"] for t in tags} >= {"VIP", "customer"} and all(t["contact_count"] >= 0 for t in tags)
    with pytest.raises(Invalid, match="cursor"):
        await connector.list_objects("contacts", cursor="abc")
    with pytest.raises(Invalid, match="serves"):
        await connector.list_objects("deals")


async def test_native_connector_get_search_tag_update(db: Database) -> None:
    identity = await demo_identity(db)
    connector = NativeConnector(db, identity.account.id)
    some = (await connector.list_objects("contacts", limit=1)).records[0]
    assert (await connector.get_object("contacts", some["id"]))["email"] == some["email"]
    hits = await connector.search_objects("contacts", some["last_name"], limit=50)
    assert some["id"] in {h["id"] for h in hits}
    tagged = await connector.apply_tag(some["id"], "connector-test")
    assert "connector-test" in tagged["tags"]
    again = await connector.apply_tag(some["id"], "CONNECTOR-TEST")  # idempotent, case-insensitive
    assert again["tags"] == tagged["tags"]
    updated = await connector.update_field("contacts", some["id"], "position", "Chief Tester")
    assert updated["position"] == "Chief Tester"
    with pytest.raises(Invalid, match="writable"):
        await connector.update_field("contacts", some["id"], "account_id", "account:evil")
    lead = (await connector.list_objects("leads", limit=1)).records[0]
    with pytest.raises(Invalid, match="status"):
        await connector.update_field("leads", lead["id"], "status", "won")
    assert (await connector.update_field("leads", lead["id"], "status", "qualified"))["status"] == "qualified"
    other = NativeConnector(db, (await new_identity(db)).account.id)
    with pytest.raises(NotFound):
        await other.get_object("contacts", some["id"])
    with pytest.raises(NotFound):
        await other.apply_tag(some["id"], "x")
    assert (await other.list_objects("contacts")).total == 0
    assert (await other.test_connection()).ok


def test_demo_dataset_is_deterministic() -> None:
    a = demo_dataset(7, date(2026, 3, 1), 80)
    b = demo_dataset.__wrapped__(7, date(2026, 3, 1), 80)  # rebuilt, not the cached object
    assert a.objects == b.objects
    assert len(a.objects["contacts"]) == 80 and a.objects["deals"] and len(a.objects["tags"]) == 6
    assert all(r["created_at"] < "2026-03-02" for r in a.objects["contacts"])
    tag_counts = {t["name"]: t["contact_count"] for t in a.objects["tags"]}
    assert tag_counts["newsletter"] == sum("newsletter" in c["tags"] for c in a.objects["contacts"])
    assert demo_dataset(8, date(2026, 3, 1), 80).objects != a.objects


async def test_demo_connector_for_the_demo_account(db: Database) -> None:
    identity = await demo_identity(db)
    row = await _connection(db, identity.account.id, "demo")
    connector = connector_for(row, db=db, secret=SECRET)
    assert isinstance(connector, DemoConnector)
    contacts = await _all(connector, "contacts", 50)
    assert len(contacts) == 120 == (await connector.list_objects("contacts")).total
    assert len({c["id"] for c in contacts}) == 120
    deal = (await connector.list_objects("deals", limit=1)).records[0]
    assert set(deal) >= {"id", "name", "amount", "stage", "contact_id", "close_date"}
    found = await connector.search_objects("companies", "globex")
    assert [c["name"] for c in found] == ["Globex"]
    with pytest.raises(NotFound):
        await connector.get_object("contacts", "demo-contact-9999")
    assert (await connector.test_connection()).info["contacts"] == 120


async def test_demo_connector_edits_persist_in_the_connection(db: Database) -> None:
    identity = await demo_identity(db)
    row = await _connection(db, identity.account.id, "demo")
    first = (await connector_for(row, db=db, secret=SECRET).list_objects("contacts", limit=1)).records[0]
    connector = connector_for(row, db=db, secret=SECRET)
    tagged = await connector.apply_tag(first["id"], "followed-up")
    assert "followed-up" in tagged["tags"]
    await connector.update_field("contacts", first["id"], "position", "Buyer of the year")
    with pytest.raises(Invalid, match="writable"):
        await connector.update_field("contacts", first["id"], "id", "x")
    with pytest.raises(Invalid, match="number"):
        await connector.update_field("deals", "demo-deal-0001", "amount", "lots")
    fresh = connector_for(await _connection(db, identity.account.id, "demo"), db=db, secret=SECRET)
    again = await fresh.get_object("contacts", first["id"])
    assert "followed-up" in again["tags"] and again["position"] == "Buyer of the year"
    # another account's demo connection with the same seed serves the data set without these edits
    other = await new_identity(db)
    async with db.session() as s:
        row2 = await crm_connections.add_connection(
            s,
            other.account.id,
            platform="demo",
            name="d",
            credentials_encrypted=None,
            settings={k: v for k, v in row.settings.items() if k != "edits"},
        )
    clean = await connector_for(row2, db=db, secret=SECRET).get_object("contacts", first["id"])
    assert clean["name"] == first["name"] and "followed-up" not in clean["tags"]


async def test_connector_for_refuses_unknown_platforms(db: Database) -> None:
    row = Connection(id="conn:x", account_id="account:x", platform="keap", name="k", settings={})
    with pytest.raises(Invalid, match="No connector"):
        connector_for(row, db=db, secret=SECRET)
    bad = Connection(
        id="conn:y", account_id="account:x", platform="demo", name="d", settings={"contacts": "x"}
    )
    with pytest.raises(Invalid, match="settings"):
        connector_for(bad, db=db, secret=SECRET)
    with pytest.raises(Invalid, match="access token"):
        connector_for(Connection(id="c", account_id="a", platform="hubspot", name="h"), db=db, secret=SECRET)
    assert repr(HubSpotConnector("pat-secret-123")).count("pat-secret") == 0

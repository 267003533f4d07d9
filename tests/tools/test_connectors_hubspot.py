"""The HubSpot CRM v3 connector against recorded API responses (respx; no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from frontdesk.errors import Invalid, NotFound, RateLimited
from frontdesk.tools.connectors.base import ConnectorAuthError, ConnectorError
from frontdesk.tools.connectors.hubspot import BASE_URL, HubSpotConnector

RECORDINGS: dict[str, Any] = json.loads((Path(__file__).parent / "recordings" / "hubspot.json").read_text())
TOKEN = "pat-na1-00000000-1111-2222-3333-444444444444"


def recorded(name: str) -> httpx.Response:
    r = RECORDINGS[name]
    return httpx.Response(r["status"], headers=r["headers"], json=r["body"])


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def hubspot() -> respx.Router:
    return respx.Router(base_url=BASE_URL, assert_all_called=False)


def connector(router: respx.Router, sleeps: Sleeps | None = None, **kw: Any) -> HubSpotConnector:
    transport = httpx.MockTransport(router.async_handler)
    return HubSpotConnector(TOKEN, transport=transport, sleep=sleeps or Sleeps(), **kw)


async def test_list_pages_with_after_cursor(hubspot: respx.Router) -> None:
    page2 = hubspot.get("/crm/v3/objects/contacts", params={"after": "153"}).mock(recorded("contacts_page_2"))
    page1 = hubspot.get("/crm/v3/objects/contacts").mock(recorded("contacts_page_1"))
    hs = connector(hubspot)
    first = await hs.list_objects("contacts", limit=2)
    assert first.next_cursor == "153" and first.total is None
    ana, ben = first.records
    assert ana == {
        "id": "151",
        "tags": ["VIP", "newsletter"],
        "company": "Northwind",
        "email": "ana.rivera@northwind.example",
        "first_name": "Ana",
        "position": "Head of Operations",
        "last_name": "Rivera",
        "lifecycle_stage": "customer",
        "phone": "+1 415 555 0101",
        "name": "Ana Rivera",
        "created_at": "2025-10-02T09:12:44.112Z",
        "updated_at": "2026-01-15T10:01:02.345Z",
        "archived": False,
    }
    assert ben["tags"] == [] and ben["phone"] is None
    request = page1.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.url.params["limit"] == "2" and request.url.params["archived"] == "false"
    assert request.url.params["properties"].split(",") == [
        "firstname",
        "lastname",
        "email",
        "phone",
        "company",
        "jobtitle",
        "lifecyclestage",
        "frontdesk_tags",
    ]
    second = await hs.list_objects("contacts", cursor=first.next_cursor, limit=500)
    assert [r["id"] for r in second.records] == ["153"] and second.next_cursor is None
    assert page2.calls.last.request.url.params["limit"] == "100"  # HubSpot's page-size cap
    with pytest.raises(Invalid, match="HubSpot serves"):
        await hs.list_objects("leads")


async def test_search_get_and_not_found(hubspot: respx.Router) -> None:
    search = hubspot.post("/crm/v3/objects/contacts/search").mock(recorded("contacts_search"))
    hubspot.get("/crm/v3/objects/deals/501").mock(recorded("deal_501"))
    missing = hubspot.get("/crm/v3/objects/contacts/999").mock(recorded("object_not_found"))
    hs = connector(hubspot)
    found = await hs.search_objects("contacts", "globex", limit=10)
    assert [r["name"] for r in found] == ["Ben Okafor"]
    body = json.loads(search.calls.last.request.content)
    assert body["query"] == "globex" and body["limit"] == 10 and "email" in body["properties"]
    deal = await hs.get_object("deals", "501")
    assert (deal["name"], deal["amount"], deal["stage"], deal["close_date"]) == (
        "Northwind renewal",
        "12500",
        "contractsent",
        "2026-03-31T00:00:00Z",
    )
    assert "hs_object_id" not in deal and "createdate" not in deal
    with pytest.raises(NotFound, match="Object not found"):
        await hs.get_object("contacts", "999")
    assert missing.call_count == 1
    with pytest.raises(NotFound, match="numeric"):  # never sent: the id goes into the URL path
        await hs.get_object("contacts", "../../account-info/v3/details")


async def test_apply_tag_and_update_field(hubspot: respx.Router) -> None:
    hubspot.get("/crm/v3/objects/contacts/152").mock(recorded("contact_152"))
    patch = hubspot.patch("/crm/v3/objects/contacts/152").mock(
        side_effect=[recorded("contact_152_patched"), recorded("contact_152_renamed")]
    )
    hs = connector(hubspot)
    tagged = await hs.apply_tag("152", "VIP")
    assert tagged["tags"] == ["VIP", "newsletter"]
    assert json.loads(patch.calls[0].request.content) == {"properties": {"frontdesk_tags": "newsletter;VIP"}}
    same = await hs.apply_tag("152", "newsletter")  # already there: no write
    assert same["tags"] == ["newsletter"] and patch.call_count == 1
    renamed = await hs.update_field("contacts", "152", "first_name", "Benjamin")
    assert renamed["first_name"] == "Benjamin"
    assert json.loads(patch.calls[1].request.content) == {"properties": {"firstname": "Benjamin"}}
    with pytest.raises(Invalid, match="property name"):
        await hs.update_field("contacts", "152", "Bad Name!", "x")
    with pytest.raises(Invalid, match="';'"):
        await hs.apply_tag("152", "a;b")


async def test_custom_tag_property(hubspot: respx.Router) -> None:
    route = hubspot.get("/crm/v3/objects/contacts").mock(recorded("contacts_page_2"))
    hs = connector(hubspot, tag_property="segments")
    await hs.list_objects("contacts")
    assert route.calls.last.request.url.params["properties"].endswith(",segments")
    with pytest.raises(Invalid, match="tag property"):
        HubSpotConnector(TOKEN, tag_property="bad property")


async def test_test_connection_ok_and_rejected(hubspot: respx.Router) -> None:
    details = hubspot.get("/account-info/v3/details").mock(
        side_effect=[recorded("account_details"), recorded("unauthorized")]
    )
    hs = connector(hubspot)
    ok = await hs.test_connection()
    assert ok.ok and ok.info == {"portal_id": 2519445, "time_zone": "US/Eastern", "currency": "USD"}
    bad = await hs.test_connection()
    assert not bad.ok and "rejected the connection's credentials (401)" in bad.detail
    assert TOKEN not in bad.detail
    assert details.call_count == 2


async def test_401_on_data_calls_is_a_connector_auth_error(hubspot: respx.Router) -> None:
    hubspot.get("/crm/v3/objects/contacts").mock(recorded("unauthorized"))
    with pytest.raises(ConnectorAuthError) as e:
        await connector(hubspot).list_objects("contacts")
    assert e.value.status_code == 502 and TOKEN not in e.value.detail


async def test_429_is_retried_after_retry_after(hubspot: respx.Router) -> None:
    route = hubspot.get("/crm/v3/objects/contacts").mock(
        side_effect=[
            recorded("rate_limited_secondly"),
            recorded("rate_limited_secondly"),
            recorded("contacts_page_2"),
        ]
    )
    sleeps = Sleeps()
    page = await connector(hubspot, sleeps).list_objects("contacts")
    assert [r["id"] for r in page.records] == ["153"]
    assert route.call_count == 3 and sleeps.calls == [1.0, 1.0]


async def test_429_that_persists_is_a_clear_rate_limit_error(hubspot: respx.Router) -> None:
    route = hubspot.get("/crm/v3/objects/contacts").mock(recorded("rate_limited_secondly"))
    sleeps = Sleeps()
    with pytest.raises(RateLimited, match="secondly limit") as e:
        await connector(hubspot, sleeps, max_retries=2).list_objects("contacts")
    assert e.value.retry_after == 1 and route.call_count == 3 and sleeps.calls == [1.0, 1.0]


async def test_daily_limit_is_not_retried(hubspot: respx.Router) -> None:
    route = hubspot.get("/crm/v3/objects/contacts").mock(recorded("rate_limited_daily"))
    sleeps = Sleeps()
    with pytest.raises(RateLimited, match="daily limit"):
        await connector(hubspot, sleeps).list_objects("contacts")
    assert route.call_count == 1 and sleeps.calls == []


async def test_server_errors_back_off_then_fail(hubspot: respx.Router) -> None:
    route = hubspot.get("/crm/v3/objects/contacts").mock(httpx.Response(503, text="upstream down"))
    sleeps = Sleeps()
    with pytest.raises(ConnectorError, match="unavailable"):
        await connector(hubspot, sleeps, max_retries=2).list_objects("contacts")
    assert route.call_count == 3 and sleeps.calls == [1.0, 2.0]  # no Retry-After: exponential


async def test_network_failure_is_a_connector_error(hubspot: respx.Router) -> None:
    hubspot.get("/crm/v3/objects/contacts").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectorError, match="could not be reached"):
        await connector(hubspot).list_objects("contacts")

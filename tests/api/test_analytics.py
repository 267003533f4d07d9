"""`/api/v1/analytics/*` and `/api/analytics/dashboard` over real HTTP, checked against the rows
read straight from the database; another account's activity never shows; no permission is 403."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Lead, Message
from tests.api.test_ads import run_db, set_permissions
from tests.conftest import auth, register


def account_messages(settings: Settings, account_id: str) -> list[tuple[datetime, str, str, int]]:
    async def read(db: Database) -> list[tuple[datetime, str, str, int]]:
        async with db.session() as s:
            rows = await s.execute(
                select(
                    Message.created_at, Message.role, Message.channel, Message.tokens_in + Message.tokens_out
                ).where(Message.account_id == account_id)
            )
            return [(c if c.tzinfo else c.replace(tzinfo=UTC), r, ch, t) for c, r, ch, t in rows.all()]

    return run_db(settings, read)


def busy_account(client: httpx.Client, settings: Settings) -> tuple[dict[str, Any], str]:
    """Three real chat turns, one of them moved three days back."""
    tokens = register(client, "Busy")
    headers = auth(tokens)
    sessions = []
    for text in ("how many contacts do we have?", "show the pipeline", "hello there"):
        r = client.post("/chat/send", json={"message": text}, headers=headers)
        assert r.status_code == 200, r.text
        sessions.append(r.json()["session_id"])

    async def backdate(db: Database) -> None:
        async with db.session() as s:
            when = datetime.now(UTC) - timedelta(days=3)
            await s.execute(
                update(Message).where(Message.conversation_id == sessions[0]).values(created_at=when)
            )
            await s.commit()

    run_db(settings, backdate)
    return tokens, str(tokens["account"]["account_id"])  # type: ignore[index]


def test_daily_and_hourly_match_the_store(client: httpx.Client, server_settings: Settings) -> None:
    tokens, account_id = busy_account(client, server_settings)
    headers = auth(tokens)
    stored = account_messages(server_settings, account_id)
    assert len(stored) == 6  # a user message and a reply per turn

    r = client.get(
        "/api/v1/analytics/daily/", params={"metric_type": "messages_sent", "days": 7}, headers=headers
    )
    assert r.status_code == 200, r.text
    daily = r.json()
    assert daily["success"] is True and daily["period"] == "last_7_days" and daily["count"] == 7
    per_day = Counter(c.date().isoformat() for c, *_ in stored)
    assert {p["date"]: p["total"] for p in daily["data"] if p["total"]} == dict(per_day)
    assert daily["breakdown"]["role"] == {"assistant": 3, "user": 3}
    assert daily["breakdown"]["channel"] == {"web": 6}

    tokens_used = client.get(
        "/api/v1/analytics/daily/", params={"metric_type": "tokens_used"}, headers=headers
    ).json()
    assert tokens_used["total"] == sum(t for *_, t in stored)
    users = client.get("/api/v1/analytics/daily/", params={"role": "user", "days": 2}, headers=headers).json()
    assert users["total"] == 2

    hourly = client.get("/api/v1/analytics/hourly/", params={"hours": 24}, headers=headers).json()
    assert hourly["count"] == 24 and hourly["period"] == "last_24_hours"
    recent = Counter(
        c.strftime("%Y-%m-%dT%H:00:00Z") for c, *_ in stored if c > datetime.now(UTC) - timedelta(hours=23)
    )
    assert {p["hour"]: p["total"] for p in hourly["data"] if p["total"]} == dict(recent)

    catalog = client.get("/api/v1/analytics/metrics/", headers=headers).json()
    assert {m["id"] for m in catalog["data"]} >= {"messages_sent", "tokens_used", "contacts_created"}


def test_bad_parameters(client: httpx.Client) -> None:
    headers = auth(register(client, "Picky"))
    assert client.get("/api/v1/analytics/daily/", params={"days": 0}, headers=headers).status_code == 422
    assert client.get("/api/v1/analytics/daily/", params={"days": 367}, headers=headers).status_code == 422
    assert client.get("/api/v1/analytics/hourly/", params={"hours": 169}, headers=headers).status_code == 422
    assert (
        client.get("/api/v1/analytics/daily/", params={"metric_type": "nope"}, headers=headers).status_code
        == 422
    )
    r = client.get(
        "/api/v1/analytics/daily/", params={"metric_type": "leads_created", "channel": "sms"}, headers=headers
    )
    assert r.status_code == 400 and r.json()["detail"] == "leads_created cannot be filtered by channel"


def test_dashboard_matches_the_leads(client: httpx.Client, server_settings: Settings) -> None:
    tokens = register(client, "Seller")
    account_id = str(tokens["account"]["account_id"])  # type: ignore[index]
    now = datetime.now(UTC)
    leads = [  # (status, source, value, days ago)
        ("new", "website", 1000.0, 0),
        ("qualified", "referral", 2500.0, 0),
        ("converted", "website", 4000.0, 0),
        ("converted", "ads", 6000.0, 200),
        ("contacted", "website", 500.0, 400),
    ]

    async def add(db: Database) -> None:
        async with db.session() as s:
            for i, (status, source, value, ago) in enumerate(leads):
                when = now - timedelta(days=ago, minutes=5)
                lead = Lead(id=new_id("lead"), account_id=account_id, name=f"L{i}", created_at=when)
                lead.status, lead.source, lead.value = status, source, value
                s.add(lead)
            await s.commit()

    run_db(server_settings, add)
    r = client.get("/api/analytics/dashboard", headers=auth(tokens))
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["summary"] == {
        "totalLeads": 5,
        "qualifiedLeads": 1,
        "convertedLeads": 2,
        "conversionRate": 0.4,
        "totalRevenue": 10000.0,
        "avgDealSize": 5000.0,
        "openPipelineValue": 4000.0,
    }
    assert board["sourceBreakdown"] == {"website": 3, "referral": 1, "ads": 1}
    this_month = 3 if (now - timedelta(minutes=5)).month == now.month else 0
    assert board["trends"]["leadsThisMonth"] == this_month
    assert board["activity"]["totalMessages"] == 0 and board["activity"]["totalContacts"] == 0


def test_isolation_and_refusals(client: httpx.Client, server_settings: Settings) -> None:
    busy_account(client, server_settings)
    tokens = register(client, "Idle")
    headers = auth(tokens)
    assert client.get("/api/v1/analytics/daily/", params={"days": 30}, headers=headers).json()["total"] == 0
    assert client.get("/api/v1/analytics/hourly/", headers=headers).json()["total"] == 0
    assert client.get("/api/analytics/dashboard", headers=headers).json()["activity"]["totalMessages"] == 0
    set_permissions(server_settings, tokens, ["chat", "crm.read"])
    for path in ("/api/v1/analytics/daily/", "/api/v1/analytics/hourly/", "/api/analytics/dashboard"):
        r = client.get(path, headers=headers)
        assert r.status_code == 403 and "can_view_analytics" in r.json()["detail"], path
    assert client.get("/api/v1/analytics/daily/").status_code == 401

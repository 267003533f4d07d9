"""daily_stats, hourly_stats and dashboard_summary against figures computed here from the rows."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Contact, Conversation, Lead, Message
from frontdesk.tools import analytics as analytics_tool
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from frontdesk.types import Principal
from tests.conftest import demo_identity, new_identity

CONVERSATIONS = (("web", "sales"), ("web", None), ("sms", "support"), ("teams", "data"))


@dataclass(frozen=True)
class Row:
    created_at: datetime
    conv: int
    role: str
    channel: str
    department: str
    tokens: int


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


async def seed_activity(db: Database, principal: Principal, n: int = 90) -> list[Row]:
    """n messages spread over the last 45 days in four conversations, with their true attributes."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    rows: list[Row] = []
    async with db.session() as s:
        conv_ids = []
        for channel, department in CONVERSATIONS:
            conv = await convs.create_conversation(s, principal, channel=channel)
            conv_ids.append(conv.id)
            await s.execute(
                update(Conversation).where(Conversation.id == conv.id).values(department=department)
            )
        await s.commit()
        for i in range(n):
            k = rng.randrange(len(CONVERSATIONS))
            channel, department = CONVERSATIONS[k]
            role = rng.choice(("user", "assistant"))
            agent = rng.choice(("sales", "marketing")) if role == "assistant" else None
            tokens = rng.randint(10, 500) if role == "assistant" else 0
            conv = await s.get(Conversation, conv_ids[k])
            assert conv is not None
            (msg,) = await convs.add_messages(
                s,
                conv,
                [convs.NewMessage(role, f"m{i}", channel=channel, agent_used=agent, tokens_in=tokens // 2,
                                  tokens_out=tokens - tokens // 2)],
            )  # fmt: skip
            when = now - timedelta(
                hours=rng.choice((0, 1, 2, 5, 23, 30)) if i % 3 else rng.randint(0, 45 * 24)
            )
            when -= timedelta(minutes=rng.randint(0, 59))
            await s.execute(update(Message).where(Message.id == msg.id).values(created_at=when))
            rows.append(Row(when, k, role, channel, agent or department or "none", tokens))
        await s.commit()
    return rows


@pytest.fixture
async def owner(db: Database) -> Principal:
    return (await new_identity(db, "Analyst")).principal()


async def test_daily_messages_tokens_and_breakdowns(
    db: Database, settings: Settings, owner: Principal
) -> None:
    rows = await seed_activity(db, owner)
    ctx = ToolContext(owner, db, settings)
    reg = default_registry()
    daily = await reg.call("daily_stats", {"metric_type": "messages_sent", "days": 30}, ctx)
    first, last = (date.fromisoformat(daily["date_range"][k]) for k in ("start", "end"))
    assert (last - first).days == 29 and daily["count"] == 30 == len(daily["data"])
    inside = [r for r in rows if first <= r.created_at.date() <= last]
    per_day = Counter(r.created_at.date().isoformat() for r in inside)
    convs_per_day: dict[str, set[int]] = defaultdict(set)
    for r in inside:
        convs_per_day[r.created_at.date().isoformat()].add(r.conv)
    for point in daily["data"]:
        assert point["total"] == per_day.get(point["date"], 0), point
        assert point["count"] == len(convs_per_day.get(point["date"], ()))
        if point["count"]:
            assert point["average"] == round(point["total"] / point["count"], 2)
    assert daily["total"] == len(inside) and 0 < len(inside) < len(rows)
    assert daily["breakdown"]["channel"] == dict(Counter(r.channel for r in inside))
    assert daily["breakdown"]["role"] == dict(Counter(r.role for r in inside))
    assert daily["breakdown"]["department"] == dict(Counter(r.department for r in inside))

    sms = await reg.call("daily_stats", {"days": 30, "channel": "sms", "role": "user"}, ctx)
    assert sms["total"] == sum(1 for r in inside if r.channel == "sms" and r.role == "user")
    assert sms["filters"] == {"channel": "sms", "role": "user"}
    sales = await reg.call("daily_stats", {"days": 30, "department": "sales"}, ctx)
    assert sales["total"] == sum(1 for r in inside if r.department == "sales")

    tokens = await reg.call("daily_stats", {"metric_type": "tokens_used", "days": 30}, ctx)
    assert tokens["total"] == sum(r.tokens for r in inside)
    tokens_by_day = Counter()
    for r in inside:
        tokens_by_day[r.created_at.date().isoformat()] += r.tokens
    assert {p["date"]: p["total"] for p in tokens["data"] if p["total"]} == {
        k: v for k, v in tokens_by_day.items() if v
    }
    assert tokens["breakdown"]["role"].get("user", 0) == 0


async def test_hourly_stats(db: Database, settings: Settings, owner: Principal) -> None:
    rows = await seed_activity(db, owner)
    hourly = await default_registry().call("hourly_stats", {"hours": 24}, ToolContext(owner, db, settings))
    hours = [datetime.fromisoformat(p["hour"].replace("Z", "+00:00")) for p in hourly["data"]]
    assert len(hours) == 24 == hourly["count"]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(hours))
    expected = Counter(r.created_at.replace(minute=0, second=0, microsecond=0) for r in rows)
    for h, point in zip(hours, hourly["data"], strict=True):
        assert point["total"] == expected.get(h, 0), h
    assert hourly["total"] == sum(expected[h] for h in hours) > 0


def test_hour_keys_equal_strftime_across_days_months_and_years() -> None:
    for first in (datetime(2026, 12, 31, 20, tzinfo=UTC), datetime(2028, 2, 28, 0, tzinfo=UTC),
                  datetime(2026, 3, 29, 23, tzinfo=UTC)):  # fmt: skip
        want = [(first + timedelta(hours=i)).strftime("%Y-%m-%dT%H") for i in range(168)]
        assert analytics_tool.hour_keys(first, 168) == want
    assert analytics_tool.hour_keys(datetime(2026, 1, 1, tzinfo=UTC), 0) == []


async def test_conversation_and_crm_metrics(db: Database, settings: Settings, owner: Principal) -> None:
    await seed_activity(db, owner, n=5)
    now = datetime.now(UTC)
    async with db.session() as s:
        for i, days_ago in enumerate((0, 2, 2, 9, 50)):
            when = now - timedelta(days=days_ago)
            s.add(
                Contact(
                    id=new_id("contact"), account_id=owner.account_id, first_name=f"C{i}", created_at=when
                )
            )
            s.add(
                Lead(
                    id=new_id("lead"),
                    account_id=owner.account_id,
                    name=f"L{i}",
                    source="event",
                    created_at=when,
                )
            )
        await s.commit()
    ctx = ToolContext(owner, db, settings)
    reg = default_registry()
    contacts = await reg.call("daily_stats", {"metric_type": "contacts_created", "days": 10}, ctx)
    assert contacts["total"] == 4 and "count" not in contacts["data"][0]
    by_date = {p["date"]: p["total"] for p in contacts["data"] if p["total"]}
    assert by_date == {(now - timedelta(days=d)).date().isoformat(): n for d, n in ((0, 1), (2, 2), (9, 1))}
    leads = await reg.call("daily_stats", {"metric_type": "leads_created", "days": 60}, ctx)
    assert leads["total"] == 5 and leads["breakdown"] == {"source": {"event": 5}, "status": {"new": 5}}
    started = await reg.call("daily_stats", {"metric_type": "conversations_started", "days": 1}, ctx)
    assert started["total"] == len(CONVERSATIONS) and started["data"][0]["count"] == 1  # one user
    with pytest.raises(Invalid, match="contacts_created cannot be filtered by role"):
        await reg.call("daily_stats", {"metric_type": "contacts_created", "role": "user"}, ctx)
    with pytest.raises(Invalid, match="days"):
        await reg.call("daily_stats", {"days": 0}, ctx)
    with pytest.raises(Invalid, match="hours"):
        await reg.call("hourly_stats", {"hours": 169}, ctx)
    with pytest.raises(Invalid, match="metric_type"):
        await reg.call("daily_stats", {"metric_type": "agents_online"}, ctx)


async def test_dashboard_summary_matches_the_leads(db: Database, settings: Settings) -> None:
    identity = await demo_identity(db)
    ctx = ToolContext(identity.principal(), db, settings)
    board = await default_registry().call("dashboard_summary", {}, ctx)
    acc = identity.account.id
    async with db.session() as s:
        leads = list(await s.scalars(select(Lead).where(Lead.account_id == acc)))
        contacts = list(await s.scalars(select(Contact.created_at).where(Contact.account_id == acc)))
    converted = [x for x in leads if x.status == "converted"]
    revenue = sum(x.value for x in converted)
    summary = board["summary"]
    assert summary["totalLeads"] == len(leads) > 0
    assert summary["qualifiedLeads"] == sum(1 for x in leads if x.status == "qualified")
    assert summary["convertedLeads"] == len(converted)
    assert summary["conversionRate"] == round(len(converted) / len(leads), 4)
    assert summary["totalRevenue"] == pytest.approx(revenue)
    assert summary["avgDealSize"] == pytest.approx(round(revenue / len(converted), 2))
    assert summary["openPipelineValue"] == pytest.approx(
        sum(x.value for x in leads if x.status != "converted")
    )
    assert board["sourceBreakdown"] == dict(Counter(x.source for x in leads))

    now = datetime.fromisoformat(board["generatedAt"].replace("Z", "+00:00"))
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev = board["trends"]["comparedWith"]
    prev_start, prev_end = (datetime.fromisoformat(prev[k].replace("Z", "+00:00")) for k in ("start", "end"))
    assert prev_start.day == 1 and prev_start < month_start and prev_end <= month_start

    def window(lo: datetime, hi: datetime) -> list[Lead]:
        return [x for x in leads if lo <= utc(x.created_at) < hi]

    this, last = window(month_start, now), window(prev_start, prev_end)
    trends = board["trends"]
    assert trends["leadsThisMonth"] == len(this) and trends["leadsLastMonth"] == len(last)
    rev_now = sum(x.value for x in this if x.status == "converted")
    rev_before = sum(x.value for x in last if x.status == "converted")
    assert trends["revenueThisMonth"] == pytest.approx(rev_now)
    assert trends["revenueGrowth"] == (round((rev_now - rev_before) / rev_before, 4) if rev_before else None)
    assert trends["leadsGrowth"] == (round((len(this) - len(last)) / len(last), 4) if last else None)
    activity = board["activity"]
    assert activity["totalContacts"] == len(contacts)
    assert activity["contactsThisMonth"] == sum(1 for c in contacts if utc(c) >= month_start)


async def test_isolation_and_permission(db: Database, settings: Settings, owner: Principal) -> None:
    await seed_activity(db, owner, n=20)
    other = (await new_identity(db, "Quiet")).principal()
    reg = default_registry()
    octx = ToolContext(other, db, settings)
    assert (await reg.call("daily_stats", {"days": 60}, octx))["total"] == 0
    assert (await reg.call("hourly_stats", {}, octx))["total"] == 0
    board = await reg.call("dashboard_summary", {}, octx)
    assert board["summary"]["totalLeads"] == 0 and board["activity"]["totalMessages"] == 0
    blind = Principal(owner.user_id, owner.account_id, "Viewer", frozenset({"chat", "crm.read"}))
    bctx = ToolContext(blind, db, settings)
    for name in ("daily_stats", "hourly_stats", "dashboard_summary"):
        with pytest.raises(Forbidden):
            await reg.call(name, {}, bctx)
        with pytest.raises(Forbidden):
            await reg.get(name).fn(bctx)

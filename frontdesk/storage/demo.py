"""Deterministic demo data: one demo account with contacts, tags and leads.

Same seed and same anchor date give the same rows, ids included. Dates spread over the year
before the anchor (the start of today, by default; nothing lies in the future) so relative
questions ("last week", "yesterday") find data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.accounts import create_user_with_account
from frontdesk.storage.crm_connections import demo_connection
from frontdesk.storage.models import Connection, Contact, ContactTag, Lead, Tag, User
from frontdesk.storage.pg_locks import transaction_lock

DEMO_EMAIL = "demo@frontdesk.local"
DEMO_PASSWORD = "frontdesk-demo"
AD_CONNECTIONS = (
    ("google_ads", "Google Ads (demo)"),
    ("meta_ads", "Meta Ads (demo)"),
    ("ga4", "Google Analytics 4 (demo)"),
)

FIRST = (
    "Alice Bob Carla Dmitri Elena Farid Grace Hiro Ines Jonas Keiko Liam Maya Nikhil Olga Pablo Quinn "
    "Rosa Sami Tara Umar Vera Wes Xenia Yusuf Zoe Amara Bruno Chloe Diego Emeka Fatima Gustav Hana Ivan "
    "Julia Kofi Lena Marco Nadia Oscar Priya Rafael Sofia Tomas Uma Viktor Wanda"
).split()
LAST = (
    "Anders Brooks Castillo Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Larsen Moreau "
    "Nakamura Okafor Petrov Quint Rossi Schmidt Tanaka Ueda Varga Weber Xu Yilmaz Zimmer Alvarez Byrne "
    "Chen Dimitrov Evans Fontaine Gupta Horvat Iyer Jovanovic Kim Lopez Mensah Novak"
).split()
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Foods",
    "Hooli",
    "Vandelay Imports",
    "Soylent Labs",
    "Tyrell Systems",
    "Cyberdyne Retail",
    "Wonka Sweets",
    "Oscorp Energy",
    "Pied Piper",
    "Blue Sun Media",
)
POSITIONS = ("CEO", "CTO", "Head of Sales", "Marketing Manager", "Buyer", "Operations Lead", "Founder")
TAGS = (
    ("VIP", 0.08),
    ("customer", 0.30),
    ("prospect", 0.35),
    ("newsletter", 0.40),
    ("partner", 0.06),
    ("churn-risk", 0.07),
    ("enterprise", 0.12),
    ("webinar-2026", 0.15),
)
LEAD_STATUSES = (("new", 0.35), ("contacted", 0.28), ("qualified", 0.22), ("converted", 0.15))
LEAD_SOURCES = (
    ("website", 0.35),
    ("referral", 0.2),
    ("social", 0.2),
    ("email", 0.1),
    ("event", 0.08),
    ("ads", 0.07),
)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    account_id: str
    email: str
    password: str
    contacts: int
    leads: int


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _uid(rng: random.Random, prefix: str) -> str:
    return f"{prefix}:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


async def lock_seeding(session: AsyncSession) -> None:
    """Hold the demo-seeding lock for the session's transaction (PostgreSQL), so of replicas started
    together on an empty database one seeds and the others then find the demo account."""
    await transaction_lock(session, "demo-seed")


async def demo_exists(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(User).where(User.email == DEMO_EMAIL)))


async def seed_demo(
    session: AsyncSession, *, seed: int = 42, contacts: int = 300, anchor: datetime | None = None
) -> DemoSummary:
    """Create the demo owner, account and CRM rows. Call only when `demo_exists` is False."""
    rng = random.Random(seed)
    anchor = (anchor or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    identity = await create_user_with_account(
        session,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        name="Demo Owner",
        company="Demo Co",
        department="sales",
    )
    account_id = identity.account.id
    tag_ids = {name: _uid(rng, "tag") for name, _ in TAGS}
    await session.execute(
        insert(Tag),
        [
            {"id": tid, "account_id": account_id, "name": n, "created_at": anchor}
            for n, tid in tag_ids.items()
        ],
    )
    contact_rows, link_rows, lead_rows = [], [], []
    for i in range(contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice(COMPANIES)
        created = anchor - timedelta(days=rng.randint(0, 364), minutes=rng.randint(1, 1440))  # before today
        cid = _uid(rng, "contact")
        contact_rows.append(
            {
                "id": cid,
                "account_id": account_id,
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{i}@{company.split()[0].lower()}.example".lower(),
                "phone": f"+1555{rng.randint(1000000, 9999999)}",
                "company": company,
                "position": rng.choice(POSITIONS),
                "status": "active",
                "created_at": created,
                "updated_at": created,
                "last_contact_date": min(created + timedelta(days=rng.randint(0, 30)), anchor),
            }
        )
        link_rows += [{"contact_id": cid, "tag_id": tag_ids[n]} for n, p in TAGS if rng.random() < p]
        if rng.random() < 0.6:
            lead_created = created + timedelta(hours=rng.randint(1, 72))
            lead_rows.append(
                {
                    "id": _uid(rng, "lead"),
                    "account_id": account_id,
                    "contact_id": cid,
                    "name": f"{first} {last}",
                    "email": contact_rows[-1]["email"],
                    "company": company,
                    "status": _pick(rng, LEAD_STATUSES),
                    "source": _pick(rng, LEAD_SOURCES),
                    "value": float(rng.randrange(500, 50_000, 250)),
                    "created_at": min(lead_created, anchor - timedelta(minutes=1)),
                    "updated_at": min(lead_created, anchor - timedelta(minutes=1)),
                }
            )
    for table, rows in ((Contact, contact_rows), (ContactTag, link_rows), (Lead, lead_rows)):
        if rows:
            await session.execute(insert(table), rows)
    session.add(demo_connection(account_id, seed=seed, anchor=anchor))  # the offline `demo` CRM
    conn_rng = random.Random(f"{seed}:ad-connections")  # its own stream: the CRM rows above stay the same
    for platform, name in AD_CONNECTIONS:  # served offline by frontdesk.tools.ads.demo
        session.add(
            Connection(
                id=_uid(conn_rng, "conn"),
                account_id=account_id,
                platform=platform,
                name=name,
                settings={"mode": "demo"},
            )
        )
    await session.commit()
    return DemoSummary(account_id, DEMO_EMAIL, DEMO_PASSWORD, len(contact_rows), len(lead_rows))

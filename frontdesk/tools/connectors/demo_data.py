"""The offline sample CRM the `demo` connector serves: contacts, companies, deals and tags.

Pure and deterministic: the same (seed, anchor day, size) gives the same records, ids and dates
included, with no database and no network. Dates fall in the year before the anchor day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from frontdesk.storage.demo import COMPANIES, FIRST, LAST, POSITIONS

TAGS = (
    ("VIP", "segment", 0.1),
    ("customer", "lifecycle", 0.3),
    ("prospect", "lifecycle", 0.35),
    ("newsletter", "marketing", 0.45),
    ("webinar-attendee", "marketing", 0.2),
    ("churn-risk", "health", 0.08),
)
INDUSTRIES = ("Manufacturing", "Healthcare", "Logistics", "Food", "Software", "Retail", "Energy", "Media")
CITIES = ("Austin", "Berlin", "Lisbon", "Toronto", "Osaka", "Nairobi", "Melbourne", "Denver")
DEAL_STAGES = (("prospecting", 0.3), ("proposal", 0.25), ("negotiation", 0.2), ("won", 0.15), ("lost", 0.1))
DEAL_KINDS = ("Pilot", "Renewal", "Expansion", "New seats")
LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


@dataclass(frozen=True, slots=True)
class DemoDataset:
    objects: dict[str, list[dict[str, Any]]]

    def index(self, object_type: str) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.objects[object_type]}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=8)
def demo_dataset(seed: int, anchor: date, contacts: int) -> DemoDataset:
    rng = random.Random(f"frontdesk-demo-connector:{seed}")
    start = datetime.combine(anchor, time.min, UTC)

    def when(max_days: int = 364) -> datetime:
        return start - timedelta(days=rng.randint(0, max_days), minutes=rng.randint(0, 1439))

    companies = []
    for i, name in enumerate(COMPANIES, start=1):
        companies.append(
            {
                "id": f"demo-company-{i:04d}",
                "name": name,
                "domain": f"{name.split()[0].lower()}.example",
                "industry": rng.choice(INDUSTRIES),
                "city": rng.choice(CITIES),
                "employees": rng.randrange(5, 5000, 5),
                "created_at": _iso(when()),
            }
        )
    tag_counts = {name: 0 for name, _, _ in TAGS}
    people, deals = [], []
    for i in range(1, contacts + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice(companies)
        created = when()
        tags = sorted(name for name, _, p in TAGS if rng.random() < p)
        for t in tags:
            tag_counts[t] += 1
        cid = f"demo-contact-{i:04d}"
        people.append(
            {
                "id": cid,
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{i}@{company['domain']}".lower(),
                "phone": f"+1555{rng.randint(1000000, 9999999)}",
                "company": company["name"],
                "company_id": company["id"],
                "position": rng.choice(POSITIONS),
                "lifecycle_stage": rng.choice(LIFECYCLE),
                "tags": tags,
                "created_at": _iso(created),
                "updated_at": _iso(created + timedelta(days=rng.randint(0, 20))),
            }
        )
        if rng.random() < 0.5:
            stage = rng.choices([s for s, _ in DEAL_STAGES], weights=[w for _, w in DEAL_STAGES])[0]
            deals.append(
                {
                    "id": f"demo-deal-{len(deals) + 1:04d}",
                    "name": f"{company['name']} - {rng.choice(DEAL_KINDS)}",
                    "amount": float(rng.randrange(1_000, 80_000, 500)),
                    "stage": stage,
                    "contact_id": cid,
                    "company_id": company["id"],
                    "close_date": (created + timedelta(days=rng.randint(14, 120))).date().isoformat(),
                    "created_at": _iso(created + timedelta(hours=rng.randint(1, 96))),
                }
            )
    tags = [
        {"id": f"demo-tag-{i:02d}", "name": name, "category": category, "contact_count": tag_counts[name]}
        for i, (name, category, _) in enumerate(TAGS, start=1)
    ]
    people.sort(key=lambda r: (r["created_at"], r["id"]))
    deals.sort(key=lambda r: (r["created_at"], r["id"]))
    return DemoDataset({"contacts": people, "companies": companies, "deals": deals, "tags": tags})

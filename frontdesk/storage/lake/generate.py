"""Deterministic demo data at any scale, generated straight into Arrow tables with numpy.

Same seed, size and anchor day give the same rows, ids included. No Python loop runs per row, so
a million contacts take seconds. Vocabularies match `storage.demo` (names, companies, tags, lead
statuses and sources) so questions that work on the seeded CRM work on the generated lake.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from frontdesk import clock
from frontdesk.storage.demo import COMPANIES, FIRST, LAST, LEAD_SOURCES, LEAD_STATUSES, POSITIONS, TAGS
from frontdesk.storage.lake.schema import SCHEMAS, TS

_HEX = np.frombuffer(b"0123456789abcdef", dtype="S1")
CHANNELS = ("organic", "direct", "paid_search", "paid_social", "email", "referral", "display", "video")
OBJECTIVES = ("conversions", "traffic", "leads", "awareness")


def _uuids(rng: np.random.Generator, prefix: str, n: int) -> pa.Array:
    """n random version-4 UUID strings with a prefix, built as one byte buffer."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype="S1")
    hexed[:, 0::2], hexed[:, 1::2] = _HEX[raw >> 4], _HEX[raw & 0x0F]
    out = np.full((n, len(prefix) + 37), b"-", dtype="S1")
    out[:, : len(prefix) + 1] = np.frombuffer(f"{prefix}:".encode(), dtype="S1")
    at = len(prefix) + 1
    for start, end in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)):
        out[:, at : at + end - start] = hexed[:, start:end]
        at += end - start + 1
    width = out.shape[1]
    buf = pa.py_buffer(out.tobytes())
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes())
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, buf])


def _choice(idx: np.ndarray, words: tuple[str, ...] | list[str]) -> pa.Array:
    return pc.take(pa.array(list(words), pa.string()), pa.array(idx))


def _weighted(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    p = np.array([w for _, w in weighted])
    return rng.choice(len(weighted), size=n, p=p / p.sum())


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype("datetime64[us]")).cast(TS)


def generate(contacts: int, *, seed: int = 42, anchor: date | None = None) -> dict[str, pa.Table]:
    """contacts, tags, leads, campaigns, ad_daily_metrics and ga4_daily_metrics as Arrow tables."""
    n = int(contacts)
    rng = np.random.default_rng(seed)
    day = anchor or clock.today()
    end_us = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1e6) + 86_400_000_000
    created = end_us - rng.integers(1, 365 * 86_400_000_000, size=n)
    first_i, last_i = rng.integers(0, len(FIRST), n), rng.integers(0, len(LAST), n)
    comp_i = rng.integers(0, len(COMPANIES), n)
    first, last = _choice(first_i, FIRST), _choice(last_i, LAST)
    domains = [c.split()[0].lower() + ".example" for c in COMPANIES]
    email = pc.utf8_lower(
        pc.binary_join_element_wise(
            first, ".", last, pc.cast(pa.array(np.arange(n)), pa.string()), "@", _choice(comp_i, domains), ""
        )
    )
    phone = pc.binary_join_element_wise(
        "+1555", pc.cast(pa.array(rng.integers(1_000_000, 9_999_999, n)), pa.string()), ""
    )
    tag_names = [t for t, _ in TAGS]
    mask = rng.random((n, len(TAGS))) < np.array([p for _, p in TAGS])
    _, cols = np.nonzero(mask)
    offsets = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int32)
    tags = pa.ListArray.from_arrays(pa.array(offsets), _choice(cols, tag_names))
    source_i = _weighted(rng, LEAD_SOURCES, n)
    has_lead = rng.random(n) < 0.6
    status_i = _weighted(rng, LEAD_STATUSES, n)
    value = rng.integers(2, 200, n).astype(np.float64) * 250.0
    converted = has_lead & (np.array([s for s, _ in LEAD_STATUSES])[status_i] == "converted")
    contact_ids = _uuids(rng, "contact", n)
    contact_cols = {
        "id": contact_ids,
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": phone,
        "company": _choice(comp_i, COMPANIES),
        "position": _choice(rng.integers(0, len(POSITIONS), n), POSITIONS),
        "status": pa.array(np.where(rng.random(n) < 0.95, "active", "inactive")),
        "source": _choice(source_i, [s for s, _ in LEAD_SOURCES]),
        "lifetime_value": pa.array(np.where(converted, value, 0.0)),
        "tags": tags,
        "created_at": _timestamps(created),
        "updated_at": _timestamps(created),
        "last_contact_date": _timestamps(
            np.minimum(created + rng.integers(0, 30 * 86_400_000_000, n), end_us)
        ),
    }
    lead_idx = np.nonzero(has_lead)[0]
    m = len(lead_idx)
    lead_created = np.minimum(
        created[lead_idx] + rng.integers(3_600_000_000, 72 * 3_600_000_000, m), end_us - 60_000_000
    )
    leads = {
        "id": _uuids(rng, "lead", m),
        "contact_id": pc.take(contact_ids, pa.array(lead_idx)),
        "name": pc.binary_join_element_wise(
            pc.take(first, pa.array(lead_idx)), pc.take(last, pa.array(lead_idx)), " "
        ),
        "email": pc.take(email, pa.array(lead_idx)),
        "company": pc.take(contact_cols["company"], pa.array(lead_idx)),
        "status": _choice(status_i[lead_idx], [s for s, _ in LEAD_STATUSES]),
        "source": _choice(source_i[lead_idx], [s for s, _ in LEAD_SOURCES]),
        "value": pa.array(value[lead_idx]),
        "created_at": _timestamps(lead_created),
        "updated_at": _timestamps(lead_created),
    }
    tag_table = {
        "id": _uuids(rng, "tag", len(TAGS)),
        "name": pa.array(tag_names),
        "contact_count": pa.array(mask.sum(axis=0).astype(np.int64)),
        "created_at": _timestamps(np.full(len(TAGS), end_us - 365 * 86_400_000_000)),
    }
    tables = {
        "contacts": pa.table(contact_cols, schema=SCHEMAS["contacts"]),
        "tags": pa.table(tag_table, schema=SCHEMAS["tags"]),
        "leads": pa.table(leads, schema=SCHEMAS["leads"]),
    }
    tables |= _ads(rng, n, day)
    return tables


def _ads(rng: np.random.Generator, n: int, day: date) -> dict[str, pa.Table]:
    """Campaigns (scaled with the contacts), a year of their daily metrics, and GA4 by channel."""
    k = int(min(200, max(6, n // 5000)))
    platform = np.where(np.arange(k) % 2 == 0, "google_ads", "meta_ads")
    account = np.where(platform == "google_ads", "123-456-7890", "act_987654321")
    ids = np.array([f"{'g' if p == 'google_ads' else 'm'}{100000 + i}" for i, p in enumerate(platform)])
    names = np.array(
        [f"{('Search', 'Social')[i % 2]} — {COMPANIES[i % len(COMPANIES)]} #{i + 1}" for i in range(k)]
    )
    budget = rng.integers(20, 400, k).astype(np.float64)
    days = 365
    start = np.array([day - timedelta(days=days - 1)], dtype="datetime64[D]")[0]
    campaigns = pa.table(
        {
            "id": pa.array(ids),
            "platform": pa.array(platform),
            "ad_account_id": pa.array(account),
            "name": pa.array(names),
            "status": pa.array(np.where(rng.random(k) < 0.8, "active", "paused")),
            "objective": _choice(rng.integers(0, len(OBJECTIVES), k), OBJECTIVES),
            "daily_budget": pa.array(budget),
            "currency": pa.array(np.full(k, "USD")),
            "start_date": pa.array(np.full(k, start)),
        },
        schema=SCHEMAS["campaigns"],
    )
    ci = np.repeat(np.arange(k), days)
    dates = np.tile(start + np.arange(days), k)
    impressions = rng.poisson(budget[ci] * 40).astype(np.int64)
    clicks = rng.binomial(impressions, np.where(platform[ci] == "google_ads", 0.045, 0.012)).astype(np.int64)
    spend = np.round(budget[ci] * rng.uniform(0.6, 1.05, len(ci)), 2)
    conversions = rng.binomial(clicks, 0.06).astype(np.float64)
    ad_daily = pa.table(
        {
            "date": pa.array(dates),
            "platform": pa.array(platform[ci]),
            "ad_account_id": pa.array(account[ci]),
            "campaign_id": pa.array(ids[ci]),
            "campaign_name": pa.array(names[ci]),
            "impressions": pa.array(impressions),
            "clicks": pa.array(clicks),
            "spend": pa.array(spend),
            "conversions": pa.array(conversions),
            "conversion_value": pa.array(np.round(conversions * rng.uniform(40, 160, len(ci)), 2)),
            "currency": pa.array(np.full(len(ci), "USD")),
        },
        schema=SCHEMAS["ad_daily_metrics"],
    )
    ch = np.tile(np.arange(len(CHANNELS)), days)
    sessions = rng.poisson(max(50, n // 200) / len(CHANNELS), len(ch)).astype(np.int64)
    users = np.round(sessions * rng.uniform(0.7, 0.9, len(ch))).astype(np.int64)
    conv = rng.binomial(sessions, 0.02).astype(np.float64)
    ga4 = pa.table(
        {
            "date": pa.array(np.repeat(start + np.arange(days), len(CHANNELS))),
            "property_id": pa.array(np.full(len(ch), "properties/424242")),
            "channel": _choice(ch, CHANNELS),
            "sessions": pa.array(sessions),
            "users": pa.array(users),
            "new_users": pa.array(np.round(users * 0.6).astype(np.int64)),
            "pageviews": pa.array(np.round(sessions * rng.uniform(1.5, 4.0, len(ch))).astype(np.int64)),
            "conversions": pa.array(conv),
            "revenue": pa.array(np.round(conv * rng.uniform(30, 120, len(ch)), 2)),
        },
        schema=SCHEMAS["ga4_daily_metrics"],
    )
    return {"campaigns": campaigns, "ad_daily_metrics": ad_daily, "ga4_daily_metrics": ga4}

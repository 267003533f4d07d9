"""Meta Ads and Google Ads CSV exports -> canonical ad daily metric rows.

Handles the encodings those exports come in (UTF-8 with or without BOM, UTF-16 with BOM or
without, Windows-1252), comma, semicolon or tab separators, report title lines above the header
(Google Ads), total rows below the data, thousands separators and decimal commas, and the common
column names of both platforms in their several export flavours.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any, Literal

import pyarrow as pa

from frontdesk.errors import Invalid
from frontdesk.storage.lake.schema import SCHEMAS

Platform = Literal["google_ads", "meta_ads"]


class NotCsv(Invalid):
    """The upload is not a CSV text file (answered 415)."""

    status_code = 415
    code = "unsupported_media_type"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


# canonical column -> accepted header names (normalised: lower case, punctuation as spaces)
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": (
        "day",
        "date",
        "reporting starts",
        "reporting start",
        "date start",
        "segments date",
        "week",
        "month",
    ),
    "ad_account_id": ("customer id", "account id", "ad account id", "account", "account name", "customer"),
    "campaign_id": ("campaign id",),
    "campaign_name": ("campaign", "campaign name", "campaign names"),
    "impressions": ("impressions", "impr", "impr s"),
    "clicks": ("clicks", "link clicks", "clicks all", "outbound clicks", "interactions"),
    "spend": ("cost", "amount spent", "spend", "amount spent usd", "amount spent eur", "amount spent gbp"),
    "conversions": ("conversions", "conv", "results", "purchases", "all conv", "website purchases", "leads"),
    "conversion_value": (
        "conv value",
        "conversion value",
        "total conv value",
        "purchases conversion value",
        "website purchases conversion value",
        "all conv value",
        "results value",
        "purchase conversion value",
    ),
    "currency": ("currency", "currency code"),
}
_CURRENCY_IN_HEADER = re.compile(r"\(([A-Z]{3})\)")
_META_HINTS = {"amount spent", "reporting starts", "link clicks", "results", "ad set name", "reach"}
_GOOGLE_HINTS = {"impr", "cost", "conv", "customer id", "day", "interactions", "conv value"}


def decode(data: bytes) -> str:
    """Bytes of a CSV export -> text: BOMs first, then UTF-8, UTF-16 without BOM, Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:4000]
    if head and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM
        return data.decode("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be")
    if b"\x00" in head:
        raise NotCsv("The file is binary, not a CSV export")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_at(lines: list[list[str]]) -> int:
    """Index of the header row: the first of the first 10 rows naming two known columns."""
    known = {n for names in COLUMNS.values() for n in names}
    for i, row in enumerate(lines[:10]):
        if sum(_norm(c) in known or _norm(c).split(" ")[0] in {"amount"} for c in row) >= 2:
            return i
    raise Invalid("No header row with ad metric columns (e.g. Campaign, Impressions, Clicks, Cost) found")


def _map_columns(header: list[str]) -> tuple[dict[str, int], str | None]:
    found: dict[str, int] = {}
    currency = None
    for i, raw in enumerate(header):
        name = _norm(raw)
        if m := _CURRENCY_IN_HEADER.search(raw):
            currency = m.group(1)
        base = re.sub(r"\s+(usd|eur|gbp|[a-z]{3})$", "", name) if name.startswith("amount spent") else name
        for canonical, names in COLUMNS.items():
            if canonical not in found and (name in names or base in names):
                found[canonical] = i
                break
    return found, currency


def detect_platform(header: list[str]) -> Platform:
    names = {_norm(h) for h in header}
    names |= {n.split(" (")[0] for n in names}
    meta = sum(any(n.startswith(h) for n in names) for h in _META_HINTS)
    google = sum(h in names for h in _GOOGLE_HINTS)
    if meta == google == 0:
        raise Invalid("Could not tell whether this is a Meta Ads or a Google Ads export; pass platform")
    return "meta_ads" if meta > google else "google_ads"


def number(text: str, decimal_comma: bool) -> float | None:
    s = re.sub(r"[^\d,.\-]", "", text.strip())
    if s in ("", "-", "--"):
        return None
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = (
            s.replace(",", ".")
            if decimal_comma or not re.fullmatch(r"-?\d{1,3}(,\d{3})+", s)
            else s.replace(",", "")
        )
    elif decimal_comma and re.fullmatch(r"-?\d{1,3}(\.\d{3})+", s):  # "1.234" = 1234 in EU exports
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        raise Invalid(f"'{text}' is not a number") from None


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y", "%d %b %Y", "%d.%m.%Y")


def parse_day(text: str, day_first: bool) -> date:
    s = text.strip().split(" - ")[0].strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        d, mo = (a, b) if (day_first or a > 12) and b <= 12 else (b, a)
        return date(y, mo, d)
    raise Invalid(f"'{text}' is not a date")


def _sniff(text: str) -> str:
    sample = "\n".join(text.splitlines()[:15])
    counts = {sep: sample.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda k: counts[k]) if any(counts.values()) else ","


def parse(
    data: bytes, *, platform: Platform | None = None, currency: str = "USD", ad_account_id: str = ""
) -> tuple[Platform, pa.Table]:
    """An export's bytes -> (platform, canonical ad_daily_metrics table). Raises `Invalid`."""
    text = decode(data).replace("\r\n", "\n")
    sep = _sniff(text)
    lines = [row for row in csv.reader(io.StringIO(text), delimiter=sep) if any(c.strip() for c in row)]
    if not lines:
        raise Invalid("The file is empty")
    at = _header_at(lines)
    header = [h.strip().strip("\ufeff") for h in lines[at]]
    cols, header_currency = _map_columns(header)
    missing = [c for c in ("date", "campaign_name", "impressions", "clicks", "spend") if c not in cols]
    if missing:
        raise Invalid(f"Missing columns: {', '.join(missing)} (header was: {', '.join(header)})")
    platform = platform or detect_platform(header)
    body = [r for r in lines[at + 1 :] if len(r) >= len(header) // 2]
    day_first = sep == ";" or any(
        re.match(r"(1[3-9]|2\d|3[01])/\d{1,2}/", r[cols["date"]].strip())
        for r in body
        if len(r) > cols["date"]
    )
    rows: list[dict[str, Any]] = []
    for n, r in enumerate(body, start=at + 2):
        cell = {k: (r[i].strip() if i < len(r) else "") for k, i in cols.items()}
        if cell["date"].lower().startswith("total") or cell["campaign_name"].lower().startswith("total"):
            continue
        if not cell["date"] or cell["date"] in ("--", " --"):
            continue
        try:
            row = {
                "date": parse_day(cell["date"], day_first),
                "platform": platform,
                "ad_account_id": cell.get("ad_account_id") or ad_account_id,
                "campaign_id": cell.get("campaign_id") or cell["campaign_name"],
                "campaign_name": cell["campaign_name"],
                "currency": cell.get("currency") or header_currency or currency,
            }
            for k in ("impressions", "clicks"):
                row[k] = int(number(cell[k], sep == ";") or 0)
            for k in ("spend", "conversions", "conversion_value"):
                row[k] = float(number(cell.get(k, ""), sep == ";") or 0.0)
        except Invalid as e:
            raise Invalid(f"Line {n}: {e.detail}") from e
        rows.append(row)
    if not rows:
        raise Invalid("The file has a header but no data rows")
    return platform, pa.Table.from_pylist(rows, schema=SCHEMAS["ad_daily_metrics"])

"""Meta Ads and Google Ads CSV exports -> canonical ad rows; merging and reading them back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from frontdesk.errors import Invalid
from frontdesk.storage.lake import ad_csv, ads
from frontdesk.storage.lake.ad_csv import NotCsv
from frontdesk.storage.lake.store import Lake

GOOGLE = (
    "Campaign performance report\n"
    '"January 1, 2026 - January 31, 2026"\n'
    "Day,Campaign,Campaign ID,Customer ID,Impr.,Clicks,Cost,Conversions,Conv. value,Currency code\n"
    '2026-01-05,Brand – Search,111,123-456-7890,"12,345",678,"1,234.56",12.5,"2,500.00",USD\n'
    "2026-01-06,Brand – Search,111,123-456-7890,900,45,99.10,1,150,USD\n"
    "Total: Account,--,--,--,13245,723,1333.66,13.5,2650,--\n"
)
META_EU = (
    "Reporting starts;Reporting ends;Campaign name;Campaign ID;Account ID;Impressions;Link clicks;"
    "Amount spent (EUR);Results;Purchases conversion value\n"
    "14/01/2026;14/01/2026;Frühling Sale;2384;act_42;1.234;56;78,90;3;210,50\n"
    "15/01/2026;15/01/2026;Frühling Sale;2384;act_42;2.000;80;100,00;4;300,00\n"
)
META_US = (
    "Campaign name,Day,Impressions,Clicks (all),Amount spent (USD),Results\n"
    "Retargeting,01/02/2026,5000,120,45.5,2\n"
)


def test_google_ads_export_with_title_lines_and_totals() -> None:
    platform, t = ad_csv.parse(GOOGLE.encode("utf-8"))
    rows = t.to_pylist()
    assert platform == "google_ads" and len(rows) == 2
    assert rows[0] == {
        "date": date(2026, 1, 5),
        "platform": "google_ads",
        "ad_account_id": "123-456-7890",
        "campaign_id": "111",
        "campaign_name": "Brand – Search",
        "impressions": 12345,
        "clicks": 678,
        "spend": 1234.56,
        "conversions": 12.5,
        "conversion_value": 2500.0,
        "currency": "USD",
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_meta_semicolon_decimal_comma_in_every_encoding(encoding: str) -> None:
    platform, t = ad_csv.parse(META_EU.encode(encoding))
    rows = t.to_pylist()
    assert platform == "meta_ads"
    assert [r["date"] for r in rows] == [date(2026, 1, 14), date(2026, 1, 15)]
    assert rows[0]["campaign_name"] == "Frühling Sale"
    assert (rows[0]["impressions"], rows[0]["spend"], rows[0]["conversion_value"]) == (1234, 78.9, 210.5)
    assert rows[0]["currency"] == "EUR" and rows[0]["ad_account_id"] == "act_42"


def test_us_dates_and_missing_optional_columns() -> None:
    platform, t = ad_csv.parse(META_US.encode(), ad_account_id="act_1")
    (row,) = t.to_pylist()
    assert platform == "meta_ads" and row["date"] == date(2026, 1, 2)
    assert row["campaign_id"] == "Retargeting" and row["conversion_value"] == 0.0
    assert row["ad_account_id"] == "act_1" and row["currency"] == "USD"


def test_bad_files_are_refused() -> None:
    with pytest.raises(NotCsv):
        ad_csv.parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(Invalid, match="header"):
        ad_csv.parse(b"name,email\nAna,ana@example.com\n")
    with pytest.raises(Invalid, match="Missing columns: spend"):
        ad_csv.parse(b"Day,Campaign,Impr.,Clicks\n2026-01-01,A,1,1\n")
    with pytest.raises(Invalid, match="Line 2"):
        ad_csv.parse(b"Day,Campaign,Impr.,Clicks,Cost\nyesterday-ish,A,1,1,2\n")


def test_merge_replaces_same_key_and_read_back(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    _, google = ad_csv.parse(GOOGLE.encode())
    _, meta = ad_csv.parse(META_EU.encode())
    merged = ads.merge(ads.merge(None, google), meta)
    again = ads.merge(merged, google)  # the same export twice changes nothing
    assert again.num_rows == merged.num_rows == 4
    lake.write("account:a", "conn:up", ads.OBJECT, again)
    lake.write("account:b", "conn:up", ads.OBJECT, google)
    rows = ads.read_ad_daily(lake, "account:a", date(2026, 1, 1), date(2026, 1, 31))
    assert len(rows) == 4 and rows[0]["date"] == "2026-01-05"
    only_meta = ads.read_ad_daily(lake, "account:a", date(2026, 1, 1), date(2026, 1, 14), platform="meta_ads")
    assert [r["campaign_name"] for r in only_meta] == ["Frühling Sale"]
    assert ads.read_ad_daily(lake, "account:c", date(2026, 1, 1), date(2026, 1, 31)) == []

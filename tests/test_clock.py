"""`clock.today()`: the wall clock's UTC date unless pinned; pins nest and always unwind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from frontdesk import clock
from frontdesk.tools.ads.demo import DemoAdSource, demo_window
from frontdesk.tools.ads.metrics import date_range


def test_unpinned_is_the_utc_date() -> None:
    before = datetime.now(UTC).date()
    assert clock.today() in {before, before + timedelta(days=1)}


def test_pins_nest_and_unwind_on_error() -> None:
    real = clock.today()
    with clock.pinned(date(2025, 3, 31)):
        assert clock.today() == date(2025, 3, 31)
        with pytest.raises(RuntimeError), clock.pinned(date(2024, 2, 29)):
            assert clock.today() == date(2024, 2, 29)
            raise RuntimeError
        assert clock.today() == date(2025, 3, 31)
    assert clock.today() in {real, real + timedelta(days=1)}


async def test_readers_of_today_follow_the_pin() -> None:
    with clock.pinned(date(2025, 3, 31)):
        assert demo_window()[1] == date(2025, 3, 31)
        assert date_range(None, None).end == date(2025, 3, 31)
        rows = await DemoAdSource("google_ads", "conn:pin").ad_daily(date(2025, 3, 1), date(2025, 4, 30))
        assert rows and max(r.date for r in rows) == date(2025, 3, 31)

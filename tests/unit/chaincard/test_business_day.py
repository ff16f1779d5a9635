"""chaincard.business_day: the local date in a time zone, shifted back by the cut-off; at a store, the
store's own time zone when it has one, else the chain's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from chaincard.business_day import business_date, cutoff_time, store_business_date


def test_business_day_cutoff():
    # 01:30 in Shanghai on the 22nd is still the 21st's business day with a 04:00 cut-off.
    assert business_date(datetime(2026, 11, 21, 17, 30, tzinfo=UTC)) == date(2026, 11, 21)
    assert business_date(datetime(2026, 11, 21, 20, 30, tzinfo=UTC)) == date(2026, 11, 22)


def test_the_cutoff_minute_itself_opens_the_new_day() -> None:
    four_am_shanghai = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    assert business_date(four_am_shanghai) == date(2026, 11, 22)
    assert business_date(four_am_shanghai - timedelta(microseconds=1)) == date(2026, 11, 21)


def test_the_cutoff_may_have_minutes_and_be_midnight() -> None:
    moment = datetime(2026, 11, 21, 20, 15, tzinfo=UTC)  # 04:15 in Shanghai
    assert business_date(moment, cutoff="04:30") == date(2026, 11, 21)
    assert business_date(moment, cutoff="04:10") == date(2026, 11, 22)
    assert business_date(datetime(2026, 11, 21, 16, 0, tzinfo=UTC), cutoff="00:00") == date(2026, 11, 22)  # midnight


def test_any_aware_moment_is_read_in_the_given_time_zone() -> None:
    beijing_evening = datetime(2026, 11, 21, 23, 0, tzinfo=timezone(timedelta(hours=8)))
    assert business_date(beijing_evening) == date(2026, 11, 21)
    assert business_date(beijing_evening, time_zone="Asia/Urumqi") == date(2026, 11, 21)  # 21:00 there
    assert business_date(datetime(2026, 11, 22, 3, 0, tzinfo=UTC), time_zone="America/New_York") == date(2026, 11, 21)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_date(datetime(2026, 11, 21, 12, 0))


def test_cutoff_time() -> None:
    assert cutoff_time("04:00") == time(4, 0)
    assert cutoff_time("23:59") == time(23, 59)


def test_a_store_with_its_own_time_zone_uses_it() -> None:
    # 02:00 UTC on the 22nd: 10:00 in Shanghai (the 22nd), 21:00 on the 21st in New York (past 04:00).
    moment = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert store_business_date(moment, "America/New_York", chain_time_zone="Asia/Shanghai", cutoff="04:00") == date(2026, 11, 21)
    assert store_business_date(moment, "Asia/Shanghai", chain_time_zone="America/New_York", cutoff="04:00") == date(2026, 11, 22)


def test_a_store_without_a_time_zone_uses_the_chains() -> None:
    moment = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)  # 03:00 on the 22nd in Shanghai
    assert store_business_date(moment, "", chain_time_zone="Asia/Shanghai", cutoff="04:00") == date(2026, 11, 21)
    assert store_business_date(moment, "", chain_time_zone="Asia/Shanghai", cutoff="02:00") == date(2026, 11, 22)
    assert store_business_date(moment, "", chain_time_zone="Asia/Shanghai", cutoff="04:00") == business_date(moment)

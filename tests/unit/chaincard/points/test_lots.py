"""Points lots' pure rules (P3): the expiry a lot gets, and which lots a debit consumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard.points.lots import (
    RULE_DAYS_AFTER_EARNING,
    RULE_END_OF_FOLLOWING_YEAR,
    RULE_NEVER,
    RULE_UNSPECIFIED,
    ExpiryPolicy,
    Lot,
    consume,
    lot_expiry,
    reminder_due,
)

SHANGHAI = "Asia/Shanghai"


def test_end_of_following_year_is_the_chains_new_year_two_years_on() -> None:
    # 2026-12-31 23:30 in Shanghai is still 2026 there (15:30 UTC).
    earned = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    assert lot_expiry(ExpiryPolicy(RULE_END_OF_FOLLOWING_YEAR), earned, SHANGHAI) == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
    # 2027-01-01 00:30 in Shanghai is already 2027 (2026-12-31 16:30 UTC): a year more.
    earned = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert lot_expiry(ExpiryPolicy(RULE_END_OF_FOLLOWING_YEAR), earned, SHANGHAI) == datetime(2028, 12, 31, 16, 0, tzinfo=UTC)


def test_days_after_earning_lasts_through_the_nth_local_day() -> None:
    earned = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 on 1 March in Shanghai
    expires = lot_expiry(ExpiryPolicy(RULE_DAYS_AFTER_EARNING, days=30), earned, SHANGHAI)
    # The midnight that starts 1 April in Shanghai: 31 March, the 30th day after 1 March, is the last day.
    assert expires == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("policy", [ExpiryPolicy(RULE_NEVER), ExpiryPolicy(RULE_UNSPECIFIED), ExpiryPolicy(RULE_DAYS_AFTER_EARNING)])
def test_never_unset_or_no_days_means_no_expiry(policy: ExpiryPolicy) -> None:
    assert lot_expiry(policy, datetime(2026, 1, 1, tzinfo=UTC), SHANGHAI) is None


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        lot_expiry(ExpiryPolicy(RULE_END_OF_FOLLOWING_YEAR), datetime(2026, 1, 1), SHANGHAI)  # noqa: DTZ001


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _lot(lot_id: str, remaining: int, expires_in_days: int | None, earned_day: int = 0, source: str | None = None) -> Lot:
    expires = T0 + timedelta(days=expires_in_days) if expires_in_days is not None else None
    return Lot(lot_id, remaining, expires, T0 + timedelta(days=earned_day), source)


def test_a_debit_takes_the_oldest_expiry_first_and_never_expiring_last() -> None:
    lots = [_lot("never", 50, None), _lot("late", 30, 90), _lot("soon", 20, 10), _lot("empty", 0, 1)]
    taken = consume(lots, 60)
    assert [(part.lot_id, part.points) for part in taken] == [("soon", 20), ("late", 30), ("never", 10)]


def test_equal_expiries_go_oldest_earned_first() -> None:
    taken = consume([_lot("b", 5, 30, earned_day=2), _lot("a", 5, 30, earned_day=1)], 7)
    assert [(part.lot_id, part.points) for part in taken] == [("a", 5), ("b", 2)]


def test_a_refund_claws_back_from_its_own_sale_first() -> None:
    lots = [_lot("older", 40, 10), _lot("sale", 25, 300, source="txn-sale")]
    taken = consume(lots, 30, first_from="txn-sale")
    assert [(part.lot_id, part.points) for part in taken] == [("sale", 25), ("older", 5)]


def test_lots_short_of_the_debit_are_a_broken_invariant() -> None:
    with pytest.raises(ValueError, match="fewer than"):
        consume([_lot("a", 5, 10)], 6)


@given(st.lists(st.tuples(st.integers(0, 500), st.one_of(st.none(), st.integers(-30, 400))), max_size=12), st.data())
def test_consumption_takes_exactly_the_debit_from_the_earliest_expiries(specs: list[tuple[int, int | None]],
                                                                       data: st.DataObject) -> None:
    lots = [_lot(f"lot-{index:02d}", remaining, days, earned_day=index) for index, (remaining, days) in enumerate(specs)]
    total = sum(lot.remaining for lot in lots)
    points = data.draw(st.integers(0, total))
    taken = consume(lots, points)
    assert sum(part.points for part in taken) == points
    by_id = {lot.lot_id: lot for lot in lots}
    assert all(0 < part.points <= by_id[part.lot_id].remaining for part in taken)
    # Every lot taken from, but the last, is emptied; nothing left untouched expires before the last taken.
    assert all(part.points == by_id[part.lot_id].remaining for part in taken[:-1])
    if taken:
        never = datetime.max.replace(tzinfo=UTC)
        last = by_id[taken[-1].lot_id].expires_at or never
        untouched = [lot for lot in lots if lot.remaining and lot.lot_id not in {part.lot_id for part in taken}]
        assert all((lot.expires_at or never) >= last for lot in untouched)


def test_a_reminder_is_due_within_its_window_before_expiry() -> None:
    now = T0
    assert reminder_due(now + timedelta(days=5), now, 7)
    assert not reminder_due(now + timedelta(days=8), now, 7)
    assert not reminder_due(now - timedelta(seconds=1), now, 7)  # already expired: the job expires it instead
    assert not reminder_due(now + timedelta(days=1), now, 0)  # no reminders configured

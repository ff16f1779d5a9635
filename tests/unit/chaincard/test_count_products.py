"""Packages' price shares, time passes' extension and daily cap, and refunds' released uses
(chaincard.count_products, docs/adr/0030): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard import count_products
from chaincard.card_types import CardTypeRefused
from chaincard.errors import FailedPrecondition
from chaincard.v1 import program_config_pb2 as pc

WASH = pc.CountItem(code="WASH", uses_per_pack=10, pack_price_fen=30_000)
WAX = pc.CountItem(code="WAX", uses_per_pack=5, pack_price_fen=15_000)
MONTH = pc.CountItem(code="MONTH", pack_price_fen=20_000, period_days=30, daily_cap_uses=2)
ITEMS = {item.code: item for item in (WASH, WAX, MONTH)}
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


def _package(price: int, *lines: tuple[str, int], validity_days: int = 0) -> pc.CountPackage:
    return pc.CountPackage(code="P", name="P", price_fen=price, validity_days=validity_days,
                           items=[pc.CountPackageItem(item_code=code, uses=uses) for code, uses in lines])


def test_a_package_price_is_split_by_each_items_own_value_the_remainder_on_the_last() -> None:
    lines = count_products.package_lines(_package(40_000, ("WASH", 10), ("WAX", 5), validity_days=90), ITEMS, 1)
    assert [(line.item.code, line.quantity, line.price_fen, line.validity_days) for line in lines] == [
        ("WASH", 10, 26_666, 90), ("WAX", 5, 13_334, 90)]
    twice = count_products.package_lines(_package(40_000, ("WASH", 10), ("MONTH", 1)), ITEMS, 2)
    assert [(line.item.code, line.quantity, line.price_fen) for line in twice] == [("WASH", 20, 48_000), ("MONTH", 2, 32_000)]
    assert twice[1].days == 60


def test_free_items_split_by_quantity() -> None:
    free = {"A": pc.CountItem(code="A", uses_per_pack=1), "B": pc.CountItem(code="B", uses_per_pack=1)}
    lines = count_products.package_lines(_package(100, ("A", 1), ("B", 2)), free, 1)
    assert [line.price_fen for line in lines] == [33, 67]


@given(price=st.integers(0, 10**7), uses=st.lists(st.integers(1, 1_000), min_size=1, max_size=3), packs=st.integers(1, 100))
def test_shares_always_add_up_to_the_price_and_are_never_negative(price: int, uses: list[int], packs: int) -> None:
    codes = ["WASH", "WAX", "MONTH"][:len(uses)]
    lines = count_products.package_lines(_package(price, *zip(codes, uses, strict=True)), ITEMS, packs)
    assert sum(line.price_fen for line in lines) == price * packs
    assert all(line.price_fen >= 0 for line in lines)


def test_an_item_alone_and_a_time_item_alone() -> None:
    assert (count_products.item_line(WASH, 2).quantity, count_products.item_line(WASH, 2).price_fen) == (20, 60_000)
    assert (count_products.item_line(MONTH, 2).quantity, count_products.item_line(MONTH, 2).days) == (2, 60)


def test_a_pass_extends_from_the_later_of_now_and_its_end() -> None:
    assert count_products.extended_end(None, NOW, 30) == (NOW, NOW + timedelta(days=30))
    ends = NOW + timedelta(days=5)
    assert count_products.extended_end(ends, NOW, 30) == (ends, ends + timedelta(days=30))
    assert count_products.extended_end(NOW - timedelta(days=5), NOW, 30) == (NOW, NOW + timedelta(days=30))


def test_the_daily_cap() -> None:
    count_products.require_within_cap(MONTH, "C", 1, 1)
    with pytest.raises(FailedPrecondition, match="2 uses per day"):
        count_products.require_within_cap(MONTH, "C", 1, 2)
    count_products.require_within_cap(pc.CountItem(code="X", period_days=30), "C", 100, 100)  # no cap


def test_the_card_type_must_hold_the_item() -> None:
    count_only = pc.CardType(code="CNT", count_uses=True)
    count_products.require_holdable(count_only, WASH)
    with pytest.raises(CardTypeRefused, match="time_limited"):
        count_products.require_holdable(count_only, MONTH)
    with pytest.raises(CardTypeRefused, match="count_uses"):
        count_products.require_holdable(pc.CardType(code="T", time_limited=True), WASH)
    with pytest.raises(FailedPrecondition, match="does not carry count item MONTH"):
        count_products.require_holdable(pc.CardType(code="T", time_limited=True, count_item_codes=["WASH"]), MONTH)
    count_products.require_holdable(None, MONTH, "UNKNOWN")  # a type the snapshot does not list is not restricted


def test_released_uses_follow_the_refunded_share() -> None:
    assert count_products.released_uses(3, 0, whole=True, refunded_fen=0, count_fen=9_000) == 3
    assert count_products.released_uses(3, 0, whole=False, refunded_fen=3_000, count_fen=9_000) == 1
    assert count_products.released_uses(3, 1, whole=False, refunded_fen=4_000, count_fen=9_000) == 0
    assert count_products.released_uses(3, 1, whole=True, refunded_fen=0, count_fen=9_000) == 2

"""``chaincard coupon template set``'s options as the CouponTemplate HQ receives, and ``list``'s rows."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chaincard.cli import build_parser
from chaincard.v1 import program_config_pb2 as pc
from hq_service.coupon_cli import describe, template_from_args

SHANGHAI = timezone(timedelta(hours=8))


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["coupon", "template", "set", *argv])


def test_set_maps_every_option() -> None:
    args = _args("TEA-HOUR", "--name", "下午茶8折", "--kind", "discount", "--discount-bp", "2000", "--max-discount-fen", "1500",
                 "--category", "tea", "--category", "bakery", "--min-spend-fen", "3000", "--store", "S-E-001",
                 "--weekday", "6", "--weekday", "7", "--hours", "15:00-17:30", "--exclude-holidays", "--level", "GOLD",
                 "--issuer", "F-HQ", "--valid-from", "2026-12-01", "--valid-until", "2027-01-01T00:00+00:00", "--stackable",
                 "--transferable", "--transfer-reward-points", "20", "--reminder-days", "3", "--inactive")
    template = template_from_args(args, SHANGHAI)
    assert template == pc.CouponTemplate(
        code="TEA-HOUR", name="下午茶8折", kind=pc.COUPON_KIND_DISCOUNT, discount_bp=2000, max_discount_fen=1500,
        categories=["tea", "bakery"], min_spend_fen=3000, store_ids=["S-E-001"], weekdays=[6, 7], start_minute_of_day=900,
        end_minute_of_day=1050, exclude_holidays=True, level_codes=["GOLD"], issuer_franchisee_id="F-HQ", stackable=True,
        transferable=True, transfer_reward_points=20, reminder_days_before_expiry=3, active=False,
        valid_from=template.valid_from, valid_until=template.valid_until,
    )
    assert template.valid_from.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)  # midnight in Shanghai
    assert template.valid_until.ToDatetime(tzinfo=UTC) == datetime(2027, 1, 1, tzinfo=UTC)
    row = describe(template)
    assert row[:6] == ["TEA-HOUR", "下午茶8折", "discount", "20% off ≤¥15.00", "¥30.00", "days 6,7; 15:00-17:30; not holidays"]
    assert row[-1] == "stackable transferable inactive"


@pytest.mark.parametrize("hours", ["10-12", "10:00", "10:00-1200", "ab:cd-12:00"])
def test_bad_hours_are_refused_by_the_parser(hours: str) -> None:
    with pytest.raises(SystemExit):
        _args("X", "--name", "x", "--kind", "cash", "--hours", hours)

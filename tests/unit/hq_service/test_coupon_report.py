"""The coupon report's arithmetic and table: the redemption rate in basis points, half up."""

from __future__ import annotations

from chaincard.v1 import reports_pb2
from hq_service.handlers.coupon_report import redemption_rate_bp
from hq_service.report_export import to_csv
from hq_service.report_tables import coupon_table


def test_the_redemption_rate_rounds_half_up_to_the_basis_point():
    assert redemption_rate_bp(1, 3) == 3_333  # 3,333.33…
    assert redemption_rate_bp(2, 3) == 6_667  # 6,666.66…
    assert redemption_rate_bp(1, 16) == 625  # exact
    assert redemption_rate_bp(1, 20_000) == 1  # 0.5 bp → 1
    assert redemption_rate_bp(1, 20_001) == 0  # just under half
    assert redemption_rate_bp(5, 5) == 10_000
    assert redemption_rate_bp(0, 0) == redemption_rate_bp(3, 0) == 0  # nothing issued: no rate


def test_the_coupon_table_shows_money_in_yuan_and_the_rate_in_percent():
    row = reports_pb2.CouponReportRow(template_code="T-A", group_key="F-A", group_name="Aurora", issued_count=3,
                                      redeemed_count=2, redeemed_discount_fen=1_505, expired_count=1, issued_redeemed_count=1,
                                      redemption_rate_bp=3_333)
    lines = to_csv(coupon_table([row])).decode("utf-8-sig").splitlines()
    assert lines[1] == "T-A,F-A,Aurora,3,2,15.05,1,1,33.33"

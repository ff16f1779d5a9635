"""HQ's checks of a coupon template: each refusal names its field (coupon_template.<field>)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaincard.coupons.checks import check_template, check_template_codes
from chaincard.errors import InvalidArgument
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc

SNAPSHOT = pc.ConfigSnapshot(
    stores=[directory_pb2.Store(store_id="S-1")], levels=[pc.Level(code="GOLD")],
    franchisees=[directory_pb2.Franchisee(franchisee_id="F-1")],
    coupon_templates=[pc.CouponTemplate(code="KNOWN")],
)


def good(**changes: object) -> pc.CouponTemplate:
    template = pc.CouponTemplate(code="CASH-20", name="满100减20", kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=2_000,
                                 min_spend_fen=10_000, validity_days=30, store_ids=["S-1"], level_codes=["GOLD"],
                                 issuer_franchisee_id="F-1", active=True)
    for name, value in changes.items():
        if isinstance(value, list):
            getattr(template, name).extend(value)
        elif isinstance(value, datetime):
            getattr(template, name).FromDatetime(value)
        else:
            setattr(template, name, value)
    return template


def test_good_templates_of_each_kind_pass() -> None:
    check_template(good(), SNAPSHOT)
    check_template(good(kind=pc.COUPON_KIND_DISCOUNT, discount_bp=1500, max_discount_fen=0), SNAPSHOT)
    check_template(good(kind=pc.COUPON_KIND_PRODUCT, face_value_fen=0, product_skus=["LATTE"]), SNAPSHOT)
    check_template(good(kind=pc.COUPON_KIND_PRODUCT, categories=["bakery"], discount_bp=5000), SNAPSHOT)
    check_template(good(validity_days=0, valid_until=datetime(2027, 1, 1, tzinfo=UTC), start_minute_of_day=1320,
                        end_minute_of_day=120, weekdays=[6, 7], transferable=True, transfer_reward_points=10), SNAPSHOT)


@pytest.mark.parametrize(("changes", "field"), [
    ({"code": ""}, "code"),
    ({"code": "bad code!"}, "code"),
    ({"name": " "}, "name"),
    ({"kind": pc.COUPON_KIND_UNSPECIFIED}, "kind"),
    ({"face_value_fen": 0}, "face_value_fen"),
    ({"face_value_fen": -5}, "face_value_fen"),
    ({"kind": pc.COUPON_KIND_DISCOUNT, "discount_bp": 0}, "discount_bp"),
    ({"kind": pc.COUPON_KIND_DISCOUNT, "discount_bp": 10_000}, "discount_bp"),
    ({"kind": pc.COUPON_KIND_DISCOUNT, "discount_bp": 1000, "max_discount_fen": -1}, "max_discount_fen"),
    ({"kind": pc.COUPON_KIND_PRODUCT}, "product_skus"),
    ({"kind": pc.COUPON_KIND_PRODUCT, "product_skus": ["LATTE"], "discount_bp": 10_000}, "discount_bp"),
    ({"kind": pc.COUPON_KIND_PRODUCT, "product_skus": [" "]}, "product_skus[0]"),
    ({"min_spend_fen": -1}, "min_spend_fen"),
    ({"weekdays": [1, 8]}, "weekdays[1]"),
    ({"weekdays": [0]}, "weekdays[0]"),
    ({"start_minute_of_day": 1440}, "start_minute_of_day"),
    ({"end_minute_of_day": 1441}, "end_minute_of_day"),
    ({"start_minute_of_day": 600, "end_minute_of_day": 600}, "end_minute_of_day"),
    ({"validity_days": -1}, "validity_days"),
    ({"validity_days": 0}, "validity_days"),
    ({"valid_from": datetime(2027, 1, 1, tzinfo=UTC), "valid_until": datetime(2027, 1, 1, tzinfo=UTC)}, "valid_until"),
    ({"store_ids": ["S-NOWHERE"]}, "store_ids[1]"),
    ({"level_codes": ["DIAMOND"]}, "level_codes[1]"),
    ({"issuer_franchisee_id": "F-NOBODY"}, "issuer_franchisee_id"),
    ({"transfer_reward_points": 10}, "transfer_reward_points"),
    ({"transferable": True, "transfer_reward_points": -1}, "transfer_reward_points"),
    ({"reminder_days_before_expiry": -3}, "reminder_days_before_expiry"),
])
def test_a_bad_template_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_template(good(**changes), SNAPSHOT)
    assert refused.value.field == f"coupon_template.{field}"


def test_template_codes_must_be_known() -> None:
    check_template_codes("settings.registration_coupon_template_codes", ["KNOWN"], SNAPSHOT)
    with pytest.raises(InvalidArgument) as refused:
        check_template_codes("promotion.tiers[0].coupon_template_codes", ["KNOWN", "GONE"], SNAPSHOT)
    assert refused.value.field == "promotion.tiers[0].coupon_template_codes[1]"

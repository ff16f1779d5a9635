"""Flags and documents become configuration messages by their descriptors; a wrong field or value
is named; messages become documents that read back to the same message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import yaml

from chaincard.program_config.entities import ENTITIES
from chaincard.program_config.fields import FieldError, enum_choices, flag_document, to_document, to_message
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc

SHANGHAI = timezone(timedelta(hours=8))


def test_flags_take_scalars_comma_lists_repeated_flags_maps_and_inline_messages() -> None:
    document = flag_document(pc.RechargePromotion.DESCRIPTOR, {
        "code": ["P1"], "store-ids": ["S-E-001,S-E-002", "S-W-001"], "active": ["true"], "priority": ["2"],
        "tiers": ["{min_amount_fen: 50000, bonus_fen: 5000}", "{min_amount_fen: 100000, bonus_points: 300}"],
        "valid_until": ["2027-01-01"],
    })
    promotion = to_message(document, pc.RechargePromotion, SHANGHAI)
    assert promotion == pc.RechargePromotion(
        code="P1", store_ids=["S-E-001", "S-E-002", "S-W-001"], active=True, priority=2,
        tiers=[pc.RechargeTier(min_amount_fen=50_000, bonus_fen=5_000), pc.RechargeTier(min_amount_fen=100_000, bonus_points=300)],
        valid_until=promotion.valid_until)
    assert promotion.valid_until.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 31, 16, tzinfo=UTC)  # midnight in Shanghai

    level = to_message(flag_document(pc.Level.DESCRIPTOR, {"code": ["GOLD"], "category_discount_bp": ["tea=1500,bakery=500"]}),
                       pc.Level, SHANGHAI)
    assert dict(level.category_discount_bp) == {"tea": 1500, "bakery": 500}
    assert flag_document(pc.CardType.DESCRIPTOR, {"count_item_codes": [""]}) == {"count_item_codes": []}  # '' clears


def test_documents_take_enum_short_names_dates_and_numbers_as_toml_and_yaml_read_them() -> None:
    template = to_message({"code": "C1", "kind": "cash-voucher", "face_value_fen": 2000, "valid_from": date(2026, 12, 1),
                           "valid_until": datetime(2027, 1, 1, tzinfo=UTC), "weekdays": [6, 7]}, pc.CouponTemplate, SHANGHAI)
    assert template.kind == pc.COUPON_KIND_CASH_VOUCHER and list(template.weekdays) == [6, 7]
    assert template.valid_from.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)
    schedule = to_message({"effective_from_business_date": date(2027, 1, 1), "interchange_bp": "30"}, pc.FeeSchedule, UTC)
    assert schedule == pc.FeeSchedule(effective_from_business_date="2027-01-01", interchange_bp=30)
    assert "cash_voucher" in enum_choices(pc.CouponKind.DESCRIPTOR)


@pytest.mark.parametrize(("document", "path"), [
    ({"code": "L", "colour": "red"}, "colour"),
    ({"code": "L", "rank": "seven"}, "rank"),
    ({"code": "L", "rank": True}, "rank"),
    ({"code": "L", "category_discount_bp": {"tea": "lots"}}, "category_discount_bp[tea]"),
    ({"code": "L", "category_discount_bp": ["tea"]}, "category_discount_bp"),
    ({"code": ["L"]}, "code"),
])
def test_a_wrong_field_or_value_is_named(document, path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FieldError) as refused:
        to_message(document, pc.Level, UTC)
    assert refused.value.path == path


@pytest.mark.parametrize(("document", "path"), [
    ({"tiers": [{"min_amount_fen": 1, "bonus": 5}]}, "tiers[0].bonus"),
    ({"valid_from": "next tuesday"}, "valid_from"),
    ({"tiers": "lots"}, "tiers[0]"),
])
def test_nested_fields_are_named_with_their_path(document, path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FieldError) as refused:
        to_message(document, pc.RechargePromotion, UTC)
    assert refused.value.path == path


def test_enum_values_not_in_the_enum_are_refused_listing_the_choices() -> None:
    with pytest.raises(FieldError, match="kind: 'coupon' is not one of cash_voucher, discount, product"):
        to_message({"kind": "coupon"}, pc.CouponTemplate, UTC)


def test_unknown_flag_fields_are_named() -> None:
    with pytest.raises(FieldError) as refused:
        flag_document(pc.Level.DESCRIPTOR, {"colour": ["red"]})
    assert refused.value.path == "colour"
    with pytest.raises(FieldError, match="'tea' is not key=value"):
        flag_document(pc.Level.DESCRIPTOR, {"category_discount_bp": ["tea"]})


@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_every_entity_reads_back_what_to_document_writes(entity) -> None:  # type: ignore[no-untyped-def]
    item = entity.new_message()
    for field in item.DESCRIPTOR.fields:  # one non-default value in every scalar field
        if field.message_type is None and not field.is_repeated:
            value = {field.TYPE_BOOL: True, field.TYPE_STRING: "x"}.get(field.type, 1)
            setattr(item, field.name, value)
    document = to_document(item, SHANGHAI)
    assert set(document) >= {f.name for f in item.DESCRIPTOR.fields if f.message_type is None}
    assert to_message(document, type(item), SHANGHAI) == item


def test_card_type_compliance_and_recharge_rules_from_flags_and_yaml() -> None:
    """V9 and V5 settings (docs/adr/0038, 0039): `chaincard program card-type set` takes them as flags
    and in a file alike, roles by their short names."""
    flags = flag_document(pc.CardType.DESCRIPTOR, {
        "code": ["GIFT"], "anonymous": ["true"], "balance-cap-fen": ["80000"], "real-name-threshold-fen": ["500000"],
        "non-cash-threshold-fen": ["2000000"], "recharge-store-ids": ["S-E-001,S-E-002"],
        "recharge-roles": ["store_manager"], "recharge-approval-threshold-fen": ["50000"],
    })
    from_flags = to_message(flags, pc.CardType, SHANGHAI)
    from_yaml = to_message(yaml.safe_load(
        "code: GIFT\nanonymous: true\nbalance_cap_fen: 80000\nreal_name_threshold_fen: 500000\n"
        "non_cash_threshold_fen: 2000000\nrecharge_store_ids: [S-E-001, S-E-002]\nrecharge_roles: [store-manager]\n"
        "recharge_approval_threshold_fen: 50000\n"), pc.CardType, SHANGHAI)
    assert from_flags == from_yaml == pc.CardType(
        code="GIFT", anonymous=True, balance_cap_fen=80_000, real_name_threshold_fen=500_000, non_cash_threshold_fen=2_000_000,
        recharge_store_ids=["S-E-001", "S-E-002"], recharge_roles=[directory_pb2.STAFF_ROLE_STORE_MANAGER], recharge_approval_threshold_fen=50_000)

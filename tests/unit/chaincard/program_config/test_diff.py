"""``diff``'s changes: field by field, sub-messages by their fields, lists whole."""

from __future__ import annotations

from chaincard.program_config.diff import UNSET, Change, changes
from chaincard.program_config.fields import to_document
from chaincard.v1 import program_config_pb2 as pc


def test_no_change_is_an_empty_list() -> None:
    level = pc.Level(code="GOLD", rank=2, category_discount_bp={"tea": 1500})
    assert changes(to_document(level), to_document(level)) == []


def test_changed_fields_are_named_in_field_order() -> None:
    before = pc.Level(code="GOLD", rank=2, privileges=["lounge"], category_discount_bp={"tea": 1500})
    after = pc.Level(code="GOLD", rank=3, privileges=["lounge", "parking"], category_discount_bp={"tea": 1000})
    found = changes(to_document(before), to_document(after))
    assert [change.describe() for change in found] == [
        "rank: 2 → 3", "category_discount_bp.tea: 1500 → 1000", 'privileges: ["lounge"] → ["lounge", "parking"]']


def test_sub_messages_by_field_and_set_or_unset_ones_whole() -> None:
    before = pc.StoreOfflineLimits(store_id="S1", limits=pc.OfflineLimits(pinless_limit_fen=100))
    after = pc.StoreOfflineLimits(store_id="S1", limits=pc.OfflineLimits(pinless_limit_fen=200))
    assert changes(to_document(before), to_document(after)) == [Change("limits.pinless_limit_fen", 100, 200)]
    [cleared] = changes(to_document(before), to_document(pc.StoreOfflineLimits(store_id="S1")))
    assert cleared.path == "limits" and cleared.after is UNSET and cleared.describe().endswith("→ (unset)")

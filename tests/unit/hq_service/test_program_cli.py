"""``chaincard program``'s flags come from the descriptors; its entity table agrees with HQ's own."""

from __future__ import annotations

import argparse
from datetime import UTC

import pytest

from chaincard.cli import build_parser
from chaincard.program_config.entities import ENTITIES
from chaincard.program_config.fields import FieldError
from chaincard.v1 import program_config_pb2 as pc
from hq_service.handlers.program import CONFIG_KINDS
from hq_service.program_cli import flags_document, given_flags, item_from_flags


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["program", *argv])


def test_the_cli_table_agrees_with_the_one_hq_serves() -> None:
    assert set(CONFIG_KINDS) == {entity.rpc for entity in ENTITIES.values()}
    for entity in ENTITIES.values():
        kind = CONFIG_KINDS[entity.rpc]
        assert (kind.request_field, kind.snapshot_field) == (entity.request_field, entity.snapshot_field)
        item = entity.new_message()
        if entity.keyed:
            setattr(item, entity.key_field, "K")
        assert kind.key(item) == entity.key_of(item)


def test_set_flags_of_every_field_kind() -> None:
    args = _args("level", "set", "GOLD", "--name", "Gold", "--rank", "2", "--category-discount-bp", "tea=1500",
                 "--category_discount_bp", "bakery=500", "--privileges", "lounge,parking")
    assert given_flags(args) == {"name": ["Gold"], "rank": ["2"], "category_discount_bp": ["tea=1500", "bakery=500"],
                                 "privileges": ["lounge,parking"]}
    document = flags_document(ENTITIES["level"], args, UTC)
    assert item_from_flags(ENTITIES["level"], document, None, UTC) == pc.Level(
        code="GOLD", name="Gold", rank=2, category_discount_bp={"tea": 1500, "bakery": 500}, privileges=["lounge", "parking"])


def test_flags_change_only_their_fields_of_the_running_item() -> None:
    running = pc.CardType(code="GOLD", name="Gold card", stored_value=True, validity_days=365, count_item_codes=["WASH"])
    args = _args("card-type", "set", "GOLD", "--validity-days", "730", "--active", "--points", "false")
    changed = item_from_flags(ENTITIES["card-type"], flags_document(ENTITIES["card-type"], args, UTC), running, UTC)
    assert changed == pc.CardType(code="GOLD", name="Gold card", stored_value=True, validity_days=730,
                                  count_item_codes=["WASH"], active=True, points=False)


def test_a_chain_wide_item_needs_no_key() -> None:
    args = _args("offline-limits", "set", "--pinless-limit-fen", "20000")
    assert flags_document(ENTITIES["offline-limits"], args, UTC) == {"pinless_limit_fen": "20000"}


@pytest.mark.parametrize(("argv", "problem"), [
    (["level", "set", "--rank", "2"], "code: give the level's code"),
    (["level", "set", "GOLD", "--code", "SILVER"], "code: 'SILVER' differs from the KEY argument 'GOLD'"),
    (["level", "set", "GOLD", "--rank", "two"], "rank: 'two' is not a whole number"),
    (["coupon-template", "set", "C", "--kind", "coupon"], "kind: 'coupon' is not one of"),
    (["offline-limits", "set"], "give fields to set"),
])
def test_bad_flags_are_named(argv: list[str], problem: str) -> None:
    args = _args(*argv)
    entity = ENTITIES[argv[0]]
    with pytest.raises(FieldError, match=problem):
        flags_document(entity, args, UTC)


def test_an_unknown_field_flag_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as refused:
        _args("level", "set", "GOLD", "--colour", "red")
    assert refused.value.code == 2
    with pytest.raises(SystemExit):  # a prefix of a field is not taken for it
        _args("level", "set", "GOLD", "--privilege", "lounge")

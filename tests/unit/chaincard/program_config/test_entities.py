"""The entity table covers every setter of ProgramConfigService and agrees with the descriptors."""

from __future__ import annotations

import pytest

from chaincard.program_config.entities import ENTITIES, SERVICE, columns_of, setter_rpcs
from chaincard.v1 import program_config_pb2 as pc


def test_every_upsert_and_set_rpc_has_an_entity() -> None:
    # A new Upsert*/Set* RPC needs its one line in ENTITIES (name, rpc, request field, snapshot field, key).
    assert setter_rpcs() == {entity.rpc for entity in ENTITIES.values()}


@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_each_entity_matches_its_request_response_and_snapshot_field(entity) -> None:  # type: ignore[no-untyped-def]
    snapshot_field = pc.ConfigSnapshot.DESCRIPTOR.fields_by_name[entity.snapshot_field]
    assert snapshot_field.message_type is entity.message
    assert snapshot_field.is_repeated == entity.keyed
    if entity.keyed:
        assert entity.key_field in entity.message.fields_by_name
    assert set(columns_of(entity)) <= set(entity.message.fields_by_name)
    item = entity.new_message()
    request = entity.request("r-1", item)
    assert request.DESCRIPTOR is SERVICE.methods_by_name[entity.rpc].input_type and request.request_id == "r-1"
    response = pc.DESCRIPTOR.message_types_by_name[SERVICE.methods_by_name[entity.rpc].output_type.name]
    assert any(field.message_type is entity.message for field in response.fields)


def test_running_items_and_finding_one_by_key() -> None:
    snapshot = pc.ConfigSnapshot(levels=[pc.Level(code="GOLD"), pc.Level(code="SILVER")])
    levels = ENTITIES["level"]
    assert [levels.key_of(level) for level in levels.running(snapshot)] == ["GOLD", "SILVER"]
    assert levels.find(snapshot, "SILVER") == pc.Level(code="SILVER") and levels.find(snapshot, "X") is None
    # A chain-wide item reads as its defaults until HQ sets it.
    assert ENTITIES["offline-limits"].running(snapshot) == [pc.OfflineLimits()]
    assert ENTITIES["offline-limits"].find(snapshot, "") == pc.OfflineLimits()

"""Field bounds on hostile input (chaincard.security.bounds): the field is named, nothing crashes."""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaincard.errors import InvalidArgument
from chaincard.local import demo_data
from chaincard.security.authz import chaincard_methods
from chaincard.security.bounds import DEFAULT_BOUNDS, FieldBounds, check_bounds
from chaincard.v1 import (
    common_pb2,
    directory_pb2,
    member_index_pb2,
    members_pb2,
    program_config_pb2,
    store_sync_pb2,
    transactions_pb2,
)


def _refusal(message: Message, bounds: FieldBounds = DEFAULT_BOUNDS) -> str:
    with pytest.raises(InvalidArgument) as refused:
        check_bounds(message, bounds)
    return str(refused.value)


def test_negative_and_huge_amounts_are_refused_naming_the_field() -> None:
    assert _refusal(transactions_pb2.RechargeCardRequest(amount_fen=-1)) == "amount_fen: must not be negative"
    assert "at most" in _refusal(transactions_pb2.RechargeCardRequest(amount_fen=2**62))
    checkout = transactions_pb2.CheckoutRequest(lines=[transactions_pb2.BasketLine(sku="A", quantity=1, unit_price_fen=100)] * 2
                                                + [transactions_pb2.BasketLine(sku="B", quantity=1, unit_price_fen=-5)])
    assert _refusal(checkout) == "lines[2].unit_price_fen: must not be negative"
    tender = transactions_pb2.CheckoutRequest(tenders=[transactions_pb2.TenderRequest(amount_fen=-1)])
    assert _refusal(tender).startswith("tenders[0].amount_fen")


def test_signed_figures_may_be_negative() -> None:
    check_bounds(transactions_pb2.AdjustPointsRequest(request_id="r", points_delta=-50, reason="goodwill"))
    overdrawn = transactions_pb2.CheckoutResponse(
        balances_after=common_pb2.Balances(principal_fen=-500),
        transaction=common_pb2.Transaction(principal_delta_fen=-1500, balances_after=common_pb2.Balances(principal_fen=-500)),
    )
    check_bounds(store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id="r", store_id="S-E-001", advices=[store_sync_pb2.OfflineAdvice(advice_id="a", offline_result=overdrawn)]
    ))


def test_strings_are_bounded_and_free_of_control_characters() -> None:
    assert _refusal(members_pb2.RegisterMemberRequest(name="x" * 129)) == "name: must be at most 128 characters"
    assert _refusal(members_pb2.RegisterMemberRequest(name="Zhang\x00San")) == "name: must not contain control characters"
    assert "control" in _refusal(members_pb2.RegisterMemberRequest(name="abc\u202edef"))
    assert _refusal(members_pb2.RegisterMemberRequest(request_id="r" * 65)).startswith("request_id")
    check_bounds(members_pb2.UpdateMemberRequest(reason="line one\nline two\tindented", name="张三"))
    assert "control" in _refusal(members_pb2.UpdateMemberRequest(reason="bell\x07"))


def test_enums_lists_and_maps_are_bounded() -> None:
    assert _refusal(members_pb2.RegisterMemberRequest(gender=99)) == "gender: 99 is not a Gender value"
    assert _refusal(members_pb2.RegisterMemberRequest(tags=["t"] * 51)) == "tags: must have at most 50 items"
    assert "entries" in _refusal(members_pb2.RegisterMemberRequest(custom_fields={f"k{i}": "v" for i in range(51)}))
    assert "key" in _refusal(members_pb2.RegisterMemberRequest(custom_fields={"k" * 65: "v"}))
    assert _refusal(members_pb2.RegisterMemberRequest(custom_fields={"k": "v" * 300})).startswith("custom_fields['k']")
    cards = [member_index_pb2.PhysicalCardEntry(card_number=str(i)) for i in range(10_000)]
    check_bounds(member_index_pb2.RegisterPhysicalCardsRequest(request_id="r", cards=cards))
    cards.append(member_index_pb2.PhysicalCardEntry(card_number="x"))
    assert _refusal(member_index_pb2.RegisterPhysicalCardsRequest(request_id="r", cards=cards)).startswith("cards:")


def test_bounds_are_configurable() -> None:
    strict = FieldBounds(max_amount_fen=100_000, string_limits=(("name", 8),))
    assert "at most 100000 fen" in _refusal(transactions_pb2.RechargeCardRequest(amount_fen=100_001), strict)
    assert _refusal(members_pb2.RegisterMemberRequest(name="123456789"), strict).startswith("name")


def test_the_demo_configuration_is_within_bounds() -> None:
    requests: list[Message] = [
        *(directory_pb2.UpsertRegionRequest(request_id="r", region=item) for item in demo_data.REGIONS),
        *(directory_pb2.UpsertFranchiseeRequest(request_id="r", franchisee=item) for item in demo_data.FRANCHISEES),
        *(directory_pb2.UpsertStoreRequest(request_id="r", store=item) for item in demo_data.STORES),
        *(program_config_pb2.UpsertCardTypeRequest(request_id="r", card_type=item) for item in demo_data.CARD_TYPES),
        *(program_config_pb2.UpsertLevelRequest(request_id="r", level=item) for item in demo_data.LEVELS),
        *(program_config_pb2.UpsertLevelRuleRequest(request_id="r", level_rule=item) for item in demo_data.LEVEL_RULES),
        *(program_config_pb2.UpsertCountItemRequest(request_id="r", count_item=item) for item in demo_data.COUNT_ITEMS),
        *(program_config_pb2.UpsertRechargePromotionRequest(request_id="r", promotion=item)
          for item in demo_data.RECHARGE_PROMOTIONS),
        program_config_pb2.SetFeeScheduleRequest(request_id="r", fee_schedule=demo_data.FEE_SCHEDULE),
        program_config_pb2.SetPointsDeductionPolicyRequest(request_id="r", policy=demo_data.POINTS_DEDUCTION),
    ]
    for request in requests:
        check_bounds(request)


# ---- hostile requests to every RPC -------------------------------------------------------------------
_REQUEST_TYPES = sorted({method.input_type.full_name: method.input_type for method in chaincard_methods().values()}.items())
_HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=70_000).filter(lambda text: len(text) > 200),
    st.sampled_from(["\x00", "'; DROP TABLE cards; --", "\u202e", "٩(◕‿◕)۶", "88" * 40, "\n"]),
)
_INTEGERS = {
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
}


def _value(data: st.DataObject, field: FieldDescriptor, depth: int) -> object | None:
    if field.type == FieldDescriptor.TYPE_STRING:
        return data.draw(_HOSTILE_TEXT)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return data.draw(st.binary(max_size=64))
    if field.type == FieldDescriptor.TYPE_BOOL:
        return data.draw(st.booleans())
    if field.type == FieldDescriptor.TYPE_ENUM:
        return data.draw(st.integers(-3, 40))
    if field.type in _INTEGERS:
        return data.draw(st.one_of(st.integers(-3, 3), _INTEGERS[field.type]))
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return data.draw(st.floats(allow_nan=True, allow_infinity=True, width=32))
    return None


def _fill(data: st.DataObject, message: Message, depth: int) -> None:
    for field in message.DESCRIPTOR.fields:
        if not data.draw(st.booleans(), label=field.name):
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            key_field = field.message_type.fields_by_name["key"]
            if value_field.message_type is not None or key_field.type != FieldDescriptor.TYPE_STRING:
                continue
            for _ in range(data.draw(st.integers(0, 3))):
                getattr(message, field.name)[data.draw(_HOSTILE_TEXT)] = _value(data, value_field, depth)
        elif field.message_type is not None:
            if depth >= 3:
                continue
            if field.is_repeated:
                for _ in range(data.draw(st.integers(0, 2))):
                    _fill(data, getattr(message, field.name).add(), depth + 1)
            else:
                _fill(data, getattr(message, field.name), depth + 1)
                getattr(message, field.name).SetInParent()
        elif field.is_repeated:
            getattr(message, field.name).extend(_value(data, field, depth) for _ in range(data.draw(st.integers(0, 3))))
        else:
            setattr(message, field.name, _value(data, field, depth))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_hostile_requests_to_every_rpc_are_refused_by_field_or_pass_never_crash(data: st.DataObject) -> None:
    name, descriptor = data.draw(st.sampled_from(_REQUEST_TYPES), label="request type")
    from google.protobuf import message_factory

    message = message_factory.GetMessageClass(descriptor)()
    _fill(data, message, 0)
    try:
        check_bounds(message)
    except InvalidArgument as refusal:
        top_field = refusal.field.split(".")[0].split("[")[0].split(" ")[0]
        assert top_field in descriptor.fields_by_name, (name, refusal.field)

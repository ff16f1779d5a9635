"""Prepaid-card compliance (V9) and recharge rules (V5) on real regions over gRPC: one refusal per
rule, each naming the rule and the limit and writing nothing; a store manager's approval above the
threshold passes and is audited; HQ refuses settings that make no sense (docs/adr/0038, 0039)."""

from __future__ import annotations

import time

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.security.identity import Principal, Role, Scope, acting_as
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    directory_pb2,
    directory_pb2_grpc,
    program_config_pb2_grpc,
    transactions_pb2,
)
from chaincard.v1 import program_config_pb2 as pc
from region_service.handlers.payments import recharge_card as recharge_handler
from tests.support.cards import assert_refused, open_card, recharge_card, recharge_request
from tests.support.count_uses import purchase
from tests.support.points import CONFIG_MAX_AGE_SECONDS
from tests.support.sql import rows, scalar

FP, PD = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED
MOBILE = common_pb2.TENDER_TYPE_MOBILE_PAY
MANAGER, CASHIER = directory_pb2.STAFF_ROLE_STORE_MANAGER, directory_pb2.STAFF_ROLE_CASHIER
TYPES = [
    # National defaults: ¥5,000 named, ¥1,000 bearer, real name from ¥10,000, no cash from ¥50,000.
    pc.CardType(code="PC-NAMED", name="Named", stored_value=True, points=True, active=True),
    pc.CardType(code="PC-GIFT", name="Bearer gift card", stored_value=True, anonymous=True, active=True),
    # HQ's own caps, high enough to reach the real-name and non-cash thresholds.
    pc.CardType(code="PC-BIG", name="Big named", stored_value=True, balance_cap_fen=20_000_000, active=True),
    pc.CardType(code="PC-BIGGIFT", name="Big bearer", stored_value=True, anonymous=True, balance_cap_fen=20_000_000, active=True),
    # V5: only at S-E-002; only by store managers; a manager's approval above ¥2,000.
    pc.CardType(code="PC-AURORA", name="Aurora only", stored_value=True, recharge_store_ids=["S-E-002"], active=True),
    pc.CardType(code="PC-MGR", name="Managers only", stored_value=True, recharge_roles=[MANAGER], active=True),
    pc.CardType(code="PC-APPROVE", name="Approval", stored_value=True, recharge_approval_threshold_fen=200_000, active=True),
    # A trial card converting to PC-NAMED on its first recharge (docs/adr/0034): the cap still holds.
    pc.CardType(code="PC-TASTE", name="Trial", stored_value=True, trial=True, validity_days=7,
                converts_to_card_type_code="PC-NAMED", active=True),
    # Count cards (K1) are prepaid too: their packs bought from outside the card follow real name and non-cash.
    pc.CardType(code="PC-CNT", name="Spa count card", count_uses=True, count_item_codes=["PC-SPA"], active=True),
    pc.CardType(code="PC-CNTGIFT", name="Spa bearer card", count_uses=True, anonymous=True, count_item_codes=["PC-SPA"],
                active=True),
]
SPA = pc.CountItem(code="PC-SPA", name="Spa day", eligible_skus=["SPA-1"], uses_per_pack=1, pack_price_fen=1_000_000, active=True)
STAFF = [
    directory_pb2.Staff(staff_id="ST-PC-1", store_id="S-E-001", name="周敏", role=CASHIER, active=True),
    directory_pb2.Staff(staff_id="ST-PC-2", store_id="S-E-001", name="陈强", role=MANAGER, active=True),
]


@pytest.fixture(scope="module")
def east(regions):  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        program.UpsertCountItem(pc.UpsertCountItemRequest(request_id=new_id(), count_item=SPA), timeout=10)
        for card_type in TYPES:
            program.UpsertCardType(pc.UpsertCardTypeRequest(request_id=new_id(), card_type=card_type), timeout=10)
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        for person in STAFF:
            directory.UpsertStaff(directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=person), timeout=10)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see the types
    return regions.clients["E"]


def _bearer_card(east, card_type: str) -> str:  # type: ignore[no-untyped-def]
    return str(east.cards.OpenCard(cards_pb2.OpenCardRequest(request_id=new_id(), store_id="S-E-001", card_type_code=card_type),
                                   timeout=10).card.card_number)


def _written(regions, card: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The card's ledger transactions and audit entries: a refusal changes neither."""
    url = regions.database_urls["E"]
    return (int(scalar(url, "SELECT count(*) FROM ledger_transactions WHERE card_number = :card", card=card)),
            int(scalar(url, "SELECT count(*) FROM audit_log WHERE target_id = :card", card=card)))


def _request(card: str, amount_fen: int, *, store: str = "S-E-001", operator: str = "",
             tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_CASH) -> transactions_pb2.RechargeCardRequest:
    request = recharge_request(card, amount_fen, store, tender)
    request.operator_id = operator
    return request


def test_named_card_balance_cap_refuses_a_recharge_past_five_thousand_yuan(regions, east):
    card = open_card(east, card_type="PC-NAMED")
    recharge_card(east.transactions, card, 400_000)
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 200_000), FP, "recharge of ¥2,000.00")
    assert "exceeds the named-card balance cap ¥5,000.00" in details and details.endswith("(V9 balance cap)")
    assert _written(regions, card) == before
    assert recharge_card(east.transactions, card, 100_000).principal_fen == 100_000  # exactly the cap


def test_a_converting_trial_card_is_held_to_its_new_types_cap_and_a_refusal_converts_nothing(regions, east):
    card = open_card(east, card_type="PC-TASTE")
    before = _written(regions, card)
    assert_refused(east.transactions.RechargeCard, _request(card, 600_000), FP, "named-card balance cap ¥5,000.00")
    assert _written(regions, card) == before  # no conversion, no audit entry, no transaction
    assert east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card.card_type_code == "PC-TASTE"
    recharge_card(east.transactions, card, 500_000)
    assert east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card.card_type_code == "PC-NAMED"


def test_bearer_card_balance_cap_is_one_thousand_yuan(regions, east):
    card = _bearer_card(east, "PC-GIFT")
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 100_001), FP, "anonymous-card balance cap ¥1,000.00")
    assert "(V9 balance cap)" in details and _written(regions, card) == before
    recharge_card(east.transactions, card, 100_000)


def test_real_name_registration_refuses_a_bearer_card_at_ten_thousand_yuan(regions, east):
    card = _bearer_card(east, "PC-BIGGIFT")
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 1_000_000, tender=MOBILE), FP,
                             "reaches the real-name threshold ¥10,000.00")
    assert "a bearer card" in details and details.endswith("(V9 real-name registration)")
    assert _written(regions, card) == before
    recharge_card(east.transactions, card, 999_900, tender=MOBILE)
    # A member registered by name may: the same amount onto a named card of the same caps.
    named = open_card(east, card_type="PC-BIG")
    assert recharge_card(east.transactions, named, 1_000_000, tender=MOBILE).principal_fen == 1_000_000


def test_non_cash_payment_refuses_cash_at_fifty_thousand_yuan(regions, east):
    card = open_card(east, card_type="PC-BIG")
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 5_000_000), FP,
                             "reaches the non-cash threshold ¥50,000.00")
    assert "cash is refused" in details and details.endswith("(V9 non-cash payment)")
    assert _written(regions, card) == before
    assert recharge_card(east.transactions, card, 5_000_000, tender=MOBILE).principal_fen == 5_000_000


def test_count_packs_bought_in_cash_or_onto_a_bearer_card_follow_the_same_thresholds(regions, east):
    card = open_card(east, card_type="PC-CNT")
    before = _written(regions, card)
    details = assert_refused(east.transactions.PurchaseCountUses, purchase(card, "PC-SPA", 5), FP,
                             "purchase of 5 × PC-SPA of ¥50,000.00 reaches the non-cash threshold ¥50,000.00")
    assert details.endswith("(V9 non-cash payment)") and _written(regions, card) == before
    assert east.transactions.PurchaseCountUses(purchase(card, "PC-SPA", 5, tender=MOBILE), timeout=10).transaction.amount_fen == 5_000_000
    gift = _bearer_card(east, "PC-CNTGIFT")
    before = _written(regions, gift)
    details = assert_refused(east.transactions.PurchaseCountUses, purchase(gift, "PC-SPA", 1, tender=MOBILE), FP,
                             "reaches the real-name threshold ¥10,000.00 and a bearer card")
    assert details.endswith("(V9 real-name registration)") and _written(regions, gift) == before


def test_a_store_not_allowed_cannot_recharge_the_type(regions, east):
    card = open_card(east, card_type="PC-AURORA")
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 10_000, store="S-E-001"), PD,
                             "may not be recharged at store S-E-001")
    assert "S-E-002" in details and details.endswith("(V5 recharge stores)")
    assert _written(regions, card) == before
    recharge_card(east.transactions, card, 10_000, store_id="S-E-002")


def test_a_role_not_allowed_cannot_recharge_the_type(regions, east):
    card = open_card(east, card_type="PC-MGR")
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 10_000, operator="ST-PC-1"), PD,
                             "a cashier may not recharge card type PC-MGR")
    assert details.endswith("(V5 recharge roles)") and _written(regions, card) == before
    east.transactions.RechargeCard(_request(card, 10_000, operator="ST-PC-2"), timeout=10)


def test_a_recharge_above_the_threshold_needs_and_records_a_managers_approval(regions, east):
    card = open_card(east, card_type="PC-APPROVE")
    recharge_card(east.transactions, card, 200_000)  # at the threshold: no approval needed
    before = _written(regions, card)
    details = assert_refused(east.transactions.RechargeCard, _request(card, 250_000, operator="ST-PC-1"), FP,
                             "exceeds the approval threshold ¥2,000.00")
    assert "store manager" in details and details.endswith("(V5 manager approval)")
    assert _written(regions, card) == before
    answer = east.transactions.RechargeCard(_request(card, 250_000, operator="ST-PC-2"), timeout=10)
    [approval] = rows(regions.database_urls["E"], "SELECT actor, store_id, amount_fen, after FROM audit_log "
                      "WHERE target_id = :card AND action = 'recharge.approve'", card=card)
    assert (approval.actor, approval.store_id, approval.amount_fen) == ("ST-PC-2", "S-E-001", 250_000)
    assert approval.after["transaction_id"] == answer.transaction.transaction_id


def test_a_managers_own_token_approves_too(regions, region_context, east):
    """The manager's token at the till (as for refunds): the call's principal is the manager."""
    card = open_card(east, card_type="PC-APPROVE")
    manager = Principal(operator_id="SM-PC", role=Role.STORE_MANAGER, scope=Scope.store("S-E-001"))
    cashier = Principal(operator_id="C-PC", role=Role.CASHIER, scope=Scope.store("S-E-001"))
    with acting_as(cashier), pytest.raises(Exception, match=r"V5 manager approval"):
        region_context.commands.run(recharge_handler, _request(card, 300_000, operator="C-PC"))
    with acting_as(manager):
        region_context.commands.run(recharge_handler, _request(card, 300_000, operator="SM-PC"))
    assert [row.actor for row in rows(regions.database_urls["E"], "SELECT actor FROM audit_log WHERE target_id = :card "
                                      "AND action = 'recharge.approve'", card=card)] == ["SM-PC"]


@pytest.mark.parametrize(("card_type", "field", "problem"), [
    (pc.CardType(code="PC-BAD-1", name="Bad", stored_value=True, balance_cap_fen=-1, active=True),
     "card_type.balance_cap_fen", "negative"),
    (pc.CardType(code="PC-BAD-2", name="Bad", stored_value=True, non_cash_threshold_fen=-5, active=True),
     "card_type.non_cash_threshold_fen", "negative"),
    (pc.CardType(code="PC-BAD-3", name="Bad", stored_value=True, recharge_store_ids=["S-NOWHERE"], active=True),
     "card_type.recharge_store_ids[0]", "names no store"),
    (pc.CardType(code="PC-BAD-4", name="Bad", stored_value=True, recharge_roles=[directory_pb2.STAFF_ROLE_UNSPECIFIED],
                 active=True), "card_type.recharge_roles[0]", "cashier or store_manager"),
    (pc.CardType(code="PC-BAD-5", name="Bad", stored_value=True, recharge_approval_threshold_fen=-1, active=True),
     "card_type.recharge_approval_threshold_fen", "negative"),
])
def test_hq_refuses_rules_that_make_no_sense(regions, card_type, field, problem):
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        details = assert_refused(program.UpsertCardType, pc.UpsertCardTypeRequest(request_id=new_id(), card_type=card_type),
                                 grpc.StatusCode.INVALID_ARGUMENT, field)
        snapshot = program.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=10).snapshot
    assert problem in details and card_type.code not in {item.code for item in snapshot.card_types}

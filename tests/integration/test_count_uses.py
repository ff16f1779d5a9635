"""PurchaseCountUses (K1, K3) on real regions over gRPC: packs of an HQ count item's uses sold onto a
card by every tender (the card's stored value included), with their expiry; retries answered once;
precise refusals that write nothing; a card of the other region bought at this region's store; and
the ledger's invariants (each card's packs hold its COUNT_USES:<item> balance) after each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from chaincard.v1 import cards_pb2, common_pb2
from tests.support.cards import assert_refused, funded_card
from tests.support.count_uses import COUNT_CARD, packs_of, purchase, set_count_programme
from tests.support.ledger import assert_ledger_consistent


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_count_programme(regions)
    return regions


@pytest.mark.parametrize("tender", [common_pb2.TENDER_TYPE_CASH, common_pb2.TENDER_TYPE_BANK_CARD,
                                    common_pb2.TENDER_TYPE_MOBILE_PAY, common_pb2.TENDER_TYPE_STORED_VALUE])
def test_uses_are_sold_by_every_tender_with_their_expiry(programme, tender):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    before = datetime.now(UTC)
    answer = clients.transactions.PurchaseCountUses(purchase(card, "WASH", 2, tender=tender), timeout=10)
    assert (answer.amount_fen, answer.uses_added) == (60_000, 20)
    assert (answer.count_use_balance.item_code, answer.count_use_balance.uses) == ("WASH", 20)
    assert answer.transaction.type == common_pb2.TRANSACTION_TYPE_COUNT_USES_PURCHASE
    assert [(d.item_code, d.uses_delta) for d in answer.transaction.count_use_deltas] == [("WASH", 20)]
    expires = answer.expires_at.ToDatetime(tzinfo=UTC)
    assert before + timedelta(days=30) <= expires <= datetime.now(UTC) + timedelta(days=30)
    paid_by_card = tender == common_pb2.TENDER_TYPE_STORED_VALUE
    assert answer.balances_after.principal_fen + answer.balances_after.bonus_fen == (40_000 if paid_by_card else 100_000)
    assert answer.transaction.principal_delta_fen == (-60_000 if paid_by_card else 0)
    assert [(u.item_code, u.uses) for u in answer.balances_after.count_uses] == [("WASH", 20)]
    assert any("Uses left WASH" in line.text and "20" in line.text for line in answer.receipt)
    balance = clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert [(u.item_code, u.uses) for u in balance.count_uses] == [("WASH", 20)]
    assert packs_of(programme.database_urls["E"], card) == [("WASH", 20, 20)]
    assert_ledger_consistent(programme.database_urls["E"])


def test_a_retry_sells_once_and_a_second_purchase_adds_a_pack(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    request = purchase(card, "WASH-E1")
    first = clients.transactions.PurchaseCountUses(request, timeout=10)
    assert clients.transactions.PurchaseCountUses(request, timeout=10) == first
    assert not first.HasField("expires_at")  # WASH-E1's uses never expire
    second = clients.transactions.PurchaseCountUses(purchase(card, "WASH-E1", 3), timeout=10)
    assert second.count_use_balance.uses == 20
    assert packs_of(programme.database_urls["E"], card) == [("WASH-E1", 5, 5), ("WASH-E1", 15, 15)]
    assert_ledger_consistent(programme.database_urls["E"])


def test_a_card_of_the_other_region_buys_uses_at_this_regions_store(programme):  # type: ignore[no-untyped-def]
    card = funded_card(programme.clients["W"], 0, "S-W-001", card_type=COUNT_CARD)
    answer = programme.clients["E"].transactions.PurchaseCountUses(purchase(card, "WASH", store="S-E-002"), timeout=10)
    assert (answer.transaction.home_region, answer.count_use_balance.uses) == ("W", 10)
    assert packs_of(programme.database_urls["W"], card) == [("WASH", 10, 10)]
    assert_ledger_consistent(programme.database_urls["W"])


@pytest.mark.parametrize(("change", "status", "text_"), [
    ({"item": "NO-SUCH"}, grpc.StatusCode.INVALID_ARGUMENT, "item_code"),
    ({"item": ""}, grpc.StatusCode.INVALID_ARGUMENT, "item_code"),
    ({"packs": 0}, grpc.StatusCode.INVALID_ARGUMENT, "packs"),
    ({"packs": 101}, grpc.StatusCode.INVALID_ARGUMENT, "packs"),
    ({"tender": common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD}, grpc.StatusCode.INVALID_ARGUMENT, "tender"),
    ({"item": "WASH-OFF"}, grpc.StatusCode.FAILED_PRECONDITION, "WASH-OFF is no longer sold"),
    ({"item": "WASH-E1", "store": "S-E-002"}, grpc.StatusCode.FAILED_PRECONDITION, "WASH-E1 is not sold or used at store S-E-002"),
    ({"packs": 2, "tender": common_pb2.TENDER_TYPE_STORED_VALUE}, grpc.StatusCode.FAILED_PRECONDITION,
     "has ¥500.00 of stored value to spend; 2 × WASH costs ¥600.00"),
])
def test_refusals_are_precise_and_write_nothing(programme, change, status, text_):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 50_000, card_type=COUNT_CARD)
    request = purchase(card, change.get("item", "WASH"), change.get("packs", 1), store=change.get("store", "S-E-001"),
                       tender=change.get("tender", common_pb2.TENDER_TYPE_CASH))
    assert_refused(clients.transactions.PurchaseCountUses, request, status, text_)
    assert packs_of(programme.database_urls["E"], card) == []
    balance = clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert (balance.principal_fen, list(balance.count_uses)) == (50_000, [])


def test_a_card_type_without_count_uses_is_refused(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0)  # the demo's SV card type carries no count uses
    assert_refused(clients.transactions.PurchaseCountUses, purchase(card), grpc.StatusCode.FAILED_PRECONDITION,
                   "card type SV carries no count uses")
    assert packs_of(programme.database_urls["E"], card) == []

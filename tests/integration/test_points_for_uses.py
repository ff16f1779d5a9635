"""Points redeemed for count uses (P2 × K1, docs/adr/0037) on real regions over gRPC: the offer adds
a free pack of its item's uses, expiring after the item's validity, exactly once under retry; the
uses pay at checkout and clear at 0 from the card's issuer; too few points, or a card type without
count uses, are refused writing nothing; HQ refuses an offer of an item it does not know, or of a
time item, naming the field."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import common_pb2, program_config_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from tests.support.cards import assert_refused, funded_card, refusal
from tests.support.count_uses import COUNT_CARD, ITEMS, packs_of, set_count_programme, wash_sale
from tests.support.ledger import assert_ledger_consistent
from tests.support.points import (
    adjust,
    assert_lots_hold_the_balance,
    points_balance,
    redeem,
    set_points_programme,
)

WASH = ITEMS[0]  # 30 days' validity; the COUNT-WASH offer gives one use of it for 50 points


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_count_programme(regions)
    set_points_programme(regions)
    return regions


@pytest.fixture
def ctx(region_context, programme):  # type: ignore[no-untyped-def]
    region_context.program.snapshot(force=True)
    return region_context


def _packs(database_url: str, card: str) -> list[tuple[str, int, int, int, timedelta | None]]:
    """(seller, uses left, price, value left, validity) of each of the card's packs, oldest first."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT franchisee_id, uses_left, price_fen, value_left_fen, expires_at - bought_at FROM count_use_packs "
                "WHERE card_number = :card ORDER BY bought_at, pack_id"), {"card": card})]
    finally:
        engine.dispose()


def test_points_buy_a_free_pack_once_and_its_uses_pay_at_checkout(programme, ctx):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, "S-E-002", card_type=COUNT_CARD)  # issued by F-AURORA
    clients.transactions.AdjustPoints(adjust(card, 130), timeout=10)
    request = redeem(card, "COUNT-WASH", 2)  # at S-E-001 (F-HQ's store)
    answer = clients.transactions.RedeemPoints(request, timeout=10)
    assert clients.transactions.RedeemPoints(request, timeout=10) == answer  # a retry adds nothing
    assert (answer.points_spent, answer.count_item_code, answer.count_uses_credited) == (100, "WASH", 2)
    assert answer.transaction.type == common_pb2.TRANSACTION_TYPE_POINTS_REDEMPTION
    assert [(d.item_code, d.uses_delta) for d in answer.transaction.count_use_deltas] == [("WASH", 2)]
    assert answer.balances_after.points == 30
    assert [(u.item_code, u.uses) for u in answer.balances_after.count_uses] == [("WASH", 2)]
    assert any("Uses added WASH" in line.text for line in answer.receipt)
    # Free, sold by the issuer whose points paid for it, valid for the item's days.
    assert _packs(url, card) == [("F-AURORA", 2, 0, 0, timedelta(days=WASH.validity_days))]
    assert points_balance(ctx, card) == 30
    assert_lots_hold_the_balance(ctx, card)

    sale = clients.transactions.Checkout(wash_sale(card, 2), timeout=10)
    paid = {tender.type: tender for tender in sale.tenders}
    assert (paid[common_pb2.TENDER_TYPE_COUNT_USES].uses, paid[common_pb2.TENDER_TYPE_COUNT_USES].amount_fen) == (2, 6_000)
    # The uses clear at the pack's value: 0, whichever store gives the service (docs/adr/0031).
    assert [(c.item_code, c.uses, c.seller_franchisee_id, c.value_fen)
            for c in sale.transaction.count_use_consumptions] == [("WASH", 2, "F-AURORA", 0)]
    assert list(sale.balances_after.count_uses) == []
    assert packs_of(url, card) == [("WASH", 2, 0)]
    assert_ledger_consistent(url)


def test_too_few_points_or_a_card_without_count_uses_are_refused_writing_nothing(programme, ctx):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    clients.transactions.AdjustPoints(adjust(card, 40), timeout=10)
    assert_refused(clients.transactions.RedeemPoints, redeem(card, "COUNT-WASH"), grpc.StatusCode.FAILED_PRECONDITION,
                   r"has 40 points to spend; 1 × COUNT-WASH needs 50")
    plain = funded_card(clients, 0)  # card type SV: no count uses
    clients.transactions.AdjustPoints(adjust(plain, 100), timeout=10)
    assert_refused(clients.transactions.RedeemPoints, redeem(plain, "COUNT-WASH"), grpc.StatusCode.FAILED_PRECONDITION,
                   "carries no count uses")
    assert packs_of(url, card) == [] and packs_of(url, plain) == []
    assert (points_balance(ctx, card), points_balance(ctx, plain)) == (40, 100)


@pytest.mark.parametrize(("item_code", "why"), [("NO-SUCH-ITEM", "no count item"), ("PASS-30", "is a time item")])
def test_hq_refuses_an_offer_of_an_unknown_or_time_item_naming_the_field(programme, item_code, why):  # type: ignore[no-untyped-def]
    with open_channel(programme.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        program.UpsertCountItem(pc.UpsertCountItemRequest(request_id=new_id(), count_item=pc.CountItem(
            code="PASS-30", name="30-day pass", eligible_skus=["WASH-1"], pack_price_fen=10_000, period_days=30, active=True)),
            timeout=10)
        refused = refusal(program.UpsertPointsRedemptionRule, pc.UpsertPointsRedemptionRuleRequest(
            request_id=new_id(), rule=pc.PointsRedemptionRule(code="BAD-USES", name="Bad", kind=pc.POINTS_REDEMPTION_KIND_COUNT_USES,
                                                              points_cost=10, count_item_code=item_code, count_uses=1, active=True)))
        offers = program.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=10).snapshot.points_redemption_rules
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "rule.count_item_code" in refused.details()
    assert why in refused.details()
    assert "BAD-USES" not in {offer.code for offer in offers}

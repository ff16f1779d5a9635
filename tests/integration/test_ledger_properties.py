"""Any sequence of recharges, checkouts, refunds, voids and lifecycle changes leaves the ledger
sound: every transaction balances per asset, every balance equals the sum of its postings, no card
goes negative, and no call ever fails with anything but a precise, expected status."""

from __future__ import annotations

import random

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, common_pb2, transactions_pb2
from tests.support.cards import open_card
from tests.support.ledger import assert_ledger_consistent

EXPECTED_REFUSALS = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}


operation = st.one_of(
    st.tuples(st.just("recharge"), st.integers(0, 1), st.integers(1, 200_000)),
    st.tuples(st.just("checkout"), st.integers(0, 1), st.integers(1, 60_000), st.integers(0, 3), st.integers(0, 20_000)),
    st.tuples(st.just("refund"), st.integers(0, 1), st.integers(1, 10_000)),
    st.tuples(st.just("void"), st.integers(0, 1)),
    st.tuples(st.sampled_from(["freeze", "unfreeze", "lost", "found", "replace", "adjust"]), st.integers(0, 1)),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(operation, min_size=5, max_size=25))
def test_random_sequences_keep_the_ledger_sound(regions, steps):
    east = regions.clients["E"]
    cards = [open_card(east, card_type="GOLD"), open_card(east, card_type="SV")]
    sales: list[tuple[int, str]] = []
    for step in steps:
        kind, which = step[0], step[1]
        card = cards[which]
        try:
            if kind == "recharge":
                east.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
                    request_id=new_id(), store_id="S-E-002", card_number=card, amount_fen=step[2],
                    tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
            elif kind == "checkout":
                _, _, price, points_units, cash = step
                tenders = [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH, amount_fen=cash)] if cash else []
                tenders += [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)] if cash else []
                sale = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
                    request_id=new_id(), store_id="S-E-001", card_number=card, points_to_redeem=points_units * 100,
                    lines=[transactions_pb2.BasketLine(sku="A", name="a", category=random.choice(["tea", "misc"]), quantity=1,
                                                       unit_price_fen=price)], tenders=tenders), timeout=10)
                sales.append((which, sale.transaction.transaction_id))
            elif kind in ("refund", "void") and sales:
                owner, sale_id = random.choice(sales)
                if kind == "refund":
                    east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
                        request_id=new_id(), store_id="S-E-001", card_number=cards[owner], original_transaction_id=sale_id,
                        amount_fen=step[2]), timeout=10)
                else:
                    east.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
                        request_id=new_id(), store_id="S-E-001", card_number=cards[owner], original_transaction_id=sale_id), timeout=10)
            elif kind == "freeze":
                east.cards.FreezeCard(cards_pb2.FreezeCardRequest(request_id=new_id(), card_number=card, reason="p"), timeout=10)
            elif kind == "unfreeze":
                east.cards.UnfreezeCard(cards_pb2.UnfreezeCardRequest(request_id=new_id(), card_number=card, reason="p"), timeout=10)
            elif kind == "lost":
                east.cards.ReportCardLost(cards_pb2.ReportCardLostRequest(request_id=new_id(), card_number=card, reason="p"), timeout=10)
            elif kind == "found":
                east.cards.CancelCardLoss(cards_pb2.CancelCardLossRequest(request_id=new_id(), card_number=card, reason="p"), timeout=10)
            elif kind == "replace":
                cards[which] = east.cards.ReplaceCard(cards_pb2.ReplaceCardRequest(
                    request_id=new_id(), store_id="S-E-001", card_number=card), timeout=10).new_card.card_number
            elif kind == "adjust":
                east.transactions.AdjustPoints(transactions_pb2.AdjustPointsRequest(
                    request_id=new_id(), store_id="S-E-001", card_number=card, points_delta=random.choice([-50, 75]),
                    reason="property"), timeout=10)
        except grpc.RpcError as error:
            assert error.code() in EXPECTED_REFUSALS, f"{kind}: {error.code().name} {error.details()}"
    assert_ledger_consistent(regions.database_urls["E"])
    for card in cards:
        balances = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
        assert min(balances.principal_fen, balances.bonus_fen, balances.points) >= 0

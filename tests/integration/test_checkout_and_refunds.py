"""Checkout with levels, points and split tenders, recharge promotions, refunds and voids, over
real gRPC and PostgreSQL, with the demo chain's configuration (Gold: 10% off, tea 5%; pay ¥1,000
get ¥150 and 200 points on Gold cards; 100 points pay ¥1, up to half a bill)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import grpc

from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, common_pb2, transactions_pb2
from tests.support.cards import assert_refused, open_card, recharge_card
from tests.support.ledger import assert_ledger_consistent

TEA = transactions_pb2.BasketLine(sku="TEA", name="Longjing", category="tea", quantity=1, unit_price_fen=10_000)
CUPS = transactions_pb2.BasketLine(sku="CUP", name="Cups", category="homeware", quantity=2, unit_price_fen=10_000)


def _balances(clients, card: str) -> common_pb2.Balances:
    return clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances


def test_recharge_promotion_adds_bonus_and_points(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001", card_type="GOLD")
    answer = recharge_card(east.transactions, card, 100_000, "S-E-001")
    assert (answer.principal_fen, answer.bonus_fen, answer.points_earned, answer.promotion_code) == (100_000, 15_000, 200, "WINTER-2026")
    assert any("WINTER-2026" in line.text for line in answer.receipt)
    small = recharge_card(east.transactions, card, 60_000, "S-E-001")
    assert (small.bonus_fen, small.points_earned) == (5_000, 0)
    plain = open_card(east, "S-E-001", card_type="SV")
    assert recharge_card(east.transactions, plain, 100_000, "S-E-001").bonus_fen == 0  # the promotion is for Gold cards only
    assert_ledger_consistent(regions.database_urls["E"])


def test_gold_checkout_with_points_and_cash_then_refunds_restore_exactly(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001", card_type="GOLD")
    recharge_card(east.transactions, card, 100_000, "S-E-001")  # principal 100,000, bonus 15,000, points 200
    sale = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, lines=[TEA, CUPS], points_to_redeem=200,
        tenders=[
            transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH, amount_fen=5_000),
            transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE),
        ]), timeout=10)
    # By hand: subtotal 30,000; Gold takes 5% off tea (500) and 10% off cups (2,000); 200 points pay 200.
    assert (sale.subtotal_fen, sale.discount_fen, sale.points_deduction_fen, sale.total_due_fen) == (30_000, 2_500, 200, 27_300)
    cash, stored = sale.tenders
    assert (cash.type, cash.amount_fen) == (common_pb2.TENDER_TYPE_CASH, 5_000)
    # 22,300 from a card holding 100,000 + 15,000: bonus share round(22,300 × 15,000 / 115,000) = 2,909.
    assert (stored.amount_fen, stored.principal_fen, stored.bonus_fen) == (22_300, 19_391, 2_909)
    assert sale.points_redeemed == 200 and sale.points_earned == sum(line.points_earned for line in sale.lines) > 0
    after_sale = _balances(east, card)
    assert (after_sale.principal_fen, after_sale.bonus_fen, after_sale.points) == (80_609, 12_091, sale.points_earned)

    sale_id = sale.transaction.transaction_id
    first = east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-002", card_number=card, original_transaction_id=sale_id, amount_fen=10_000,
        reason="one cup broken"), timeout=10)
    assert first.refund_fen == 10_000 and sum(t.amount_fen for t in first.tenders) == 10_000
    assert 0 < first.points_clawed_back <= sale.points_earned
    assert_refused(east.transactions.RefundSale, transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale_id, amount_fen=17_301),
        grpc.StatusCode.INVALID_ARGUMENT)
    assert_refused(east.transactions.VoidSale, transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale_id),
        grpc.StatusCode.FAILED_PRECONDITION)
    rest = east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale_id, amount_fen=17_300), timeout=10)
    assert first.principal_restored_fen + rest.principal_restored_fen == 19_391
    assert first.bonus_restored_fen + rest.bonus_restored_fen == 2_909
    assert first.points_clawed_back + rest.points_clawed_back == sale.points_earned
    assert first.points_restored + rest.points_restored == 200
    final = _balances(east, card)
    assert (final.principal_fen, final.bonus_fen, final.points) == (100_000, 15_000, 200)
    assert_refused(east.transactions.RefundSale, transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale_id, amount_fen=1),
        grpc.StatusCode.FAILED_PRECONDITION)
    assert_ledger_consistent(regions.database_urls["E"])


def test_void_sale_and_void_recharge_rules(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001", card_type="SV")
    recharge = recharge_card(east.transactions, card, 20_000, "S-E-001")
    sale = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, lines=[TEA]), timeout=10)
    assert_refused(east.transactions.VoidSale, transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-002", card_number=card, original_transaction_id=sale.transaction.transaction_id),
        grpc.StatusCode.FAILED_PRECONDITION)
    assert_refused(east.transactions.VoidRecharge, transactions_pb2.VoidRechargeRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=recharge.transaction.transaction_id),
        grpc.StatusCode.FAILED_PRECONDITION)  # part of it was spent
    voided = east.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale.transaction.transaction_id), timeout=10)
    assert (voided.balances_after.principal_fen, voided.balances_after.points) == (20_000, 0)
    assert voided.transaction.original_transaction_id == sale.transaction.transaction_id
    unvoided = east.transactions.VoidRecharge(transactions_pb2.VoidRechargeRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=recharge.transaction.transaction_id), timeout=10)
    assert unvoided.principal_reversed_fen == 20_000 and unvoided.balances_after.principal_fen == 0
    assert_ledger_consistent(regions.database_urls["E"])


def test_a_second_member_card_pays_the_rest_and_is_refunded(regions):
    east = regions.clients["E"]
    payer, helper = open_card(east, "S-E-001", card_type="SV"), open_card(east, "S-E-001", card_type="SV", pin="246810")
    recharge_card(east.transactions, payer, 3_000, "S-E-001")
    recharge_card(east.transactions, helper, 50_000, "S-E-001")
    request = transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=payer, lines=[TEA],
        tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=3_000),
                 transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD, card_number=helper, pin="000000")])
    assert_refused(east.transactions.Checkout, request, grpc.StatusCode.PERMISSION_DENIED)
    request.request_id, request.tenders[1].pin = new_id(), "246810"
    sale = east.transactions.Checkout(request, timeout=10)
    assert [t.amount_fen for t in sale.tenders] == [3_000, 7_000]
    assert _balances(east, helper).principal_fen == 43_000
    helper_history = east.transactions.ListTransactions(transactions_pb2.ListTransactionsRequest(card_number=helper), timeout=10)
    assert helper_history.transactions[0].type == common_pb2.TRANSACTION_TYPE_SPEND and helper_history.transactions[0].amount_fen == 7_000
    east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=payer, original_transaction_id=sale.transaction.transaction_id,
        amount_fen=10_000), timeout=10)
    assert _balances(east, helper).principal_fen == 50_000 and _balances(east, payer).principal_fen == 3_000
    assert_ledger_consistent(regions.database_urls["E"])


def test_birthday_doubles_points_and_a_wrong_pin_writes_nothing(regions):
    east = regions.clients["E"]
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    birthday = today.replace(year=1990) if (today.month, today.day) != (2, 29) else today.replace(year=1992)
    party, ordinary = open_card(east, "S-E-001", card_type="SV", birthday=birthday.isoformat()), open_card(east, "S-E-001", card_type="SV", pin="135790")
    for card in (party, ordinary):
        recharge_card(east.transactions, card, 20_000, "S-E-001")
    doubled = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=party, lines=[TEA]), timeout=10)
    assert doubled.points_earned == 200  # 1 point per ¥1 on ¥100, doubled on the birthday
    before = _balances(east, ordinary)
    details = assert_refused(east.transactions.Checkout, transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=ordinary, lines=[TEA], pin="111111"), grpc.StatusCode.PERMISSION_DENIED)
    assert "PIN" in details
    assert _balances(east, ordinary) == before
    normal = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=ordinary, lines=[TEA], pin="135790"), timeout=10)
    assert normal.points_earned == 100


def test_cross_region_gold_checkout_through_a_store_region(regions):
    west_card = open_card(regions.clients["W"], "S-W-002", card_type="GOLD")
    recharge_card(regions.clients["E"].transactions, west_card, 100_000, "S-E-002")  # recharged in the East, posted in the West
    sale = regions.clients["E"].transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-002", card_number=west_card, lines=[CUPS], points_to_redeem=100), timeout=10)
    assert sale.transaction.home_region == "W" and sale.discount_fen == 2_000 and sale.points_deduction_fen == 100
    assert_ledger_consistent(regions.database_urls["W"])

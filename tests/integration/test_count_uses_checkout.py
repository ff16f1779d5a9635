"""The COUNT_USES tender at checkout (K1, K3) on real regions over gRPC: uses taken earliest expiry
first, shown left on the balances and the receipt; the store list and the daily quota refused
precisely, writing nothing; and the issue's race: 30 concurrent uses of a 10-use card from two
regions' stores, exactly 10 succeed, the ledger balances per item, nothing negative."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.consumer import IdempotentConsumer
from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, common_pb2, transactions_pb2
from settlement.clearing import record_posting
from settlement.hq import StaticConfigSource
from settlement.models import ProcessedEvent
from settlement.runs import SettlementRunner
from tests.support.cards import assert_refused, funded_card
from tests.support.count_uses import COUNT_CARD, packs_of, purchase, set_count_programme, wash_sale
from tests.support.ledger import assert_ledger_consistent


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_count_programme(regions)
    return regions


def _uses(clients, card: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    balance = clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    return [(held.item_code, held.uses) for held in balance.count_uses]


def test_a_use_pays_for_a_wash_from_the_oldest_pack_and_the_receipt_shows_uses_left(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 10_000, card_type=COUNT_CARD)
    clients.transactions.PurchaseCountUses(purchase(card), timeout=10)
    clients.transactions.PurchaseCountUses(purchase(card), timeout=10)
    # Three washes: two paid by uses, the third by the card's stored value.
    sale = clients.transactions.Checkout(wash_sale(card, 2, washes=3), timeout=10)
    assert (sale.total_due_fen, sale.points_earned) == (9_000, 30)
    paid = {tender.type: tender for tender in sale.tenders}
    assert paid[common_pb2.TENDER_TYPE_COUNT_USES].amount_fen == 6_000
    assert (paid[common_pb2.TENDER_TYPE_COUNT_USES].count_item_code, paid[common_pb2.TENDER_TYPE_COUNT_USES].uses) == ("WASH", 2)
    assert paid[common_pb2.TENDER_TYPE_STORED_VALUE].amount_fen == 3_000
    assert [(d.item_code, d.uses_delta) for d in sale.transaction.count_use_deltas] == [("WASH", -2)]
    assert [(u.item_code, u.uses) for u in sale.balances_after.count_uses] == [("WASH", 18)]
    assert any("Uses WASH -2" in line.text and "18 left" in line.text for line in sale.receipt)
    assert packs_of(programme.database_urls["E"], card) == [("WASH", 10, 8), ("WASH", 10, 10)]
    assert _uses(clients, card) == [("WASH", 18)]
    assert_ledger_consistent(programme.database_urls["E"])


def test_more_uses_than_the_card_holds_or_the_basket_covers_are_refused(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    clients.transactions.PurchaseCountUses(purchase(card), timeout=10)  # 10 uses
    assert_refused(clients.transactions.Checkout, wash_sale(card, 11), grpc.StatusCode.FAILED_PRECONDITION,
                   "has 10 usable uses of WASH; the sale needs 11")
    assert_refused(clients.transactions.Checkout, wash_sale(card, 2, washes=1), grpc.StatusCode.INVALID_ARGUMENT,
                   "tenders[0].uses")
    assert_refused(clients.transactions.Checkout, wash_sale(card, 1, item="NO-SUCH"), grpc.StatusCode.INVALID_ARGUMENT,
                   "tenders[0].count_item_code")
    assert_refused(clients.transactions.Checkout, wash_sale(card, 0, washes=1), grpc.StatusCode.INVALID_ARGUMENT,
                   "tenders[0].uses")
    wanted = wash_sale(card, 1, washes=2, money=(transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH),))
    # A quote prices the uses, charging nothing.
    quoted = clients.transactions.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
        store_id="S-E-001", card_number=card, lines=wanted.lines, tenders=wanted.tenders), timeout=10)
    assert [(t.type, t.amount_fen) for t in quoted.tenders] == [(common_pb2.TENDER_TYPE_COUNT_USES, 3_000),
                                                               (common_pb2.TENDER_TYPE_CASH, 3_000)]
    assert _uses(clients, card) == [("WASH", 10)]


def test_the_store_list_and_the_daily_quota_are_refused_precisely(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    clients.transactions.PurchaseCountUses(purchase(card, "WASH-E1"), timeout=10)  # 5 uses, 2 a day at S-E-001 only
    assert_refused(clients.transactions.Checkout, wash_sale(card, 1, item="WASH-E1", store="S-E-002"),
                   grpc.StatusCode.FAILED_PRECONDITION, "count item WASH-E1 is not sold or used at store S-E-002")
    clients.transactions.Checkout(wash_sale(card, 1, item="WASH-E1"), timeout=10)
    assert_refused(clients.transactions.Checkout, wash_sale(card, 2, item="WASH-E1"), grpc.StatusCode.FAILED_PRECONDITION,
                   "WASH-E1 allows 2 uses per day at store S-E-001; card " + card + " used 1 today, so 2 more is too many")
    clients.transactions.Checkout(wash_sale(card, 1, item="WASH-E1"), timeout=10)
    assert_refused(clients.transactions.Checkout, wash_sale(card, 1, item="WASH-E1"), grpc.StatusCode.FAILED_PRECONDITION,
                   "used 2 today, so 1 more is too many")
    assert _uses(clients, card) == [("WASH-E1", 3)]
    assert_ledger_consistent(programme.database_urls["E"])


def test_30_concurrent_uses_of_a_10_use_card_from_two_regions_exactly_10_succeed(programme):  # type: ignore[no-untyped-def]
    card = funded_card(programme.clients["E"], 0, card_type=COUNT_CARD)
    programme.clients["E"].transactions.PurchaseCountUses(purchase(card), timeout=10)  # 10 uses
    requests = [(programme.clients["E" if n % 2 else "W"], wash_sale(card, 1, store="S-E-001" if n % 2 else "S-W-001"))
                for n in range(30)]
    barrier = threading.Barrier(len(requests))

    def use(clients, request: transactions_pb2.CheckoutRequest):  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            return clients.transactions.Checkout(request, timeout=60)
        except grpc.RpcError as refused:
            return refused

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(lambda pair: use(*pair), requests))
    sold = [answer for answer in answers if isinstance(answer, transactions_pb2.CheckoutResponse)]
    refused = [answer for answer in answers if isinstance(answer, grpc.RpcError)]
    assert len(sold) == 10 and len(refused) == 20
    assert {error.code() for error in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
    assert all("usable uses of WASH" in error.details() for error in refused)
    assert sorted(answer.balances_after.count_uses[0].uses if answer.balances_after.count_uses else 0 for answer in sold) == list(range(10))
    assert _uses(programme.clients["E"], card) == []
    assert packs_of(programme.database_urls["E"], card) == [("WASH", 10, 0)]
    assert_ledger_consistent(programme.database_urls["E"])
    engine = create_engine(programme.database_urls["E"])
    try:
        with engine.connect() as connection:
            per_item = connection.execute(text(
                "SELECT asset, SUM(CASE WHEN direction = 'CREDIT' THEN amount ELSE -amount END) FROM postings "
                "WHERE asset LIKE 'COUNT_USES:%' GROUP BY asset")).all()
            negative = connection.execute(text(
                "SELECT COUNT(*) FROM ledger_accounts WHERE purpose = 'CARD' AND balance < 0")).scalar_one()
            spends = connection.execute(text(
                "SELECT COUNT(*) FROM ledger_transactions WHERE card_number = :card AND type = 'SPEND'"), {"card": card}).scalar_one()
    finally:
        engine.dispose()
    assert all(net == 0 for _, net in per_item) and negative == 0 and spends == 10


def test_refunds_and_voids_give_the_uses_back(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    clients.transactions.PurchaseCountUses(purchase(card), timeout=10)  # 10 uses
    sale = clients.transactions.Checkout(wash_sale(card, 2), timeout=10)
    first = clients.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale.transaction.transaction_id,
        lines=[transactions_pb2.RefundLine(sku="WASH-1", quantity=1)], reason="one wash not done"), timeout=10)
    assert [(d.item_code, d.uses_delta) for d in first.transaction.count_use_deltas] == [("WASH", 1)]
    assert [(u.item_code, u.uses) for u in first.balances_after.count_uses] == [("WASH", 9)]
    assert any("Uses returned WASH" in line.text for line in first.receipt)
    rest = clients.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale.transaction.transaction_id,
        lines=[transactions_pb2.RefundLine(sku="WASH-1", quantity=1)], reason="the other neither"), timeout=10)
    assert [(d.item_code, d.uses_delta) for d in rest.transaction.count_use_deltas] == [("WASH", 1)]
    assert _uses(clients, card) == [("WASH", 10)]
    voided = clients.transactions.Checkout(wash_sale(card, 3), timeout=10)
    assert _uses(clients, card) == [("WASH", 7)]
    void = clients.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=voided.transaction.transaction_id,
        reason="rung up twice"), timeout=10)
    assert [(d.item_code, d.uses_delta) for d in void.transaction.count_use_deltas] == [("WASH", 3)]
    assert _uses(clients, card) == [("WASH", 10)]
    assert packs_of(programme.database_urls["E"], card) == [("WASH", 10, 10)]
    assert_ledger_consistent(programme.database_urls["E"])


def _consumptions(transaction: common_pb2.Transaction) -> list[tuple[str, int, str, int]]:
    return [(c.item_code, c.uses, c.seller_franchisee_id, c.value_fen) for c in transaction.count_use_consumptions]


def _pack_values(database_url: str, card: str) -> list[tuple[str, int, int, int]]:
    """(seller, uses left, price, value left) of each of the card's packs, oldest first."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT franchisee_id, uses_left, price_fen, value_left_fen FROM count_use_packs WHERE card_number = :card "
                "ORDER BY bought_at, pack_id"), {"card": card})]
    finally:
        engine.dispose()


def test_sales_and_reversals_carry_their_uses_by_seller_with_their_value(programme):  # type: ignore[no-untyped-def]
    """Issue 14 item 9 (docs/adr/0031): each transaction names, per item and seller, the uses it
    consumed or gave back and their value — a use is worth its floor share of its pack's value left,
    so a pack's uses sum to its price, and a reversal gives back what the sale took."""
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, store="S-E-002"), timeout=10)  # Aurora: 10 for 30,000
    assert _consumptions(bought.transaction) == []
    first = clients.transactions.Checkout(wash_sale(card, 3), timeout=10)
    assert _consumptions(first.transaction) == [("WASH", 3, "F-AURORA", 9_000)]  # 30,000 × 3 // 10
    clients.transactions.PurchaseCountUses(purchase(card), timeout=10)  # HQ (S-E-001): 10 for 30,000, expiring later
    # 8 uses: the 7 left of Aurora's pack take all its 21,000 left, the 8th 30,000 // 10 of HQ's.
    second = clients.transactions.Checkout(wash_sale(card, 8), timeout=10)
    assert _consumptions(second.transaction) == [("WASH", 7, "F-AURORA", 21_000), ("WASH", 1, "F-HQ", 3_000)]
    assert _pack_values(url, card) == [("F-AURORA", 0, 30_000, 0), ("F-HQ", 9, 30_000, 27_000)]
    void = clients.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=second.transaction.transaction_id,
        reason="rung up twice"), timeout=10)
    assert _consumptions(void.transaction) == [("WASH", 7, "F-AURORA", 21_000), ("WASH", 1, "F-HQ", 3_000)]
    # One of the first sale's three washes refunded: one use back, a third of the 9,000 it took.
    refund = clients.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=first.transaction.transaction_id,
        lines=[transactions_pb2.RefundLine(sku="WASH-1", quantity=1)], reason="one wash not done"), timeout=10)
    assert _consumptions(refund.transaction) == [("WASH", 1, "F-AURORA", 3_000)]
    assert _pack_values(url, card) == [("F-AURORA", 8, 30_000, 24_000), ("F-HQ", 10, 30_000, 30_000)]
    assert_ledger_consistent(url)


def test_a_region_s_postings_settle_the_uses_from_seller_to_store(programme, fresh_database, tmp_path):  # type: ignore[no-untyped-def]
    """From the region's own outbox to a statement (docs/adr/0031): HQ's card holds uses Aurora sold
    (10 for 30,000); consumed at HQ's store, Aurora pays HQ their value less the count-use fee.
    Sale 3 uses 9,000; sale 2 uses 21,000 × 2 // 7 = 6,000; its void −6,000; a refund of one of the
    first sale's washes −3,000 → gross 6,000 over 4 use groups: fee 500 bp = 300, no platform fee
    (HQ receives) → HQ +5,700, Aurora −5,700."""
    from chaincard.local import demo_data
    from chaincard.v1 import program_config_pb2, settlement_pb2
    from settlement.statements import load_statement

    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)  # opened at S-E-001: HQ's card
    clients.transactions.PurchaseCountUses(purchase(card, store="S-E-002"), timeout=10)
    first = clients.transactions.Checkout(wash_sale(card, 3), timeout=10)
    second = clients.transactions.Checkout(wash_sale(card, 2), timeout=10)
    clients.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=second.transaction.transaction_id,
        reason="rung up twice"), timeout=10)
    refund = clients.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=first.transaction.transaction_id,
        lines=[transactions_pb2.RefundLine(sku="WASH-1", quantity=1)], reason="one wash not done"), timeout=10)
    if refund.transaction.business_date != first.transaction.business_date:
        pytest.skip("the sales straddled the business day's cut-off")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            envelopes = list(connection.execute(text(
                "SELECT envelope FROM outbox WHERE message_key = :card AND event_type = 'chaincard.v1.TransactionPosted' "
                "ORDER BY position"), {"card": card}).scalars())
    finally:
        engine.dispose()
    assert len(envelopes) == 5

    settlement_url = fresh_database("count_use_clearing")
    upgrade_to_head("settlement", settlement_url)
    settlement_engine = make_engine(settlement_url)
    try:
        sessions = make_session_factory(settlement_engine)
        consumer = IdempotentConsumer(name="test.clearing", bootstrap="unused:0", topics=[], session_factory=sessions,
                                      processed_model=ProcessedEvent, handle=record_posting)
        for envelope in envelopes:
            assert consumer.apply(bytes(envelope)) is True
        snapshot = program_config_pb2.ConfigSnapshot(
            franchisees=demo_data.FRANCHISEES, stores=demo_data.STORES,
            fee_schedules=[program_config_pb2.FeeSchedule(effective_from_business_date="2020-01-01", interchange_bp=150,
                                                          collection_fee_bp=50, platform_fee_bp=20, count_use_fee_bp=500)])
        runner = SettlementRunner(sessions, StaticConfigSource(snapshot), statements_dir=tmp_path, render_files=False,
                                  clock=lambda: datetime.now(UTC) + timedelta(days=3))
        day = date.fromisoformat(first.transaction.business_date)
        assert runner.run(day).manifest.net_total_fen == 0
        with sessions() as session:
            lines = {franchisee: [(settlement_pb2.SettlementFlow.Name(line.flow).removeprefix("SETTLEMENT_FLOW_"),
                                   line.counterparty_franchisee_id, line.store_id, line.transaction_count, line.gross_fen,
                                   line.counterparty_fee_fen, line.platform_fee_fen, line.net_fen)
                                  for line in load_statement(session, franchisee_id=franchisee, business_date=day).lines]
                     for franchisee in ("F-HQ", "F-AURORA")}
    finally:
        settlement_engine.dispose()
    assert lines == {
        "F-HQ": [("COUNT_USES_ACQUIRED", "F-AURORA", "S-E-001", 4, 6_000, 300, 0, 5_700)],
        "F-AURORA": [("COUNT_USES_ISSUED", "F-HQ", "S-E-001", 4, 6_000, 300, 0, -5_700)],
    }

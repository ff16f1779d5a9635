"""What a card owes is collected (issue 21, docs/adr/0018), over real gRPC and PostgreSQL: an offline
overdraft is a receivable on the card that GetBalance and receipts show, online sales cannot spend
it, the next recharge pays it first (exactly once under concurrent retries of one request), a store
manager writes it off with a reason (audited); points a refund cannot claw back are owed too and
paid from the next points earned."""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import grpc

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    program_config_pb2,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
)
from tests.support.cards import assert_refused, open_card, recharge_card, recharge_request
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import rows

# HQ's views in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True

STORE = "S-E-001"


def _line(amount_fen: int, sku: str = "X") -> transactions_pb2.BasketLine:
    return transactions_pb2.BasketLine(sku=sku, name="thing", category="misc", quantity=1, unit_price_fen=amount_fen)


def _sale(clients, card: str, amount_fen: int, request_id: str | None = None) -> transactions_pb2.CheckoutRequest:  # type: ignore[no-untyped-def]
    return transactions_pb2.CheckoutRequest(request_id=request_id or new_id(), store_id=STORE, card_number=card,
                                            lines=[_line(amount_fen)])


def _balances(clients, card: str) -> common_pb2.Balances:  # type: ignore[no-untyped-def]
    return clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances


def _overdraw(regions, card: str, principal_fen: int) -> store_sync_pb2.OfflineAdviceResult:  # type: ignore[no-untyped-def]
    """An offline advice of ``principal_fen`` from the store, as if approved while its link was down."""
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    request_id = new_id()
    checkout = transactions_pb2.CheckoutRequest(request_id=request_id, store_id=STORE, card_number=card, lines=[_line(principal_fen)])
    result = transactions_pb2.CheckoutResponse(
        transaction=common_pb2.Transaction(transaction_id=new_id(), card_number=card, store_id=STORE, amount_fen=principal_fen),
        subtotal_fen=principal_fen, total_due_fen=principal_fen, offline=True,
        tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=principal_fen,
                                                principal_fen=principal_fen, card_number=card)],
        lines=[transactions_pb2.PricedLine(sku="X", quantity=1, gross_fen=principal_fen, net_fen=principal_fen)],
    )
    advice = store_sync_pb2.OfflineAdvice(advice_id=request_id, sequence=1, store_id=STORE, checkout=checkout, offline_result=result)
    advice.approved_at.FromDatetime(datetime.now(UTC))
    with open_channel(endpoint) as channel:
        [answer] = store_sync_pb2_grpc.StoreSyncServiceStub(channel).UploadOfflineAdvices(
            store_sync_pb2.UploadOfflineAdvicesRequest(request_id=new_id(), store_id=STORE, advices=[advice]), timeout=20).results
    return answer


def test_an_overdraft_is_owed_by_the_card_cannot_be_spent_and_the_next_recharge_pays_it_first_once(regions):
    east = regions.clients["E"]
    card = open_card(east, STORE)
    recharge_card(east.transactions, card, 10_000, STORE)
    online = east.transactions.Checkout(_sale(east, card, 4_000), timeout=10)
    overdrawn = _overdraw(regions, card, 9_000)  # the card holds 6,000: 3,000 owed
    assert overdrawn.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED_OVERDRAWN
    assert overdrawn.transaction.balances_after.owed_fen == 3_000
    owing = _balances(east, card)
    assert (owing.principal_fen, owing.bonus_fen, owing.owed_fen) == (0, 0, 3_000)

    # A refund puts 4,000 back on the card while it owes 3,000: only 1,000 may be spent online.
    east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id=STORE, card_number=card, original_transaction_id=online.transaction.transaction_id,
        amount_fen=4_000, reason="returned"), timeout=10)
    assert (_balances(east, card).principal_fen, _balances(east, card).owed_fen) == (4_000, 3_000)
    assert_refused(east.transactions.Checkout, _sale(east, card, 1_001), grpc.StatusCode.FAILED_PRECONDITION)
    spent = east.transactions.Checkout(_sale(east, card, 1_000), timeout=10)
    assert (spent.balances_after.principal_fen, spent.balances_after.owed_fen) == (3_000, 3_000)
    assert any("Card owes" in line.text for line in spent.receipt)

    # The next recharge pays the 3,000 first; the same request sent four times at once pays it once.
    recharge = recharge_request(card, 5_000, STORE)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: east.transactions.RechargeCard(recharge, timeout=20), range(4)))
    assert all(answer == answers[0] for answer in answers)
    assert any("Paid what card owed" in line.text for line in answers[0].receipt)
    assert not any("Card owes" in line.text for line in answers[0].receipt)
    after = _balances(east, card)
    assert (after.principal_fen, after.owed_fen) == (3_000 + 2_000, 0)
    url = regions.database_urls["E"]
    assert rows(url, "SELECT COUNT(*) FROM ledger_transactions WHERE request_id = :id", id=recharge.request_id) == [(1,)]
    assert rows(url, "SELECT -balance FROM ledger_accounts WHERE purpose = 'RECEIVABLE' AND card_number = :card", card=card) == [(0,)]
    assert east.transactions.RechargeCard(recharge, timeout=10) == answers[0]  # a later retry: the same answer
    assert _balances(east, card).principal_fen == 5_000
    assert_ledger_consistent(url)


def test_a_store_manager_writes_off_what_a_card_owes_with_a_reason_audited(regions):
    east = regions.clients["E"]
    card = open_card(east, STORE)
    recharge_card(east.transactions, card, 1_000, STORE)
    _overdraw(regions, card, 2_500)
    assert _balances(east, card).owed_fen == 1_500
    assert_refused(east.transactions.Checkout, _sale(east, card, 100), grpc.StatusCode.FAILED_PRECONDITION)
    assert_refused(east.cards.CloseCard, cards_pb2.CloseCardRequest(request_id=new_id(), store_id=STORE, card_number=card),
                   grpc.StatusCode.FAILED_PRECONDITION, "owes")

    def write_off(reason: str, request_id: str | None = None) -> cards_pb2.WriteOffReceivableRequest:
        return cards_pb2.WriteOffReceivableRequest(request_id=request_id or new_id(), store_id=STORE, card_number=card,
                                                   operator_id="manager-1", reason=reason)

    assert assert_refused(east.cards.WriteOffReceivable, write_off(""), grpc.StatusCode.INVALID_ARGUMENT).startswith("reason")
    request = write_off("holder moved abroad")
    answer = east.cards.WriteOffReceivable(request, timeout=10)
    assert (answer.written_off_fen, answer.points_written_off, answer.balances.owed_fen) == (1_500, 0, 0)
    assert answer.transaction.type == common_pb2.TRANSACTION_TYPE_RECEIVABLE_WRITE_OFF
    assert east.cards.WriteOffReceivable(request, timeout=10) == answer  # a retry replays
    assert_refused(east.cards.WriteOffReceivable, write_off("again"), grpc.StatusCode.FAILED_PRECONDITION, "owes nothing")
    assert _balances(east, card).owed_fen == 0
    url = regions.database_urls["E"]
    assert rows(url, "SELECT actor, store_id, reason, amount_fen, outcome FROM audit_log "
                     "WHERE action = 'card.receivable_write_off' AND target_id = :card", card=card) == [
        ("manager-1", STORE, "holder moved abroad", 1_500, "OK")]
    # The issuer bears the loss: its write-off account holds the 1,500.
    assert rows(url, "SELECT SUM(p.amount) FROM postings p JOIN ledger_accounts a USING (account_id) "
                     "WHERE a.purpose = 'RECEIVABLE_WRITTEN_OFF' AND p.transaction_id = :t",
                t=answer.transaction.transaction_id) == [(1_500,)]
    recharge_card(east.transactions, card, 700, STORE)
    assert _balances(east, card).principal_fen == 700  # nothing owed any more: all of it lands on the card
    assert_ledger_consistent(url)


def test_points_a_refund_cannot_claw_back_are_owed_and_paid_from_the_next_points_earned(regions):
    east = regions.clients["E"]
    card = open_card(east, STORE, card_type="GOLD")
    recharge_card(east.transactions, card, 100_000, STORE)  # 200 bonus points
    sale = east.transactions.Checkout(_sale(east, card, 50_000), timeout=10)
    earned = sale.points_earned
    assert earned > 0
    # The points held are spent, in hundreds (100 points pay ¥1, up to half a bill after the Gold discount); that sale earns a few.
    redeem = _balances(east, card).points // 100 * 100
    spend = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=STORE, card_number=card, lines=[_line(redeem * 3, "Y")], points_to_redeem=redeem), timeout=10)
    assert spend.points_redeemed == redeem
    held = _balances(east, card).points
    assert held < earned
    refund = east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id=STORE, card_number=card, original_transaction_id=sale.transaction.transaction_id,
        amount_fen=sale.total_due_fen, reason="returned"), timeout=10)
    short = earned - held
    assert refund.points_clawed_back == held
    assert any("Points now owed" in line.text for line in refund.receipt)
    owing = _balances(east, card)
    assert (owing.points, owing.points_owed) == (0, short)

    later = east.transactions.Checkout(_sale(east, card, 50_000), timeout=10)
    assert later.points_earned == earned
    after = _balances(east, card)
    assert (after.points, after.points_owed) == (earned - short, 0)  # the points earned paid what was owed first
    assert_ledger_consistent(regions.database_urls["E"])


def _wait_for_hq(regions, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Until HQ applied every transaction of both regions (the read models lag by the relay)."""
    wanted = sum(rows(regions.database_urls[code], "SELECT COUNT(*) FROM ledger_transactions")[0][0] for code in ("E", "W"))
    deadline = time.monotonic() + timeout
    while (seen := rows(regions.database_urls["hq"], "SELECT COUNT(*) FROM transaction_views")[0][0]) != wanted:
        assert time.monotonic() < deadline, f"HQ has {seen} transactions, the regions {wanted}"
        time.sleep(0.2)


def test_hqs_liability_report_shows_what_cards_owe_per_franchisee(regions):
    east = regions.clients["E"]
    card = open_card(east, STORE)
    recharge_card(east.transactions, card, 500, STORE)
    _overdraw(regions, card, 1_700)
    assert _balances(east, card).owed_fen == 1_200
    owed: dict[str, int] = defaultdict(int)
    for code in ("E", "W"):
        for franchisee, balance in rows(regions.database_urls[code], (
                "SELECT c.issuing_franchisee_id, SUM(a.balance) FROM ledger_accounts a JOIN cards c USING (card_number) "
                "WHERE a.purpose = 'RECEIVABLE' AND a.asset = 'STORED_VALUE_PRINCIPAL' GROUP BY 1")):
            owed[franchisee] -= int(balance)
    [issuer] = rows(regions.database_urls["E"], "SELECT issuing_franchisee_id FROM cards WHERE card_number = :card", card=card)[0]
    assert owed[issuer] >= 1_200
    _wait_for_hq(regions)
    with open_channel(regions.hq_endpoint) as channel:
        report = reports_pb2_grpc.ReportServiceStub(channel).StreamLiabilityReport(reports_pb2.StreamLiabilityReportRequest(
            query=reports_pb2.LiabilityQuery(grouping=reports_pb2.REPORT_GROUPING_FRANCHISEE)), timeout=10)
        by_franchisee = {item.row.group_key: item.row for item in report}
    assert {key: row.receivable_fen for key, row in by_franchisee.items() if row.receivable_fen} == {
        key: value for key, value in owed.items() if value}
    assert by_franchisee[issuer].receivable_card_count >= 1
    # Exposure per store and day (item 4): the offline approval and what it left owing, at the store.
    day = rows(regions.database_urls["E"], "SELECT business_date FROM offline_advices WHERE card_number = :card", card=card)[0][0]
    with open_channel(regions.hq_endpoint) as channel:
        summary = reports_pb2_grpc.ReportServiceStub(channel).GetStoreDailySummary(reports_pb2.GetStoreDailySummaryRequest(
            query=reports_pb2.StoreDailyQuery(store_id=STORE, business_date=day.isoformat())), timeout=10)
    assert summary.figures.offline_approval_count >= 1 and summary.figures.offline_approved_fen >= 1_700
    assert summary.figures.overdraft_fen >= 1_200


def test_what_a_card_owes_follows_it_to_its_replacement(regions):
    east = regions.clients["E"]
    card = open_card(east, STORE)
    recharge_card(east.transactions, card, 1_000, STORE)
    _overdraw(regions, card, 1_800)
    replaced = east.cards.ReplaceCard(cards_pb2.ReplaceCardRequest(
        request_id=new_id(), store_id=STORE, card_number=card, form=common_pb2.CARD_FORM_VIRTUAL, reason="damaged"), timeout=10)
    new_card = replaced.new_card.card_number
    assert (_balances(east, card).owed_fen, _balances(east, new_card).owed_fen) == (0, 800)
    recharge = recharge_card(east.transactions, new_card, 1_000, STORE)
    assert (recharge.transaction.balances_after.principal_fen, recharge.transaction.balances_after.owed_fen) == (200, 0)
    assert_ledger_consistent(regions.database_urls["E"])


def test_voiding_a_recharge_that_paid_what_the_card_owed_makes_it_owed_again(regions):
    east = regions.clients["E"]
    card = open_card(east, STORE)
    recharge_card(east.transactions, card, 1_000, STORE)
    _overdraw(regions, card, 4_000)
    recharge = recharge_card(east.transactions, card, 5_000, STORE)  # 3,000 pays the debt, 2,000 lands
    assert (recharge.transaction.balances_after.principal_fen, recharge.transaction.balances_after.owed_fen) == (2_000, 0)
    void = east.transactions.VoidRecharge(transactions_pb2.VoidRechargeRequest(
        request_id=new_id(), store_id=STORE, card_number=card, original_transaction_id=recharge.transaction.transaction_id,
        reason="wrong amount"), timeout=10)
    assert void.principal_reversed_fen == 5_000
    after = _balances(east, card)
    assert (after.principal_fen, after.owed_fen) == (0, 3_000)
    assert_ledger_consistent(regions.database_urls["E"])

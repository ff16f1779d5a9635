"""Coupons at a store whose region link is down (issue 13 item 4, X4, docs/adr/0025), with real parts:
the regions and HQ as processes (PostgreSQL, the broker), the store agent's gRPC server on its own
SQLite file, its link to region E through a TCP proxy the tests cut for real.

- the store caches its cards' AVAILABLE coupons (RefreshCardCache) and redeems one offline through
  the core; a second offline sale naming the same coupon is refused; once the link is back the
  advice posts once, the coupon REDEEMED by it, with the ledger's coupon flow;
- a coupon used offline at this store and online at another before the link returns: the advice is
  posted anyway and flagged (Transaction.coupon_conflicts), the discount the store's loss in the
  ledger, the conflict in the store's status and in HQ's store report; nothing lost;
- the same when the other use was another store's offline sale whose advice reached the region first.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import grpc
import pytest

from chaincard.coupons.codes import new_coupon_code
from chaincard.coupons.templates import issuable_template
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    reports_pb2,
    reports_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
)
from region_service.coupons.issuing import issue_coupons
from region_service.models import Card
from tests.integration.test_advised_coupons import _advice as other_store_advice
from tests.support.cards import open_card, recharge_card, refusal
from tests.support.coupons import upsert_template
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import rows
from tests.support.stores import FAST_STORE, StoreUnderTest, add_store, region_endpoint, running_store

STORE = "S-E-T31"
TEMPLATE = "OFF-CASH-10"  # ¥10 off, HQ's test voucher (tests.support.coupons)
VOUCHER_FEN = 1_000


class Store(StoreUnderTest):
    """The store agent of this module, with what it reads of the store's own database."""

    def cached_coupons(self, card: str) -> list[str]:
        with sqlite3.connect(self.database.removeprefix("sqlite:///")) as connection:
            return [code for (code,) in connection.execute(
                "SELECT coupon_code FROM cached_coupons WHERE card_number = ? ORDER BY coupon_code", (card,))]


@pytest.fixture(scope="module")
def store(regions, tmp_path_factory) -> Iterator[Store]:
    add_store(regions.hq_endpoint, STORE, "Coupons 券店")
    upsert_template(regions.hq_endpoint, TEMPLATE, face_value_fen=VOUCHER_FEN, validity_days=30)
    database = f"sqlite:///{tmp_path_factory.mktemp('coupon-store') / 'store.sqlite'}"
    # Cards are refreshed (their coupons listed) twice a second: a coupon issued without a balance
    # change reaches the store with the card's next refresh.
    knobs = {**FAST_STORE, "CHAINCARD_STORE_CARD_REFRESH_SECONDS": "0.5", "CHAINCARD_STORE_CARD_REFRESH_AGE_SECONDS": "0.5"}
    with running_store(regions.hq_endpoint, STORE, database, knobs, kind=Store) as running:
        yield running


# ---- helpers ---------------------------------------------------------------------------------------
def _card_with_coupon(store: Store, region_context, amount_fen: int = 20_000) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A card opened and recharged at the store, holding one new voucher the store has cached."""
    card = open_card(store, store_id="")  # the agent fills in its store
    recharge_card(store.till, card, amount_fen, store_id="")
    terms = issuable_template(region_context.program.snapshot(force=True), TEMPLATE)
    with region_context.session_factory() as session, session.begin():
        [coupon] = issue_coupons(region_context, session, session.get(Card, card), terms, count=1,
                                 reason="offline coupon test", issue_key=f"test:{new_id()}")
        code = coupon.coupon_code
    store.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10)  # cached, then refreshed
    deadline = time.monotonic() + 30
    while code not in store.cached_coupons(card):
        assert time.monotonic() < deadline, "the store never cached the card's coupon"
        time.sleep(0.1)
    return card, code


def _sale(card: str, price_fen: int, *coupons: str, store_id: str = "") -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), card_number=card, store_id=store_id, coupon_codes=list(coupons),
        lines=[transactions_pb2.BasketLine(sku="TEA-1", name="龙井 Longjing", category="tea", quantity=1, unit_price_fen=price_fen)])


def _quote(sale: transactions_pb2.CheckoutRequest) -> transactions_pb2.QuoteCheckoutRequest:
    return transactions_pb2.QuoteCheckoutRequest(store_id=sale.store_id, card_number=sale.card_number, lines=sale.lines,
                                                 coupon_codes=sale.coupon_codes)


def _coupon_state(regions, code: str) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    [(state, transaction_id)] = rows(regions.database_urls["E"],
                                     "SELECT state, redeemed_transaction_id FROM coupons WHERE coupon_code = :code", code=code)
    return state, transaction_id


def _coupon_postings(regions, transaction_id: str) -> dict[tuple[str, str, str], int]:  # type: ignore[no-untyped-def]
    """The transaction's COUPON_VALUE legs: (franchisee, purpose, direction) to amount."""
    return {(franchisee, purpose, direction): int(amount) for franchisee, purpose, direction, amount in rows(
        regions.database_urls["E"],
        "SELECT a.franchisee_id, a.purpose, p.direction, p.amount FROM postings p JOIN ledger_accounts a USING (account_id) "
        "WHERE p.transaction_id = :id AND p.asset = 'COUPON_VALUE'", id=transaction_id)}


# ---- the checks ------------------------------------------------------------------------------------
def test_a_coupon_redeemed_offline_posts_once_and_a_second_offline_use_is_refused(store, regions, region_context):
    card, code = _card_with_coupon(store, region_context)
    store.wait(lambda s: s.online and s.config_version > 0)

    store.proxy.cut()
    try:
        first = _sale(card, 5_000, code)
        quoted = store.till.QuoteCheckout(_quote(first), timeout=20)  # what the till shows first, offline
        assert quoted.total_due_fen == 4_000 and [c.coupon_code for c in quoted.coupons] == [code]
        approved = store.till.Checkout(first, timeout=20)
        assert approved.offline and approved.total_due_fen == 5_000 - VOUCHER_FEN
        assert [(c.coupon_code, c.discount_fen) for c in approved.coupons] == [(code, VOUCHER_FEN)]
        assert approved.balances_after.principal_fen == 20_000 - 4_000
        assert store.till.Checkout(first, timeout=20) == approved  # the till retries: the same approval
        again = refusal(store.till.Checkout, _sale(card, 3_000, code), timeout=20)
        assert again.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "coupon_codes[0]" in again.details() and code in again.details() and "already used offline" in again.details()
        unknown = refusal(store.till.Checkout, _sale(card, 3_000, new_coupon_code(code[1:3])), timeout=20)
        assert unknown.code() == grpc.StatusCode.FAILED_PRECONDITION and "coupon_codes[0]" in unknown.details()
        assert store.status().offline_queue_depth == 1
        requoted = store.till.QuoteCheckout(_quote(first), timeout=20)  # the coupon is left out, with why
        assert requoted.total_due_fen == 5_000 and not requoted.coupons
        assert [(r.coupon_code, "already used offline" in r.reason) for r in requoted.rejected_coupons] == [(code, True)]
    finally:
        store.proxy.restore()

    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    posted = rows(regions.database_urls["E"], "SELECT transaction_id, type, amount_fen FROM ledger_transactions "
                  "WHERE request_id = :id", id=first.request_id)
    assert posted == [(approved.transaction.transaction_id, "OFFLINE_ADVICE", 4_000)]
    assert _coupon_state(regions, code) == ("REDEEMED", approved.transaction.transaction_id)
    # The coupon flow of an online redemption: the cost bearer's expense to this store's franchisee.
    legs = _coupon_postings(regions, approved.transaction.transaction_id)
    assert sum(legs.values()) == 2 * VOUCHER_FEN and ("F-AURORA", "COUPON_REDEEMED", "CREDIT") in legs
    assert not any(purpose == "COUPON_CONFLICT_EXPENSE" for _, purpose, _ in legs)
    status = store.status()
    assert status.coupon_conflicts_today == 0 and status.coupon_conflict_today_fen == 0
    # Forwarded again (a lost answer): posted once.
    assert rows(regions.database_urls["E"], "SELECT COUNT(*) FROM ledger_transactions WHERE request_id = :id",
                id=first.request_id) == [(1,)]
    deadline = time.monotonic() + 30
    while code in store.cached_coupons(card):  # the region's next list (pushed or refreshed) no longer has it
        assert time.monotonic() < deadline, "the store kept a redeemed coupon in its cache"
        time.sleep(0.1)
    assert assert_ledger_consistent(regions.database_urls["E"]) > 0


def test_a_coupon_used_offline_here_and_online_elsewhere_is_flagged_and_nothing_is_lost(store, regions, region_context):
    card, code = _card_with_coupon(store, region_context)
    store.wait(lambda s: s.online and s.config_version > 0)
    before = store.status()

    store.proxy.cut()
    try:
        offline = _sale(card, 5_000, code)
        approved = store.till.Checkout(offline, timeout=20)
        assert approved.offline and approved.total_due_fen == 4_000
        # Meanwhile the member uses the same coupon online at another store of the region.
        online = regions.clients["E"].transactions.Checkout(_sale(card, 6_000, code, store_id="S-E-001"), timeout=10)
        assert [c.coupon_code for c in online.coupons] == [code] and online.total_due_fen == 5_000
    finally:
        store.proxy.restore()

    status = store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    # The sale happened: posted once, as approved, flagged with the conflict.
    [(transaction_id, amount)] = rows(regions.database_urls["E"], "SELECT transaction_id, amount_fen FROM ledger_transactions "
                                      "WHERE request_id = :id", id=offline.request_id)
    assert (transaction_id, amount) == (approved.transaction.transaction_id, 4_000)
    assert _coupon_state(regions, code) == ("REDEEMED", online.transaction.transaction_id)  # the online sale keeps it
    got = regions.clients["E"].transactions.GetTransaction(transactions_pb2.GetTransactionRequest(
        transaction_id=transaction_id, card_number=card), timeout=10).transaction
    [conflict] = got.coupon_conflicts
    assert (conflict.coupon_code, conflict.template_code, conflict.discount_fen) == (code, TEMPLATE, VOUCHER_FEN)
    assert "already redeemed" in conflict.reason and online.transaction.transaction_id in conflict.reason
    # The discount is this store's loss in the ledger, not a clearing flow from the coupon's issuer.
    assert _coupon_postings(regions, transaction_id) == {
        ("F-AURORA", "COUPON_CONFLICT_EXPENSE", "DEBIT"): VOUCHER_FEN, ("F-AURORA", "COUPON_REDEEMED", "CREDIT"): VOUCHER_FEN}
    # The card paid what the store approved, and the online sale what it was told: nothing lost.
    balances = regions.clients["E"].cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert balances.principal_fen == 20_000 - 4_000 - 5_000 and balances.owed_fen == 0
    # The operator sees it in the store's status …
    assert status.coupon_conflicts_today - before.coupon_conflicts_today == 1
    assert status.coupon_conflict_today_fen - before.coupon_conflict_today_fen == VOUCHER_FEN
    with sqlite3.connect(store.database.removeprefix("sqlite:///")) as connection:
        assert connection.execute("SELECT outcome, coupon_conflicts, coupon_conflict_fen FROM offline_advices WHERE advice_id = ?",
                                  (offline.request_id,)).fetchall() == [("POSTED", 1, VOUCHER_FEN)]
    # … and in HQ's store report.
    day = rows(regions.database_urls["E"], "SELECT business_date FROM ledger_transactions WHERE transaction_id = :id",
               id=transaction_id)[0][0]
    deadline = time.monotonic() + 60
    with open_channel(regions.hq_endpoint) as channel:
        reports = reports_pb2_grpc.ReportServiceStub(channel)
        while True:
            figures = reports.GetStoreDailySummary(reports_pb2.GetStoreDailySummaryRequest(
                query=reports_pb2.StoreDailyQuery(store_id=STORE, business_date=day.isoformat())), timeout=10).figures
            if figures.coupon_conflict_count >= 1:
                break
            assert time.monotonic() < deadline, f"HQ's store report never counted the conflict: {figures}"
            time.sleep(0.2)
    assert figures.coupon_conflict_fen >= VOUCHER_FEN
    assert assert_ledger_consistent(regions.database_urls["E"]) > 0


def test_a_coupon_another_store_used_offline_first_shows_as_a_conflict_in_this_stores_status(store, regions, region_context):
    card, code = _card_with_coupon(store, region_context)
    store.wait(lambda s: s.online and s.config_version > 0)
    before = store.status()

    store.proxy.cut()
    try:
        offline = _sale(card, 5_000, code)
        approved = store.till.Checkout(offline, timeout=20)
        assert approved.offline and [c.coupon_code for c in approved.coupons] == [code]
        # Another store, offline too, used the coupon; its advice reaches the region first.
        with open_channel(region_endpoint(regions.hq_endpoint, "E")) as channel:
            [first] = store_sync_pb2_grpc.StoreSyncServiceStub(channel).UploadOfflineAdvices(
                store_sync_pb2.UploadOfflineAdvicesRequest(request_id=new_id(), store_id="S-E-001", advices=[
                    other_store_advice(card, code, store_id="S-E-001", template=TEMPLATE)]), timeout=20).results
        assert first.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED and not first.transaction.coupon_conflicts
    finally:
        store.proxy.restore()

    status = store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    assert status.coupon_conflicts_today - before.coupon_conflicts_today == 1
    assert status.coupon_conflict_today_fen - before.coupon_conflict_today_fen == VOUCHER_FEN
    assert _coupon_state(regions, code) == ("REDEEMED", first.transaction.transaction_id)
    [(amount,)] = rows(regions.database_urls["E"], "SELECT amount_fen FROM ledger_transactions WHERE request_id = :id",
                       id=offline.request_id)
    assert amount == 4_000  # posted as approved
    assert _coupon_postings(regions, approved.transaction.transaction_id) == {
        ("F-AURORA", "COUPON_CONFLICT_EXPENSE", "DEBIT"): VOUCHER_FEN, ("F-AURORA", "COUPON_REDEEMED", "CREDIT"): VOUCHER_FEN}
    assert assert_ledger_consistent(regions.database_urls["E"]) > 0

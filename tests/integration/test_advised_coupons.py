"""The region's side of offline coupons (X4, docs/adr/0025), against real regions (gRPC, PostgreSQL):
RefreshCardCache and the balance push list each card's AVAILABLE coupons; an advice's coupon is
redeemed with it (once, however often it is uploaded) or, used elsewhere meanwhile, the sale is
posted anyway and flagged with the conflict, the discount the acquiring store's loss."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chaincard.coupons.templates import issuable_template
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
from region_service.coupons.issuing import EXPIRED, REDEEMED, change_state, issue_coupons, lock_coupons
from region_service.models import Card
from tests.support.cards import open_card, recharge_card
from tests.support.coupons import upsert_template
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import rows

# A broker of its own (tests/integration/conftest.py): HQ reads its topics from the start, and on the
# session broker it would first work through every other module's events (the import's 10,000 rows).
OWN_BROKER = True

STORE = "S-E-002"  # franchisee F-AURORA: the store that stood in
CARD_STORE = "S-E-001"  # franchisee F-HQ: the cards' issuer, the vouchers' cost bearer
TEMPLATE = "ADV-CASH-10"
VOUCHER_FEN = 1_000


@pytest.fixture(scope="module")
def sync(regions) -> Iterator[store_sync_pb2_grpc.StoreSyncServiceStub]:  # type: ignore[no-untyped-def]
    upsert_template(regions.hq_endpoint, TEMPLATE, face_value_fen=VOUCHER_FEN, validity_days=30)
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    with open_channel(endpoint) as channel:
        yield store_sync_pb2_grpc.StoreSyncServiceStub(channel)


def _card_with_coupon(regions, region_context) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    card = open_card(regions.clients["E"], CARD_STORE)
    recharge_card(regions.clients["E"].transactions, card, 20_000, CARD_STORE)
    terms = issuable_template(region_context.program.snapshot(force=True), TEMPLATE)
    with region_context.session_factory() as session, session.begin():
        [coupon] = issue_coupons(region_context, session, session.get(Card, card), terms, count=1, reason="advice test",
                                 issue_key=f"test:{new_id()}")
        return card, coupon.coupon_code


def _advice(card: str, code: str, *, approved_at: datetime | None = None, store_id: str = STORE,
            template: str = TEMPLATE) -> store_sync_pb2.OfflineAdvice:
    """What a store's stand-in queues for a ¥50 sale with a ¥10 voucher, ¥40 from the card."""
    request_id = new_id()
    line = transactions_pb2.BasketLine(sku="TEA-1", name="tea", category="tea", quantity=1, unit_price_fen=5_000)
    advice = store_sync_pb2.OfflineAdvice(
        advice_id=request_id, sequence=1, store_id=store_id,
        checkout=transactions_pb2.CheckoutRequest(request_id=request_id, store_id=store_id, card_number=card, lines=[line],
                                                  coupon_codes=[code]),
        offline_result=transactions_pb2.CheckoutResponse(
            transaction=common_pb2.Transaction(transaction_id=new_id(), card_number=card, store_id=store_id, amount_fen=4_000),
            subtotal_fen=5_000, discount_fen=VOUCHER_FEN, total_due_fen=4_000, offline=True, points_earned=40,
            tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=4_000,
                                                    principal_fen=4_000, card_number=card)],
            lines=[transactions_pb2.PricedLine(sku="TEA-1", quantity=1, gross_fen=5_000, coupon_discount_fen=VOUCHER_FEN,
                                               net_fen=4_000)],
            coupons=[transactions_pb2.AppliedCoupon(coupon_code=code, template_code=template, discount_fen=VOUCHER_FEN,
                                                    issuer_franchisee_id="F-HQ")]))
    advice.approved_at.FromDatetime(approved_at or datetime.now(UTC))
    return advice


def _upload(sync, advice: store_sync_pb2.OfflineAdvice) -> store_sync_pb2.OfflineAdviceResult:  # type: ignore[no-untyped-def]
    [result] = sync.UploadOfflineAdvices(store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id=new_id(), store_id=advice.store_id, advices=[advice]), timeout=20).results
    return result


def _coupon(regions, code: str) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    [(state, transaction_id)] = rows(regions.database_urls["E"],
                                     "SELECT state, redeemed_transaction_id FROM coupons WHERE coupon_code = :code", code=code)
    return state, transaction_id


def _coupon_legs(regions, transaction_id: str) -> dict[tuple[str, str, str], int]:  # type: ignore[no-untyped-def]
    return {(franchisee, purpose, direction): int(amount) for franchisee, purpose, direction, amount in rows(
        regions.database_urls["E"],
        "SELECT a.franchisee_id, a.purpose, p.direction, p.amount FROM postings p JOIN ledger_accounts a USING (account_id) "
        "WHERE p.transaction_id = :id AND p.asset = 'COUPON_VALUE'", id=transaction_id)}


def test_refresh_lists_a_cards_available_coupons_only(regions, region_context, sync):
    card, code = _card_with_coupon(regions, region_context)
    _, used = _card_with_coupon(regions, region_context)
    with region_context.session_factory() as session, session.begin():
        change_state(region_context, session, lock_coupons(session, [used])[used], REDEEMED, transaction_id="T-X")
    answer = sync.RefreshCardCache(store_sync_pb2.RefreshCardCacheRequest(store_id=STORE, card_numbers=[card]), timeout=10)
    [cached] = answer.cards
    assert cached.coupons_listed and [(c.coupon_code, c.state) for c in cached.coupons] == [(code, common_pb2.COUPON_STATE_AVAILABLE)]
    assert cached.coupons[0].template_code == TEMPLATE and cached.coupons[0].valid_until.seconds > time.time()


def test_a_pushed_change_lists_the_cards_coupons_as_they_are_when_sent(regions, region_context, sync):
    card, code = _card_with_coupon(regions, region_context)
    start = next(iter(sync.SubscribeCardBalances(store_sync_pb2.SubscribeCardBalancesRequest(
        store_id=STORE, after_position=0, card_numbers=[card]), timeout=10))).position
    spent = _upload(sync, _advice(card, code))  # the sale uses the coupon: the push says it is gone
    stream = sync.SubscribeCardBalances(store_sync_pb2.SubscribeCardBalancesRequest(
        store_id=STORE, after_position=start, card_numbers=[card]), timeout=20)
    try:
        change = next(change for answer in stream for change in answer.changes
                      if change.transaction_id == spent.transaction.transaction_id)
    finally:
        stream.cancel()
    assert change.coupons_listed and list(change.coupons) == [] and change.coupons_as_of.seconds > 0


def test_an_advised_coupon_is_redeemed_with_the_sale_once(regions, region_context, sync):
    card, code = _card_with_coupon(regions, region_context)
    advice = _advice(card, code)
    posted = _upload(sync, advice)
    assert posted.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED and not posted.transaction.coupon_conflicts
    transaction_id = posted.transaction.transaction_id
    assert _coupon(regions, code) == (REDEEMED, transaction_id)
    assert _coupon_legs(regions, transaction_id) == {("F-HQ", "COUPON_EXPENSE", "DEBIT"): VOUCHER_FEN,
                                                     ("F-AURORA", "COUPON_REDEEMED", "CREDIT"): VOUCHER_FEN}
    again = _upload(sync, advice)  # forwarded again (a lost answer): posted once, redeemed once
    assert again.outcome == store_sync_pb2.ADVICE_OUTCOME_DUPLICATE and again.transaction.transaction_id == transaction_id
    assert rows(regions.database_urls["E"], "SELECT COUNT(*) FROM ledger_transactions WHERE request_id = :id",
                id=advice.advice_id) == [(1,)]
    assert _coupon(regions, code) == (REDEEMED, transaction_id)
    assert assert_ledger_consistent(regions.database_urls["E"]) > 0


def test_a_coupon_the_nightly_job_expired_after_the_store_used_it_in_time_is_redeemed(regions, region_context, sync):
    card, code = _card_with_coupon(regions, region_context)
    with region_context.session_factory() as session, session.begin():
        change_state(region_context, session, lock_coupons(session, [code])[code], EXPIRED)
    posted = _upload(sync, _advice(card, code))
    assert posted.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED and not posted.transaction.coupon_conflicts
    assert _coupon(regions, code) == (REDEEMED, posted.transaction.transaction_id)


def test_a_coupon_two_stores_used_offline_posts_the_later_advice_flagged_the_discount_its_stores_loss(regions, region_context, sync):
    """Each store knows only its own offline uses: both approve, the first advice posted redeems the
    coupon, the other is posted as approved and flagged (the online case: tests/integration/
    test_store_offline_coupons.py)."""
    card, code = _card_with_coupon(regions, region_context)
    approved_at = datetime.now(UTC) - timedelta(minutes=5)
    first = _upload(sync, _advice(card, code, store_id=CARD_STORE))
    assert first.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED and not first.transaction.coupon_conflicts

    advice = _advice(card, code, approved_at=approved_at)
    posted = _upload(sync, advice)
    assert posted.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED  # the sale happened: posted as approved
    transaction = posted.transaction
    assert transaction.amount_fen == 4_000 and transaction.principal_delta_fen == -4_000
    [conflict] = transaction.coupon_conflicts
    assert (conflict.coupon_code, conflict.template_code, conflict.discount_fen) == (code, TEMPLATE, VOUCHER_FEN)
    assert "already redeemed" in conflict.reason and first.transaction.transaction_id in conflict.reason
    assert code in posted.message and "borne by store S-E-002" in posted.message
    assert _coupon(regions, code) == (REDEEMED, first.transaction.transaction_id)  # the first keeps it
    assert _coupon_legs(regions, transaction.transaction_id) == {
        ("F-AURORA", "COUPON_CONFLICT_EXPENSE", "DEBIT"): VOUCHER_FEN, ("F-AURORA", "COUPON_REDEEMED", "CREDIT"): VOUCHER_FEN}
    balances = regions.clients["E"].cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert balances.principal_fen == 20_000 - 2 * 4_000 and balances.owed_fen == 0  # both sales, as approved
    # The flag stays on the transaction wherever it is read (here: the advice forwarded again).
    again = _upload(sync, advice)
    assert again.outcome == store_sync_pb2.ADVICE_OUTCOME_DUPLICATE
    assert [c.coupon_code for c in again.transaction.coupon_conflicts] == [code]
    assert assert_ledger_consistent(regions.database_urls["E"]) > 0
    # HQ's store report counts it, on the day the store approved the sale.
    deadline = time.monotonic() + 60
    with open_channel(regions.hq_endpoint) as channel:
        reports = reports_pb2_grpc.ReportServiceStub(channel)
        while True:
            figures = reports.GetStoreDailySummary(reports_pb2.GetStoreDailySummaryRequest(query=reports_pb2.StoreDailyQuery(
                store_id=STORE, business_date=transaction.business_date)), timeout=10).figures
            if figures.coupon_conflict_count:
                break
            assert time.monotonic() < deadline, f"HQ's store report never counted the conflict: {figures}"
            time.sleep(0.2)
    assert figures.coupon_conflict_fen >= VOUCHER_FEN

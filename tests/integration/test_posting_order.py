"""The region stamps every transaction with when it posted it (Transaction.posted_at, docs/adr/0012,
2026-12-03 addendum), in its card's commit order, on the answer, the TransactionPosted event and the
stored row alike; an offline advice keeps its approval time as occurred_at. Real regions (gRPC,
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chaincard.events.envelope import unwrap
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    common_pb2,
    events_pb2,
    program_config_pb2,
    program_config_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
)
from tests.support.cards import open_card, recharge_card
from tests.support.sql import rows

STORE = "S-E-001"


def _advice(regions, card: str, amount_fen: int, approved_at: datetime) -> store_sync_pb2.OfflineAdviceResult:  # type: ignore[no-untyped-def]
    """A sale the store approved offline at ``approved_at``, reaching the card's home region now."""
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    request_id = new_id()
    line = transactions_pb2.BasketLine(sku="X", name="thing", category="misc", quantity=1, unit_price_fen=amount_fen)
    checkout = transactions_pb2.CheckoutRequest(request_id=request_id, store_id=STORE, card_number=card, lines=[line])
    result = transactions_pb2.CheckoutResponse(
        transaction=common_pb2.Transaction(transaction_id=new_id(), card_number=card, store_id=STORE, amount_fen=amount_fen),
        subtotal_fen=amount_fen, total_due_fen=amount_fen, offline=True,
        tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=amount_fen,
                                                principal_fen=amount_fen, card_number=card)],
        lines=[transactions_pb2.PricedLine(sku="X", quantity=1, gross_fen=amount_fen, net_fen=amount_fen)],
    )
    advice = store_sync_pb2.OfflineAdvice(advice_id=request_id, sequence=1, store_id=STORE, checkout=checkout, offline_result=result)
    advice.approved_at.FromDatetime(approved_at)
    with open_channel(endpoint) as channel:
        [answer] = store_sync_pb2_grpc.StoreSyncServiceStub(channel).UploadOfflineAdvices(
            store_sync_pb2.UploadOfflineAdvicesRequest(request_id=new_id(), store_id=STORE, advices=[advice]), timeout=20).results
    return answer


def _moment(stamp) -> datetime:  # type: ignore[no-untyped-def]
    return stamp.ToDatetime(tzinfo=UTC)


def test_an_advice_posted_after_a_later_dated_sale_is_posted_after_it(regions) -> None:  # type: ignore[no-untyped-def]
    east = regions.clients["E"]
    card = open_card(east, STORE)
    recharge = recharge_card(east.transactions, card, 10_000, STORE).transaction
    approved = datetime.now(UTC) - timedelta(minutes=1)  # the store's queue waited while the card sold online
    online = east.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=STORE, card_number=card,
        lines=[transactions_pb2.BasketLine(sku="Y", name="thing", category="misc", quantity=1, unit_price_fen=1_000)]),
        timeout=10).transaction
    advice = _advice(regions, card, 2_000, approved)
    assert advice.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED
    posted = advice.transaction
    assert posted.balances_after.principal_fen == 7_000  # the card's newest balance …
    assert _moment(posted.occurred_at) == approved < _moment(online.occurred_at)  # … though it happened first
    assert _moment(recharge.posted_at) < _moment(online.posted_at) < _moment(posted.posted_at)
    assert _moment(online.posted_at) >= _moment(online.occurred_at)

    # The events HQ reads carry the same moments, in the order the region posted (and publishes) them.
    published = [unwrap(events_pb2.EventEnvelope.FromString(bytes(envelope))) for (envelope,) in rows(
        regions.database_urls["E"], "SELECT envelope FROM outbox WHERE message_key = :card "
        "AND event_type = 'chaincard.v1.TransactionPosted' ORDER BY position", card=card)]
    assert [(event.transaction.transaction_id, event.transaction.posted_at, event.transaction.occurred_at)
            for event in published if isinstance(event, events_pb2.TransactionPosted)] == [
        (t.transaction_id, t.posted_at, t.occurred_at) for t in (recharge, online, posted)]

    # Read back from the stored row, the advice has the same moments.
    again = east.transactions.GetTransaction(
        transactions_pb2.GetTransactionRequest(card_number=card, transaction_id=posted.transaction_id), timeout=10).transaction
    assert (again.posted_at, again.occurred_at) == (posted.posted_at, posted.occurred_at)

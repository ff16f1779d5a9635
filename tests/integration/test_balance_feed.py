"""The region's balance feed and StoreSyncService.SubscribeCardBalances (docs/adr/0017), against real
regions (gRPC, PostgreSQL): a subscription resumed from a position gets exactly the later changes of
the cards it names, in commit order; a change committed late under a lower outbox position is
neither skipped nor sent out of order; positions the region does not keep are OUT_OF_RANGE."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from sqlalchemy import select

from chaincard.events.envelope import wrap
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
from region_service.models import BalanceFeedEntry, OutboxMessage
from tests.support.cards import open_card, recharge_card

STORE = "S-E-001"


@pytest.fixture(scope="module")
def sync(regions) -> Iterator[store_sync_pb2_grpc.StoreSyncServiceStub]:  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    with open_channel(endpoint) as channel:
        yield store_sync_pb2_grpc.StoreSyncServiceStub(channel)


def _collect(sync, cards: list[str], after: int, *, until: int, timeout: float = 20.0) -> tuple[int, list[store_sync_pb2.CardBalanceChanged]]:  # type: ignore[no-untyped-def]
    """Subscribe after ``after`` and read until the stream's position reaches ``until``."""
    stream = sync.SubscribeCardBalances(
        store_sync_pb2.SubscribeCardBalancesRequest(store_id=STORE, after_position=after, card_numbers=cards), timeout=timeout)
    changes: list[store_sync_pb2.CardBalanceChanged] = []
    try:
        for answer in stream:
            changes.extend(answer.changes)
            if answer.position >= until:
                return answer.position, changes
    finally:
        stream.cancel()
    raise AssertionError("the stream ended early")


def _head(sync, cards: list[str]) -> int:  # type: ignore[no-untyped-def]
    """The region's current head: a subscription from 0 starts there and says so first."""
    stream = sync.SubscribeCardBalances(
        store_sync_pb2.SubscribeCardBalancesRequest(store_id=STORE, after_position=0, card_numbers=cards), timeout=10)
    try:
        return next(iter(stream)).position
    finally:
        stream.cancel()


def _feed_position(region_context, transaction_id: str, timeout: float = 10.0) -> int:  # type: ignore[no-untyped-def]
    """The feed position of a transaction's change, once the region's copier has it."""
    deadline = time.monotonic() + timeout
    while True:
        with region_context.session_factory() as session:
            position = session.execute(
                select(BalanceFeedEntry.position).where(BalanceFeedEntry.transaction_id == transaction_id)).scalar()
        if position is not None:
            return int(position)
        assert time.monotonic() < deadline, f"{transaction_id} never reached the feed"
        time.sleep(0.05)


def _funded(region_context, clients, amount_fen: int, store_id: str = STORE, *, wait: bool = True) -> str:  # type: ignore[no-untyped-def]
    """A new card recharged with ``amount_fen``, its recharge already in the feed (when ``wait``)."""
    card = open_card(clients, store_id)
    recharged = recharge_card(clients.transactions, card, amount_fen, store_id).transaction
    if wait:
        _feed_position(region_context, recharged.transaction_id)
    return card


def test_a_subscription_resumed_from_a_position_gets_exactly_the_later_changes(regions, region_context, sync):
    region = regions.clients["E"]
    west = _funded(region_context, regions.clients["W"], 10_000, "S-W-001", wait=False)
    first, second, unwatched = (_funded(region_context, region, 10_000) for _ in range(3))
    watched = [first, second, west]  # a card of another region is accepted and not pushed
    start = _head(sync, watched)

    made = []  # (card, transaction) in the order they were committed, one after the other
    made.append((first, recharge_card(region.transactions, first, 5_000).transaction))
    made.append((unwatched, recharge_card(region.transactions, unwatched, 1_000).transaction))
    made.append((second, region.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=STORE, card_number=second,
        lines=[transactions_pb2.BasketLine(sku="TEA-1", name="tea", category="tea", quantity=1, unit_price_fen=3_000)]),
        timeout=10).transaction))
    made.append((first, recharge_card(region.transactions, first, 2_000).transaction))
    made.append((west, recharge_card(regions.clients["W"].transactions, west, 2_000, "S-W-001").transaction))
    last = _feed_position(region_context, made[3][1].transaction_id)

    position, changes = _collect(sync, watched, start, until=last)
    expected = [(card, t) for card, t in made if card in (first, second)]
    assert [(c.card_number, c.transaction_id) for c in changes] == [(card, t.transaction_id) for card, t in expected]
    assert [(c.balances.principal_fen, c.balances.points) for c in changes] == [
        (t.balances_after.principal_fen, t.balances_after.points) for _, t in expected]
    assert [c.position for c in changes] == sorted(c.position for c in changes) and position >= last
    assert changes[1].transaction_type == common_pb2.TRANSACTION_TYPE_SPEND and changes[1].store_id == STORE
    assert all(c.as_of.seconds > 0 for c in changes)

    # Resumed after the first change: exactly the two later ones, nothing before, nothing twice.
    _, resumed = _collect(sync, watched, changes[0].position, until=last)
    assert [c.transaction_id for c in resumed] == [t.transaction_id for _, t in expected[1:]]
    # Resumed at the last one: nothing (only heartbeats) until something new happens.
    again = recharge_card(region.transactions, second, 700).transaction
    _, tail = _collect(sync, watched, last, until=_feed_position(region_context, again.transaction_id))
    assert [c.transaction_id for c in tail] == [again.transaction_id]


def test_a_pushed_change_says_what_the_card_owes(regions, region_context, sync):
    """Issue 21: the stores' stand-in holds back what a card owes, so the push carries it."""
    from datetime import UTC, datetime

    card = _funded(region_context, regions.clients["E"], 6_000)
    start = _head(sync, [card])
    request_id = new_id()
    line = transactions_pb2.BasketLine(sku="X", name="thing", category="misc", quantity=1, unit_price_fen=9_000)
    advice = store_sync_pb2.OfflineAdvice(
        advice_id=request_id, sequence=1, store_id=STORE,
        checkout=transactions_pb2.CheckoutRequest(request_id=request_id, store_id=STORE, card_number=card, lines=[line]),
        offline_result=transactions_pb2.CheckoutResponse(
            transaction=common_pb2.Transaction(transaction_id=new_id(), card_number=card, store_id=STORE, amount_fen=9_000),
            subtotal_fen=9_000, total_due_fen=9_000, offline=True,
            tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=9_000, principal_fen=9_000,
                                                    card_number=card)],
            lines=[transactions_pb2.PricedLine(sku="X", quantity=1, gross_fen=9_000, net_fen=9_000)]))
    advice.approved_at.FromDatetime(datetime.now(UTC))
    [overdrawn] = sync.UploadOfflineAdvices(store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id=new_id(), store_id=STORE, advices=[advice]), timeout=20).results
    assert overdrawn.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED_OVERDRAWN
    paid = recharge_card(regions.clients["E"].transactions, card, 5_000).transaction
    _, changes = _collect(sync, [card], start, until=_feed_position(region_context, paid.transaction_id))
    assert [(c.transaction_id, c.balances.principal_fen, c.balances.owed_fen) for c in changes] == [
        (overdrawn.transaction.transaction_id, 0, 3_000), (paid.transaction_id, 2_000, 0)]


def test_a_stores_cards_of_another_region_are_relayed_with_that_regions_positions(regions, region_context, sync):
    """Docs/adr/0017, addendum: region E relays region W's feed for the store's West cards."""
    west = regions.clients["W"]
    card = open_card(west, "S-W-001")
    east_card = _funded(region_context, regions.clients["E"], 1_000)
    request = store_sync_pb2.SubscribeCardBalancesRequest(
        store_id=STORE, card_numbers=[east_card],
        other_regions=[store_sync_pb2.RelayedSubscription(region_code="W", card_numbers=[card])])
    stream = sync.SubscribeCardBalances(request, timeout=30)
    try:
        answers = iter(stream)
        first = next(answers)
        assert first.region_code == "" and not first.changes  # region E's own feed starts
        recharged = recharge_card(west.transactions, card, 2_500, "S-W-001").transaction
        relayed: list[store_sync_pb2.SubscribeCardBalancesResponse] = []
        deadline = time.monotonic() + 20
        for answer in answers:
            if answer.region_code == "W":
                relayed.append(answer)
                if any(change.transaction_id == recharged.transaction_id for change in answer.changes):
                    break
            assert time.monotonic() < deadline, "region W's change was never relayed"
    finally:
        stream.cancel()
    [change] = [change for answer in relayed for change in answer.changes]
    assert (change.card_number, change.balances.principal_fen) == (card, 2_500)
    positions = [answer.position for answer in relayed]
    assert positions == sorted(positions) and relayed[-1].position >= change.position  # positions in W's feed

    # Resumed after W's position: nothing of W again before something new happens there.
    resumed = store_sync_pb2.SubscribeCardBalancesRequest(store_id=STORE, other_regions=[
        store_sync_pb2.RelayedSubscription(region_code="W", after_position=relayed[-1].position, card_numbers=[card])])
    again = recharge_card(west.transactions, card, 100, "S-W-001").transaction
    stream = sync.SubscribeCardBalances(resumed, timeout=30)
    try:
        changes = []
        for answer in stream:
            changes.extend(change.transaction_id for change in answer.changes if answer.region_code == "W")
            if again.transaction_id in changes:
                break
    finally:
        stream.cancel()
    assert changes == [again.transaction_id]

    for bad, field in ((store_sync_pb2.RelayedSubscription(region_code="E", card_numbers=[card]), "other_regions[0].region_code"),
                       (store_sync_pb2.RelayedSubscription(region_code="Q", card_numbers=[card]), "other_regions[0].region_code"),
                       (store_sync_pb2.RelayedSubscription(region_code="W", after_position=-1), "other_regions[0].after_position")):
        with pytest.raises(grpc.RpcError) as refused:
            next(iter(sync.SubscribeCardBalances(store_sync_pb2.SubscribeCardBalancesRequest(store_id=STORE, other_regions=[bad]),
                                                 timeout=10)))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in refused.value.details()


def test_a_change_committed_late_under_a_lower_outbox_position_is_neither_skipped_nor_reordered(regions, region_context, sync):
    region = regions.clients["E"]
    card = _funded(region_context, region, 10_000)
    start = _head(sync, [card])
    # A writer takes an outbox position and holds its transaction open (a slow commit) …
    slow = region_context.session_factory()
    posted = events_pb2.TransactionPosted(transaction=common_pb2.Transaction(
        transaction_id=new_id(), type=common_pb2.TRANSACTION_TYPE_POINTS_ADJUSTMENT, card_number=card, store_id=STORE,
        balances_after=common_pb2.Balances(principal_fen=10_000, points=1)))
    # Its own topic: the relay publishes it where no consumer reads (it is not a real posting).
    row = OutboxMessage(event_id=new_id(), topic="chaincard.test.balance-feed", message_key=card, event_type="chaincard.v1.TransactionPosted",
                        envelope=wrap(posted, producer="test", aggregate_id=card).SerializeToString())
    slow.add(row)
    slow.flush()
    try:
        # … while a later one (a higher position) commits.
        quick = recharge_card(region.transactions, card, 1_000).transaction
        with region_context.session_factory() as session:
            assert session.get(OutboxMessage, row.position) is None  # not visible yet
        time.sleep(1.0)  # the region's copier runs every 0.2 s
        with region_context.session_factory() as session:
            fed = session.execute(select(BalanceFeedEntry.transaction_id).where(BalanceFeedEntry.card_number == card)).scalars().all()
        assert quick.transaction_id not in fed  # held back: an earlier writer is still running
        slow.commit()
    finally:
        slow.close()
    last = _feed_position(region_context, quick.transaction_id)
    _, changes = _collect(sync, [card], start, until=last)
    # The slow writer's transaction began first, so its change comes first; neither is lost.
    assert [c.transaction_id for c in changes] == [posted.transaction.transaction_id, quick.transaction_id]


def test_a_position_the_region_does_not_keep_is_out_of_range_and_bad_requests_are_refused(regions, region_context, sync):
    card = _funded(region_context, regions.clients["E"], 1_000)
    head = _head(sync, [card])

    def refused(request: store_sync_pb2.SubscribeCardBalancesRequest) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as error:
            next(iter(sync.SubscribeCardBalances(request, timeout=10)))
        return error.value

    ahead = refused(store_sync_pb2.SubscribeCardBalancesRequest(store_id=STORE, after_position=head + 1_000, card_numbers=[card]))
    assert ahead.code() == grpc.StatusCode.OUT_OF_RANGE, ahead.details()
    negative = refused(store_sync_pb2.SubscribeCardBalancesRequest(store_id=STORE, after_position=-1, card_numbers=[card]))
    assert negative.code() == grpc.StatusCode.INVALID_ARGUMENT and "after_position" in negative.details()
    other_region = refused(store_sync_pb2.SubscribeCardBalancesRequest(store_id="S-W-001", card_numbers=[card]))
    assert other_region.code() == grpc.StatusCode.PERMISSION_DENIED

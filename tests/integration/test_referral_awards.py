"""Referral awards (M5, docs/adr/0044): a referee's first card opening and spends within the period
earn the referrer points at the referrer's home region, through chaincard.referrals.v1, exactly once
under redelivery; a refund claws the same share back; nothing outside the period or while the
programme is off; every award, claw-back and skip audited.

Real gRPC between HQ and two regions (E, W), real PostgreSQL, the real broker (the module's own:
the regions' referral consumers read the topic from its start).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaincard.db.base import utc_now
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.lag import consumer_lag
from chaincard.events.replay import replay_outbox
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    members_pb2,
    program_config_pb2,
    program_config_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
)
from region_service.models import OutboxMessage, ProcessedEvent
from region_service.referral_awards import event_id_of
from region_service.referral_points import ReferralPoster
from tests.support.cards import random_phone, recharge_card
from tests.support.ledger import assert_ledger_consistent
from tests.support.points import adjust, refund_all, sale
from tests.support.regions import CONFIG_MAX_AGE_SECONDS, RunningRegions, region_context
from tests.support.sql import execute, rows, scalar

OWN_BROKER = True
STORE = {"E": "S-E-001", "W": "S-W-001"}
OPENING_POINTS, SHARE_BP, PERIOD_DAYS = 50, 500, 30  # 5% of each spend, for 30 days


def _set_programme(regions: RunningRegions, *, active: bool) -> None:
    with open_channel(regions.hq_endpoint) as channel:
        program_config_pb2_grpc.ProgramConfigServiceStub(channel).SetReferralProgram(
            program_config_pb2.SetReferralProgramRequest(request_id=new_id(), program=program_config_pb2.ReferralProgram(
                active=active, points_on_card_opening=OPENING_POINTS, spend_points_bp=SHARE_BP, period_days=PERIOD_DAYS)),
            timeout=10)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see it


@pytest.fixture(scope="module", autouse=True)
def programme(regions: RunningRegions) -> None:
    _set_programme(regions, active=True)


def _member(regions: RunningRegions, code: str, referral_code: str = "") -> common_pb2.Member:
    return regions.clients[code].members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=STORE[code], name="韩梅梅", phone=random_phone("138"), referral_code=referral_code,
        channel=common_pb2.REGISTRATION_CHANNEL_STORE, operator_id="cashier-7"), timeout=10).member


def _card(regions: RunningRegions, code: str, member_id: str) -> str:
    return regions.clients[code].cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id=STORE[code], member_id=member_id, card_type_code="SV"), timeout=10).card.card_number


def _points(regions: RunningRegions, code: str, card: str) -> common_pb2.Balances:
    return regions.clients[code].cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances


def _awards(regions: RunningRegions, code: str, card: str) -> list[Any]:
    return rows(regions.database_urls[code], "SELECT points_delta, details->>'kind', original_transaction_id, transaction_id "
                "FROM ledger_transactions WHERE card_number = :card AND type = 'REFERRAL_POINTS' ORDER BY created_at", card=card)


def _wait(what: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        seen = what()
        if done(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def _referral_events(regions: RunningRegions, code: str, event_id: str) -> int:
    return int(scalar(regions.database_urls[code], "SELECT COUNT(*) FROM outbox WHERE topic = 'chaincard.referrals.v1' "
                      "AND event_id = :id", id=event_id))


def _referred_pair(regions: RunningRegions, referrer_region: str, referee_region: str) -> tuple[str, str, str]:
    """(referrer's card, referee's member id, referee's funded card)."""
    referrer = _member(regions, referrer_region)
    referrer_card = _card(regions, referrer_region, referrer.member_id)
    referee = _member(regions, referee_region, referrer.referral_code)
    referee_card = _card(regions, referee_region, referee.member_id)
    recharge_card(regions.clients[referee_region].transactions, referee_card, 100_000, STORE[referee_region])
    return referrer_card, referee.member_id, referee_card


def test_cross_region_opening_and_spend_earn_the_referrer_points_then_a_refund_claws_back(regions):
    referrer_card, referee_id, referee_card = _referred_pair(regions, "E", "W")
    west = regions.clients["W"].transactions
    spend = west.Checkout(sale(referee_card, 10_000, store_id=STORE["W"]), timeout=10)
    # A second card of the referee earns nothing more.
    _card(regions, "W", referee_id)

    awards = _wait(lambda: _awards(regions, "E", referrer_card), lambda seen: len(seen) >= 2)
    assert [(points, kind) for points, kind, *_ in awards] == [(OPENING_POINTS, "CARD_OPENING"), (500, "SPEND")]
    assert _points(regions, "E", referrer_card).points == OPENING_POINTS + 500  # shown where points are shown
    audited = rows(regions.database_urls["E"], "SELECT after->>'kind', actor, outcome FROM audit_log "
                   "WHERE action = 'referral.points_awarded' AND target_id = :card ORDER BY occurred_at", card=referrer_card)
    assert audited == [("CARD_OPENING", "system:referral-points", "OK"), ("SPEND", "system:referral-points", "OK")]

    # The referrer spends most of them; the refund of the whole sale takes back 500: what the card
    # still holds, the rest owed (as a refunded sale's points are).
    regions.clients["E"].transactions.AdjustPoints(adjust(referrer_card, -400), timeout=10)
    west.RefundSale(refund_all(spend, store_id=STORE["W"]), timeout=10)
    awards = _wait(lambda: _awards(regions, "E", referrer_card), lambda seen: len(seen) >= 3)
    assert tuple(awards[2])[:3] == (-150, "CLAWBACK", awards[1][3])  # points to the award it takes back
    balances = _points(regions, "E", referrer_card)
    assert (balances.points, balances.points_owed) == (0, 350)
    assert rows(regions.database_urls["E"], "SELECT after->>'points_clawback', after->>'points_clawback_short' FROM audit_log "
                "WHERE action = 'referral.points_clawed_back' AND target_id = :card", card=referrer_card) == [("150", "350")]
    # HQ's view of the card follows the postings' events.
    hq = _wait(lambda: rows(regions.database_urls["hq"], "SELECT points, points_owed FROM card_views WHERE card_number = :card",
                            card=referrer_card), lambda seen: [tuple(row) for row in seen] == [(0, 350)])
    assert [tuple(row) for row in hq] == [(0, 350)]
    for code in ("E", "W"):
        assert_ledger_consistent(regions.database_urls[code])


def test_a_same_region_referral_goes_the_same_way_and_is_applied_once_under_redelivery(regions, regions_broker):
    referrer_card, _referee_id, referee_card = _referred_pair(regions, "E", "E")
    since = utc_now() - timedelta(seconds=1)
    spend = regions.clients["E"].transactions.Checkout(sale(referee_card, 3_333), timeout=10).transaction
    awards = _wait(lambda: _awards(regions, "E", referrer_card), lambda seen: len(seen) >= 2)
    assert [points for points, *_ in awards] == [OPENING_POINTS, 166]  # floor(3333 × 5%)

    # The same event applied again by the region's consumer (its inbox name): skipped.
    url = regions.database_urls["E"]
    [(consumer_name,)] = rows(url, "SELECT DISTINCT consumer FROM processed_events WHERE consumer LIKE '%region-E-referrals'")
    [(raw,)] = rows(url, "SELECT envelope FROM outbox WHERE event_id = :id", id=event_id_of("spend", spend.transaction_id))
    with region_context(regions, "E") as ctx:
        consumer = IdempotentConsumer(name=consumer_name, bootstrap="unused:0", topics=[], session_factory=ctx.session_factory,
                                      processed_model=ProcessedEvent, handle=ReferralPoster(ctx))
        assert consumer.apply(bytes(raw)) is False
        # Every event published again (a broker that lost data): the running consumer drops them all.
        replay_outbox(ctx.session_factory, OutboxMessage, regions_broker.bootstrap, since)
    # A later award for the same referrer (same key, so after the replayed ones) shows they were read.
    later = regions.clients["E"].transactions.Checkout(sale(referee_card, 2_000), timeout=10)
    assert later.transaction.transaction_id
    awards = _wait(lambda: _awards(regions, "E", referrer_card), lambda seen: len(seen) >= 3)
    # The region's group shows in the lag report (chaincard status) and catches up.
    deployment, group = consumer_name.rsplit(".", 1)
    lags = _wait(lambda: {g.group_id: g.lag for g in consumer_lag(regions_broker.bootstrap, deployment, region_codes=["E", "W"])},
                 lambda seen: seen.get(consumer_name) == 0)
    assert lags[consumer_name] == 0 and group == "region-E-referrals" and f"{deployment}.region-W-referrals" in lags
    assert [points for points, *_ in _awards(regions, "E", referrer_card)] == [OPENING_POINTS, 166, 100]


def test_nothing_after_the_period_nor_while_the_programme_is_off(regions):
    referrer_card, referee_id, referee_card = _referred_pair(regions, "E", "W")
    west, url = regions.clients["W"].transactions, regions.database_urls["W"]
    _wait(lambda: _awards(regions, "E", referrer_card), lambda seen: len(seen) >= 1)
    # Registered 31 days ago: past the 30-day period.
    execute(url, "UPDATE members SET registered_at = registered_at - interval '31 days' WHERE member_id = :id", id=referee_id)
    late = west.Checkout(sale(referee_card, 10_000, store_id=STORE["W"]), timeout=10).transaction
    assert _referral_events(regions, "W", event_id_of("spend", late.transaction_id)) == 0
    assert "referral" not in scalar(url, "SELECT details FROM ledger_transactions WHERE transaction_id = :id", id=late.transaction_id)

    _set_programme(regions, active=False)
    try:
        execute(url, "UPDATE members SET registered_at = now() WHERE member_id = :id", id=referee_id)
        off = west.Checkout(sale(referee_card, 10_000, store_id=STORE["W"]), timeout=10).transaction
        assert _referral_events(regions, "W", event_id_of("spend", off.transaction_id)) == 0
        newcomer = _member(regions, "W", _member(regions, "E").referral_code)
        _card(regions, "W", newcomer.member_id)
        assert _referral_events(regions, "W", event_id_of("opening", newcomer.member_id)) == 0
    finally:
        _set_programme(regions, active=True)
    assert [points for points, *_ in _awards(regions, "E", referrer_card)] == [OPENING_POINTS]


def test_a_referrer_without_an_active_card_earns_nothing_and_the_skip_is_audited(regions):
    referrer = _member(regions, "E")  # no card
    referee = _member(regions, "W", referrer.referral_code)
    _card(regions, "W", referee.member_id)
    skipped = _wait(lambda: rows(regions.database_urls["E"], "SELECT reason, outcome FROM audit_log "
                                 "WHERE action = 'referral.points_skipped' AND target_id = :id", id=referrer.member_id),
                    lambda seen: len(seen) >= 1)
    assert skipped == [("the referrer has no active card with points", "FAILED_PRECONDITION")]
    # A card opened later does not collect the skipped award.
    card = _card(regions, "E", referrer.member_id)
    assert _points(regions, "E", card).points == 0


def _offline_sale(regions: RunningRegions, code: str, card: str, amount_fen: int) -> store_sync_pb2.OfflineAdviceResult:
    """A sale the store approved offline a minute ago, uploaded to the card's home region now."""
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == code)
    request_id, store = new_id(), STORE[code]
    checkout = transactions_pb2.CheckoutRequest(request_id=request_id, store_id=store, card_number=card, lines=[
        transactions_pb2.BasketLine(sku="X", name="thing", category="misc", quantity=1, unit_price_fen=amount_fen)])
    result = transactions_pb2.CheckoutResponse(
        transaction=common_pb2.Transaction(transaction_id=new_id(), card_number=card, store_id=store, amount_fen=amount_fen),
        subtotal_fen=amount_fen, total_due_fen=amount_fen, offline=True,
        tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=amount_fen,
                                                principal_fen=amount_fen, card_number=card)],
        lines=[transactions_pb2.PricedLine(sku="X", quantity=1, gross_fen=amount_fen, net_fen=amount_fen)])
    advice = store_sync_pb2.OfflineAdvice(advice_id=request_id, sequence=1, store_id=store, checkout=checkout, offline_result=result)
    advice.approved_at.FromDatetime(datetime.now(UTC) - timedelta(minutes=1))
    with open_channel(endpoint) as channel:
        [answer] = store_sync_pb2_grpc.StoreSyncServiceStub(channel).UploadOfflineAdvices(
            store_sync_pb2.UploadOfflineAdvicesRequest(request_id=new_id(), store_id=store, advices=[advice]), timeout=20).results
    return answer


def test_an_offline_sale_earns_the_referrer_its_share_as_an_online_one_does(regions):
    referrer_card, _referee_id, referee_card = _referred_pair(regions, "W", "E")
    posted = _offline_sale(regions, "E", referee_card, 4_000)
    assert posted.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED
    awards = _wait(lambda: _awards(regions, "W", referrer_card), lambda seen: len(seen) >= 2)
    assert [(points, kind) for points, kind, *_ in awards] == [(OPENING_POINTS, "CARD_OPENING"), (200, "SPEND")]
    assert _points(regions, "W", referrer_card).points == OPENING_POINTS + 200

"""The dashboard's level mix and consumer lag (issue 19) from HQ over real gRPC, PostgreSQL and the broker.

Level mix: cards opened at every store of both regions, then a manager's level change moves one
card to another level and a frozen card leaves the active count; HQ's answer is checked against
what the regions answered for each card, whole and cut to a region, a franchisee and a store.
Consumer lag: the chain's postings topic holds this module's transactions; a group that commits
less than the end (settlement's, which no process runs here) shows the difference, and HQ's read
model group, which commits everything, comes to none.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
from sqlalchemy import create_engine, text

from chaincard.events import topics
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    event_pipeline_pb2,
    event_pipeline_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
)
from tests.support.cards import DEADLINE, open_card, recharge_card

# HQ's card views must hold this module's cards only, and the topics its events only.
OWN_BROKER = True

# (region, store, card type): each store's franchisee and region differ (chaincard.local.demo_data).
OPENED = [("E", "S-E-001", "SV"), ("E", "S-E-001", "SV"), ("E", "S-E-001", "GOLD"), ("E", "S-E-002", "GOLD"),
          ("E", "S-E-002", "SV"), ("W", "S-W-001", "GOLD"), ("W", "S-W-002", "SV"), ("W", "S-W-001", "SV")]
FRANCHISEE = {"S-E-001": "F-HQ", "S-E-002": "F-AURORA", "S-W-001": "F-HQ", "S-W-002": "F-BAMBOO"}


def _wait(condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def hq(regions):  # type: ignore[no-untyped-def]
    channel = open_channel(regions.hq_endpoint)
    yield reports_pb2_grpc.ReportServiceStub(channel), event_pipeline_pb2_grpc.EventPipelineServiceStub(channel)
    channel.close()


@pytest.fixture(scope="module")
def cards(regions) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The opened cards as their home regions describe them: number, region, store, type, level."""
    opened = []
    for region, store, card_type in OPENED:
        clients = regions.clients[region]
        number = open_card(clients, store, card_type=card_type)
        card = clients.cards.GetCard(cards_pb2.GetCardRequest(card_number=number), timeout=DEADLINE).card
        assert card.state == common_pb2.CARD_STATE_ACTIVE
        opened.append({"number": number, "region": region, "store": store, "type": card.card_type_code,
                       "level": card.level_code})
    return opened


def _mix(stub: reports_pb2_grpc.ReportServiceStub, **scope: str) -> reports_pb2.GetLevelMixResponse:
    return stub.GetLevelMix(reports_pb2.GetLevelMixRequest(query=reports_pb2.LevelMixQuery(
        scope=reports_pb2.ReportScope(**scope))), timeout=DEADLINE)


def _counts(answer: reports_pb2.GetLevelMixResponse) -> Counter[tuple[str, str]]:
    return Counter({(row.card_type_code, row.level_code): row.active_card_count for row in answer.rows})


def _expected(cards: list[dict[str, str]], keep: Callable[[dict[str, str]], bool] = lambda card: True) -> Counter[tuple[str, str]]:
    return Counter((card["type"], card["level"]) for card in cards if keep(card))


def test_the_level_mix_counts_active_cards_by_type_and_level_and_follows_their_changes(regions, hq, cards) -> None:  # type: ignore[no-untyped-def]
    reports, _ = hq
    assert {card["level"] for card in cards} >= {"GOLD"} and len({card["level"] for card in cards}) > 1
    answer = _wait(lambda: (lambda mix: mix if _counts(mix) == _expected(cards) else None)(_mix(reports)))
    assert answer.total_active_card_count == len(cards)
    assert answer.HasField("as_of")
    gold = next(row for row in answer.rows if row.level_code == "GOLD")
    assert (gold.group_key, gold.level_name, gold.level_rank) == ("", "金卡 Gold", 3)
    assert gold.card_type_name  # the programme's name of the card type
    # Within a card type, the better level first.
    for card_type in {row.card_type_code for row in answer.rows}:
        ranks = [row.level_rank for row in answer.rows if row.card_type_code == card_type]
        assert ranks == sorted(ranks, reverse=True)

    # A manager moves an SV card at S-E-001 up one level: it leaves its level for the new one.
    moved = next(card for card in cards if card["store"] == "S-E-001" and card["type"] == "SV")
    target = "SILVER" if moved["level"] != "SILVER" else "GOLD"
    changed = regions.clients["E"].cards.ChangeCardLevel(cards_pb2.ChangeCardLevelRequest(
        request_id=new_id(), store_id="S-E-001", card_number=moved["number"], operator_id="SM-E-001", level_code=target,
        reason="level mix test"), timeout=DEADLINE)
    assert changed.card.level_code == target
    before = _expected(cards)
    moved["level"] = target
    after = _expected(cards)
    assert after != before
    _wait(lambda: _counts(_mix(reports)) == after)

    # A frozen card is not active: it leaves the mix.
    frozen = next(card for card in cards if card["store"] == "S-W-001" and card["type"] == "GOLD")
    regions.clients["W"].cards.FreezeCard(cards_pb2.FreezeCardRequest(
        request_id=new_id(), store_id="S-W-001", card_number=frozen["number"], reason="level mix test"), timeout=DEADLINE)
    cards.remove(frozen)
    _wait(lambda: _counts(_mix(reports)) == _expected(cards))
    assert _mix(reports).total_active_card_count == len(cards)


def test_the_level_mix_is_cut_to_a_region_a_franchisee_or_a_store_and_grouped(hq, cards) -> None:  # type: ignore[no-untyped-def]
    reports, _ = hq
    _wait(lambda: _counts(_mix(reports)) == _expected(cards))  # after the previous test's changes
    assert _counts(_mix(reports, region_code="W")) == _expected(cards, lambda card: card["region"] == "W")
    assert _counts(_mix(reports, franchisee_id="F-AURORA")) == _expected(cards, lambda card: card["store"] == "S-E-002")
    assert _counts(_mix(reports, franchisee_id="F-HQ")) == _expected(
        cards, lambda card: FRANCHISEE[card["store"]] == "F-HQ")
    assert _counts(_mix(reports, store_id="S-E-001")) == _expected(cards, lambda card: card["store"] == "S-E-001")
    assert _counts(_mix(reports, region_code="W", franchisee_id="F-AURORA")) == Counter()
    assert _mix(reports, store_id="S-X-404").rows == []

    by_store = reports.GetLevelMix(reports_pb2.GetLevelMixRequest(query=reports_pb2.LevelMixQuery(
        grouping=reports_pb2.REPORT_GROUPING_STORE)), timeout=DEADLINE)
    seen = Counter({(row.group_key, row.card_type_code, row.level_code): row.active_card_count for row in by_store.rows})
    assert seen == Counter((card["store"], card["type"], card["level"]) for card in cards)
    assert {row.group_key: row.group_name for row in by_store.rows}["S-E-002"] == "Hangzhou West Lake"
    assert [row.group_key for row in by_store.rows] == sorted(row.group_key for row in by_store.rows)


def _ledger_transactions(regions) -> int:  # type: ignore[no-untyped-def]
    total = 0
    for code in ("E", "W"):
        engine = create_engine(regions.database_urls[code])
        try:
            with engine.connect() as connection:
                total += connection.execute(text("SELECT COUNT(*) FROM ledger_transactions")).scalar_one()
        finally:
            engine.dispose()
    return total


def _lags(pipeline: event_pipeline_pb2_grpc.EventPipelineServiceStub) -> dict[tuple[str, str], event_pipeline_pb2.TopicLag]:
    answer = pipeline.GetConsumerLag(event_pipeline_pb2.GetConsumerLagRequest(), timeout=20)
    return {(row.group_id.rpartition(".")[2], row.topic): row for row in answer.lags}


def test_consumer_lag_shows_what_a_group_has_not_committed(regions, regions_broker, hq, cards) -> None:  # type: ignore[no-untyped-def]
    _, pipeline = hq
    recharge_card(regions.clients["E"].transactions, cards[0]["number"], 10_000, cards[0]["store"])
    recharge_card(regions.clients["W"].transactions, cards[-1]["number"], 10_000, cards[-1]["store"])
    posted = _ledger_transactions(regions)
    assert posted >= 2
    # Every posting relayed: the topic's end is the chain's transactions (this module's broker).
    lags = _wait(lambda: (lambda found: found if found[("settlement-clearing", topics.POSTINGS)].end_offset == posted else None)(
        _lags(pipeline)))
    assert {group for group, _ in lags} >= {"hq-read-models", "hq-notifications", "hq-audit", "settlement-clearing",
                                             "region-E-referrals", "region-W-referrals"}
    assert {topic for group, topic in lags if group == "hq-read-models"} == {topics.MEMBERS, topics.CARDS, topics.POSTINGS}
    clearing = lags[("settlement-clearing", topics.POSTINGS)]
    # No settlement runs here: its group never committed and is behind by everything.
    assert (clearing.lag, clearing.committed_partitions) == (posted, 0) and clearing.partitions >= 1
    # HQ's read models commit what they apply: none behind once they caught up.
    _wait(lambda: _lags(pipeline)[("hq-read-models", topics.POSTINGS)].lag == 0)

    # The settlement group commits one record of a partition: one fewer behind, on that topic only.
    group_id = next(row.group_id for row in pipeline.GetConsumerLag(event_pipeline_pb2.GetConsumerLagRequest(), timeout=20).lags
                    if row.group_id.endswith(".settlement-clearing"))
    committer = KafkaConsumer(bootstrap_servers=regions_broker.bootstrap, group_id=group_id, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topics.POSTINGS, number) for number in sorted(committer.partitions_for_topic(topics.POSTINGS))]
        written = next(partition for partition, end in committer.end_offsets(partitions).items() if end >= 1)
        committer.assign(partitions)
        committer.commit({written: OffsetAndMetadata(1, "", -1)})
    finally:
        committer.close(autocommit=False)
    after = _lags(pipeline)[("settlement-clearing", topics.POSTINGS)]
    assert (after.lag, after.committed_partitions, after.end_offset) == (posted - 1, 1, posted)

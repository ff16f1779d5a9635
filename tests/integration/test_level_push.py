"""Level changes reach the stores' card caches by the region's balance push (ChainCard issue 14
item 5, docs/adr/0017 addendum, 0027), with real parts: the regions and HQ as processes (PostgreSQL,
the broker), the store agent's gRPC server on its own SQLite file, its link to region E through a TCP
proxy the tests cut for real. The store refreshes a cached card when it first caches it (the refresh
age is an hour); the region's feed carries the level change the store then applies.

- a qualifying recharge at the region upgrades the card; the store, its link then down, prices a
  sale with the new level's discount;
- a manager's ChangeCardLevel at the region reaches the cache without a refresh.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    program_config_pb2_grpc,
    transactions_pb2,
)
from chaincard.v1 import program_config_pb2 as pc
from region_service.handlers import payments
from region_service.models import BalanceFeedEntry
from tests.support.cards import DEADLINE, open_card, recharge_card, recharge_request
from tests.support.stores import FAST_STORE, StoreUnderTest, running_store

STORE = "S-E-001"
# GOLD (the test chain's level: 10% off, tea 5%, tobacco none) for one recharge of ¥4,000; this
# module's chain only. Below the named-card balance cap of ¥5,000 with what the card holds (V9).
UPGRADE_RECHARGE_FEN = 400_000
GOLD_RULE = pc.LevelRule(level_code="GOLD", name="One ¥4,000 recharge", upgrade_single_recharge_fen=UPGRADE_RECHARGE_FEN,
                         active=True)


class Store(StoreUnderTest):
    """The store agent of this module, with what it reads of the store's own database."""

    def cached(self, card: str) -> tuple[bool, str, str | None, str | None] | None:
        """The cached card's (complete, level, when last refreshed, when its level was learnt), None
        while not cached."""
        with sqlite3.connect(self.database.removeprefix("sqlite:///")) as connection:
            row = connection.execute("SELECT complete, level_code, refreshed_at, level_as_of FROM cached_cards WHERE card_number = ?",
                                     (card,)).fetchone()
        return None if row is None else (bool(row[0]), str(row[1]), row[2], row[3])

    def wait_cached(self, card: str, predicate, timeout: float = 30.0) -> tuple[bool, str, str | None, str | None]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while (row := self.cached(card)) is None or not predicate(row):
            assert time.monotonic() < deadline, f"the store's cached card never matched: {row}"
            time.sleep(0.1)
        return row


@pytest.fixture(scope="module")
def store(regions, tmp_path_factory) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    database = f"sqlite:///{tmp_path_factory.mktemp('level-push-store') / 'store.sqlite'}"
    # A new card is refreshed at once; a described one not again within the test.
    knobs = {**FAST_STORE, "CHAINCARD_STORE_CARD_REFRESH_SECONDS": "0.3", "CHAINCARD_STORE_CARD_REFRESH_AGE_SECONDS": "3600"}
    with running_store(regions.hq_endpoint, STORE, database, knobs, kind=Store) as running:
        yield running


def _feed_levels(region_context, card: str, timeout: float = 30.0) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The card's balance feed entries (transaction type, level carried), once the last change is in."""
    deadline = time.monotonic() + timeout
    while True:
        with region_context.session_factory() as session:
            entries = [(entry.transaction_type, entry.level_code) for entry in session.execute(
                select(BalanceFeedEntry).where(BalanceFeedEntry.card_number == card).order_by(BalanceFeedEntry.position)).scalars()]
        if entries and (entries[-1][1] or time.monotonic() >= deadline):
            return entries
        time.sleep(0.1)


def _cached_card(store: Store, card_type: str = "SV") -> str:
    """A new card opened and recharged at the store, described by a refresh."""
    card = open_card(store, store_id="", card_type=card_type)  # the agent fills in its store
    recharge_card(store.till, card, 20_000, store_id="")
    store.wait_cached(card, lambda row: row[0] and row[2] is not None)
    # Not an assertion: a card entering the cache is refreshed again once the push names it (within
    # a fraction of a second); after that, nothing refreshes it within the test.
    time.sleep(1.0)
    _, level, _, _ = store.wait_cached(card, lambda row: True)
    assert level == ("GOLD" if card_type == "GOLD" else "NORMAL")
    return card


def test_an_upgrade_at_the_region_prices_the_next_offline_sale_with_the_new_level(store, regions, region_context):  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertLevelRule(
            pc.UpsertLevelRuleRequest(request_id=new_id(), level_rule=GOLD_RULE), timeout=DEADLINE)
    region_context.program.snapshot(force=True)
    store.wait(lambda s: s.online and s.config_version > 0)
    card = _cached_card(store)

    # The upgrade happens at the region (another till, the same region), in the qualifying recharge.
    answer = region_context.commands.run(payments.recharge_card, recharge_request(card, UPGRADE_RECHARGE_FEN, STORE))
    assert "Level upgraded to GOLD" in [line.text for line in answer.receipt]
    assert _feed_levels(region_context, card) == [("RECHARGE", ""), ("RECHARGE", "GOLD")]  # on the qualifying recharge
    store.wait_cached(card, lambda row: row[1] == "GOLD")

    store.proxy.cut()
    try:
        sale = transactions_pb2.CheckoutRequest(
            request_id=new_id(), card_number=card, store_id="",
            lines=[transactions_pb2.BasketLine(sku="SNACK-1", name="瓜子 Seeds", category="snack", quantity=1, unit_price_fen=10_000)])
        approved = store.till.Checkout(sale, timeout=20)
        # An SV card has no member discount (its type's flag); GOLD's points multiplier is 1.5x.
        assert approved.offline and approved.total_due_fen == 10_000
        assert [line.points_earned for line in approved.lines] == [150]
    finally:
        store.proxy.restore()
    store.wait(lambda s: s.online and s.offline_queue_depth == 0)


def test_a_managers_level_change_reaches_the_cache_by_the_push(store, regions, region_context):  # type: ignore[no-untyped-def]
    store.wait(lambda s: s.online)
    card = _cached_card(store, "GOLD")  # a discount card type, at GOLD (10% off)
    changed = regions.clients["E"].cards.ChangeCardLevel(cards_pb2.ChangeCardLevelRequest(
        request_id=new_id(), store_id=STORE, card_number=card, operator_id="SM-E-001", level_code="SILVER",
        reason="goodwill"), timeout=DEADLINE)
    assert changed.card.level_code == "SILVER"
    assert _feed_levels(region_context, card)[-1] == ("", "SILVER")  # an entry of its own, no transaction
    store.wait_cached(card, lambda row: row[1] == "SILVER")

    store.proxy.cut()
    try:
        quoted = store.till.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
            card_number=card, lines=[transactions_pb2.BasketLine(sku="SNACK-1", name="瓜子 Seeds", category="snack",
                                                                 quantity=1, unit_price_fen=10_000)]), timeout=20)
        assert quoted.total_due_fen == 9_500  # SILVER: 5% off
    finally:
        store.proxy.restore()

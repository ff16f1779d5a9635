"""Count-card uses and time passes at a store whose region link is down (issue 14, K1/K3/K4,
docs/adr/0036), with real parts: the regions and HQ as processes (PostgreSQL, the broker), the store
agent's gRPC server on its own SQLite file, its link to region E through a TCP proxy the tests cut
for real.

- a 10-use card cached; link cut; 3 uses sold offline; link back: the region posts them once, from
  the packs, and the balances are right; the advice sent again posts nothing more;
- offline, more uses than cached (less those already sold offline) are refused, naming the item
  and the limit; an item the store's list does not admit is refused, naming the store;
- a time pass offline within its daily cap, refused beyond it; posted with its uses recorded;
- uses spent online elsewhere while the store was offline: the advice takes what the card holds and
  the rest is owed (a receivable of the item's uses), flagged; the count never goes negative.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    program_config_pb2,
    program_config_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
)
from tests.support.cards import funded_card, refusal
from tests.support.count_products import TIME_CARD, set_products_programme
from tests.support.count_uses import COUNT_CARD, packs_of, purchase, wash_sale
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import rows
from tests.support.stores import FAST_STORE, StoreUnderTest, add_store, running_store

STORE = "S-E-T36"


class Store(StoreUnderTest):
    """The store agent of this module, with what it reads of the store's own database."""

    def query(self, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
        with sqlite3.connect(self.database.removeprefix("sqlite:///")) as connection:
            return list(connection.execute(sql, params))

    def cached_uses(self, card: str, item: str) -> int:
        [(uses,)] = self.query("SELECT COALESCE(SUM(uses), 0) FROM cached_count_packs WHERE card_number = ? AND item_code = ?",
                               card, item)
        return int(uses)

    def wait_cached(self, card: str, predicate, what: str) -> None:  # type: ignore[no-untyped-def]
        self.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10)  # cached, then refreshed
        deadline = time.monotonic() + 60  # refreshed every half second, or pushed; generous on a loaded machine
        while not predicate():
            assert time.monotonic() < deadline, f"the store never cached {what} of card {card}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def store(regions, tmp_path_factory) -> Iterator[Store]:
    set_products_programme(regions)
    add_store(regions.hq_endpoint, STORE, "Count uses 次卡店")
    database = f"sqlite:///{tmp_path_factory.mktemp('count-store') / 'store.sqlite'}"
    knobs = {**FAST_STORE, "CHAINCARD_STORE_CARD_REFRESH_SECONDS": "0.5", "CHAINCARD_STORE_CARD_REFRESH_AGE_SECONDS": "0.5"}
    with running_store(regions.hq_endpoint, STORE, database, knobs, kind=Store) as running:
        yield running


@pytest.fixture(scope="module")
def sync(regions) -> Iterator[store_sync_pb2_grpc.StoreSyncServiceStub]:  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    with open_channel(endpoint) as channel:
        yield store_sync_pb2_grpc.StoreSyncServiceStub(channel)


def _card_with_washes(regions, store: Store, *, card_type: str = COUNT_CARD, item: str = "WASH") -> str:  # type: ignore[no-untyped-def]
    """A card holding one pack of ``item`` (10 washes), bought at another store, and cached here."""
    clients = regions.clients["E"]
    card = funded_card(clients, 0, card_type=card_type)
    clients.transactions.PurchaseCountUses(purchase(card, item), timeout=10)
    return card


def _posted(regions, request_id: str) -> list[tuple]:  # type: ignore[type-arg]
    return rows(regions.database_urls["E"], "SELECT type, details -> 'count_uses', details -> 'count_use_shortfall' "
                "FROM ledger_transactions WHERE request_id = :id", id=request_id)


# ---- the checks ------------------------------------------------------------------------------------
def test_uses_sold_offline_post_once_from_the_packs_and_a_resent_advice_posts_nothing(store, regions, sync):
    card = _card_with_washes(regions, store)
    store.wait_cached(card, lambda: store.cached_uses(card, "WASH") == 10, "10 washes")
    store.wait(lambda s: s.online and s.config_version > 0)

    store.proxy.cut()
    try:
        sale = wash_sale(card, 3, store=STORE)
        approved = store.till.Checkout(sale, timeout=20)
        assert approved.offline and approved.total_due_fen == 9_000
        assert [(t.type, t.count_item_code, t.uses, t.amount_fen) for t in approved.tenders] == [
            (sale.tenders[0].type, "WASH", 3, 9_000)]
        assert [(b.item_code, b.uses) for b in approved.balances_after.count_uses] == [("WASH", 7)]
        assert any("Uses WASH -3" in line.text for line in approved.receipt)
        assert store.till.Checkout(sale, timeout=20) == approved  # the till retries: the same approval
        # Over what the cache shows less what this store sold offline: refused, naming item and limit.
        over = refusal(store.till.Checkout, wash_sale(card, 8, store=STORE), timeout=20)
        assert over.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "tenders[0]" in over.details() and "7 usable uses of WASH" in over.details() and "needs 8" in over.details()
        # An item not used at this store (K3's store list): refused, naming it and the store.
        elsewhere = refusal(store.till.Checkout, wash_sale(card, 1, item="WASH-E1", store=STORE), timeout=20)
        assert elsewhere.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "WASH-E1" in elsewhere.details() and STORE in elsewhere.details()
        assert store.status().offline_queue_depth == 1
    finally:
        store.proxy.restore()

    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    assert _posted(regions, sale.request_id) == [("OFFLINE_ADVICE", {"WASH": -3}, None)]
    assert packs_of(regions.database_urls["E"], card) == [("WASH", 10, 7)]
    balance = regions.clients["E"].cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10)
    assert [(b.item_code, b.uses) for b in balance.balances.count_uses] == [("WASH", 7)]
    # The advice forwarded again (a lost answer): DUPLICATE, nothing posted twice.
    [(blob,)] = store.query("SELECT advice FROM offline_advices WHERE advice_id = ?", sale.request_id)
    [again] = sync.UploadOfflineAdvices(store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id=new_id(), store_id=STORE, advices=[store_sync_pb2.OfflineAdvice.FromString(blob)]), timeout=20).results
    assert again.outcome == store_sync_pb2.ADVICE_OUTCOME_DUPLICATE and not again.count_use_shortfalls
    assert len(_posted(regions, sale.request_id)) == 1
    assert packs_of(regions.database_urls["E"], card) == [("WASH", 10, 7)]
    # The store's cache follows the posting (pushed or refreshed): 7 left, none counted twice.
    store.wait_cached(card, lambda: store.cached_uses(card, "WASH") == 7, "7 washes")
    assert_ledger_consistent(regions.database_urls["E"])


def test_uses_spent_elsewhere_meanwhile_are_owed_never_negative(store, regions):
    card = _card_with_washes(regions, store)
    store.wait_cached(card, lambda: store.cached_uses(card, "WASH") == 10, "10 washes")
    store.wait(lambda s: s.online and s.config_version > 0)

    store.proxy.cut()
    try:
        sale = wash_sale(card, 4, store=STORE)
        assert store.till.Checkout(sale, timeout=20).offline
        # Meanwhile the card spends 8 washes online at another store: 2 are left for the advice.
        regions.clients["E"].transactions.Checkout(wash_sale(card, 8), timeout=10)
    finally:
        store.proxy.restore()

    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    assert _posted(regions, sale.request_id) == [("OFFLINE_ADVICE", {"WASH": -2}, {"WASH": 2})]
    assert packs_of(regions.database_urls["E"], card) == [("WASH", 10, 0)]
    owed = rows(regions.database_urls["E"], "SELECT asset, balance FROM ledger_accounts WHERE card_number = :card "
                "AND purpose = 'RECEIVABLE'", card=card)
    assert owed == [("COUNT_USES:WASH", -2)]
    assert store.query("SELECT outcome, count_use_shortfall FROM offline_advices WHERE advice_id = ?",
                       sale.request_id) == [("POSTED_OVERDRAWN", 2)]
    assert_ledger_consistent(regions.database_urls["E"])


def test_a_time_pass_sells_offline_within_its_daily_cap(store, regions):
    clients = regions.clients["E"]
    card = funded_card(clients, 0, card_type=TIME_CARD)
    clients.transactions.PurchaseCountUses(purchase(card, "MONTH"), timeout=10)  # capped at 2 a day
    store.wait_cached(card, lambda: store.query("SELECT time_pass FROM cached_count_items WHERE card_number = ? "
                                                "AND item_code = 'MONTH'", card) == [(1,)], "the MONTH pass")
    store.wait(lambda s: s.online and s.config_version > 0)

    store.proxy.cut()
    try:
        sale = wash_sale(card, 2, item="MONTH", store=STORE)
        approved = store.till.Checkout(sale, timeout=20)
        assert approved.offline and approved.total_due_fen == 6_000
        over = refusal(store.till.Checkout, wash_sale(card, 1, item="MONTH", store=STORE), timeout=20)
        assert over.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "MONTH" in over.details() and "2 uses per day" in over.details() and "used 2 today" in over.details()
        no_pass = refusal(store.till.Checkout, wash_sale(_card_with_washes(regions, store), 1, item="MONTH", store=STORE),
                          timeout=20)
        assert no_pass.code() == grpc.StatusCode.FAILED_PRECONDITION
    finally:
        store.proxy.restore()

    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    [(kind, _, _)] = _posted(regions, sale.request_id)
    assert kind == "OFFLINE_ADVICE"
    assert rows(regions.database_urls["E"], "SELECT item_code, uses, period_id <> '' FROM count_time_uses "
                "WHERE card_number = :card", card=card) == [("MONTH", 2, True)]
    # Online, the day's cap now counts the offline uses.
    refused = refusal(clients.transactions.Checkout, wash_sale(card, 1, item="MONTH", store=STORE), timeout=10)
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION and "MONTH" in refused.details()
    assert_ledger_consistent(regions.database_urls["E"])

"""The store's advice forwarder is woken when a card's home region answers again (issue 21, whose
link is down): the store's region answered RETRY_LATER for the advice of a card whose home region
did not answer, so the forwarder backs off; once a call on that card is answered, the queued advice
goes at once instead of after the back-off. Real regions (gRPC, PostgreSQL), a real store agent.

The forwarder here idles 20 s, so after the upload that got RETRY_LATER it backs off 40 s: the queue
empties within the 15 s waited for it afterwards only if the forwarder was woken."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from chaincard.config import Settings
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from store_agent.bootstrap import start_store
from tests.support.cards import open_card, recharge_card
from tests.support.regions import home_region_unreachable, silent_peer
from tests.support.sql import rows

STORE = "S-E-T02"
FORWARD_IDLE_SECONDS = 20.0
WOKEN_WITHIN = 15.0  # well under the forwarder's back-off after a failed upload (2 × FORWARD_IDLE_SECONDS)


def _region_endpoint(regions, code: str) -> str:  # type: ignore[no-untyped-def]
    from chaincard.v1 import program_config_pb2, program_config_pb2_grpc

    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    return next(region.endpoint for region in snapshot.regions if region.code == code)


@pytest.fixture
def store(regions, tmp_path) -> Iterator[tuple[Any, Any, Any, str]]:  # type: ignore[no-untyped-def]
    """A store agent of region E (its cards, till and status stubs, and its SQLite file)."""
    with open_channel(regions.hq_endpoint) as channel:
        directory_pb2_grpc.DirectoryServiceStub(channel).UpsertStore(directory_pb2.UpsertStoreRequest(
            request_id=new_id(), store=directory_pb2.Store(store_id=STORE, name="Wake 测试店", region_code="E",
                                                           franchisee_id="F-AURORA", time_zone="Asia/Shanghai", active=True)),
            timeout=10)
    database = f"sqlite:///{tmp_path / 'store.sqlite'}"
    knobs = {"CHAINCARD_STORE_CONFIG_POLL_SECONDS": "0.5", "CHAINCARD_STORE_LINK_PROBE_SECONDS": "0.3",
             "CHAINCARD_STORE_FORWARD_IDLE_SECONDS": str(FORWARD_IDLE_SECONDS)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in knobs.items():
            patch.setenv(name, value)
        running = start_store(Settings(listen="127.0.0.1:0", store_id=STORE, region_endpoint=_region_endpoint(regions, "E"),
                                       database_url=database, rpc_deadline_seconds=2.0, insecure=True))
    channel = open_channel(f"127.0.0.1:{running.port}")
    try:
        yield (cards_pb2_grpc.CardServiceStub(channel), transactions_pb2_grpc.TransactionServiceStub(channel),
               store_agent_pb2_grpc.StoreAgentServiceStub(channel), str(make_url(database).database))
    finally:
        channel.close()
        running.stop(grace=1)


def _until(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.1)


def _upload_attempts(database: str, advice_id: str) -> int:
    with sqlite3.connect(database) as connection:
        found = connection.execute("SELECT attempts FROM offline_advices WHERE advice_id = ?", (advice_id,)).fetchone()
    return int(found[0]) if found else 0


def test_a_home_region_answering_again_wakes_the_forwarder(store, regions) -> None:  # type: ignore[no-untyped-def]
    cards, till, agent, database = store
    status = lambda: agent.GetStoreStatus(store_agent_pb2.GetStoreStatusRequest(), timeout=5)  # noqa: E731
    west_card = open_card(regions.clients["W"], store_id="S-W-001")
    recharge_card(regions.clients["W"].transactions, west_card, 20_000, "S-W-001")
    cards.GetCard(cards_pb2.GetCardRequest(card_number=west_card), timeout=10)  # cached here, through E → W

    sale = transactions_pb2.CheckoutRequest(request_id=new_id(), card_number=west_card, lines=[transactions_pb2.BasketLine(
        sku="TEA-1", name="龙井 Longjing", category="tea", quantity=1, unit_price_fen=1_500)])
    with silent_peer() as silent, home_region_unreachable("E", "W", silent):
        stood_in = till.Checkout(sale, timeout=20)
        assert stood_in.offline
        # The forwarder offered the advice; region E could not reach W and answered RETRY_LATER: it backs off.
        _until(lambda: _upload_attempts(database, sale.request_id) >= 1, "the forwarder offered the advice",
               timeout=FORWARD_IDLE_SECONDS + 20)  # its next idle check, and the region's forward timing out
        assert status().offline_queue_depth == 1
        assert [down.region_code for down in status().home_regions_not_answering] == ["W"]

    # Region W answers E again. A call on the card is answered: the link says W answers again …
    assert cards.GetCard(cards_pb2.GetCardRequest(card_number=west_card), timeout=10).card.card_number == west_card
    assert not status().home_regions_not_answering
    # … and the forwarder, woken, posts the queued advice without waiting out its back-off.
    _until(lambda: status().offline_queue_depth == 0, "the queued advice was posted", timeout=WOKEN_WITHIN)
    assert rows(regions.database_urls["W"], "SELECT COUNT(*) FROM ledger_transactions WHERE request_id = :id",
                id=sale.request_id) == [(1,)]

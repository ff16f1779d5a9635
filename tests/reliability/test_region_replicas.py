"""Issue 18 item 4: regions as two replicas each over their one database (``Chain(region_replicas=2)``,
as ``chaincard up --region-replicas 2``), real processes, real PostgreSQL, the chain's own broker,
mutual TLS. Two tills sell through store agent S-E-001 (its ``--region`` names both East replicas)
and a third client calls region E directly over one round-robin channel to both, as HQ does
(chaincard/rpc/endpoints.py). They sell on East cards and on West cards, whose checkouts region E
forwards to region W's replicas over the same kind of channel. Once both East replicas have served
checkouts, the first replica of each region (the one ``Region.endpoint`` names) is SIGKILLed
mid-stream; every client sells on. Afterwards:

- the directory lists both replicas, and both served calls before the kill (the calls were balanced);
- no client met an error it could not retry, and the store agent never stood in offline (the other
  replicas answered throughout, also for the forwarded West cards);
- every checkout answered OK is posted exactly once in its card's home region, found by its request
  id, and is the very transaction the answer named; the cards were charged nothing else;
- each card's stored value fell by exactly what its answers said, the ledgers balance, and HQ's view
  of every card equals its region's (each region's one relay published everything once).

No timing is asserted: the clients stop after a number of sales after the kill, not after a time.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import grpc
import pytest

from chaincard.chain_state import replica_name
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.chain import Chain
from chaincard.local.faults import kill_process
from chaincard.rpc.endpoints import balanced_channel
from chaincard.v1 import cards_pb2, directory_pb2, directory_pb2_grpc, transactions_pb2
from tests.support.cards import funded_card
from tests.support.chains import running_chain
from tests.support.ledger import assert_ledger_consistent
from tests.support.regions import clients_for
from tests.support.reliability import (
    RETRYABLE,
    Cards,
    calls_served,
    stored_value,
    wait_for_hq,
    wait_outbox_drained,
)
from tests.support.sql import rows as _rows

pytestmark = pytest.mark.e2e

STORE = "S-E-001"
PRICE_FEN = 1_000
AMPLE_FEN = 300_000  # never short: at most 3 clients × 200 sales of ¥10 over 6 cards
MAX_SALES = 200  # per client, at most
SALES_AFTER_KILL = 25  # per client, once the replica is dead
PAUSE_SECONDS = 0.05


@pytest.fixture
def replicated_chain(tmp_path, postgres, migrated, database_drops):
    """HQ, regions E and W with two replicas each, store agent S-E-001, settlement, one relay a region, a broker."""
    with running_chain(postgres, tmp_path / "chain", "ccrep", templates=migrated, drop=database_drops.drop,
                       stores=[demo_data.STORES[0]], region_replicas=2) as (running, _):
        yield running


@dataclass
class Sale:
    client: str
    card: str
    request_id: str
    answer: transactions_pb2.CheckoutResponse | None = None


@dataclass
class Client:
    """A thread selling on ``cards`` in turn, each sale sent again with the same request id while it
    meets a transient failure (as a till does); ``as_store`` fills in the store id (a call on the
    region itself rather than on the store agent's till port)."""

    name: str
    channel: grpc.Channel
    cards: list[str]
    as_store: str = ""
    sales: list[Sale] = field(default_factory=list)
    stop_after: int = MAX_SALES
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> Client:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        stub = clients_for(self.channel).transactions
        try:
            for index in range(MAX_SALES):
                if index >= self.stop_after:
                    return
                self.sales.append(self._sell(stub, self.cards[index % len(self.cards)]))
                time.sleep(PAUSE_SECONDS)
        except BaseException as error:  # noqa: BLE001 - surfaced after join
            self.error = error

    def _sell(self, stub, card: str) -> Sale:  # type: ignore[no-untyped-def]
        request = transactions_pb2.CheckoutRequest(request_id=new_id(), store_id=self.as_store, card_number=card, lines=[
            transactions_pb2.BasketLine(sku="WATER", name="矿泉水 water", category="drinks", quantity=1, unit_price_fen=PRICE_FEN)])
        sale = Sale(self.name, card, request.request_id)
        deadline = time.monotonic() + 120
        while True:
            try:
                sale.answer = stub.Checkout(request, timeout=20)
                return sale
            except grpc.RpcError as error:
                if error.code() not in RETRYABLE or time.monotonic() > deadline:
                    raise AssertionError(f"{self.name}: {error.code().name} {error.details()}") from error
                time.sleep(0.2)

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(180)
        assert not self.thread.is_alive(), f"{self.name} did not finish"


def test_checkouts_carry_on_when_one_region_replica_is_killed(replicated_chain):
    chain: Chain = replicated_chain
    state = chain.state
    assert state is not None
    first, second = replica_name("E", 0), replica_name("E", 1)
    endpoints = [state.endpoint_of(first), state.endpoint_of(second)]

    # HQ's directory lists both replicas; Region.endpoint stays the first (older readers use it).
    with state.channel("hq") as hq:
        listed = {region.code: region for region in directory_pb2_grpc.DirectoryServiceStub(hq).ListRegions(
            directory_pb2.ListRegionsRequest(), timeout=10).regions}
    assert list(listed["E"].endpoints) == endpoints and listed["E"].endpoint == endpoints[0]

    with ExitStack() as stack:
        agent = clients_for(stack.enter_context(state.channel(f"store-{STORE}")))
        east = [funded_card(agent, AMPLE_FEN, store_id="", name="副本 Replica") for _ in range(4)]
        west_store = clients_for(stack.enter_context(state.channel("region-W", as_store="S-W-001")))
        west = [funded_card(west_store, AMPLE_FEN, store_id="S-W-001", name="副本 Replica") for _ in range(2)]
        cards = Cards(by_region={"E": east, "W": west})
        sold = [*east[:2], west[0], *east[2:], west[1]]
        for card in sold:  # the store knows every card (as a till would have shown it)
            agent.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=20)
        before = stored_value(state, cards)

        direct = balanced_channel(endpoints, state.store_transport(STORE), expected_server="region:E")
        stack.callback(direct.close)
        clients = [
            Client("till-1", stack.enter_context(state.channel(f"store-{STORE}")), sold),
            Client("till-2", stack.enter_context(state.channel(f"store-{STORE}")), sold[::-1]),
            Client("direct", direct, sold[1:] + sold[:1], as_store=STORE),
        ]
        for client in clients:
            client.start()

        # Selling through both replicas first: each has answered checkouts (the calls are balanced).
        deadline = time.monotonic() + 120
        while min(calls_served(chain, first), calls_served(chain, second)) < 5 or min(len(c.sales) for c in clients) < 10:
            assert time.monotonic() < deadline, (calls_served(chain, first), calls_served(chain, second))
            assert not any(client.error for client in clients), [client.error for client in clients]
            time.sleep(0.1)

        kill_process(chain, first)  # mid-stream: the clients keep sending
        kill_process(chain, replica_name("W", 0))  # and region E forwards the West cards' checkouts on
        for client in clients:
            client.stop_after = len(client.sales) + SALES_AFTER_KILL
        for client in clients:
            client.join()
        assert [client.error for client in clients if client.error] == []
        assert all(len(client.sales) >= client.stop_after for client in clients), "a client stopped early"

        # The store stayed online: the other replica answered, nothing was stood in for.
        sales = [sale for client in clients for sale in client.sales]
        approved = [sale for sale in sales if sale.answer is not None]
        assert len(approved) == len(sales)
        offline = [sale.request_id for sale in approved if sale.answer is not None and sale.answer.offline]
        assert offline == [], f"{len(offline)} sales stood in for offline although a replica was up"

        # Every OK answer posted exactly once in its card's home region, as the transaction it named,
        # and in no other region; nothing else charged.
        ids = [sale.request_id for sale in approved]
        posted = {code: {request_id: (count, transaction_id) for request_id, count, transaction_id in _rows(
            state.database_urls[f"region_{code}"], "SELECT request_id, COUNT(*), MIN(transaction_id) FROM ledger_transactions "
                                                    "WHERE request_id = ANY(:ids) GROUP BY request_id", ids=ids)}
            for code in cards.by_region}
        wrong = []
        for sale in approved:
            assert sale.answer is not None
            home = "E" if sale.card in east else "W"
            found = {code: hits.get(sale.request_id) for code, hits in posted.items()}
            expected = {code: (1, sale.answer.transaction.transaction_id) if code == home else None for code in posted}
            if found != expected:
                wrong.append((sale.client, sale.card, sale.request_id, found))
        assert wrong == [], f"{len(wrong)} of {len(approved)} OK answers not posted exactly once: {wrong[:5]}"
        assert {sale.card for sale in approved} == set(sold)
        spends = sum(_rows(state.database_urls[f"region_{code}"], "SELECT COUNT(*) FROM ledger_transactions "
                                                                  "WHERE card_number = ANY(:cards) AND type = 'SPEND'",
                           cards=region_cards)[0][0] for code, region_cards in cards.by_region.items())
        assert spends == len(approved)

        # Each card's stored value fell by exactly what its answers said; the ledger balances.
        after = stored_value(state, cards)
        charged = dict.fromkeys(sold, 0)
        for sale in approved:
            assert sale.answer is not None
            charged[sale.card] += sale.answer.transaction.principal_delta_fen + sale.answer.transaction.bonus_delta_fen
        assert {card: after[card] - before[card] for card in sold} == charged
        assert all(delta < 0 for delta in charged.values())
        for code in cards.by_region:
            assert_ledger_consistent(state.database_urls[f"region_{code}"])

        # Each region's one relay published everything, once: HQ's view equals the regions'.
        wait_outbox_drained(state, timeout=120)
        wait_for_hq(state, cards)

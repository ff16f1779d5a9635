"""Issue 17 "Checked by": two region processes of region E over its one database
(``Chain(region_replicas=2)``, docs/adr/0054), real processes, real PostgreSQL, mutual TLS. Eight
client threads, each with one round-robin channel over both processes (as HQ and the store agents
call a region), send a mix of checkouts, refunds of their own earlier sales and recharges on a few
shared cards for 20 s, so the two processes serve concurrent writes to the same cards' rows. A call
that meets a transient failure is sent again with the same request id, as a till does; every other
answer is final. Balances are kept low, so some checkouts are refused for want of funds and some
refunds for asking more than is left: refusals are part of the mix.

Afterwards:
- both processes answered calls (the load was spread over them);
- the ledger holds: every transaction balances, every card account's balance equals the sum of its
  postings, and no card account is negative;
- every request answered OK posted exactly once, as the transaction its answer named, and every
  request answered with an error posted nothing;
- each card's stored value moved by exactly what the OK answers said.

No timing is asserted.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc
import pytest

from chaincard.chain_state import replica_name
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.chain import Chain
from chaincard.rpc.endpoints import balanced_channel
from chaincard.v1 import common_pb2, transactions_pb2, transactions_pb2_grpc
from tests.support.cards import funded_card
from tests.support.chains import running_chain
from tests.support.ledger import assert_ledger_consistent
from tests.support.regions import clients_for
from tests.support.reliability import RETRYABLE, Cards, calls_served, stored_value
from tests.support.sql import rows as _rows

pytestmark = pytest.mark.e2e

STORE = "S-E-001"
CLIENTS = 8
CARDS = 6  # fewer cards than clients: the two processes write the same cards' rows at once
LOAD_SECONDS = 20.0
OPENING_FEN = 20_000
REFUSALS = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT}  # too little left, too much asked


@pytest.fixture(scope="module")
def two_region_processes(tmp_path_factory, postgres, migrated, database_drops):
    """HQ, regions E and W with two processes each over their databases, store agent S-E-001,
    settlement, one relay a region, a broker: one chain for the module."""
    with running_chain(postgres, tmp_path_factory.mktemp("mixed") / "chain", "ccmix", templates=migrated,
                       drop=database_drops.drop, stores=[demo_data.STORES[0]], region_replicas=2) as (running, _):
        yield running


@dataclass
class Answer:
    """One request and its final answer: the transaction it posted, or the status that refused it."""

    kind: str
    card: str
    request_id: str
    transaction_id: str = ""
    stored_value_delta_fen: int = 0
    refused: grpc.StatusCode | None = None


@dataclass
class MixedClient:
    """A thread sending checkouts, refunds of its own earlier sales and recharges for ``seconds``."""

    name: str
    channel: grpc.Channel
    cards: list[str]
    seed: int
    seconds: float = LOAD_SECONDS
    answers: list[Answer] = field(default_factory=list)
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> MixedClient:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()
        return self

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(self.seconds + 150)
        assert not self.thread.is_alive(), f"{self.name} did not finish"

    def _run(self) -> None:
        till = transactions_pb2_grpc.TransactionServiceStub(self.channel)
        rng = random.Random(self.seed)
        sales: list[tuple[str, str, int]] = []  # (card, transaction id, amount) of this client's OK checkouts
        stop = time.monotonic() + self.seconds
        try:
            while time.monotonic() < stop:
                card = rng.choice(self.cards)
                roll = rng.random()
                if roll < 0.2 and sales:
                    sold_card, sale_id, amount = rng.choice(sales)
                    # Up to the whole sale: a second refund of one sale may ask more than is left (refused).
                    request = transactions_pb2.RefundSaleRequest(
                        request_id=new_id(), store_id=STORE, card_number=sold_card, original_transaction_id=sale_id,
                        amount_fen=rng.randint(1, amount), reason="mixed load")
                    self.answers.append(self._send("refund", sold_card, till.RefundSale, request))
                elif roll < 0.4:
                    request = transactions_pb2.RechargeCardRequest(
                        request_id=new_id(), store_id=STORE, card_number=card, amount_fen=rng.randint(1_000, 8_000),
                        tender=common_pb2.TENDER_TYPE_CASH)
                    self.answers.append(self._send("recharge", card, till.RechargeCard, request))
                else:
                    request = transactions_pb2.CheckoutRequest(request_id=new_id(), store_id=STORE, card_number=card, lines=[
                        transactions_pb2.BasketLine(sku="WATER", name="矿泉水 water", category="drinks", quantity=1,
                                                    unit_price_fen=rng.randint(500, 6_000))])
                    answer = self._send("checkout", card, till.Checkout, request)
                    self.answers.append(answer)
                    if answer.refused is None:
                        sales.append((card, answer.transaction_id, -answer.stored_value_delta_fen))
        except BaseException as error:  # noqa: BLE001 - surfaced after join
            self.error = error

    def _send(self, kind: str, card: str, method, request) -> Answer:  # type: ignore[no-untyped-def]
        """``request`` until its answer is final: sent again, same request id, after a transient failure."""
        deadline = time.monotonic() + 90
        while True:
            try:
                response = method(request, timeout=10)
            except grpc.RpcError as error:
                if error.code() in RETRYABLE and time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                if error.code() not in REFUSALS:
                    raise AssertionError(f"{self.name} {kind}: {error.code().name} {error.details()}") from error
                return Answer(kind, card, request.request_id, refused=error.code())
            transaction = response.transaction
            return Answer(kind, card, request.request_id, transaction.transaction_id,
                          transaction.principal_delta_fen + transaction.bonus_delta_fen)


def test_two_region_processes_post_every_answered_request_exactly_once(two_region_processes):
    chain: Chain = two_region_processes
    state = chain.state
    assert state is not None
    first, second = replica_name("E", 0), replica_name("E", 1)
    endpoints = [state.endpoint_of(first), state.endpoint_of(second)]
    region_e = state.database_urls["region_E"]

    with state.channel("region-E", as_store=STORE) as channel:
        cards = Cards(by_region={"E": [funded_card(clients_for(channel), OPENING_FEN, store_id=STORE, name="混合 Mixed")
                                       for _ in range(CARDS)]})
    before = stored_value(state, cards)
    opening = _rows(region_e, "SELECT COUNT(*) FROM ledger_transactions WHERE card_number = ANY(:cards)", cards=cards.all())[0][0]
    served_before = {name: calls_served(chain, name) for name in (first, second)}

    channels = [balanced_channel(endpoints, state.store_transport(STORE), expected_server="region:E") for _ in range(CLIENTS)]
    try:
        clients = [MixedClient(f"client-{index}", channel, cards.all(), seed=index).start()
                   for index, channel in enumerate(channels)]
        for client in clients:
            client.join()
    finally:
        for channel in channels:
            channel.close()
    assert [client.error for client in clients if client.error] == []
    answers = [answer for client in clients for answer in client.answers]

    # A real mix, spread over both processes.
    kinds = Counter((answer.kind, answer.refused is None) for answer in answers)
    assert all(kinds[(kind, True)] > 0 for kind in ("checkout", "refund", "recharge")), kinds
    served = {name: calls_served(chain, name) - served_before[name] for name in (first, second)}
    assert min(served.values()) > 0, served

    # The ledger holds, and no card account went below zero.
    assert_ledger_consistent(region_e)
    negative = _rows(region_e, "SELECT card_number, asset, balance FROM ledger_accounts WHERE purpose = 'CARD' AND balance < 0")
    assert negative == []

    # Every OK answer posted exactly once, as the transaction it named; every refusal posted nothing.
    posted = {request_id: (count, transaction_id) for request_id, count, transaction_id in _rows(
        region_e, "SELECT request_id, COUNT(*), MIN(transaction_id) FROM ledger_transactions WHERE request_id = ANY(:ids) "
                  "GROUP BY request_id", ids=[answer.request_id for answer in answers])}
    wrong = [(answer.kind, answer.request_id, answer.refused, posted.get(answer.request_id)) for answer in answers
             if posted.get(answer.request_id) != (None if answer.refused else (1, answer.transaction_id))]
    assert wrong == [], f"{len(wrong)} of {len(answers)} answers not posted exactly as answered: {wrong[:5]}"
    on_cards = _rows(region_e, "SELECT COUNT(*) FROM ledger_transactions WHERE card_number = ANY(:cards) AND request_id <> ALL(:ids)",
                     cards=cards.all(), ids=[answer.request_id for answer in answers])[0][0]
    assert on_cards == opening  # the cards' opening transactions, and nothing unanswered besides

    # Each card's stored value moved by exactly what its OK answers said.
    moved = dict.fromkeys(cards.all(), 0)
    for answer in answers:
        if answer.refused is None:
            moved[answer.card] += answer.stored_value_delta_fen
    after = stored_value(state, cards)
    assert {card: after[card] - before[card] for card in cards.all()} == moved

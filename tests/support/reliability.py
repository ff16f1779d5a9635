"""What the reliability tests share: a chain of real processes with its own broker, faults injected
for real (SIGKILL, SIGSTOP/SIGCONT, a broker restarted empty), a checkout load that retries each
checkout with its own request id until it succeeds, and the invariants checked afterwards by
comparing HQ's read models with the home regions' ledgers."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc
from kafka.errors import KafkaError
from prometheus_client.parser import text_string_to_metric_families

from chaincard.chain_state import deployment_of
from chaincard.events.lag import consumer_lag
from chaincard.ids import new_id
from chaincard.local.chain import Chain
from chaincard.observability.headline import scrape
from chaincard.v1 import cards_pb2, common_pb2, members_pb2, transactions_pb2
from tests.support.regions import clients_for
from tests.support.sql import rows as _rows

STORE_OF_REGION = {"E": "S-E-001", "W": "S-W-001"}
PRICE_FEN = 1_000
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
             grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}


# ---- load ------------------------------------------------------------------------------------------
@dataclass
class Cards:
    by_region: dict[str, list[str]] = field(default_factory=dict)

    def all(self) -> list[str]:
        return [card for cards in self.by_region.values() for card in cards]


def open_cards(state, per_region: int, recharge_fen: int) -> Cards:  # type: ignore[no-untyped-def]
    """Members with a stored-value card each, recharged in cash, in both regions."""
    cards = Cards()
    for code, store in STORE_OF_REGION.items():
        with state.channel(f"region-{code}", as_store=store) as channel:
            clients = clients_for(channel)
            cards.by_region[code] = []
            for _ in range(per_region):
                member = clients.members.RegisterMember(members_pb2.RegisterMemberRequest(
                    request_id=new_id(), store_id=store, name="可靠 Reliable",
                    phone=f"137{random.randint(0, 99_999_999):08d}"), timeout=10).member
                card = clients.cards.OpenCard(cards_pb2.OpenCardRequest(
                    request_id=new_id(), store_id=store, member_id=member.member_id, card_type_code="SV"), timeout=10).card
                clients.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
                    request_id=new_id(), store_id=store, card_number=card.card_number, amount_fen=recharge_fen,
                    tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
                cards.by_region[code].append(card.card_number)
    return cards


class CheckoutLoad:
    """``total`` checkouts spread over the cards at ``rate`` per second, each retried with the same
    request id until the region answers (a till does the same): retries never post twice."""

    def __init__(self, state, cards: Cards, total: int, rate: float, workers: int = 8) -> None:  # type: ignore[no-untyped-def]
        self.state, self.cards, self.total, self.rate, self.workers = state, cards, total, rate, workers
        self.done = 0
        self.retries = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> CheckoutLoad:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def wait_done(self, timeout: float = 180.0) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"load did not finish: {self.done}/{self.total}"
        if self.error is not None:
            raise self.error

    def wait_until(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.done < count:
            assert time.monotonic() < deadline, f"load stuck at {self.done}"
            time.sleep(0.05)

    def _run(self) -> None:
        jobs = []
        for index in range(self.total):
            code = "E" if index % 2 == 0 else "W"
            region_cards = self.cards.by_region[code]
            jobs.append((code, region_cards[(index // 2) % len(region_cards)]))
        channels = {code: self.state.channel(f"region-{code}", as_store=store) for code, store in STORE_OF_REGION.items()}
        stubs = {code: clients_for(channel).transactions for code, channel in channels.items()}
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(self.workers) as pool:
                futures = []
                for index, (code, card) in enumerate(jobs):
                    delay = started + index / self.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    futures.append(pool.submit(self._checkout, stubs[code], code, card))
                for future in futures:
                    future.result()
        except BaseException as error:  # noqa: BLE001 - surfaced by wait_done
            self.error = error
        finally:
            for channel in channels.values():
                channel.close()

    def _checkout(self, stub, code: str, card: str) -> None:  # type: ignore[no-untyped-def]
        request = transactions_pb2.CheckoutRequest(
            request_id=new_id(), store_id=STORE_OF_REGION[code], card_number=card,
            lines=[transactions_pb2.BasketLine(sku="WATER", name="water", category="drinks", quantity=1, unit_price_fen=PRICE_FEN)],
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                stub.Checkout(request, timeout=5)
                break
            except grpc.RpcError as error:
                if error.code() not in RETRYABLE or time.monotonic() > deadline:
                    raise
                with self._lock:
                    self.retries += 1
                time.sleep(0.2)
        with self._lock:
            self.done += 1


# ---- invariants ------------------------------------------------------------------------------------

def calls_served(chain: Chain, name: str) -> int:
    """How many RPCs of the TransactionService process ``name`` answered OK (its Prometheus counter)."""
    assert chain.state is not None
    served = 0
    for family in text_string_to_metric_families(scrape(chain.state.process(name).metrics)):
        for sample in family.samples:
            if (sample.name == "chaincard_rpc_server_handled_total" and sample.labels.get("code") == "OK"
                    and "TransactionService" in sample.labels.get("method", "")):
                served += int(sample.value)
    return served


def stored_value(state, cards: Cards) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Per card, its principal plus bonus in its home region's ledger."""
    held = dict.fromkeys(cards.all(), 0)
    for code, region_cards in cards.by_region.items():
        for card, balance in _rows(state.database_urls[f"region_{code}"],
                                   "SELECT card_number, balance FROM ledger_accounts WHERE card_number = ANY(:cards) AND "
                                   "purpose = 'CARD' AND asset IN ('STORED_VALUE_PRINCIPAL', 'STORED_VALUE_BONUS')",
                                   cards=region_cards):
            held[card] += int(balance)
    return held


def region_truth(state, cards: Cards) -> dict[str, tuple[int, int, int, int]]:  # type: ignore[no-untyped-def]
    """Per card, from its home region's ledger: (transactions, spends, principal, points)."""
    truth = {}
    for code, region_cards in cards.by_region.items():
        rows = _rows(state.database_urls[f"region_{code}"], """
            SELECT t.card_number, COUNT(*), SUM(CASE WHEN t.type = 'SPEND' THEN 1 ELSE 0 END),
                   (SELECT balance FROM ledger_accounts a WHERE a.card_number = t.card_number AND a.purpose = 'CARD'
                      AND a.asset = 'STORED_VALUE_PRINCIPAL'),
                   (SELECT balance FROM ledger_accounts a WHERE a.card_number = t.card_number AND a.purpose = 'CARD'
                      AND a.asset = 'POINTS')
            FROM ledger_transactions t WHERE t.card_number = ANY(:cards) GROUP BY t.card_number""", cards=region_cards)
        truth.update({row[0]: (int(row[1]), int(row[2]), int(row[3] or 0), int(row[4] or 0)) for row in rows})
    return truth


def hq_view(state, cards: Cards) -> dict[str, tuple[int, int, int, int]]:  # type: ignore[no-untyped-def]
    """Per card, from HQ's read models: (transactions applied, spends, principal, points)."""
    rows = _rows(state.database_urls["hq"], """
        SELECT c.card_number, c.transaction_count,
               (SELECT COUNT(*) FROM transaction_views t WHERE t.card_number = c.card_number AND t.transaction_type = 'SPEND'),
               c.principal_fen, c.points
        FROM card_views c WHERE c.card_number = ANY(:cards)""", cards=cards.all())
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}


def wait_for_hq(state, cards: Cards, timeout: float = 120.0) -> dict[str, tuple[int, int, int, int]]:  # type: ignore[no-untyped-def]
    truth = region_truth(state, cards)
    deadline = time.monotonic() + timeout
    while True:
        seen = hq_view(state, cards)
        if seen == truth:
            return truth
        if time.monotonic() > deadline:
            differing = {card: (truth.get(card), seen.get(card)) for card in truth if truth.get(card) != seen.get(card)}
            raise AssertionError(f"HQ differs from the regions (region, hq) for {len(differing)} cards: {list(differing.items())[:5]}")
        time.sleep(0.25)


def assert_exactly_once_and_in_order(state, cards: Cards, expected_spends: int, *, in_order: bool = True) -> None:  # type: ignore[no-untyped-def]
    """The invariants every fault must leave intact.

    ``in_order=False`` when the broker lost events that a replay brings back after newer ones were
    applied: HQ then applies a card's events out of order (the balances still end right, guarded
    by the transactions' times; the history and the sums do not depend on order).
    """
    truth = wait_for_hq(state, cards)
    assert sum(spends for _, spends, _, _ in truth.values()) == expected_spends
    hq = state.database_urls["hq"]
    # Every transaction once in the history; transaction_count equal to the region's count (checked
    # above) means no TransactionPosted was applied twice under another guise either.
    duplicates = _rows(hq, "SELECT transaction_id FROM transaction_views WHERE card_number = ANY(:cards) "
                           "GROUP BY transaction_id HAVING COUNT(*) > 1", cards=cards.all())
    assert duplicates == []
    # Per-card order: in the order HQ applied them, each balance follows from the one before.
    history: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    for card, principal_after, blob in _rows(
            hq, "SELECT card_number, principal_after_fen, transaction FROM transaction_views WHERE card_number = ANY(:cards) "
                "ORDER BY applied_sequence", cards=cards.all()):
        history[card].append((principal_after, blob))
    for card, entries in history.items() if in_order else ():
        balance = 0
        for principal_after, blob in entries:
            transaction = common_pb2.Transaction.FromString(blob)
            assert principal_after == balance + transaction.principal_delta_fen, f"card {card} applied out of order"
            balance = principal_after
    # One notice per event and template: a redelivered event plans nothing twice. Expected: card
    # opened, then one per transaction (every transaction here is a member's recharge or spend).
    expected_notices = len(cards.all()) + sum(count for count, _, _, _ in truth.values())
    planned = wait_for_notices(state, cards, expected_notices)
    if planned != expected_notices:
        unplanned = _rows(hq, "SELECT v.transaction_type, v.card_number, v.event_id FROM transaction_views v "
                              "WHERE v.card_number = ANY(:cards) AND NOT EXISTS "
                              "(SELECT 1 FROM notices n WHERE n.event_id = v.event_id) LIMIT 5", cards=cards.all())
        strays = _rows(hq, "SELECT n.notification_event, n.card_number, n.event_id FROM notices n "
                           "WHERE n.card_number = ANY(:cards) AND n.notification_event <> 'CARD_OPENED' AND NOT EXISTS "
                           "(SELECT 1 FROM transaction_views v WHERE v.event_id = n.event_id) LIMIT 5", cards=cards.all())
        raise AssertionError(f"{planned} notices planned, {expected_notices} expected; "
                             f"transactions without one: {unplanned}; notices of no transaction: {strays}")
    doubled = _rows(hq, "SELECT event_id, template_code FROM notices WHERE card_number = ANY(:cards) "
                        "GROUP BY event_id, template_code HAVING COUNT(*) > 1", cards=cards.all())
    assert doubled == []


def wait_for_notices(state, cards: Cards, expected: int, timeout: float = 180.0) -> int:  # type: ignore[no-untyped-def]
    """Notices planned for ``cards``, once the notifications group has caught up (or ``timeout``).

    The group runs behind the read models on a loaded machine, so a fixed wait is not enough: wait
    until the expected count is reached, or the group has nothing left to read and the count has
    stopped moving (then the count is what it will stay).
    """
    hq = state.database_urls["hq"]
    deadline = time.monotonic() + timeout
    last, steady_since = -1, time.monotonic()
    while True:
        planned = _rows(hq, "SELECT COUNT(*) FROM notices WHERE card_number = ANY(:cards)", cards=cards.all())[0][0]
        if planned >= expected or time.monotonic() > deadline:
            return planned
        if planned != last:
            last, steady_since = planned, time.monotonic()
        elif time.monotonic() - steady_since > 10 and _notifications_lag(state) == 0:
            return planned
        time.sleep(0.5)


def _notifications_lag(state) -> int | None:  # type: ignore[no-untyped-def]
    try:
        lags = consumer_lag(state.kafka_bootstrap, deployment_of(state), timeout=3.0)
    except KafkaError:
        return None
    return next((group.lag for group in lags if group.group_id.endswith(".hq-notifications")), None)


def wait_outbox_drained(state, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    for code in STORE_OF_REGION:
        while _rows(state.database_urls[f"region_{code}"], "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")[0][0]:
            assert time.monotonic() < deadline, "the relay did not publish everything"
            time.sleep(0.1)


def hq_applied(state) -> int:  # type: ignore[no-untyped-def]
    return _rows(state.database_urls["hq"], "SELECT COUNT(*) FROM transaction_views")[0][0]

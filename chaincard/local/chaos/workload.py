"""The chaos workload: concurrent tills, each a thread at one store agent's till port, doing what
tills do (register members, recharge, sell with split tenders, refund, void) on cards of both
regions (a card of the other region is a cross-region sale). Every request is retried with its
own request id while the answer is transient (as a till does), and its outcome is recorded for the
invariants: OK, ERROR (a final refusal) or LOST (no answer before the till gave up, or a refusal
that says the region may have received it)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from chaincard.chain_state import ChainState
from chaincard.ids import new_id
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

OK, ERROR, LOST = "OK", "ERROR", "LOST"
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
             grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.RESOURCE_EXHAUSTED}
# The store agent's refusal when the region may have taken the sale before it stopped answering.
IN_DOUBT = "may have received"
MONEY_KINDS = ("recharge", "checkout", "refund", "void")
SETUP_FEN = 500_000  # each card starts with ¥5,000
GIVE_UP_SECONDS = 30.0  # a till stops retrying one request after this long: its outcome is LOST


@dataclass
class Request:
    kind: str
    store_id: str
    card: str
    request_id: str
    outcome: str = ""
    code: str = ""
    detail: str = ""
    transaction_id: str = ""
    offline: bool = False
    attempts: int = 0
    skus: tuple[str, ...] = ()  # a checkout's basket, for a refund by lines


@dataclass
class Pool:
    """The cards in play, by home region, and the sales a till may refund or void."""

    cards: dict[str, list[str]] = field(default_factory=dict)
    sales: list[Request] = field(default_factory=list)
    setup: list[Request] = field(default_factory=list)  # the requests that opened and funded the first cards
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all(self) -> list[str]:
        with self.lock:
            return [card for cards in self.cards.values() for card in cards]

    def home(self, card: str) -> str:
        return "E" if card.startswith("8811") else "W" if card.startswith("8821") else next(
            code for code, cards in self.cards.items() if card in cards)


class Tills:
    """``per_store`` tills at each store agent of ``stores``, until ``stop()``."""

    def __init__(self, state: ChainState, stores: list[str], pool: Pool, seed: int, per_store: int = 2,
                 pause: float = 0.2, manager_tokens: dict[str, str] | None = None) -> None:
        self.state, self.stores, self.pool, self.pause = state, stores, pool, pause
        # A store manager logged in at each store's tills for refunds and voids (docs/security.md).
        self.manager_tokens = manager_tokens or {}
        self.requests: list[Request] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._till, args=(store, random.Random(seed * 1000 + index)),
                                          name=f"till-{store}-{index}", daemon=True)
                         for index, store in enumerate(store for store in stores for _ in range(per_store))]

    def start(self) -> Tills:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(GIVE_UP_SECONDS * 3)

    # ---- one till ------------------------------------------------------------------------------
    def _till(self, store: str, rng: random.Random) -> None:
        channel = self.state.channel(f"store-{store}")
        managed = self.state.channel(f"store-{store}", token=self.manager_tokens.get(store))
        till = Till(transactions_pb2_grpc.TransactionServiceStub(channel), cards_pb2_grpc.CardServiceStub(channel),
                    members_pb2_grpc.MemberServiceStub(channel), store, transactions_pb2_grpc.TransactionServiceStub(managed))
        try:
            while not self._stop.is_set():
                try:
                    request = self._one(till, rng)
                except Exception as error:  # noqa: BLE001 - a till's own bug is reported, the run goes on
                    with self._lock:
                        self.errors.append(f"{store}: {type(error).__name__}: {error}")
                    request = None
                if request is not None:
                    with self._lock:
                        self.requests.append(request)
                self._stop.wait(self.pause)
        finally:
            channel.close()
            managed.close()

    def _one(self, till: Till, rng: random.Random) -> Request | None:
        roll = rng.random()
        cards = self.pool.all()
        if roll < 0.05:
            request = till.register(rng)
            if request.outcome == OK:
                with self.pool.lock:
                    self.pool.cards.setdefault(self.pool.home(request.card), []).append(request.card)
            return request
        if roll < 0.20:
            return till.recharge(rng.choice(cards), rng.choice((10_000, 30_000, 50_000)), rng)
        if roll < 0.30:
            sale = self._sale_to_reverse(rng)
            return till.refund(sale, rng) if sale is not None else None
        if roll < 0.35:  # only the store that made a sale may void it
            sale = self._sale_to_reverse(rng, made_at=till.store_id)
            return till.void(sale) if sale is not None else None
        request = till.checkout(rng.choice(cards), rng)
        if request.outcome == OK and request.transaction_id and not request.offline:
            with self.pool.lock:
                self.pool.sales.append(request)
        return request

    def _sale_to_reverse(self, rng: random.Random, made_at: str = "") -> Request | None:
        """An online sale (made at ``made_at`` when given) to refund or void, taken out of the pool
        (each is reversed at most once)."""
        with self.pool.lock:
            candidates = [index for index, sale in enumerate(self.pool.sales) if not made_at or sale.store_id == made_at]
            if not candidates:
                return None
            return self.pool.sales.pop(rng.choice(candidates))


@dataclass
class Till:
    transactions: transactions_pb2_grpc.TransactionServiceStub
    cards: cards_pb2_grpc.CardServiceStub
    members: members_pb2_grpc.MemberServiceStub
    store_id: str
    manager: transactions_pb2_grpc.TransactionServiceStub | None = None  # the till with a store manager logged in

    def register(self, rng: random.Random) -> Request:
        """A new member with a stored-value card (two requests; recorded as one, by the card's)."""
        member = members_pb2.RegisterMemberRequest(request_id=new_id(), name="混沌 Chaos", phone=f"139{rng.randint(0, 99_999_999):08d}")
        request = Request("register", self.store_id, "", member.request_id)
        answer = _send(self.members.RegisterMember, member, request)
        if request.outcome != OK:
            return request
        opening = cards_pb2.OpenCardRequest(request_id=new_id(), member_id=answer.member.member_id, card_type_code="SV")
        request = Request("open-card", self.store_id, "", opening.request_id)
        opened = _send(self.cards.OpenCard, opening, request)
        if request.outcome == OK:
            request.card = opened.card.card_number
        return request

    def recharge(self, card: str, amount_fen: int, rng: random.Random) -> Request:
        tender = rng.choice((common_pb2.TENDER_TYPE_CASH, common_pb2.TENDER_TYPE_BANK_CARD, common_pb2.TENDER_TYPE_MOBILE_PAY))
        message = transactions_pb2.RechargeCardRequest(request_id=new_id(), card_number=card, amount_fen=amount_fen, tender=tender)
        request = Request("recharge", self.store_id, card, message.request_id)
        answer = _send(self.transactions.RechargeCard, message, request)
        if answer is not None:
            request.transaction_id = answer.transaction.transaction_id
        return request

    def checkout(self, card: str, rng: random.Random) -> Request:
        lines = [transactions_pb2.BasketLine(sku=f"SKU-{index}", name="商品 item", category=rng.choice(("drinks", "food")),
                                             quantity=rng.randint(1, 3), unit_price_fen=rng.choice((300, 1_000, 2_500)))
                 for index in range(rng.randint(1, 3))]
        total = sum(line.quantity * line.unit_price_fen for line in lines)
        tenders = []
        if rng.random() < 0.4:  # split tender: part from the card, the rest in cash or by phone
            tenders = [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=total // 2),
                       transactions_pb2.TenderRequest(type=rng.choice((common_pb2.TENDER_TYPE_CASH, common_pb2.TENDER_TYPE_MOBILE_PAY)))]
        message = transactions_pb2.CheckoutRequest(request_id=new_id(), card_number=card, lines=lines, tenders=tenders)
        request = Request("checkout", self.store_id, card, message.request_id, skus=tuple(line.sku for line in lines))
        answer = _send(self.transactions.Checkout, message, request)
        if answer is not None:
            request.transaction_id, request.offline = answer.transaction.transaction_id, answer.offline
        return request

    def refund(self, sale: Request, rng: random.Random) -> Request:
        # Part of the sale, by amount or by one unit of its first line. (Not amount 0 with no lines:
        # the proto says it refunds everything, the region refuses it; docs/reliability.md.)
        by_lines = rng.random() < 0.5 and bool(sale.skus)
        message = transactions_pb2.RefundSaleRequest(
            request_id=new_id(), card_number=sale.card, original_transaction_id=sale.transaction_id,
            lines=[transactions_pb2.RefundLine(sku=sale.skus[0], quantity=1)] if by_lines else [],
            amount_fen=0 if by_lines else rng.choice((100, 250)), reason="chaos")
        request = Request("refund", self.store_id, sale.card, message.request_id)
        _send((self.manager or self.transactions).RefundSale, message, request)
        return request

    def void(self, sale: Request) -> Request:
        message = transactions_pb2.VoidSaleRequest(request_id=new_id(), card_number=sale.card, original_transaction_id=sale.transaction_id,
                                                   reason="chaos")
        request = Request("void", self.store_id, sale.card, message.request_id)
        _send((self.manager or self.transactions).VoidSale, message, request)
        return request


def _send(method: Callable[..., Any], message: Any, request: Request) -> Any:
    """``method(message)`` retried with the same request id while transient; fills in the outcome."""
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while True:
        request.attempts += 1
        try:
            answer = method(message, timeout=10)
        except grpc.RpcError as error:
            code, detail = error.code(), error.details() or ""
            request.code, request.detail = code.name, detail[:200]
            if code in RETRYABLE and time.monotonic() < give_up:
                time.sleep(0.3)
                continue
            request.outcome = LOST if code in RETRYABLE or IN_DOUBT in detail else ERROR
            return None
        request.outcome, request.code, request.detail = OK, "OK", ""
        return answer


def open_cards(state: ChainState, stores: list[str], per_store: int) -> Pool:
    """``per_store`` members with a funded stored-value card at each store (before any fault), each
    card then looked up at every store, so any store may stand in for it offline."""
    pool = Pool()
    for store in stores:
        with state.channel(f"store-{store}") as channel:
            till = Till(transactions_pb2_grpc.TransactionServiceStub(channel), cards_pb2_grpc.CardServiceStub(channel),
                        members_pb2_grpc.MemberServiceStub(channel), store)
            rng = random.Random(store)
            for _ in range(per_store):
                opened = till.register(rng)
                if opened.outcome != OK:
                    raise RuntimeError(f"opening a card at {store} failed: {opened.code} {opened.detail}")
                funded = till.recharge(opened.card, SETUP_FEN, rng)
                if funded.outcome != OK:
                    raise RuntimeError(f"funding {opened.card} at {store} failed: {funded.code} {funded.detail}")
                pool.cards.setdefault(pool.home(opened.card), []).append(opened.card)
                pool.setup += [opened, funded]
    for store in stores:
        with state.channel(f"store-{store}") as channel:
            stub = cards_pb2_grpc.CardServiceStub(channel)
            for card in pool.all():
                stub.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=20)
    return pool

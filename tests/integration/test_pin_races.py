"""A ResetPin racing sales with a wrong PIN (docs/adr/0013), over real gRPC and PostgreSQL.

A sale checks its cards' PINs under its own card lock, and a wrong PIN is counted in that
transaction, which then commits with the count alone: no ResetPin can come between the check and
the count. Every sale is answered with a precise status — taken, wrong PIN, or PIN locked — never
INTERNAL, and every wrong-PIN refusal is counted exactly once.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import grpc

from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, common_pb2, members_pb2, transactions_pb2
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import rows as _rows
from tests.support.sql import scalar as _scalar

OLD_PIN = "135791"
SALE_PIN = "246802"  # wrong until a reset sets it
CARDS = 3
SALE_THREADS = 2
SALES_PER_THREAD = 4  # with the resets' checks, within a card's burst of PIN attempts (10)
RESETS = 4
PRICE = 1_000


def _card_with_pin(east) -> str:  # type: ignore[no-untyped-def]
    member = east.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-E-001", name="PIN race", phone=f"137{random.randint(0, 99_999_999):08d}"), timeout=10).member
    card = east.cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id="S-E-001", member_id=member.member_id, card_type_code="SV"), timeout=10).card.card_number
    east.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, amount_fen=100_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    east.cards.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin=OLD_PIN), timeout=10)
    return card


def _sale(card: str) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(request_id=new_id(), store_id="S-E-001", card_number=card, pin=SALE_PIN, lines=[
        transactions_pb2.BasketLine(sku="TEA-001", name="Longjing", category="tea", quantity=1, unit_price_fen=PRICE)])


def _reset(card: str, pin: str) -> cards_pb2.ResetPinRequest:
    return cards_pb2.ResetPinRequest(request_id=new_id(), store_id="S-E-001", card_number=card, new_pin=pin,
                                     operator_id="manager-1", reason="ID card seen")


def test_a_reset_pin_racing_sales_with_a_wrong_pin_never_fails_them_and_counts_each_refusal_once(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    cards = [_card_with_pin(east) for _ in range(CARDS)]
    outcomes: dict[str, list[tuple[str, str]]] = {card: [] for card in cards}
    failures: list[BaseException] = []
    start = threading.Barrier(CARDS * (SALE_THREADS + 1))

    def sell(card: str) -> None:
        start.wait()
        for _ in range(SALES_PER_THREAD):
            try:
                east.transactions.Checkout(_sale(card), timeout=30)
                outcomes[card].append(("OK", ""))
            except grpc.RpcError as refused:
                outcomes[card].append((refused.code().name, refused.details() or ""))

    def reset(card: str) -> None:
        start.wait()
        try:
            # Alternately the PIN the sales give and another; the last reset leaves the sales' PIN.
            for index in range(RESETS):
                east.cards.ResetPin(_reset(card, SALE_PIN if index % 2 == 0 else OLD_PIN), timeout=30)
            east.cards.ResetPin(_reset(card, SALE_PIN), timeout=30)
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)

    threads = [threading.Thread(target=sell, args=(card,)) for card in cards for _ in range(SALE_THREADS)]
    threads += [threading.Thread(target=reset, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures

    for card in cards:
        codes = Counter(code for code, _ in outcomes[card])
        assert len(outcomes[card]) == SALE_THREADS * SALES_PER_THREAD
        assert set(codes) <= {"OK", "PERMISSION_DENIED", "FAILED_PRECONDITION"}, outcomes[card]
        for code, details in outcomes[card]:
            if code == "PERMISSION_DENIED":
                assert details.startswith("wrong PIN ("), details
            if code == "FAILED_PRECONDITION":
                assert "is locked after too many wrong attempts" in details, details
        # Each wrong PIN was counted (and audited) exactly once, each sale taken posted once.
        counted = _scalar(url, "SELECT COUNT(*) FROM audit_log WHERE target_id = :card "
                               "AND action IN ('pin.wrong_attempt', 'pin.lock')", card=card)
        assert counted == codes["PERMISSION_DENIED"]
        assert _scalar(url, "SELECT COUNT(*) FROM ledger_transactions WHERE card_number = :card AND type = 'SPEND'",
                       card=card) == codes["OK"]
        assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) <= 5

        # The last reset set the sales' PIN: the next sale is taken and clears the count.
        east.transactions.Checkout(_sale(card), timeout=30)
        assert _rows(url, "SELECT failed_pin_attempts, pin_locked_until FROM cards WHERE card_number = :card",
                     card=card)[0] == (0, None)
        principal = _scalar(url, "SELECT balance FROM ledger_accounts WHERE card_number = :card AND asset = 'STORED_VALUE_PRINCIPAL'",
                            card=card)
        assert principal == 100_000 - (codes["OK"] + 1) * PRICE
    assert_ledger_consistent(url)

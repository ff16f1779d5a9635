"""Exactly once under concurrency (X3, X5): a card is spent only as far as its balance, whichever
region the spends come through, and a request id posts once however often it is sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, transactions_pb2
from tests.support.cards import funded_card
from tests.support.ledger import assert_ledger_consistent


def _sale(card: str, store_id: str, price: int, request_id: str | None = None) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=request_id or new_id(), store_id=store_id, card_number=card,
        lines=[transactions_pb2.BasketLine(sku="X", name="x", category="misc", quantity=1, unit_price_fen=price)],
    )


def _outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


def _ledger_rows(database_url: str, card: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT COUNT(*) FROM ledger_transactions WHERE card_number = :c"), {"c": card}).scalar_one()
    finally:
        engine.dispose()


def test_fifty_concurrent_spends_through_two_regions_take_exactly_the_balance(regions):
    card = funded_card(regions.clients["E"], 100_000, "S-E-001")
    calls = []
    for index in range(50):
        region, store = ("E", "S-E-001") if index % 2 == 0 else ("W", "S-W-002")
        stub = regions.clients[region].transactions
        calls.append(lambda stub=stub, store=store: stub.Checkout(_sale(card, store, 10_000), timeout=30))
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(_outcome, calls))
    assert outcomes.count("OK") == 10, outcomes
    assert outcomes.count("FAILED_PRECONDITION") == 40, outcomes
    balance = regions.clients["W"].cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert balance.principal_fen == 0
    assert _ledger_rows(regions.database_urls["E"], card) == 11  # the recharge and ten sales
    assert_ledger_consistent(regions.database_urls["E"])


def test_one_request_sent_five_times_at_once_posts_once(regions):
    card = funded_card(regions.clients["W"], 10_000, "S-W-001")
    request = _sale(card, "S-E-001", 1_234)
    # Some copies go straight to the home region W, some through E (forwarded with the same id).
    stubs = [regions.clients["W"].transactions, regions.clients["E"].transactions] * 3
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda stub: stub.Checkout(request, timeout=30), stubs[:5]))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0].balances_after.principal_fen == 10_000 - 1_234
    assert _ledger_rows(regions.database_urls["W"], card) == 2
    with pytest.raises(grpc.RpcError) as changed:
        regions.clients["E"].transactions.Checkout(_sale(card, "S-E-001", 999, request_id=request.request_id), timeout=10)
    assert changed.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _ledger_rows(regions.database_urls["W"], card) == 2
    assert_ledger_consistent(regions.database_urls["W"])

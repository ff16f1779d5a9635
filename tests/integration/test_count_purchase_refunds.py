"""Refunds and voids of count-use purchases (K1, K2, K4; docs/adr/0035) on real regions over gRPC:
a same-day void takes the purchase back whole; a refund returns what is unused — 7 of 10 uses at
their value exactly, a package's packs, a pass's unused days pro rata — and never twice, not even
to two refunds racing; expired uses are refused naming why; the ledger's invariants after each."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.config import Settings
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, program_config_pb2, program_config_pb2_grpc, transactions_pb2
from store_agent.bootstrap import start_store
from tests.support.cards import assert_refused, funded_card
from tests.support.count_products import TIME_CARD, buy_package, set_products_programme
from tests.support.count_uses import COUNT_CARD, packs_of, purchase, wash_sale
from tests.support.ledger import assert_ledger_consistent

CARD = common_pb2.TENDER_TYPE_STORED_VALUE


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_products_programme(regions)
    return regions


def _refund(card: str, original: str, **lines: int) -> transactions_pb2.RefundSaleRequest:
    return transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=original, reason="changed mind",
        lines=[transactions_pb2.RefundLine(sku=item, quantity=uses) for item, uses in lines.items()])


def _void(card: str, original: str) -> transactions_pb2.VoidSaleRequest:
    return transactions_pb2.VoidSaleRequest(request_id=new_id(), store_id="S-E-001", card_number=card,
                                            original_transaction_id=original, reason="wrong item")


def _stored_value(clients, card: str) -> int:  # type: ignore[no-untyped-def]
    balance = clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    return balance.principal_fen + balance.bonus_fen


def _texts(answer) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(line.text for line in answer.receipt)


def test_a_same_day_void_takes_the_purchase_back_whole(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "WASH", tender=CARD), timeout=10)
    void = clients.transactions.VoidSale(_void(card, bought.transaction.transaction_id), timeout=10)
    assert void.transaction.type == common_pb2.TRANSACTION_TYPE_VOID
    assert void.transaction.original_transaction_id == bought.transaction.transaction_id
    assert [(t.type, t.amount_fen, t.principal_fen + t.bonus_fen) for t in void.tenders] == [(CARD, 30_000, 30_000)]
    assert (void.transaction.principal_delta_fen, void.transaction.bonus_delta_fen) == (
        -bought.transaction.principal_delta_fen, -bought.transaction.bonus_delta_fen)  # the purchase's own split
    assert [(d.item_code, d.uses_delta) for d in void.transaction.count_use_deltas] == [("WASH", -10)]
    assert list(void.balances_after.count_uses) == []
    assert "Uses removed WASH" in _texts(void) and "Back to stored value" in _texts(void)
    assert _stored_value(clients, card) == 100_000
    assert packs_of(url, card) == [("WASH", 10, 0)]
    assert_refused(clients.transactions.VoidSale, _void(card, bought.transaction.transaction_id),
                   grpc.StatusCode.FAILED_PRECONDITION, "already refunded or voided")
    # Paid in cash, the void gives the cash back at the till; once a use is gone, only a refund.
    cash = clients.transactions.PurchaseCountUses(purchase(card, "WASH"), timeout=10)
    clients.transactions.Checkout(wash_sale(card, 1), timeout=10)
    assert_refused(clients.transactions.VoidSale, _void(card, cash.transaction.transaction_id),
                   grpc.StatusCode.FAILED_PRECONDITION, "refund the rest instead")
    pass_card = funded_card(clients, 0, card_type=TIME_CARD)
    month = clients.transactions.PurchaseCountUses(purchase(pass_card, "MONTH"), timeout=10)
    voided = clients.transactions.VoidSale(_void(pass_card, month.transaction.transaction_id), timeout=10)
    assert [(t.type, t.amount_fen) for t in voided.tenders] == [(common_pb2.TENDER_TYPE_CASH, 20_000)]
    assert not [held for held in voided.balances_after.count_uses if held.time_pass]
    assert_ledger_consistent(url)


def test_a_refund_after_3_of_10_uses_returns_7_uses_value_and_a_second_only_what_is_left(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "WASH", tender=CARD), timeout=10)  # 10 uses, ¥300
    clients.transactions.Checkout(wash_sale(card, 3), timeout=10)
    original = bought.transaction.transaction_id
    request = _refund(card, original, WASH=4)
    part = clients.transactions.RefundSale(request, timeout=10)
    assert clients.transactions.RefundSale(request, timeout=10) == part  # a retry refunds once
    assert (part.refund_fen, part.principal_restored_fen + part.bonus_restored_fen) == (12_000, 12_000)
    assert [(d.item_code, d.uses_delta) for d in part.transaction.count_use_deltas] == [("WASH", -4)]
    rest = clients.transactions.RefundSale(_refund(card, original), timeout=10)
    assert rest.refund_fen == 9_000  # the 3 left; with the 4, the 7 unused uses of ¥300 / 10: ¥210.00 exactly
    assert part.refund_fen + rest.refund_fen == 21_000
    assert "Uses removed WASH" in _texts(rest) and "90.00" in _texts(rest)
    assert _stored_value(clients, card) == 100_000 - 30_000 + 21_000
    assert packs_of(url, card) == [("WASH", 10, 0)]
    assert_refused(clients.transactions.RefundSale, _refund(card, original), grpc.StatusCode.FAILED_PRECONDITION,
                   "nothing of purchase")
    assert_refused(clients.transactions.RefundSale, _refund(card, original, WASH=11), grpc.StatusCode.INVALID_ARGUMENT,
                   "lines[0].quantity")
    assert_refused(clients.transactions.RefundSale, _refund(card, original, WAX=1), grpc.StatusCode.INVALID_ARGUMENT,
                   "lines[0].sku")
    by_amount = _refund(card, original)
    by_amount.amount_fen = 100
    assert_refused(clients.transactions.RefundSale, by_amount, grpc.StatusCode.INVALID_ARGUMENT, "amount_fen")
    assert_ledger_consistent(url)


def test_a_package_refund_returns_each_packs_unused_uses(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(buy_package(card, tender=CARD), timeout=10)  # WASH ¥266.66, WAX ¥133.34
    clients.transactions.Checkout(wash_sale(card, 1), timeout=10)  # one wash: ¥26.66 of its pack
    refund = clients.transactions.RefundSale(_refund(card, bought.transaction.transaction_id), timeout=10)
    assert refund.refund_fen == (26_666 - 2_666) + 13_334
    assert sorted((d.item_code, d.uses_delta) for d in refund.transaction.count_use_deltas) == [("WASH", -9), ("WAX", -5)]
    assert sorted(packs_of(url, card)) == [("WASH", 10, 0), ("WAX", 5, 0)]
    assert _stored_value(clients, card) == 100_000 - 40_000 + refund.refund_fen
    # A package of a pass and a pack, unused: its 30 days and 5 uses, the whole price, to the card.
    holder = funded_card(clients, 50_000, card_type=TIME_CARD)
    both = clients.transactions.PurchaseCountUses(buy_package(holder, "SET-MONTH", tender=CARD), timeout=10)
    whole = clients.transactions.RefundSale(_refund(holder, both.transaction.transaction_id), timeout=10)
    assert (whole.refund_fen, whole.principal_restored_fen + whole.bonus_restored_fen) == (30_000, 30_000)
    assert "Pass MONTH days" in _texts(whole) and "Uses removed WAX" in _texts(whole)
    assert not [held for held in whole.balances_after.count_uses if held.time_pass or held.uses]
    assert _stored_value(clients, holder) == 50_000
    assert_ledger_consistent(url)


def test_a_time_pass_refunds_its_unused_days_pro_rata_from_tomorrow_when_used_today(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, card_type=TIME_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "MONTH"), timeout=10)  # 30 days, ¥200, cash
    clients.transactions.Checkout(wash_sale(card, 1, item="MONTH"), timeout=10)
    refund = clients.transactions.RefundSale(_refund(card, bought.transaction.transaction_id), timeout=10)
    assert refund.refund_fen == 20_000 * 29 // 30  # 29 unused days: today's was used
    assert [(t.type, t.amount_fen) for t in refund.tenders] == [(common_pb2.TENDER_TYPE_CASH, 19_333)]
    assert "Pass MONTH days" in _texts(refund) and "-29" in _texts(refund)
    held = next(b for b in refund.balances_after.count_uses if b.time_pass)
    end = held.period_ends_at.ToDatetime(tzinfo=UTC)
    assert end <= datetime.now(UTC) + timedelta(days=1)
    assert_refused(clients.transactions.RefundSale, _refund(card, bought.transaction.transaction_id),
                   grpc.StatusCode.FAILED_PRECONDITION, "nothing of purchase")
    # An unused pass bought after it moves back to follow it; its refund gives all its days back.
    later = clients.transactions.PurchaseCountUses(purchase(card, "MONTH"), timeout=10)
    whole = clients.transactions.RefundSale(_refund(card, later.transaction.transaction_id), timeout=10)
    assert whole.refund_fen == 20_000
    assert_ledger_consistent(url)


def test_an_expired_pack_is_not_refunded(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "WASH"), timeout=10)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:  # 30 days on: the pack's expiry has passed
            connection.execute(text("UPDATE count_use_packs SET bought_at = bought_at - interval '31 days', "
                                    "expires_at = expires_at - interval '31 days' WHERE card_number = :card"), {"card": card})
    finally:
        engine.dispose()
    for request in (_refund(card, bought.transaction.transaction_id), _refund(card, bought.transaction.transaction_id, WASH=2)):
        assert_refused(clients.transactions.RefundSale, request, grpc.StatusCode.FAILED_PRECONDITION,
                       "expired uses are not refunded")
    assert packs_of(url, card) == [("WASH", 10, 10)]
    assert_ledger_consistent(url)


def test_two_refunds_racing_refund_once(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "WASH", tender=CARD), timeout=10)
    requests = [_refund(card, bought.transaction.transaction_id) for _ in range(4)]

    def attempt(request: transactions_pb2.RefundSaleRequest) -> int | str:
        try:
            return clients.transactions.RefundSale(request, timeout=30).refund_fen
        except grpc.RpcError as error:
            return error.code().name

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, requests))
    assert sorted(outcomes, key=str) == [30_000, "FAILED_PRECONDITION", "FAILED_PRECONDITION", "FAILED_PRECONDITION"]
    assert _stored_value(clients, card) == 100_000
    assert packs_of(url, card) == [("WASH", 10, 0)]
    assert_ledger_consistent(url)


@pytest.fixture(scope="module")
def store_endpoint(programme, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A store agent of S-E-001 on region E, for the cashier's CLI."""
    with open_channel(programme.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    database = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}"
    running = start_store(Settings(listen="127.0.0.1:0", store_id="S-E-001", region_endpoint=endpoint, database_url=database,
                                   rpc_deadline_seconds=5.0, insecure=True))
    try:
        yield f"127.0.0.1:{running.port}"
    finally:
        running.stop(grace=1)


def _pos(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaincard.cli", "pos", "--store", endpoint, *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8", "CHAINCARD_INSECURE": "1"})


def test_the_cashier_cli_refunds_and_voids_a_purchase_with_its_receipt(programme, store_endpoint):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "WASH", tender=CARD), timeout=10)
    refunded = _pos(store_endpoint, "refund", card, bought.transaction.transaction_id, "--uses", "WASH:2", "--reason", "moving")
    assert refunded.returncode == 0, refunded.stderr
    assert "REFUNDED ¥60.00" in refunded.stdout and "uses removed: WASH 2" in refunded.stdout
    assert "money back to the card: ¥60.00" in refunded.stdout and "Uses removed WASH" in refunded.stdout
    again = clients.transactions.PurchaseCountUses(purchase(card, "WASH"), timeout=10)
    voided = _pos(store_endpoint, "void", card, again.transaction.transaction_id)
    assert voided.returncode == 0, voided.stderr
    assert "VOIDED" in voided.stdout and "money back at the till: ¥300.00 (cash)" in voided.stdout
    twice = _pos(store_endpoint, "void", card, again.transaction.transaction_id)
    assert twice.returncode == 1 and "already refunded or voided" in twice.stderr
    assert_ledger_consistent(programme.database_urls["E"])


def test_a_purchase_refund_is_not_a_use_of_the_days_quota(programme):  # type: ignore[no-untyped-def]
    clients, url = programme.clients["E"], programme.database_urls["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    bought = clients.transactions.PurchaseCountUses(purchase(card, "WASH-E1"), timeout=10)  # 5 uses, 2 a day at S-E-001
    refund = clients.transactions.RefundSale(_refund(card, bought.transaction.transaction_id, **{"WASH-E1": 3}), timeout=10)
    assert refund.refund_fen == 6_000
    sale = clients.transactions.Checkout(wash_sale(card, 2, item="WASH-E1"), timeout=10)  # the day's 2 uses, still free
    assert [(d.item_code, d.uses_delta) for d in sale.transaction.count_use_deltas] == [("WASH-E1", -2)]
    assert packs_of(url, card) == [("WASH-E1", 5, 0)]
    assert_ledger_consistent(url)

"""Packages (K2), time cards (K4) and the expiry of packs on real regions over gRPC (docs/adr/0030):
a package's price split per item onto its packs; a time pass bought, extended, used under its
daily cap, released by a refund, and refused to a card type that is not time-limited; due packs
expired once when the job runs twice; the ledger's invariants after each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, program_config_pb2_grpc, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service.count_pack_expiry import expire_due_packs
from tests.support.cards import assert_refused, funded_card
from tests.support.count_products import TIME_CARD, buy_package, set_products_programme
from tests.support.count_uses import COUNT_CARD, packs_of, purchase, wash_sale
from tests.support.ledger import assert_ledger_consistent
from tests.support.regions import region_context


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_products_programme(regions)
    return regions


def _rows(database_url: str, sql: str, card: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            return [tuple(row) for row in connection.execute(text(sql), {"card": card})]
    finally:
        engine.dispose()


def test_a_package_adds_each_item_with_its_share_of_the_price(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 100_000, card_type=COUNT_CARD)
    request = buy_package(card, tender=common_pb2.TENDER_TYPE_STORED_VALUE)
    answer = clients.transactions.PurchaseCountUses(request, timeout=10)
    assert clients.transactions.PurchaseCountUses(request, timeout=10) == answer  # a retry sells once
    assert (answer.amount_fen, answer.uses_added, answer.package_code) == (40_000, 15, "SET")
    assert [(b.item_code, b.uses) for b in answer.count_use_balances] == [("WASH", 10), ("WAX", 5)]
    assert answer.balances_after.principal_fen + answer.balances_after.bonus_fen == 60_000
    assert sorted((d.item_code, d.uses_delta) for d in answer.transaction.count_use_deltas) == [("WASH", 10), ("WAX", 5)]
    # ¥300 and ¥150 alone: ¥400 split 2:1, the remainder fen on the last item.
    shares = _rows(programme.database_urls["E"], "SELECT item_code, price_fen, package_code, expires_at - bought_at "
                   "FROM count_use_packs WHERE card_number = :card ORDER BY item_code", card)
    assert shares == [("WASH", 26_666, "SET", timedelta(days=90)), ("WAX", 13_334, "SET", timedelta(days=90))]
    assert any("WAX share" in line.text and "133.34" in line.text for line in answer.receipt)
    assert sorted(packs_of(programme.database_urls["E"], card)) == [("WASH", 10, 10), ("WAX", 5, 5)]
    assert_ledger_consistent(programme.database_urls["E"])


def test_package_refusals_name_the_field_and_change_nothing(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    both = buy_package(card)
    both.item_code = "WASH"
    assert "package_code" in assert_refused(clients.transactions.PurchaseCountUses, both, grpc.StatusCode.INVALID_ARGUMENT)
    assert_refused(clients.transactions.PurchaseCountUses, buy_package(card, "NOPE"), grpc.StatusCode.INVALID_ARGUMENT, "package_code")
    assert_refused(clients.transactions.PurchaseCountUses, buy_package(card, "SET-OFF"), grpc.StatusCode.FAILED_PRECONDITION,
                   "no longer sold")
    assert_refused(clients.transactions.PurchaseCountUses, purchase(card, "WAX"), grpc.StatusCode.FAILED_PRECONDITION,
                   "only in packages")
    # A package holding a time item needs a time-limited card type.
    assert_refused(clients.transactions.PurchaseCountUses, buy_package(card, "SET-MONTH"), grpc.StatusCode.FAILED_PRECONDITION,
                   "time_limited")
    assert packs_of(programme.database_urls["E"], card) == []


def test_hq_refuses_a_package_of_unknown_items(programme):  # type: ignore[no-untyped-def]
    with open_channel(programme.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        bad = pc.CountPackage(code="BAD", name="Bad", price_fen=100, items=[pc.CountPackageItem(item_code="NOPE", uses=1)])
        assert_refused(program.UpsertCountPackage, pc.UpsertCountPackageRequest(request_id=new_id(), count_package=bad),
                       grpc.StatusCode.INVALID_ARGUMENT, "count_package.items[0].item_code")
        twice = pc.CountPackage(code="BAD", name="Bad", price_fen=100, items=[pc.CountPackageItem(item_code="WASH", uses=1)] * 2)
        assert_refused(program.UpsertCountPackage, pc.UpsertCountPackageRequest(request_id=new_id(), count_package=twice),
                       grpc.StatusCode.INVALID_ARGUMENT, "count_package.items[1].item_code")


def _pass(clients, card: str) -> common_pb2.CountUseBalance:  # type: ignore[no-untyped-def]
    balance = clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    return next(held for held in balance.count_uses if held.time_pass)


def test_a_time_pass_is_bought_extended_used_under_its_cap_and_released_by_a_refund(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    assert_refused(clients.transactions.PurchaseCountUses, purchase(funded_card(clients, 0, card_type=COUNT_CARD), "MONTH"),
                   grpc.StatusCode.FAILED_PRECONDITION, "time_limited")
    card = funded_card(clients, 0, card_type=TIME_CARD)
    refused = assert_refused(clients.transactions.Checkout, wash_sale(card, 1, item="MONTH"), grpc.StatusCode.FAILED_PRECONDITION)
    assert "no time pass of MONTH" in refused
    before = datetime.now(UTC)
    first = clients.transactions.PurchaseCountUses(purchase(card, "MONTH"), timeout=10)
    second = clients.transactions.PurchaseCountUses(purchase(card, "MONTH", 2), timeout=10)
    assert (first.uses_added, first.amount_fen, second.amount_fen) == (0, 20_000, 40_000)
    end = second.expires_at.ToDatetime(tzinfo=UTC)
    assert before + timedelta(days=90) <= end <= datetime.now(UTC) + timedelta(days=90)  # extended from the first's end
    held = second.count_use_balance
    assert (held.time_pass, held.uses, held.daily_cap_uses, held.used_today) == (True, 0, 2, 0)
    assert held.period_ends_at == second.expires_at
    assert not second.transaction.count_use_deltas  # a pass moves no uses on the ledger

    sale = clients.transactions.Checkout(wash_sale(card, 2, item="MONTH"), timeout=10)
    assert sale.total_due_fen == 6_000 and not sale.transaction.count_use_deltas
    assert any("Pass MONTH -2" in line.text and "2/2 today" in line.text for line in sale.receipt), "\n".join(line.text for line in sale.receipt)
    assert _pass(clients, card).used_today == 2
    assert_refused(clients.transactions.Checkout, wash_sale(card, 1, item="MONTH"), grpc.StatusCode.FAILED_PRECONDITION,
                   "2 uses per day")
    refund = clients.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale.transaction.transaction_id,
        lines=[transactions_pb2.RefundLine(sku="WASH-1", quantity=1)], reason="one wash not done"), timeout=10)
    assert any("Pass uses back MONTH" in line.text for line in refund.receipt)
    assert _pass(clients, card).used_today == 1
    clients.transactions.Checkout(wash_sale(card, 1, item="MONTH"), timeout=10)  # the released use
    uses = _rows(programme.database_urls["E"], "SELECT uses FROM count_time_uses WHERE card_number = :card ORDER BY created_at", card)
    assert uses == [(2,), (-1,), (1,)]
    assert_ledger_consistent(programme.database_urls["E"])


def test_due_packs_expire_once_when_the_job_runs_twice(programme):  # type: ignore[no-untyped-def]
    clients = programme.clients["E"]
    card = funded_card(clients, 0, card_type=COUNT_CARD)
    clients.transactions.PurchaseCountUses(purchase(card, "WASH"), timeout=10)  # 10 uses, 30 days
    clients.transactions.Checkout(wash_sale(card, 3), timeout=10)
    later = datetime.now(UTC) + timedelta(days=31)
    with region_context(programme) as ctx:
        first = expire_due_packs(ctx, now=later)
        again = expire_due_packs(ctx, now=later)
    assert first.cards >= 1 and again.uses == 0
    assert packs_of(programme.database_urls["E"], card) == [("WASH", 10, 0)]
    expired = _rows(programme.database_urls["E"], "SELECT details FROM ledger_transactions WHERE card_number = :card "
                    "AND type = 'COUNT_USES_EXPIRY'", card)
    assert [row[0]["count_uses"] for row in expired] == [{"WASH": -7}]
    history = clients.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert list(history.count_uses) == []
    assert_ledger_consistent(programme.database_urls["E"])

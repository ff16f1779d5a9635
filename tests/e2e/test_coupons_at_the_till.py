"""Coupons at the till, through store agents on a whole chain of real processes (mutual TLS): two
tills in two regions race for one coupon of an East card, twenty times; QuoteCheckout at the store
prices what Checkout charges; the cashier's `chaincard pos quote` and `pos sell --coupon`
(docs/adr/0021)."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.local.accounts import operator_token
from chaincard.security.identity import Role, Scope
from chaincard.v1 import (
    cards_pb2_grpc,
    common_pb2,
    members_pb2_grpc,
    program_config_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from tests.support.cards import funded_card
from tests.support.coupon_rows import (
    cash_voucher,
    coupon,
    coupon_flow,
    ledger_transactions,
    percent_off,
    put_coupon,
    state_changes,
    upsert_templates,
    wait_until_priced,
)
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.e2e

SUFFIX = new_id()[-6:].upper()
CASH, PERCENT = f"E2E-CASH-{SUFFIX}", f"E2E-PCT-{SUFFIX}"
DEADLINE = 30.0
# The card's stored value pays what is due (the quote then shows the tender as the sale applies it).
STORED_VALUE = transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)


class Till:
    """A till's stubs at one store agent (which fills in its own store id)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.members = members_pb2_grpc.MemberServiceStub(channel)
        self.cards = cards_pb2_grpc.CardServiceStub(channel)
        self.transactions = transactions_pb2_grpc.TransactionServiceStub(channel)


def _sale(card: str, codes: list[str], *, price_fen: int = 12_000, points: int = 0) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), card_number=card, coupon_codes=codes, points_to_redeem=points, tenders=[STORED_VALUE],
        lines=[transactions_pb2.BasketLine(sku="TEA-1", name="Longjing", category="tea", quantity=1, unit_price_fen=price_fen)])


def _quote_of(sale: transactions_pb2.CheckoutRequest) -> transactions_pb2.QuoteCheckoutRequest:
    return transactions_pb2.QuoteCheckoutRequest(card_number=sale.card_number, lines=sale.lines, tenders=sale.tenders,
                                                 points_to_redeem=sale.points_to_redeem, coupon_codes=sale.coupon_codes)


@pytest.fixture(scope="module")
def tills(chain):
    admin = operator_token(chain, "e2e-coupon-admin", Role.HQ_ADMIN, Scope.chain())
    with chain.channel("hq", token=admin) as channel:
        upsert_templates(program_config_pb2_grpc.ProgramConfigServiceStub(channel), [
            cash_voucher(CASH, 2_000, min_spend_fen=10_000),
            percent_off(PERCENT, 1_000, max_discount_fen=1_500, issuer_franchisee_id="F-BAMBOO"),
        ])
    channels = {store: chain.channel(f"store-{store}") for store in ("S-E-001", "S-E-002", "S-W-001", "S-W-002")}
    try:
        opened = {store: Till(channel) for store, channel in channels.items()}
        # Region E prices coupons once HQ's new templates reach it (within its snapshot's age).
        card = funded_card(opened["S-E-001"], 50_000, store_id="")
        url = chain.database_urls["region_E"]
        for template in (CASH, PERCENT):
            code = put_coupon(url, "E", card, template)
            wait_until_priced(lambda request: opened["S-W-001"].transactions.QuoteCheckout(request, timeout=DEADLINE),
                              _quote_of(_sale(card, [code])))
        yield opened
    finally:
        for channel in channels.values():
            channel.close()


def _attempt(call: Any) -> tuple[str, str, Any]:
    try:
        return "OK", "", call()
    except grpc.RpcError as error:
        return error.code().name, error.details() or "", None


def test_two_tills_in_two_regions_race_for_one_coupon_twenty_times_and_one_sale_uses_it(chain, tills):
    url = chain.database_urls["region_E"]
    card = funded_card(tills["S-E-001"], 20 * 12_000, store_id="")
    racers = (tills["S-E-001"].transactions, tills["S-W-001"].transactions)  # the W store's region forwards to E
    winners = []
    for _round in range(20):
        code = put_coupon(url, "E", card, CASH)
        barrier = threading.Barrier(2)
        outcomes: list[tuple[str, str, Any]] = [("", "", None), ("", "", None)]

        def race(index: int, code: str = code, barrier: threading.Barrier = barrier, outcomes: list = outcomes) -> None:
            request = _sale(card, [code])
            barrier.wait()
            outcomes[index] = _attempt(lambda: racers[index].Checkout(request, timeout=DEADLINE))

        threads = [threading.Thread(target=race, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(status for status, _, _ in outcomes) == ["FAILED_PRECONDITION", "OK"], outcomes
        (_, _, sale), = [o for o in outcomes if o[0] == "OK"]
        (_, refused, _), = [o for o in outcomes if o[0] != "OK"]
        assert f"coupon_codes[0]: coupon {code}" in refused, refused
        assert not sale.offline and [c.coupon_code for c in sale.coupons] == [code]
        assert coupon(url, code).redeemed_transaction_id == sale.transaction.transaction_id
        winners.append(sale.transaction.transaction_id)

    posted = ledger_transactions(url, card)
    assert [t.type for t in posted] == ["RECHARGE"] + ["SPEND"] * 20
    assert sorted(t.transaction_id for t in posted[1:]) == sorted(winners)
    assert state_changes(url, card) == 20
    assert coupon_flow(url, winners) == {"COUPON_EXPENSE:F-HQ": -40_000, "COUPON_REDEEMED:F-HQ": 40_000}
    assert_ledger_consistent(url)


@pytest.mark.parametrize(("store", "template", "price_fen", "points"), [
    ("S-E-002", CASH, 12_000, 0),
    ("S-W-002", PERCENT, 30_000, 0),
    ("S-W-001", CASH, 15_000, 200),
    ("S-E-001", None, 8_000, 0),
], ids=["cash-coupon-east", "percent-coupon-west", "cash-coupon-and-points-west", "no-coupon-east"])
def test_the_quote_at_the_store_is_what_checkout_charges(chain, tills, store, template, price_fen, points):
    url = chain.database_urls["region_E"]
    # A gold card: recharged ¥1,000 it gets 200 points (the demo's WINTER-2026 promotion) and 5% off tea.
    card = funded_card(tills["S-E-001"], 100_000, store_id="", card_type="GOLD")
    codes = [put_coupon(url, "E", card, template)] if template else []
    till = tills[store].transactions
    sale = _sale(card, codes, price_fen=price_fen, points=points)
    before = len(ledger_transactions(url, card))
    quoted = till.QuoteCheckout(_quote_of(sale), timeout=DEADLINE)
    assert len(ledger_transactions(url, card)) == before and state_changes(url, card) == 0  # nothing written
    assert not quoted.rejected_coupons and len(quoted.coupons) == len(codes)
    paid = till.Checkout(sale, timeout=DEADLINE)
    assert not paid.offline
    for field in ("subtotal_fen", "discount_fen", "points_deduction_fen", "total_due_fen", "points_earned", "points_redeemed"):
        assert getattr(quoted, field) == getattr(paid, field), field
    assert (list(quoted.tenders), list(quoted.lines), list(quoted.coupons)) == (list(paid.tenders), list(paid.lines), list(paid.coupons))
    assert quoted.balances.principal_fen == 100_000
    assert_ledger_consistent(url)


def test_the_cashier_quotes_then_sells_with_a_coupon(chain, tills):
    url = chain.database_urls["region_E"]
    card = funded_card(tills["S-E-002"], 50_000, store_id="")
    code = put_coupon(url, "E", card, CASH)
    endpoint = chain.endpoint_of("store-S-E-002")
    pos = [sys.executable, "-m", "chaincard.cli", "pos", "--store", endpoint, "--data-dir", chain.data_dir]
    item = ["--item", "TEA-1:Longjing tea:tea:1:120.00"]
    quoted = subprocess.run([*pos, "quote", "--card", card, *item, "--coupon", code], capture_output=True, text=True, timeout=60)
    assert quoted.returncode == 0, quoted.stdout + quoted.stderr
    assert "total ¥100.00" in quoted.stdout and f"coupon {code}" in quoted.stdout
    assert coupon(url, code).state == "AVAILABLE"
    sold = subprocess.run([*pos, "sell", "--card", card, *item, "--coupon", code], capture_output=True, text=True, timeout=60)
    assert sold.returncode == 0, sold.stdout + sold.stderr
    assert "PAID: total ¥100.00" in sold.stdout and f"coupon {code}" in sold.stdout
    assert coupon(url, code).state == "REDEEMED"
    again = subprocess.run([*pos, "sell", "--card", card, *item, "--coupon", code], capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "has already been used" in again.stdout + again.stderr

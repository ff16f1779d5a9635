"""Coupons redeemed at checkout in the card's home region (Q3, docs/adr/0021): exactly one sale uses a
coupon when two tills in two regions race for it; a retried checkout posts once; a refund of the
whole sale (or a void) gives the coupon back once, a partial refund does not; QuoteCheckout prices
what Checkout charges and writes nothing. Regions E and W run here over real gRPC, real PostgreSQL
and the real broker; a W store's till reaches an E card through region W's forwarding."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest

from chaincard.checkout.quote import NOT_FOUND_REASON
from chaincard.coupons.codes import new_coupon_code
from chaincard.db.base import utc_now
from chaincard.events.envelope import unwrap
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import common_pb2, events_pb2, program_config_pb2_grpc, transactions_pb2
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
from tests.support.sql import execute, rows, scalar

CASH = "RDM-CASH-20"  # ¥20 off ¥100 or more, borne by the card's issuer
PERCENT = "RDM-PCT-10"  # 10% off, at most ¥15, borne by F-AURORA
W_ONLY = "RDM-W-ONLY"  # ¥5 off, only at S-W-002
DEADLINE = 30.0
# The card's stored value pays what is due (the quote then shows the tender as the sale applies it).
STORED_VALUE = transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)


def _line(price_fen: int, sku: str = "TEA-1", quantity: int = 1) -> transactions_pb2.BasketLine:
    return transactions_pb2.BasketLine(sku=sku, name=sku, category="tea", quantity=quantity, unit_price_fen=price_fen)


def _sale(card: str, store: str, codes: list[str], *, price_fen: int = 12_000, request_id: str = "",
          points: int = 0) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=request_id or new_id(), store_id=store, card_number=card, lines=[_line(price_fen)], coupon_codes=codes,
        points_to_redeem=points, tenders=[STORED_VALUE])


def _quote_of(sale: transactions_pb2.CheckoutRequest) -> transactions_pb2.QuoteCheckoutRequest:
    return transactions_pb2.QuoteCheckoutRequest(
        store_id=sale.store_id, card_number=sale.card_number, lines=sale.lines, points_to_redeem=sale.points_to_redeem,
        coupon_codes=sale.coupon_codes, tenders=sale.tenders)


@pytest.fixture(scope="module")
def templates(regions):
    with open_channel(regions.hq_endpoint) as channel:
        upsert_templates(program_config_pb2_grpc.ProgramConfigServiceStub(channel), [
            cash_voucher(CASH, 2_000, min_spend_fen=10_000),
            percent_off(PERCENT, 1_000, max_discount_fen=1_500, issuer_franchisee_id="F-AURORA"),
            cash_voucher(W_ONLY, 500, store_ids=["S-W-002"]),
        ])
    # Each region reads HQ's new snapshot within its age: price a coupon of each template through both.
    card = funded_card(regions.clients["E"], 100_000)
    codes = [put_coupon(regions.database_urls["E"], "E", card, template) for template in (CASH, PERCENT)]
    for region, store in (("E", "S-E-001"), ("W", "S-W-001")):
        for code in codes:
            wait_until_priced(lambda request, region=region: regions.clients[region].transactions.QuoteCheckout(request, timeout=10),
                              _quote_of(_sale(card, store, [code])))
    return regions


def _outcome(call: Callable[[], Any]) -> tuple[str, str, Any]:
    try:
        return "OK", "", call()
    except grpc.RpcError as error:
        return error.code().name, error.details() or "", None


def test_two_tills_in_two_regions_race_for_one_coupon_twenty_times_and_one_sale_uses_it(templates):
    regions = templates
    url = regions.database_urls["E"]
    card = funded_card(regions.clients["E"], 20 * 12_000)
    tills = (regions.clients["E"].transactions, "S-E-001"), (regions.clients["W"].transactions, "S-W-001")
    winners = []
    for _round in range(20):
        code = put_coupon(url, "E", card, CASH)
        barrier = threading.Barrier(2)
        outcomes: list[tuple[str, str, Any]] = [("", "", None)] * 2

        def race(index: int, code: str = code, barrier: threading.Barrier = barrier, outcomes: list = outcomes) -> None:
            stub, store = tills[index]
            request = _sale(card, store, [code])
            barrier.wait()
            outcomes[index] = _outcome(lambda: stub.Checkout(request, timeout=DEADLINE))

        threads = [threading.Thread(target=race, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(status for status, _, _ in outcomes) == ["FAILED_PRECONDITION", "OK"], outcomes
        (_, _, sale), = [o for o in outcomes if o[0] == "OK"]
        (_, refused, _), = [o for o in outcomes if o[0] != "OK"]
        assert f"coupon_codes[0]: coupon {code}" in refused and "used" in refused
        assert [c.coupon_code for c in sale.coupons] == [code]
        assert sale.discount_fen == 2_000 and sale.total_due_fen == 10_000
        row = coupon(url, code)
        assert (row.state, row.redeemed_transaction_id) == ("REDEEMED", sale.transaction.transaction_id)
        winners.append(sale.transaction.transaction_id)

    # Nothing else written: the recharge and twenty sales, one state change per coupon, the flow of twenty.
    posted = ledger_transactions(url, card)
    assert [t.type for t in posted] == ["RECHARGE"] + ["SPEND"] * 20
    assert sorted(t.transaction_id for t in posted[1:]) == sorted(winners)
    assert state_changes(url, card) == 20
    assert scalar(url, "SELECT COUNT(*) FROM coupons WHERE card_number = :c AND state <> 'REDEEMED'", c=card) == 0
    assert coupon_flow(url, winners) == {"COUPON_EXPENSE:F-HQ": -40_000, "COUPON_REDEEMED:F-HQ": 40_000}
    assert_ledger_consistent(url)


def test_a_retried_checkout_with_a_coupon_posts_once(templates):
    regions = templates
    url = regions.database_urls["E"]
    card = funded_card(regions.clients["E"], 50_000)
    code = put_coupon(url, "E", card, PERCENT)
    request = _sale(card, "S-W-002", [code])  # another franchisee's store, in another region
    first = regions.clients["W"].transactions.Checkout(request, timeout=DEADLINE)
    again = [regions.clients[region].transactions.Checkout(request, timeout=DEADLINE) for region in ("W", "E", "W")]
    assert all(answer == first for answer in again)
    applied = list(first.coupons)
    assert [(c.coupon_code, c.template_code, c.discount_fen, c.issuer_franchisee_id) for c in applied] == [
        (code, PERCENT, 1_200, "F-AURORA")]
    assert first.total_due_fen == 10_800 and first.balances_after.principal_fen == 50_000 - 10_800
    posted = ledger_transactions(url, card)
    assert [t.type for t in posted] == ["RECHARGE", "SPEND"]
    assert posted[1].details["coupons"] == [{"coupon_code": code, "template_code": PERCENT, "discount_fen": 1_200,
                                             "issuer_franchisee_id": "F-AURORA"}]
    assert state_changes(url, card) == 1
    shown = regions.clients["W"].transactions.GetTransaction(transactions_pb2.GetTransactionRequest(
        card_number=card, transaction_id=first.transaction.transaction_id), timeout=DEADLINE)
    assert list(shown.coupons) == applied
    assert any(p.asset == common_pb2.ASSET_COUPON_VALUE for p in shown.postings)
    assert any(line.text.strip() == code for line in first.receipt)  # the receipt names the coupon
    assert coupon_flow(url, [first.transaction.transaction_id]) == {"COUPON_EXPENSE:F-AURORA": -1_200,
                                                                     "COUPON_REDEEMED:F-BAMBOO": 1_200}
    # The sale's TransactionPosted carries the coupon, for settlement.
    envelopes = rows(url, "SELECT envelope FROM outbox WHERE message_key = :c AND event_type LIKE '%.TransactionPosted' "
                     "ORDER BY position", c=card)
    event = unwrap(events_pb2.EventEnvelope.FromString(envelopes[-1].envelope))
    assert isinstance(event, events_pb2.TransactionPosted)
    assert list(event.coupons) == applied
    assert any(p.asset == common_pb2.ASSET_COUPON_VALUE for p in event.postings)
    assert_ledger_consistent(url)


def test_a_refund_of_the_whole_sale_gives_the_coupon_back_once_and_a_partial_one_does_not(templates):
    regions = templates
    url = regions.database_urls["E"]
    till = regions.clients["E"].transactions
    card = funded_card(regions.clients["E"], 50_000)
    code = put_coupon(url, "E", card, CASH)
    sale = till.Checkout(_sale(card, "S-E-001", [code]), timeout=DEADLINE)
    assert sale.total_due_fen == 10_000
    original = sale.transaction.transaction_id

    def refund(amount_fen: int, request_id: str) -> transactions_pb2.RefundSaleResponse:
        answer: transactions_pb2.RefundSaleResponse = till.RefundSale(transactions_pb2.RefundSaleRequest(
            request_id=request_id, store_id="S-E-001", card_number=card, original_transaction_id=original,
            amount_fen=amount_fen, reason="test"), timeout=DEADLINE)
        return answer

    part = refund(4_000, new_id())
    assert list(part.coupons_restored) == []
    assert coupon(url, code).state == "REDEEMED"
    rest_id = new_id()
    rest = refund(6_000, rest_id)  # what is left: the sale is now wholly refunded
    assert rest.refund_fen == 6_000 and list(rest.coupons_restored) == [code]
    assert refund(6_000, rest_id) == rest  # the retried refund answers the same, and gives nothing back again
    row = coupon(url, code)
    assert (row.state, row.redeemed_transaction_id, row.redeemed_at) == ("AVAILABLE", None, None)
    assert state_changes(url, card) == 2  # REDEEMED, then AVAILABLE
    refunds = [t.transaction_id for t in ledger_transactions(url, card) if t.type == "REFUND"]
    assert len(refunds) == 2
    assert coupon_flow(url, [original, *refunds]) == {"COUPON_EXPENSE:F-HQ": 0, "COUPON_REDEEMED:F-HQ": 0}
    # Given back, it can be used again.
    again = till.Checkout(_sale(card, "S-E-001", [code]), timeout=DEADLINE)
    assert [c.coupon_code for c in again.coupons] == [code]
    assert_ledger_consistent(url)


def test_a_void_gives_back_a_coupon_still_valid_and_expires_one_past_its_validity(templates):
    regions = templates
    url = regions.database_urls["E"]
    till = regions.clients["E"].transactions
    card = funded_card(regions.clients["E"], 50_000)
    valid, lapsing = put_coupon(url, "E", card, CASH), put_coupon(url, "E", card, PERCENT)
    first = till.Checkout(_sale(card, "S-E-001", [valid]), timeout=DEADLINE)
    second = till.Checkout(_sale(card, "S-E-001", [lapsing]), timeout=DEADLINE)
    # The second coupon's validity ends while its sale stands.
    execute(url, "UPDATE coupons SET valid_from = :start, valid_until = :end WHERE coupon_code = :code",
            start=utc_now() - timedelta(days=2), end=utc_now() - timedelta(seconds=1), code=lapsing)

    def void(sale: transactions_pb2.CheckoutResponse) -> transactions_pb2.VoidSaleResponse:
        answer: transactions_pb2.VoidSaleResponse = till.VoidSale(transactions_pb2.VoidSaleRequest(
            request_id=new_id(), store_id="S-E-001", card_number=card,
            original_transaction_id=sale.transaction.transaction_id, reason="test"), timeout=DEADLINE)
        return answer

    assert list(void(first).coupons_restored) == [valid]
    assert list(void(second).coupons_restored) == []
    assert coupon(url, valid).state == "AVAILABLE"
    assert (coupon(url, lapsing).state, coupon(url, lapsing).redeemed_transaction_id) == ("EXPIRED", None)
    voids = [t.transaction_id for t in ledger_transactions(url, card) if t.type == "VOID"]
    flow = coupon_flow(url, [first.transaction.transaction_id, second.transaction.transaction_id, *voids])
    assert set(flow.values()) == {0}
    assert_ledger_consistent(url)


def test_an_unknown_coupon_or_one_homed_in_another_region_is_not_found_and_nothing_is_written(templates):
    regions = templates
    url = regions.database_urls["E"]
    card = funded_card(regions.clients["E"], 50_000)
    held = put_coupon(url, "E", card, CASH)
    for other in (new_coupon_code("11"), new_coupon_code("21")):
        for region in ("E", "W"):
            request = _sale(card, "S-E-001", [held, other])
            with pytest.raises(grpc.RpcError) as refused:
                regions.clients[region].transactions.Checkout(request, timeout=DEADLINE)
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND
            assert refused.value.details() == f"coupon_codes[1]: no coupon {other}"
            # The quote prices the rest and lists the code the checkout would not find.
            quoted = regions.clients[region].transactions.QuoteCheckout(_quote_of(request), timeout=DEADLINE)
            assert [c.coupon_code for c in quoted.coupons] == [held]
            assert [(r.coupon_code, r.reason) for r in quoted.rejected_coupons] == [(other, NOT_FOUND_REASON)]
    assert [t.type for t in ledger_transactions(url, card)] == ["RECHARGE"]
    assert coupon(url, held).state == "AVAILABLE" and state_changes(url, card) == 0


def test_a_coupon_of_another_card_is_refused_naming_it(templates):
    regions = templates
    url = regions.database_urls["E"]
    card, other = funded_card(regions.clients["E"], 50_000), funded_card(regions.clients["E"], 0)
    theirs = put_coupon(url, "E", other, CASH)
    with pytest.raises(grpc.RpcError) as refused:
        regions.clients["E"].transactions.Checkout(_sale(card, "S-E-001", [theirs]), timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"coupon_codes[0]: coupon {theirs}" in (refused.value.details() or "")
    assert coupon(url, theirs).state == "AVAILABLE"


@pytest.mark.parametrize("case", ["cash voucher", "percent off", "coupon and points", "coupon not usable here", "no coupon"])
def test_quote_and_checkout_agree(templates, case):
    regions = templates
    url = regions.database_urls["E"]
    # A gold card recharged ¥1,000 gets ¥150 bonus and 200 points (the demo's WINTER-2026 promotion).
    card = funded_card(regions.clients["E"], 100_000, card_type="GOLD")
    region, store = ("W", "S-W-002") if case in ("coupon not usable here", "coupon and points") else ("E", "S-E-002")
    codes = {
        "cash voucher": [put_coupon(url, "E", card, CASH)],
        "percent off": [put_coupon(url, "E", card, PERCENT)],
        "coupon and points": [put_coupon(url, "E", card, W_ONLY)],
        "coupon not usable here": [put_coupon(url, "E", card, W_ONLY), put_coupon(url, "E", card, CASH)],
        "no coupon": [],
    }[case]
    sale = _sale(card, store, codes, price_fen=15_000, points=200 if case == "coupon and points" else 0)
    if case == "coupon not usable here":
        sale.store_id = "S-W-001"
    till = regions.clients[region].transactions
    before = scalar(url, "SELECT COUNT(*) FROM outbox")
    quoted = till.QuoteCheckout(_quote_of(sale), timeout=DEADLINE)
    assert scalar(url, "SELECT COUNT(*) FROM outbox") == before  # a quote writes nothing
    assert quoted.balances.principal_fen == 100_000
    if case == "coupon not usable here":
        assert [r.coupon_code for r in quoted.rejected_coupons] == [codes[0]]
        with pytest.raises(grpc.RpcError) as refused:
            till.Checkout(sale, timeout=DEADLINE)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert f"coupon_codes[0]: coupon {codes[0]}" in (refused.value.details() or "")
        del sale.coupon_codes[0]  # the cashier takes the quote's advice
        quoted = till.QuoteCheckout(_quote_of(sale), timeout=DEADLINE)
    assert not quoted.rejected_coupons
    paid = till.Checkout(sale, timeout=DEADLINE)
    for field in ("subtotal_fen", "discount_fen", "points_deduction_fen", "total_due_fen", "points_earned", "points_redeemed"):
        assert getattr(quoted, field) == getattr(paid, field), field
    assert list(quoted.tenders) == list(paid.tenders)
    assert list(quoted.lines) == list(paid.lines)
    assert list(quoted.coupons) == list(paid.coupons)
    assert len(paid.coupons) == len(sale.coupon_codes)
    assert_ledger_consistent(url)


def test_a_quote_without_a_card_prices_for_a_non_member(templates):
    regions = templates
    quoted = regions.clients["W"].transactions.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
        store_id="S-W-001", lines=[_line(3_000, quantity=2)]), timeout=DEADLINE)
    assert (quoted.subtotal_fen, quoted.discount_fen, quoted.total_due_fen) == (6_000, 0, 6_000)
    assert not quoted.HasField("balances")
    with pytest.raises(grpc.RpcError) as refused:
        regions.clients["W"].transactions.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
            store_id="S-W-001", lines=[_line(3_000)], coupon_codes=[new_coupon_code("21")]), timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "card_number" in (refused.value.details() or "")

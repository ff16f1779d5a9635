"""Linked cards (C5, docs/adr/0032) on real regions over gRPC: a linked card's stored-value tender
draws on its main card within a monthly limit; each spend names who used it; refunds and voids give
back and release the limit; unlinking moves nothing; racing linked cards never overdraw."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.linked_cards import MAX_LINKED_CARDS
from chaincard.v1 import cards_pb2, common_pb2, transactions_pb2
from tests.support.cards import assert_refused, funded_card, open_card, recharge_request
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import scalar

FP = grpc.StatusCode.FAILED_PRECONDITION
SV = common_pb2.TENDER_TYPE_STORED_VALUE


@pytest.fixture(scope="module")
def east(regions):  # type: ignore[no-untyped-def]
    return regions.clients["E"]


def _link(main: str, linked: str, limit: int, request_id: str = "") -> cards_pb2.LinkCardRequest:
    return cards_pb2.LinkCardRequest(request_id=request_id or new_id(), store_id="S-E-001", card_number=main,
                                     linked_card_number=linked, monthly_limit_fen=limit, operator_id="SM-TEST")


def _unlink(main: str, linked: str) -> cards_pb2.UnlinkCardRequest:
    return cards_pb2.UnlinkCardRequest(request_id=new_id(), store_id="S-E-001", card_number=main, linked_card_number=linked,
                                       operator_id="SM-TEST")


def _sale(card: str, price_fen: int, *, tender: common_pb2.TenderType.ValueType = SV, pin: str = "",
          ) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, pin=pin,
        lines=[transactions_pb2.BasketLine(sku="TEA", name="Tea", category="misc", quantity=1, unit_price_fen=price_fen)],
        tenders=[transactions_pb2.TenderRequest(type=tender, amount_fen=0)])


def _stored_value(east, card: str) -> int:  # type: ignore[no-untyped-def]
    balances = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    return int(balances.principal_fen + balances.bonus_fen)


def _links(east, main: str) -> dict[str, cards_pb2.LinkedCard]:  # type: ignore[no-untyped-def]
    answer = east.cards.ListLinkedCards(cards_pb2.ListLinkedCardsRequest(card_number=main), timeout=10)
    return {link.linked_card_number: link for link in answer.links}


def test_a_linked_card_spends_the_main_cards_stored_value_and_each_spend_names_who_used_it(regions, east):
    main = funded_card(east, 50_000)
    linked = open_card(east, pin="246810")
    before = _stored_value(east, main)
    request = _link(main, linked, 20_000)
    answer = east.cards.LinkCard(request, timeout=10)
    assert east.cards.LinkCard(request, timeout=10) == answer  # a retry is answered once
    assert int(scalar(regions.database_urls["E"], "SELECT count(*) FROM audit_log WHERE action = 'card.link' "
                                                  "AND request_id = :r", r=request.request_id)) == 1
    assert (answer.link.main_card_number, answer.link.monthly_limit_fen, answer.link.spent_this_month_fen) == (main, 20_000, 0)
    card = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=linked), timeout=10).card
    assert (card.main_card_number, card.linked_monthly_limit_fen) == (main, 20_000)

    request = _sale(linked, 3_000, pin="246810")
    quote = east.transactions.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
        store_id=request.store_id, card_number=linked, lines=request.lines, tenders=request.tenders), timeout=10)
    assert [(t.type, t.card_number) for t in quote.tenders] == [(common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD, main)]
    sale = east.transactions.Checkout(request, timeout=10)  # the linked card's own PIN
    paid = sale.transaction.amount_fen
    assert paid > 0
    assert (sale.transaction.presenting_card_number, sale.transaction.funding_card_number) == (linked, main)
    assert any("main card" in line.text for line in sale.receipt)
    assert _stored_value(east, main) == before - paid
    assert _stored_value(east, linked) == 0
    assert sale.points_earned > 0  # the linked card earns on its own account
    # The main card's history shows the spend and who made it.
    history = east.transactions.ListTransactions(transactions_pb2.ListTransactionsRequest(card_number=main), timeout=10)
    spend = history.transactions[0]
    assert (spend.type, spend.amount_fen, spend.presenting_card_number, spend.funding_card_number) == (
        common_pb2.TRANSACTION_TYPE_SPEND, paid, linked, main)
    assert _links(east, main)[linked].spent_this_month_fen == paid

    # A refund gives the stored value back to the main card and releases the month's usage.
    refund = east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=linked, original_transaction_id=sale.transaction.transaction_id,
        amount_fen=paid, reason="returned"), timeout=10)
    assert refund.transaction.funding_card_number == main
    assert _stored_value(east, main) == before
    assert _links(east, main)[linked].spent_this_month_fen == 0
    # So does a void.
    sale = east.transactions.Checkout(_sale(linked, 2_000, pin="246810"), timeout=10)
    east.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=linked, original_transaction_id=sale.transaction.transaction_id,
        reason="mistake"), timeout=10)
    assert _stored_value(east, main) == before
    assert _links(east, main)[linked].spent_this_month_fen == 0
    assert_ledger_consistent(regions.database_urls["E"])


def test_the_monthly_limit_is_refused_precisely_and_unlinking_moves_nothing(regions, east):
    main = funded_card(east, 50_000)
    linked = open_card(east)
    east.cards.LinkCard(_link(main, linked, 5_000), timeout=10)
    first = east.transactions.Checkout(_sale(linked, 4_000), timeout=10).transaction.amount_fen
    held = _stored_value(east, main)
    sale = _sale(linked, 4_000)
    quote = transactions_pb2.QuoteCheckoutRequest(store_id=sale.store_id, card_number=linked, lines=sale.lines, tenders=sale.tenders)
    assert_refused(east.transactions.QuoteCheckout, quote, FP, f"linked card {linked} may spend 5000 fen")  # as Checkout
    details = assert_refused(east.transactions.Checkout, sale, FP, f"linked card {linked} may spend 5000 fen")
    assert f"{first} fen spent" in details
    assert _stored_value(east, main) == held
    # Cash still works for the linked card, and a recharge of it is refused: the main card is recharged.
    east.transactions.Checkout(_sale(linked, 4_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    assert_refused(east.transactions.RechargeCard, recharge_request(linked, 1_000), FP, "recharge the main card")

    points = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=linked), timeout=10).balances.points
    unlinked = east.cards.UnlinkCard(_unlink(main, linked), timeout=10)
    assert unlinked.link.spent_this_month_fen == first
    assert _stored_value(east, main) == held  # nothing moved
    assert east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=linked), timeout=10).balances.points == points
    assert _links(east, main) == {}
    assert east.cards.GetCard(cards_pb2.GetCardRequest(card_number=linked), timeout=10).card.main_card_number == ""
    # The card now pays with its own stored value, which is none.
    assert_refused(east.transactions.Checkout, _sale(linked, 1_000), FP, "insufficient stored value")
    assert_refused(east.cards.UnlinkCard, _unlink(main, linked), FP, "is not linked")
    assert_ledger_consistent(regions.database_urls["E"])


def test_each_link_rule_is_refused(regions, east):
    main = funded_card(east, 10_000)
    linked = open_card(east)
    east.cards.LinkCard(_link(main, linked, 1_000), timeout=10)
    assert_refused(east.cards.LinkCard, _link(main, main, 1_000), grpc.StatusCode.INVALID_ARGUMENT, "linked_card_number")
    assert_refused(east.cards.LinkCard, _link(main, open_card(east), 0), grpc.StatusCode.INVALID_ARGUMENT, "monthly_limit_fen")
    # Cross-region: a Western card cannot share an Eastern main card's stored value.
    western = open_card(regions.clients["W"], "S-W-001")
    assert_refused(east.cards.LinkCard, _link(main, western, 1_000), FP, "must share its main card's home region")
    # Linked to two mains; a main that is linked; a linked card that is a main.
    other_main = funded_card(east, 1_000)
    assert_refused(east.cards.LinkCard, _link(other_main, linked, 1_000), FP, "already linked to main card")
    assert_refused(east.cards.LinkCard, _link(linked, open_card(east), 1_000), FP, "cannot be a main card")
    assert_refused(east.cards.LinkCard, _link(other_main, main, 1_000), FP, "a main card cannot be linked")
    # A card with its own stored value; a card not ACTIVE.
    assert_refused(east.cards.LinkCard, _link(main, funded_card(east, 500), 1_000), FP, "of its own stored value")
    frozen = open_card(east)
    east.cards.FreezeCard(cards_pb2.FreezeCardRequest(request_id=new_id(), store_id="S-E-001", card_number=frozen,
                                                      reason="test"), timeout=10)
    assert_refused(east.cards.LinkCard, _link(main, frozen, 1_000), FP, "frozen")
    # At most MAX_LINKED_CARDS.
    for _ in range(MAX_LINKED_CARDS - 1):
        east.cards.LinkCard(_link(main, open_card(east), 1_000), timeout=10)
    assert_refused(east.cards.LinkCard, _link(main, open_card(east), 1_000), FP, f"already has {MAX_LINKED_CARDS} linked cards")
    # A main card with links, or a linked card, is not replaced nor closed before it is unlinked.
    assert_refused(east.cards.ReplaceCard, cards_pb2.ReplaceCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=main, reason="damaged"), FP, "unlink them")
    assert_refused(east.cards.CloseCard, cards_pb2.CloseCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=linked, reason="leaving"), FP, "unlink it")
    # Linking again to the same main card changes the limit (not a sixth link).
    assert east.cards.LinkCard(_link(main, linked, 2_000), timeout=10).link.monthly_limit_fen == 2_000


def test_racing_linked_cards_never_overdraw_the_main_card_nor_pass_their_limits(regions, east):
    main = funded_card(east, 10_000)
    cards = [open_card(east) for _ in range(4)]
    quote = east.transactions.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
        store_id="S-E-001", card_number=cards[0], lines=_sale(cards[0], 1_000).lines,
        tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH)]), timeout=10)
    due = quote.total_due_fen
    for card in cards:
        east.cards.LinkCard(_link(main, card, 3 * due), timeout=10)
    held = _stored_value(east, main)

    def spend(card: str) -> list[int]:
        paid = []
        for _ in range(6):
            try:
                paid.append(east.transactions.Checkout(_sale(card, 1_000), timeout=30).transaction.amount_fen)
            except grpc.RpcError as error:
                assert error.code() == FP, error.details()
                assert "may spend" in error.details() or "insufficient stored value" in error.details(), error.details()
        return paid

    with ThreadPoolExecutor(max_workers=len(cards)) as pool:
        paid = list(pool.map(spend, cards))
    spent = [sum(amounts) for amounts in paid]
    assert all(total <= 3 * due for total in spent)  # each card's limit holds
    assert _stored_value(east, main) == held - sum(spent) >= 0  # the main card is never overdrawn
    links = _links(east, main)
    assert [links[card].spent_this_month_fen for card in cards] == spent
    if {amount for amounts in paid for amount in amounts} == {due}:  # exactly: every fen the main card can give, no more
        assert sum(len(amounts) for amounts in paid) == min(held // due, 3 * len(cards))
    assert_ledger_consistent(regions.database_urls["E"])

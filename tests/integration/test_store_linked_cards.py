"""Linked cards (C5, docs/adr/0032) through a real store agent: LinkCard and ListLinkedCards are
forwarded to the region, a linked card's sale draws on its main card online, and with the link
down its stored-value sale is refused, never stood in for (nor is a link made)."""

from __future__ import annotations

import grpc

from chaincard.ids import new_id
from chaincard.v1 import cards_pb2
from tests.integration import test_store_agent
from tests.integration.test_store_agent import _sale
from tests.support.cards import open_card, recharge_card, refusal

# The store agent of test_store_agent (store S-E-T01 of region E, its link through a proxy the tests
# cut), started again for this module.
store = test_store_agent.store


def _main_balance(store, card: str) -> int:  # type: ignore[no-untyped-def]
    balances = store.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    return int(balances.principal_fen + balances.bonus_fen)


def test_a_linked_card_at_the_till_online_and_with_the_link_down(store, regions):
    main = open_card(store, store_id="")
    recharge_card(store.till, main, 10_000, store_id="")
    linked = open_card(store, store_id="")
    link = store.cards.LinkCard(cards_pb2.LinkCardRequest(request_id=new_id(), card_number=main, linked_card_number=linked,
                                                          monthly_limit_fen=5_000), timeout=20).link
    assert (link.main_card_number, link.linked_card_number) == (main, linked)
    sale = store.till.Checkout(_sale(linked, 1_000), timeout=20)
    assert not sale.offline and sale.transaction.funding_card_number == main
    listed = store.cards.ListLinkedCards(cards_pb2.ListLinkedCardsRequest(card_number=main), timeout=10).links
    assert [(entry.linked_card_number, entry.spent_this_month_fen) for entry in listed] == [(linked, sale.transaction.amount_fen)]
    held = _main_balance(store, main)

    store.wait(lambda s: s.online)
    store.proxy.cut()
    try:
        store.wait(lambda s: not s.online)
        refused = refusal(store.till.Checkout, _sale(linked, 1_000), timeout=30)
        assert refused.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNAVAILABLE), refused.details()
        assert store.status().offline_queue_depth == 0
        unlink = refusal(store.cards.UnlinkCard, cards_pb2.UnlinkCardRequest(
            request_id=new_id(), card_number=main, linked_card_number=linked), timeout=30)
        assert unlink.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        store.proxy.restore()
    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    assert _main_balance(store, main) == held  # nothing was drawn on the main card offline

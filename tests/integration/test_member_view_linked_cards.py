"""HQ's member view follows linked cards (C5, docs/adr/0037) on real regions, Kafka and HQ: the main
card's member sees every card linked to it (number, holder, monthly limit, used this month) and
their transactions, each saying which card was used; a refund releases the usage there too, and an
unlinked card leaves the view. `chaincard member show` prints them."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc

from chaincard.ids import new_id
from chaincard.local.demo import print_member_view
from chaincard.money import format_fen
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, member_view_pb2, member_view_pb2_grpc, transactions_pb2
from tests.support.cards import funded_card, open_card

# HQ's views in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True


def _link(main: str, linked: str, limit: int) -> cards_pb2.LinkCardRequest:
    return cards_pb2.LinkCardRequest(request_id=new_id(), store_id="S-E-001", card_number=main, linked_card_number=linked,
                                     monthly_limit_fen=limit, operator_id="SM-TEST")


def _sale(card: str, price_fen: int) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card,
        lines=[transactions_pb2.BasketLine(sku="TEA", name="Tea", category="misc", quantity=1, unit_price_fen=price_fen)],
        tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=0)])


def _view_when(hq_endpoint: str, card: str, ready: Callable[[member_view_pb2.GetMemberViewResponse], bool],
               timeout: float = 60.0) -> member_view_pb2.GetMemberViewResponse:
    """HQ's view of the member holding ``card``, once ``ready`` (HQ trails the region by the relay)."""
    deadline = time.monotonic() + timeout
    with open_channel(hq_endpoint) as channel:
        stub = member_view_pb2_grpc.MemberViewServiceStub(channel)
        while True:
            try:
                view = stub.GetMemberView(member_view_pb2.GetMemberViewRequest(card_number=card), timeout=10)
            except grpc.RpcError as error:  # NOT_FOUND until HQ has seen the member
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                view = None
            if view is not None and ready(view):
                return view
            assert time.monotonic() < deadline, f"HQ's member view never matched: {view}"
            time.sleep(0.2)


def _usage(view: member_view_pb2.GetMemberViewResponse) -> dict[str, tuple[str, int, int]]:
    return {link.card_number: (link.main_card_number, link.monthly_limit_fen, link.spent_this_month_fen)
            for link in view.linked_cards}


def test_the_main_card_s_member_sees_its_linked_cards_and_their_spends(regions, capsys):  # type: ignore[no-untyped-def]
    east = regions.clients["E"]
    main = funded_card(east, 50_000)
    child, spouse = open_card(east, name="Child 孩子"), open_card(east, name="Spouse 配偶")
    east.cards.LinkCard(_link(main, child, 20_000), timeout=10)
    east.cards.LinkCard(_link(main, spouse, 30_000), timeout=10)
    sale = east.transactions.Checkout(_sale(child, 3_000), timeout=10)
    paid, sale_id = sale.transaction.amount_fen, sale.transaction.transaction_id

    def shows_the_spend(view: member_view_pb2.GetMemberViewResponse) -> bool:
        return _usage(view).get(child, ("", 0, 0))[2] == paid and len(view.linked_cards) == 2 and any(
            t.transaction_id == sale_id for t in view.recent_transactions)

    view = _view_when(regions.hq_endpoint, main, shows_the_spend)
    assert _usage(view) == {child: (main, 20_000, paid), spouse: (main, 30_000, 0)}
    holders = {link.card_number: link for link in view.linked_cards}
    assert holders[child].holder_member_id and holders[child].holder_name and holders[child].month
    assert holders[child].state == common_pb2.CARD_STATE_ACTIVE and holders[child].issuing_store_id == "S-E-001"
    assert [card.card_number for card in view.cards] == [main]  # the linked cards are not the member's own
    # The child's sale (on the child's card) and the main card's spend paying for it, each saying who used it.
    used = {(t.card_number, t.presenting_card_number or t.card_number, t.type, t.amount_fen) for t in view.recent_transactions}
    assert (child, child, common_pb2.TRANSACTION_TYPE_SPEND, paid) in used
    assert (main, child, common_pb2.TRANSACTION_TYPE_SPEND, paid) in used

    print_member_view(view)
    printed = capsys.readouterr().out
    assert f"linked card {child} → main {main}" in printed and f"used {format_fen(paid)}" in printed
    assert f"linked card {spouse} → main {main}" in printed
    assert printed.count(f"card {child} → principal") == 2  # the sale and the main card's spend: both name the child's card

    # A refund releases the month's usage in HQ's view too; an unlinked card leaves it.
    east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id="S-E-001", card_number=child, original_transaction_id=sale_id, amount_fen=paid,
        reason="returned"), timeout=10)
    east.cards.UnlinkCard(cards_pb2.UnlinkCardRequest(request_id=new_id(), store_id="S-E-001", card_number=main,
                                                      linked_card_number=spouse, operator_id="SM-TEST"), timeout=10)
    view = _view_when(regions.hq_endpoint, main, lambda view: _usage(view) == {child: (main, 20_000, 0)})
    assert any(t.type == common_pb2.TRANSACTION_TYPE_REFUND and t.card_number == child for t in view.recent_transactions)

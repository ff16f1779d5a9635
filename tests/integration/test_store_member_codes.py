"""QR member codes at the till, through a real store agent and the ``chaincard pos`` CLI
(docs/adr/0026): a code rendered as SVG and PNG finds the member and pays once, a card of another
region pays by code at this store, and with the link down a code is refused, never stood in for."""

from __future__ import annotations

import grpc

from chaincard import member_codes
from chaincard.v1 import cards_pb2
from tests.integration import test_store_agent
from tests.integration.test_store_agent import Store, _pos, _sale
from tests.support.cards import funded_card, open_card, recharge_card, refusal
from tests.support.sql import rows as _rows

# The store agent of test_store_agent (store S-E-T01 of region E, its link through a proxy the tests
# cut), started again for this module.
store = test_store_agent.store


def _qr(store: Store, card: str, *extra: str) -> str:
    made = _pos(store, "qr", card, *extra)
    assert made.returncode == 0, made.stderr
    code = made.stdout.split()[0]
    assert member_codes.is_member_code(code) and member_codes.card_number_of(code) == card
    return code


def test_a_code_from_the_cli_finds_the_member_and_pays_once(store, tmp_path):
    card = open_card(store, store_id="")
    recharge_card(store.till, card, 10_000, store_id="")
    svg, png = tmp_path / "code.svg", tmp_path / "code.png"
    code = _qr(store, card, "--svg", str(svg), "--png", str(png))
    assert "<svg" in svg.read_text() and png.read_bytes().startswith(b"\x89PNG")

    found = _pos(store, "find", code)
    assert found.returncode == 0 and card in found.stdout
    sold = _pos(store, "sell", "--card", code, "--item", "TEA-1:Longjing tea:tea:1:30.00")
    assert sold.returncode == 0, sold.stderr
    assert "PAID" in sold.stdout and "¥70.00" in sold.stdout
    again = _pos(store, "sell", "--card", code, "--item", "TEA-1:Longjing tea:tea:1:30.00")
    assert again.returncode == 1 and "member code already used" in again.stderr


def test_a_card_of_another_region_pays_by_code_at_this_store(store, regions):
    west = regions.clients["W"]
    card = funded_card(west, 5_000, "S-W-001")
    code = _qr(store, card)  # asked at an East store: issued by the card's home region, the West
    sale = store.till.Checkout(_sale(code, 1_200), timeout=10)
    assert not sale.offline and sale.transaction.card_number == card and sale.balances_after.principal_fen == 3_800
    replay = refusal(store.till.Checkout, _sale(code, 1_200), timeout=20)
    assert replay.code() == grpc.StatusCode.FAILED_PRECONDITION and "already used" in (replay.details() or "")


def test_with_the_link_down_a_code_is_refused_not_stood_in_for(store, regions):
    card = open_card(store, store_id="")
    recharge_card(store.till, card, 10_000, store_id="")
    store.wait(lambda s: s.online and s.cached_card_count >= 1)
    code = _qr(store, card)
    store.proxy.cut()
    try:
        store.wait(lambda s: not s.online)
        refused = refusal(store.till.Checkout, _sale(code, 1_000), timeout=30)
        assert refused.code() == grpc.StatusCode.UNAVAILABLE
        assert store.status().offline_queue_depth == 0
    finally:
        store.proxy.restore()
    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    # Refused offline, the code was never taken, and no sale reached the region.
    assert _rows(regions.database_urls["E"], "SELECT COUNT(*) FROM used_member_codes WHERE card_number = :card", card=card) == [(0,)]
    assert store.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances.principal_fen == 10_000

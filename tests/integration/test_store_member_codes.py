"""QR member codes at the till, through a real store agent and the ``chaincard pos`` CLI
(docs/adr/0026): a code rendered as SVG and PNG finds the member and pays once, a card of another
region pays by code at this store, and with the link down the store verifies a code of a cached
card itself (expired, forged, unknown card or replayed here: refused) and its sale is posted once
when the link returns; a code used online meanwhile is posted for the offline sale, and flagged."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

import grpc

from chaincard import member_codes
from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, members_pb2, transactions_pb2
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


def _cached_key(store: Store, card: str, principal_fen: int) -> bytes:
    """The card's code key once the agent's card refresh brought it (twice a second here), and its
    cached stored value once it is ``principal_fen``: the refresh that brings the key may have read
    the card before its recharge, whose balances then come by the region's push."""
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(store.database.removeprefix("sqlite:///")) as connection:
            found = connection.execute("SELECT member_code_key, principal_fen FROM cached_cards WHERE card_number = ?",
                                       (card,)).fetchone()
        if found is not None and found[0] and found[1] == principal_fen:
            return bytes(found[0])
        assert time.monotonic() < deadline, f"the store never cached the card's code key and balance: {found}"
        time.sleep(0.1)


def test_with_the_link_down_the_store_verifies_a_code_and_the_region_posts_it_once(store, regions):
    card = open_card(store, store_id="")
    recharge_card(store.till, card, 10_000, store_id="")
    key = _cached_key(store, card, 10_000)
    code = store.cards.RotateQrToken(cards_pb2.RotateQrTokenRequest(request_id=new_id(), card_number=card), timeout=10).qr_token
    stale, _ = member_codes.issue(key, card, utc_now() - timedelta(seconds=61))  # no test waits a minute
    forged = code[:-1] + str((int(code[-1]) + 1) % 10)
    unknown = open_card(regions.clients["E"])  # opened elsewhere, never seen here: its key is unknown to the store
    shared = open_card(store, store_id="")  # its code is shown here offline and at another store online
    recharge_card(store.till, shared, 5_000, store_id="")
    _cached_key(store, shared, 5_000)
    shared_code = store.cards.RotateQrToken(cards_pb2.RotateQrTokenRequest(request_id=new_id(), card_number=shared),
                                            timeout=10).qr_token
    elsewhere = _sale(shared_code, 1_000, store_id="S-E-001")
    unknown_code = member_codes.issue(b"any", unknown, utc_now())[0]
    sale = _sale(code, 1_000)
    store.proxy.cut()
    try:
        store.wait(lambda s: not s.online)
        found = store.members.FindMember(members_pb2.FindMemberRequest(qr_token=code), timeout=10)
        assert [c.card_number for c in found.cards] == [card] and found.member.member_id == found.cards[0].member_id != ""
        for text_, status, words in ((stale, grpc.StatusCode.FAILED_PRECONDITION, "member code expired"),
                                     (forged, grpc.StatusCode.INVALID_ARGUMENT, "card_number"),
                                     (unknown_code, grpc.StatusCode.FAILED_PRECONDITION, "cannot be checked offline")):
            refused = refusal(store.till.Checkout, _sale(text_, 1_000), timeout=30)
            assert refused.code() == status and words in (refused.details() or ""), refused.details()

        quoted = store.till.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(card_number=code, lines=sale.lines), timeout=30)
        assert quoted.total_due_fen == 1_000 and quoted.balances.principal_fen == 10_000  # checked, not taken
        sold = store.till.Checkout(sale, timeout=30)
        assert sold.offline and sold.transaction.card_number == card and sold.balances_after.principal_fen == 9_000
        assert store.till.Checkout(sale, timeout=30) == sold  # the till's retry: the same answer
        replay = refusal(store.till.Checkout, _sale(code, 1_000), timeout=30)
        assert replay.code() == grpc.StatusCode.FAILED_PRECONDITION and "member code already used" in (replay.details() or "")
        shared_sale = _sale(shared_code, 2_000)
        assert store.till.Checkout(shared_sale, timeout=30).offline
        regions.clients["E"].transactions.Checkout(elsewhere, timeout=10)  # the region takes the code first
        assert store.status().offline_queue_depth == 2
    finally:
        store.proxy.restore()
    store.wait(lambda s: s.online and s.offline_queue_depth == 0)
    # Posted once at the home region, the code recorded used by the advice: refused online now.
    database = regions.database_urls["E"]
    assert _rows(database, "SELECT request_id FROM used_member_codes WHERE card_number = :card", card=card) == [(sale.request_id,)]
    assert _rows(database, "SELECT type FROM ledger_transactions WHERE request_id = :id", id=sale.request_id) == [("OFFLINE_ADVICE",)]
    online = refusal(store.till.Checkout, _sale(code, 1_000), timeout=20)
    assert online.code() == grpc.StatusCode.FAILED_PRECONDITION and "already used" in (online.details() or "")
    assert store.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances.principal_fen == 9_000
    # The code already used online: the advice is posted all the same (the sale was made), flagged.
    with sqlite3.connect(store.database.removeprefix("sqlite:///")) as connection:
        [(outcome, message)] = connection.execute("SELECT outcome, outcome_message FROM offline_advices WHERE advice_id = ?",
                                                  (shared_sale.request_id,)).fetchall()
    assert outcome == "POSTED" and f"member code already used by {elsewhere.request_id}" in message
    assert _rows(database, "SELECT request_id FROM used_member_codes WHERE card_number = :card", card=shared) == [(elsewhere.request_id,)]
    assert store.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=shared), timeout=10).balances.principal_fen == 2_000

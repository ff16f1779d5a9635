"""QR member codes over real gRPC and PostgreSQL (docs/adr/0026): a code issued by the card's home
region pays once at a store of another region; used twice, expired or forged, it is refused
precisely and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import grpc
from sqlalchemy import create_engine, text

from chaincard import member_codes
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.v1 import cards_pb2, members_pb2, transactions_pb2
from store_agent.cli import write_qr_images
from tests.support.cards import assert_refused, funded_card
from tests.support.ledger import assert_ledger_consistent

EAST_STORE, WEST_STORE = "S-E-001", "S-W-001"


def _sale(card_or_code: str, store_id: str, price: int = 3_000) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=store_id, card_number=card_or_code,
        lines=[transactions_pb2.BasketLine(sku="TEA", name="tea", category="tea", quantity=1, unit_price_fen=price)],
    )


def _rotate(clients, card: str) -> str:
    answer = clients.cards.RotateQrToken(cards_pb2.RotateQrTokenRequest(request_id=new_id(), card_number=card), timeout=10)
    assert answer.expires_at.ToDatetime() > utc_now().replace(tzinfo=None)
    return answer.qr_token


def _written(database_url: str) -> tuple[int, int]:
    """(ledger transactions, used codes) of a region: what a refusal must leave as it was."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return (connection.execute(text("SELECT COUNT(*) FROM ledger_transactions")).scalar_one(),
                    connection.execute(text("SELECT COUNT(*) FROM used_member_codes")).scalar_one())
    finally:
        engine.dispose()


def test_a_code_pays_once_at_another_regions_store_and_a_replay_is_refused(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    card = funded_card(east, 10_000)
    code = _rotate(west, card)  # asked at the West: served by the card's home region
    assert member_codes.card_number_of(code) == card

    found = west.members.FindMember(members_pb2.FindMemberRequest(qr_token=code), timeout=10)
    assert card in [c.card_number for c in found.cards]
    quote = west.transactions.QuoteCheckout(transactions_pb2.QuoteCheckoutRequest(
        store_id=WEST_STORE, card_number=code, lines=_sale(code, WEST_STORE).lines), timeout=10)
    assert quote.balances.principal_fen == 10_000  # a look-up and a quote leave the code usable

    sale = west.transactions.Checkout(_sale(code, WEST_STORE), timeout=10)
    assert sale.transaction.card_number == card and sale.balances_after.principal_fen == 7_000

    before = _written(regions.database_urls["E"])
    assert before[1] == 1
    for till, store in ((west, WEST_STORE), (east, EAST_STORE)):
        assert_refused(till.transactions.Checkout, _sale(code, store), grpc.StatusCode.FAILED_PRECONDITION, "member code already used")
    assert_refused(west.members.FindMember, members_pb2.FindMemberRequest(qr_token=code), grpc.StatusCode.FAILED_PRECONDITION,
                   "already used")
    assert _written(regions.database_urls["E"]) == before
    # A fresh code pays again.
    again = east.transactions.Checkout(_sale(_rotate(east, card), EAST_STORE, 1_000), timeout=10)
    assert again.balances_after.principal_fen == 6_000
    assert_ledger_consistent(regions.database_urls["E"])


def test_an_expired_or_forged_code_is_refused_precisely_and_writes_nothing(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    card = funded_card(east, 10_000)
    # A code the home region itself issued two minutes ago (same secret: the test regions run with
    # the default member_code_key), so no test waits a minute.
    key = member_codes.card_key(Settings().member_code_key, card)
    stale, _ = member_codes.issue(key, card, utc_now() - timedelta(seconds=member_codes.VALID_SECONDS + 60))
    fresh = _rotate(east, card)
    forged = fresh[:-1] + str((int(fresh[-1]) + 1) % 10)
    wrong_key, _ = member_codes.issue(member_codes.card_key("not-the-regions-secret", card), card, utc_now())

    before = _written(regions.database_urls["E"])
    for till, store in ((west, WEST_STORE), (east, EAST_STORE)):
        assert_refused(till.transactions.Checkout, _sale(stale, store), grpc.StatusCode.FAILED_PRECONDITION, "member code expired")
        for text_ in (forged, wrong_key):
            assert_refused(till.transactions.Checkout, _sale(text_, store), grpc.StatusCode.INVALID_ARGUMENT, "card_number")
    assert_refused(west.members.FindMember, members_pb2.FindMemberRequest(qr_token=forged), grpc.StatusCode.INVALID_ARGUMENT,
                   "qr_token")
    assert_refused(west.transactions.QuoteCheckout, transactions_pb2.QuoteCheckoutRequest(
        store_id=WEST_STORE, card_number=stale, lines=_sale(stale, WEST_STORE).lines), grpc.StatusCode.FAILED_PRECONDITION, "expired")
    assert _written(regions.database_urls["E"]) == before
    balance = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10)
    assert balance.balances.principal_fen == 10_000
    # The fresh code the forgeries were made from still pays.
    assert west.transactions.Checkout(_sale(fresh, WEST_STORE), timeout=10).balances_after.principal_fen == 7_000


def test_an_unknown_card_gets_no_code(regions):
    east = regions.clients["E"]
    assert_refused(east.cards.RotateQrToken, cards_pb2.RotateQrTokenRequest(request_id=new_id(), card_number="12345678"),
                   grpc.StatusCode.NOT_FOUND)


def test_a_code_renders_as_a_png_and_an_svg_qr_image(regions, tmp_path):
    code = _rotate(regions.clients["E"], funded_card(regions.clients["E"], 0))
    svg, png = tmp_path / "code.svg", tmp_path / "code.png"
    write_qr_images(code, svg=str(svg), png=str(png), scale=4)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    document = svg.read_text()
    assert "<svg" in document and "</svg>" in document
    # 25×25 modules (version 2, numeric mode) plus the 4-module quiet zone each side, 4 px a module.
    assert 'width="132"' in document

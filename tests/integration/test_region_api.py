"""The region's money path over real gRPC and PostgreSQL: the slice, idempotency, refusals, forwarding."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.errors import UNREACHABLE_REGION_TRAILER
from chaincard.ids import new_id
from chaincard.local.broker import free_port
from chaincard.rpc.channels import unreachable_region
from chaincard.v1 import cards_pb2, common_pb2, events_pb2, members_pb2, transactions_pb2
from tests.support.cards import open_card, random_phone
from tests.support.ledger import assert_ledger_consistent
from tests.support.regions import home_region_unreachable, silent_peer


def _count(database_url: str, table: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def _sale(card: str, price: int, request_id: str | None = None) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=request_id or new_id(), store_id="S-E-001", card_number=card,
        lines=[transactions_pb2.BasketLine(sku="X", name="thing", category="misc", quantity=1, unit_price_fen=price)],
    )


def test_recharge_then_spend_posts_a_balanced_ledger(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001")
    assert card.startswith("8811")
    recharge = east.transactions.RechargeCard(
        transactions_pb2.RechargeCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card, amount_fen=50_000,
                                             tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    assert recharge.transaction.balances_after.principal_fen == 50_000
    sale = east.transactions.Checkout(_sale(card, 12_000), timeout=10)
    assert sale.balances_after.principal_fen == 38_000
    assert sale.points_earned == 120
    assert any("Total" in line.text for line in sale.receipt)
    balance = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10)
    assert (balance.balances.principal_fen, balance.balances.points) == (38_000, 120)
    history = east.transactions.ListTransactions(transactions_pb2.ListTransactionsRequest(card_number=card, page_size=1), timeout=10)
    assert len(history.transactions) == 1 and history.next_page_token
    older = east.transactions.ListTransactions(
        transactions_pb2.ListTransactionsRequest(card_number=card, page_size=1, page_token=history.next_page_token), timeout=10)
    assert older.transactions[0].type == common_pb2.TRANSACTION_TYPE_RECHARGE
    assert assert_ledger_consistent(regions.database_urls["E"]) >= 2


def test_a_retried_checkout_is_posted_once(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001")
    east.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, amount_fen=10_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    request = _sale(card, 3_000)
    first = east.transactions.Checkout(request, timeout=10)
    before = _count(regions.database_urls["E"], "ledger_transactions")
    again = east.transactions.Checkout(request, timeout=10)
    assert again == first
    assert _count(regions.database_urls["E"], "ledger_transactions") == before
    with pytest.raises(grpc.RpcError) as refused:
        east.transactions.Checkout(_sale(card, 3_100, request_id=request.request_id), timeout=10)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"name": "", "phone": "13800000000"}, "name"),
        ({"name": "A", "phone": "12345"}, "phone"),
        ({"name": "A", "phone": "13800000001", "birthday": "1990-13-01"}, "birthday"),
        ({"name": "A", "phone": "13800000002", "store_id": "S-NOPE"}, "store_id"),
        ({"name": "A", "phone": "13800000003", "request_id": ""}, "request_id"),
    ],
)
def test_bad_registrations_name_the_field_and_write_nothing(regions, request_fields, field):
    before = _count(regions.database_urls["E"], "members")
    fields = {"request_id": new_id(), "store_id": "S-E-001"} | request_fields
    with pytest.raises(grpc.RpcError) as refused:
        regions.clients["E"].members.RegisterMember(members_pb2.RegisterMemberRequest(**fields), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field)
    assert _count(regions.database_urls["E"], "members") == before


def test_refusals_are_precise(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001")
    with pytest.raises(grpc.RpcError) as broke:
        east.transactions.Checkout(_sale(card, 100), timeout=10)
    assert broke.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as negative:
        east.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), store_id="S-E-001", card_number=card, amount_fen=-5), timeout=10)
    assert negative.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "amount_fen" in negative.value.details()
    with pytest.raises(grpc.RpcError) as missing:
        east.cards.GetCard(cards_pb2.GetCardRequest(card_number="881100000999990"), timeout=10)
    assert missing.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)


def test_a_phone_is_unique_chain_wide(regions):
    phone = random_phone("137")
    open_card(regions.clients["E"], "S-E-001", phone_number=phone)
    with pytest.raises(grpc.RpcError) as duplicate:
        regions.clients["W"].members.RegisterMember(
            members_pb2.RegisterMemberRequest(request_id=new_id(), store_id="S-W-001", name="Other", phone=phone), timeout=10)
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_a_card_homed_in_the_west_works_in_the_east(regions):
    west_card = open_card(regions.clients["W"], "S-W-001")
    assert west_card.startswith("8821")
    recharge = regions.clients["E"].transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
        request_id=new_id(), store_id="S-E-002", card_number=west_card, amount_fen=20_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    assert recharge.transaction.home_region == "W"
    balance = regions.clients["W"].cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=west_card), timeout=10)
    assert balance.balances.principal_fen == 20_000
    found = regions.clients["E"].members.FindMember(members_pb2.FindMemberRequest(card_number=west_card), timeout=10)
    assert found.member.home_region == "W"
    assert_ledger_consistent(regions.database_urls["W"])


def test_receipt_reprint_at_both_widths_and_transaction_detail(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001")
    east.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, amount_fen=5_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    sale = east.transactions.Checkout(_sale(card, 1_500), timeout=10)
    transaction_id = sale.transaction.transaction_id
    narrow = east.transactions.GetReceipt(transactions_pb2.GetReceiptRequest(transaction_id=transaction_id, card_number=card), timeout=10)
    wide = east.transactions.GetReceipt(transactions_pb2.GetReceiptRequest(
        transaction_id=transaction_id, card_number=card, paper_width=common_pb2.PAPER_WIDTH_80_MM), timeout=10)
    assert [line.text for line in narrow.receipt] == [line.text for line in sale.receipt]
    assert max(len(line.text) for line in narrow.receipt) <= 32
    assert max(len(line.text) for line in wide.receipt) == 48
    detail = east.transactions.GetTransaction(transactions_pb2.GetTransactionRequest(transaction_id=transaction_id, card_number=card), timeout=10)
    assert detail.transaction.amount_fen == 1_500 and len(detail.postings) >= 2
    assert sum(p.amount for p in detail.postings if p.direction == common_pb2.POSTING_DIRECTION_DEBIT) == sum(
        p.amount for p in detail.postings if p.direction == common_pb2.POSTING_DIRECTION_CREDIT)
    with pytest.raises(grpc.RpcError) as other_card:
        east.transactions.GetReceipt(transactions_pb2.GetReceiptRequest(transaction_id=transaction_id, card_number=open_card(east, "S-E-001")), timeout=10)
    assert other_card.value.code() == grpc.StatusCode.NOT_FOUND


def test_points_adjustment_needs_a_reason_and_never_goes_negative(regions):
    east = regions.clients["E"]
    card = open_card(east, "S-E-001")
    with pytest.raises(grpc.RpcError) as no_reason:
        east.transactions.AdjustPoints(transactions_pb2.AdjustPointsRequest(
            request_id=new_id(), store_id="S-E-001", card_number=card, points_delta=50), timeout=10)
    assert no_reason.value.code() == grpc.StatusCode.INVALID_ARGUMENT and no_reason.value.details().startswith("reason")
    added = east.transactions.AdjustPoints(transactions_pb2.AdjustPointsRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, points_delta=50, reason="goodwill", operator_id="OP-1"), timeout=10)
    assert added.balances_after.points == 50
    with pytest.raises(grpc.RpcError) as too_many:
        east.transactions.AdjustPoints(transactions_pb2.AdjustPointsRequest(
            request_id=new_id(), store_id="S-E-001", card_number=card, points_delta=-51, reason="typo"), timeout=10)
    assert too_many.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    engine = create_engine(regions.database_urls["E"])
    with engine.connect() as connection:
        audited = connection.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'points.adjust' AND target_id = :c"), {"c": card}).scalar_one()
    engine.dispose()
    assert audited == 1
    assert_ledger_consistent(regions.database_urls["E"])


def test_the_registration_event_carries_no_contact_details_in_clear(regions):
    phone = random_phone("137")
    member = regions.clients["E"].members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-E-001", name="Mail 会员", phone=phone, email="li.wei@example.com"),
        timeout=10).member
    assert member.email == "li.wei@example.com"  # the member's own region answers in full
    engine = create_engine(regions.database_urls["E"])
    with engine.connect() as connection:
        envelopes = connection.execute(text("SELECT envelope FROM outbox WHERE message_key = :key"),
                                       {"key": member.member_id}).scalars().all()
    engine.dispose()
    envelopes = [events_pb2.EventEnvelope.FromString(bytes(raw)) for raw in envelopes]
    registered = [events_pb2.MemberRegistered.FromString(envelope.payload) for envelope in envelopes
                  if envelope.type.endswith("MemberRegistered")]
    assert len(registered) == 1
    assert registered[0].member.email == "l***@example.com"
    assert registered[0].member.phone_masked == phone[:3] + "****" + phone[-4:]
    assert phone.encode() not in b"".join(envelope.payload for envelope in envelopes)


def _west_sale(card: str, price: int) -> transactions_pb2.CheckoutRequest:
    request = _sale(card, price)
    request.store_id = "S-W-001"
    return request


def test_a_home_region_that_does_not_answer_is_named_in_a_trailer_and_a_refusal_is_not(regions):
    """Whose link is down (issue 21): region W answers for region E's card that E does not answer
    (UNAVAILABLE + ``chaincard-unreachable-region: E``), once, while W's own cards keep selling;
    E's own refusal, forwarded, comes back as it is with no trailer."""
    east, west = regions.clients["E"], regions.clients["W"]
    east_card, broke_east_card, west_card = open_card(east, "S-E-001"), open_card(east, "S-E-001"), open_card(west, "S-W-001")
    for card, client in ((east_card, east), (west_card, west)):
        client.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), store_id="S-W-001", card_number=card, amount_fen=10_000,
            tender=common_pb2.TENDER_TYPE_CASH), timeout=10)

    # E up: its refusal (balance too low) comes back through W unchanged, with no trailer.
    with pytest.raises(grpc.RpcError) as refused:
        west.transactions.Checkout(_west_sale(broke_east_card, 100), timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert unreachable_region(refused.value) == ""
    assert UNREACHABLE_REGION_TRAILER not in dict(refused.value.trailing_metadata() or ())

    with silent_peer() as silent:
        for endpoint in (f"127.0.0.1:{free_port()}", silent):  # nothing listening (UNAVAILABLE); never answers (DEADLINE_EXCEEDED)
            with home_region_unreachable("W", "E", endpoint):
                sale = _west_sale(east_card, 1_000)
                with pytest.raises(grpc.RpcError) as unreachable:
                    west.transactions.Checkout(sale, timeout=3)
                # Within the caller's deadline: W answers itself, naming the region that did not.
                assert unreachable.value.code() == grpc.StatusCode.UNAVAILABLE, unreachable.value.details()
                assert unreachable_region(unreachable.value) == "E"
                assert "home region E not answering" in unreachable.value.details()
                # A region's own refusal is still bare; W's own cards sell as ever.
                assert west.transactions.Checkout(_west_sale(west_card, 500), timeout=10).balances_after.principal_fen > 0
                with pytest.raises(grpc.RpcError) as bare:
                    west.cards.GetCard(cards_pb2.GetCardRequest(card_number="882100000999990"), timeout=10)
                assert unreachable_region(bare.value) == ""
                # Not posted anywhere; the same request, once E answers again, is posted once.
    posted = east.transactions.Checkout(sale, timeout=10)
    assert west.transactions.Checkout(sale, timeout=10) == posted
    assert posted.balances_after.principal_fen == 9_000
    assert_ledger_consistent(regions.database_urls["E"])

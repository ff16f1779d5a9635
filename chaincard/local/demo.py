"""The scripted demo: the thin slice through a store agent, then HQ's chain-wide view of it."""

from __future__ import annotations

import random
import time

import grpc

from chaincard.ids import new_id
from chaincard.money import format_fen
from chaincard.rpc.channels import call, open_channel
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    member_view_pb2,
    member_view_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

DEMO_STORE = "store-S-E-001"


def print_member_view(view: member_view_pb2.GetMemberViewResponse) -> None:
    member = view.member
    print(f"Member {member.name}  phone {member.phone_masked}  id {member.member_id}  home region {member.home_region}")
    for card in view.cards:
        state = common_pb2.CardState.Name(card.state).removeprefix("CARD_STATE_")
        balances = card.balances
        print(
            f"  card {card.card_number} [{card.card_type_code}, {state}, issued by {card.issuing_franchisee_id}] "
            f"principal {format_fen(balances.principal_fen)}  bonus {format_fen(balances.bonus_fen)}  points {balances.points}"
        )
    print("  recent transactions:")
    for transaction in view.recent_transactions:
        kind = common_pb2.TransactionType.Name(transaction.type).removeprefix("TRANSACTION_TYPE_")
        print(
            f"    {transaction.business_date} {kind:<9} {format_fen(transaction.amount_fen):>10} at {transaction.store_id:<8} "
            f"→ principal {format_fen(transaction.balances_after.principal_fen)}, points {transaction.balances_after.points}"
        )


def wait_for_member_view(hq_endpoint: str, phone: str, principal_fen: int, timeout: float = 30.0) -> member_view_pb2.GetMemberViewResponse:
    """Poll HQ until its event-fed view shows the expected balance (it trails the region by the relay lag)."""
    deadline = time.monotonic() + timeout
    with open_channel(hq_endpoint) as channel:
        stub = member_view_pb2_grpc.MemberViewServiceStub(channel)
        while True:
            try:
                view = call(stub.GetMemberView, member_view_pb2.GetMemberViewRequest(phone=phone))
                if view.cards and view.cards[0].balances.principal_fen == principal_fen and len(view.recent_transactions) >= 2:
                    return view
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError("HQ's view did not catch up in time")
            time.sleep(0.2)


def run_slice(state) -> None:  # type: ignore[no-untyped-def]
    store_endpoint = state.endpoint_of(DEMO_STORE)
    phone = f"139{random.randint(0, 99_999_999):08d}"
    print(f"\n== The slice, through store agent S-E-001 ({store_endpoint}) ==")
    with open_channel(store_endpoint) as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        cards = cards_pb2_grpc.CardServiceStub(channel)
        transactions = transactions_pb2_grpc.TransactionServiceStub(channel)

        member = call(members.RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Li Wei 李伟", phone=phone, birthday="1990-05-17",
            gender=common_pb2.GENDER_MALE, channel=common_pb2.REGISTRATION_CHANNEL_STORE,
        )).member
        print(f"1. Registered member {member.name} ({member.phone_masked}), id {member.member_id}, home region {member.home_region}")

        card = call(cards.OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), member_id=member.member_id, card_type_code="SV", form=common_pb2.CARD_FORM_VIRTUAL,
        )).card
        print(f"2. Opened virtual card {card.card_number} (level {card.level_code}, issued by {card.issuing_franchisee_id})")

        recharge = call(transactions.RechargeCard, transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=50_000, tender=common_pb2.TENDER_TYPE_CASH,
        ))
        print(f"3. Recharged {format_fen(recharge.principal_fen)} in cash → principal "
              f"{format_fen(recharge.transaction.balances_after.principal_fen)}")

        sale = call(transactions.Checkout, transactions_pb2.CheckoutRequest(
            request_id=new_id(), card_number=card.card_number,
            lines=[
                transactions_pb2.BasketLine(sku="TEA-001", name="Longjing tea 250g", category="tea", quantity=1, unit_price_fen=8_800),
                transactions_pb2.BasketLine(sku="CUP-002", name="Celadon cup", category="homeware", quantity=2, unit_price_fen=1_600),
            ],
        ))
        print(f"4. Spent {format_fen(sale.total_due_fen)} from stored value → principal "
              f"{format_fen(sale.balances_after.principal_fen)}, points earned {sale.points_earned}")
        print("   Receipt:")
        for line in sale.receipt:
            print(f"     {line.text}")

    print("\n== HQ's chain-wide view, built from Kafka events (chaincard member show) ==")
    view = wait_for_member_view(state.hq_endpoint, phone, principal_fen=38_000)
    print_member_view(view)


def _print_receipt(lines) -> None:  # type: ignore[no-untyped-def]
    for line in lines:
        print(f"     {line.text}")


def run_cross_region_sale(state) -> None:  # type: ignore[no-untyped-def]
    """A Western Gold card bought in the East: level discount, points, split tender, partial refund."""
    phone = f"138{random.randint(0, 99_999_999):08d}"
    print("\n== A card from the West, used in the East (跨区刷卡) ==")
    with open_channel(state.endpoint_of("store-S-W-002")) as west_channel, open_channel(state.endpoint_of("store-S-E-002")) as east_channel:
        west_members = members_pb2_grpc.MemberServiceStub(west_channel)
        west_cards = cards_pb2_grpc.CardServiceStub(west_channel)
        west_till = transactions_pb2_grpc.TransactionServiceStub(west_channel)
        east_till = transactions_pb2_grpc.TransactionServiceStub(east_channel)

        member = call(west_members.RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Zhang Min 张敏", phone=phone, gender=common_pb2.GENDER_FEMALE)).member
        card = call(west_cards.OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), member_id=member.member_id, card_type_code="GOLD")).card
        print(f"1. At S-W-002 (Bamboo, Chongqing): {member.name} gets Gold card {card.card_number}, homed in region {card.home_region}")
        recharge = call(west_till.RechargeCard, transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=100_000, tender=common_pb2.TENDER_TYPE_MOBILE_PAY))
        print(f"2. Recharged {format_fen(recharge.principal_fen)} by mobile pay; promotion {recharge.promotion_code} adds "
              f"{format_fen(recharge.bonus_fen)} bonus and {recharge.points_earned} points")

        sale = call(east_till.Checkout, transactions_pb2.CheckoutRequest(
            request_id=new_id(), card_number=card.card_number, points_to_redeem=200,
            lines=[
                transactions_pb2.BasketLine(sku="TEA-001", name="Longjing tea 250g", category="tea", quantity=1, unit_price_fen=10_000),
                transactions_pb2.BasketLine(sku="CUP-002", name="Celadon cup", category="homeware", quantity=2, unit_price_fen=10_000),
            ],
            tenders=[
                transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH, amount_fen=5_000),
                transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE),
            ],
        ))
        print(f"3. At S-E-002 (Aurora, Hangzhou) — the East forwards to the card's home region {sale.transaction.home_region}: "
              f"subtotal {format_fen(sale.subtotal_fen)}, Gold discount {format_fen(sale.discount_fen)}, "
              f"{sale.points_redeemed} points pay {format_fen(sale.points_deduction_fen)}, total {format_fen(sale.total_due_fen)}; "
              f"{sale.points_earned} points earned")
        _print_receipt(sale.receipt)

        refund = call(east_till.RefundSale, transactions_pb2.RefundSaleRequest(
            request_id=new_id(), card_number=card.card_number, original_transaction_id=sale.transaction.transaction_id,
            amount_fen=10_000, reason="one cup chipped"))
        print(f"4. Partial refund of {format_fen(refund.refund_fen)}: principal +{format_fen(refund.principal_restored_fen)}, "
              f"bonus +{format_fen(refund.bonus_restored_fen)}, {refund.points_clawed_back} points taken back, "
              f"{refund.points_restored} points returned")
        _print_receipt(refund.receipt)


def run_nightly_settlement(state) -> None:  # type: ignore[no-untyped-def]
    """The night's settlement (F2, F3): once every posting of today has reached the settlement
    service, settle today's business day there (closing it early: this is a demo), then print each
    franchisee's net and fetch its statement files over gRPC into the chain's data directory."""
    from pathlib import Path

    from sqlalchemy import create_engine, text

    from chaincard.business_day import business_date
    from chaincard.db.base import utc_now
    from chaincard.v1 import settlement_pb2, settlement_pb2_grpc
    from settlement.cli import export_statement_files
    from settlement.servicers import CLOSE_EARLY_METADATA

    today = business_date(utc_now())
    print(f"\n== The night's franchise settlement, business day {today} (chaincard settle --date {today}) ==")
    region_urls = [url for name, url in state.database_urls.items() if name.startswith("region_")]
    expected: set[str] = set()
    for url in region_urls:
        engine = create_engine(url)
        with engine.connect() as connection:
            expected |= set(connection.execute(
                text("SELECT transaction_id FROM ledger_transactions WHERE business_date = :day"), {"day": today}).scalars())
        engine.dispose()
    settlement_db = create_engine(state.database_urls["settlement"])
    deadline = time.monotonic() + 60
    while True:
        with settlement_db.connect() as connection:
            arrived = set(connection.execute(
                text("SELECT transaction_id FROM clearing_records WHERE business_date = :day"), {"day": today}).scalars())
        if expected <= arrived:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(expected - arrived)} of today's postings did not reach settlement in time")
        time.sleep(0.2)
    settlement_db.dispose()
    print(f"1. All {len(expected)} postings of today reached the clearing ledger (chaincard.postings.v1)")

    with open_channel(state.endpoint_of("settlement")) as channel:
        stub = settlement_pb2_grpc.SettlementServiceStub(channel)
        try:
            call(stub.GetSettlementRun, settlement_pb2.GetSettlementRunRequest(business_date=today.isoformat()))
            print("   (today was already settled by an earlier demo: its new postings settle tomorrow as adjustments)")
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        run = call(stub.RunSettlement, settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=today.isoformat()),
                   deadline=120, metadata=[(CLOSE_EARLY_METADATA, "1")]).run
    print(f"2. Settled: {run.clearing_record_count} cross-franchise records, {run.late_record_count} late ones, "
          f"nets sum to {format_fen(run.manifest.net_total_fen)}; manifest sha256 {run.manifest.manifest_sha256_hex[:16]}…")
    out_dir = Path(state.data_dir) / "statements" / today.isoformat()
    for entry in run.manifest.entries:
        files = export_statement_files(state.endpoint_of("settlement"), entry.statement_id, ["pdf", "xlsx", "csv"], out_dir)
        verdict = "HQ pays it" if entry.net_fen > 0 else "it pays HQ" if entry.net_fen < 0 else "nothing to pay"
        print(f"   {entry.franchisee_id:<10} net {format_fen(entry.net_fen):>12} ({verdict})  {files[0][0]}")
    print(f"3. Statements (PDF, XLSX, CSV, each checked against its SHA-256) are in {out_dir}")

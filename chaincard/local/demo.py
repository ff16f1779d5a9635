"""The scripted demo: the thin slice through a store agent, then HQ's chain-wide view of it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import grpc
from google.protobuf.message import Message

from chaincard.chain_state import ChainState
from chaincard.ids import new_id
from chaincard.local.accounts import operator_token
from chaincard.money import format_fen
from chaincard.rpc.channels import call
from chaincard.security.identity import Role, Scope
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

if TYPE_CHECKING:
    from chaincard.local.chain import Chain

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
    for link in view.linked_cards:  # C5: cards spending one of the member's cards' stored value
        print(
            f"  linked card {link.card_number} → main {link.main_card_number}  "
            f"holder {link.holder_name or link.holder_member_id or '-'}  limit {format_fen(link.monthly_limit_fen)}/month  "
            f"used {format_fen(link.spent_this_month_fen)} in {link.month}"
        )
    print("  recent transactions:")
    for transaction in view.recent_transactions:
        kind = common_pb2.TransactionType.Name(transaction.type).removeprefix("TRANSACTION_TYPE_")
        # The card used: the linked card presented, for a spend its main card paid (C5).
        used = transaction.presenting_card_number or transaction.card_number
        print(
            f"    {transaction.business_date} {kind:<9} {format_fen(transaction.amount_fen):>10} at {transaction.store_id:<8} "
            f"card {used} → principal {format_fen(transaction.balances_after.principal_fen)}, "
            f"points {transaction.balances_after.points}"
        )


def wait_for_member_view(state: ChainState, phone: str, principal_fen: int, timeout: float = 30.0) -> member_view_pb2.GetMemberViewResponse:
    """Poll HQ until its event-fed view shows the expected balance (it trails the region by the relay lag)."""
    deadline = time.monotonic() + timeout
    with state.channel("hq") as channel:
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


def run_slice(state: ChainState) -> None:
    store_endpoint = state.endpoint_of(DEMO_STORE)
    phone = f"139{random.randint(0, 99_999_999):08d}"
    print(f"\n== The slice, through store agent S-E-001 ({store_endpoint}) ==")
    with state.channel(DEMO_STORE) as channel:
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
    view = wait_for_member_view(state, phone, principal_fen=38_000)
    print_member_view(view)

    new_phone = f"137{random.randint(0, 99_999_999):08d}"
    with state.channel(DEMO_STORE) as channel:
        updated = call(members_pb2_grpc.MemberServiceStub(channel).UpdateMember, members_pb2.UpdateMemberRequest(
            request_id=new_id(), member_id=member.member_id, phone=new_phone, add_tags=["tea lover"],
            reason="the member's new number")).member
    with state.channel("store-S-W-001") as channel:
        found = call(members_pb2_grpc.MemberServiceStub(channel).FindMember, members_pb2.FindMemberRequest(phone=new_phone))
    print(f"5. {updated.name} gives a new phone at the till (M3, audited) → {updated.phone_masked}, tags {list(updated.tags)}; "
          f"a West store finds him by it through HQ's index: member {found.member.member_id}, home region {found.member.home_region}")


def _print_receipt(lines: Iterable[common_pb2.ReceiptLine]) -> None:
    for line in lines:
        print(f"     {line.text}")


def run_cross_region_sale(state: ChainState) -> None:
    """A Western Gold card bought in the East: level discount, points, split tender, partial refund."""
    phone = f"138{random.randint(0, 99_999_999):08d}"
    print("\n== A card from the West, used in the East (跨区刷卡) ==")
    with state.channel("store-S-W-002") as west_channel, state.channel("store-S-E-002") as east_channel:
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
              f"{format_fen(recharge.bonus_fen)} bonus, {recharge.points_earned} points and "
              f"{len(recharge.coupons_issued)} coupon(s): "
              + ", ".join(f"{coupon.template_code} {coupon.coupon_code}" for coupon in recharge.coupons_issued))
        coupon_codes = [coupon.coupon_code for coupon in recharge.coupons_issued]
        # Points for a gift at the card's own store, which keeps umbrellas in stock (P2).
        _chaincard(state, "region", "gift-stock", "--code", "W", "--store", "S-W-002", "--sku", "GIFT-UMBRELLA",
                   "--quantity", "20")
        gift = call(west_till.RedeemPoints, transactions_pb2.RedeemPointsRequest(
            request_id=new_id(), card_number=card.card_number, store_id="S-W-002", rule_code="GIFT-UMBRELLA", quantity=1))
        print(f"3. {gift.points_spent} points buy a ChainCard umbrella at the counter (chaincard points redeem); "
              f"{gift.balances_after.points} points left")

        basket = [
            transactions_pb2.BasketLine(sku="TEA-001", name="Longjing tea 250g", category="tea", quantity=1, unit_price_fen=10_000),
            transactions_pb2.BasketLine(sku="CUP-002", name="Celadon cup", category="homeware", quantity=2, unit_price_fen=10_000),
        ]
        tenders = [
            transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH, amount_fen=5_000),
            transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE),
        ]
        # The till shows the member the total first: a quote writes nothing (X1).
        quote = call(east_till.QuoteCheckout, transactions_pb2.QuoteCheckoutRequest(
            store_id="S-E-002", card_number=card.card_number, lines=basket, points_to_redeem=100, coupon_codes=coupon_codes,
            tenders=tenders))
        print(f"4. At S-E-002 (Aurora, Hangzhou), another franchisee's store: the quote (chaincard pos quote) shows "
              f"subtotal {format_fen(quote.subtotal_fen)}, discounts {format_fen(quote.discount_fen)} of which coupons "
              f"{format_fen(sum(coupon.discount_fen for coupon in quote.coupons))}, total {format_fen(quote.total_due_fen)}")
        sale = call(east_till.Checkout, transactions_pb2.CheckoutRequest(
            request_id=new_id(), card_number=card.card_number, points_to_redeem=100, coupon_codes=coupon_codes,
            lines=basket, tenders=tenders,
        ))
        print(f"5. The sale — the East forwards to the card's home region {sale.transaction.home_region}: "
              f"subtotal {format_fen(sale.subtotal_fen)}, Gold discount and coupon {format_fen(sale.discount_fen)}, "
              f"{sale.points_redeemed} points pay {format_fen(sale.points_deduction_fen)}, total {format_fen(sale.total_due_fen)}; "
              f"{sale.points_earned} points earned. The coupon is Bamboo's (the card's issuer): tonight Bamboo pays "
              f"Aurora its {format_fen(sum(coupon.discount_fen for coupon in sale.coupons))}")
        _print_receipt(sale.receipt)

        refund_request = transactions_pb2.RefundSaleRequest(
            request_id=new_id(), card_number=card.card_number, original_transaction_id=sale.transaction.transaction_id,
            amount_fen=10_000, reason="one cup chipped")
        # A refund is a store manager's: the till alone (a cashier) is refused; the manager logs in at it.
        refused = _refusal(east_till.RefundSale, refund_request)
        manager = operator_token(state, "manager-S-E-002", Role.STORE_MANAGER, Scope.store("S-E-002"),
                                 display_name="Store manager, Hangzhou West Lake")
        with state.channel("store-S-E-002", token=manager) as manager_channel:
            refund = call(transactions_pb2_grpc.TransactionServiceStub(manager_channel).RefundSale, refund_request)
        print(f"6. The cashier's refund is refused ({refused}); the store manager logs in at the till and refunds. "
              f"Partial refund of {format_fen(refund.refund_fen)}: principal +{format_fen(refund.principal_restored_fen)}, "
              f"bonus +{format_fen(refund.bonus_restored_fen)}, {refund.points_clawed_back} points taken back, "
              f"{refund.points_restored} points returned")
        _print_receipt(refund.receipt)


def run_nightly_settlement(state: ChainState) -> None:
    """The night's settlement (F2, F3): once every posting of today has reached the settlement
    service, settle today's business day there (closing it early: this is a demo), then print each
    franchisee's net and fetch its statement files over gRPC into the chain's data directory."""
    from pathlib import Path

    from chaincard.business_day import business_date
    from chaincard.db.base import utc_now
    from chaincard.settlement_client import CLOSE_EARLY_METADATA, export_statement_files
    from chaincard.v1 import settlement_pb2, settlement_pb2_grpc

    today = business_date(utc_now())
    print(f"\n== The night's franchise settlement, business day {today} (chaincard settle --date {today}) ==")
    # What each region posted today and what reached settlement, each by the service's own command
    # on its own database (``chaincard region postings``, ``chaincard clearing postings``).
    expected = set(_chaincard(state, "region", "postings", "--date", today.isoformat()).split())
    deadline = time.monotonic() + 60
    while True:
        arrived = set(_chaincard(state, "clearing", "postings", "--date", today.isoformat()).split())
        if expected <= arrived:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(expected - arrived)} of today's postings did not reach settlement in time")
        time.sleep(0.2)
    print(f"1. All {len(expected)} postings of today reached the clearing ledger (chaincard.postings.v1)")

    finance = operator_token(state, "finance", Role.HQ_FINANCE, Scope.chain(), display_name="HQ finance")
    with state.channel("settlement", token=finance) as channel:
        stub = settlement_pb2_grpc.SettlementServiceStub(channel)
        try:
            call(stub.GetSettlementRun, settlement_pb2.GetSettlementRunRequest(business_date=today.isoformat()))
            print("   (today was already settled by an earlier demo: its new postings settle tomorrow as adjustments)")
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        run = call(stub.RunSettlement, settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=today.isoformat()),
                   deadline=120, metadata=[(CLOSE_EARLY_METADATA, "1")]).run
    print(f"2. Settled by HQ finance: {run.clearing_record_count} cross-franchise records, {run.late_record_count} late ones, "
          f"nets sum to {format_fen(run.manifest.net_total_fen)}; manifest sha256 {run.manifest.manifest_sha256_hex[:16]}…")
    # The check a franchisee runs on the files it received: settlement's own command.
    verified = _chaincard(state, "statement", "verify", "--date", today.isoformat(),
                          "--statements-dir", str(Path(state.data_dir) / "statements"), allowed_exit_codes=(0, 1),
                          data_dir=False)
    outcomes = [line.split()[0] for line in verified.splitlines() if line.startswith(("  OK  ", "  FAIL"))]
    print(f"   {outcomes.count('OK')} of {len(outcomes)} checks of the signed manifest pass "
          f"(chaincard statement verify --date {today})")
    out_dir = Path(state.data_dir) / "downloads" / today.isoformat()
    print("   Each franchisee's admin logs in and fetches its own statement (and only its own):")
    entries = list(run.manifest.entries)
    for index, entry in enumerate(entries):
        franchisee_admin = operator_token(state, f"admin-{entry.franchisee_id}", Role.FRANCHISEE_ADMIN,
                                          Scope.franchisee(entry.franchisee_id))
        with state.channel("settlement", token=franchisee_admin) as channel:
            files = export_statement_files(channel, entry.statement_id, ["pdf", "xlsx", "csv"], out_dir)
            other = entries[(index + 1) % len(entries)]
            statements = settlement_pb2_grpc.SettlementServiceStub(channel)
            refused = _refusal(statements.GetStatement, settlement_pb2.GetStatementRequest(statement_id=other.statement_id))
            # Coupons one franchisee bears and another's store redeemed clear like stored value (F1).
            own = call(statements.GetStatement, settlement_pb2.GetStatementRequest(statement_id=entry.statement_id)).statement
            coupon_lines = [line for line in own.lines if line.flow in (settlement_pb2.SETTLEMENT_FLOW_COUPON_ACQUIRED,
                                                                         settlement_pb2.SETTLEMENT_FLOW_COUPON_ISSUED)]
        verdict = "HQ pays it" if entry.net_fen > 0 else "it pays HQ" if entry.net_fen < 0 else "nothing to pay"
        print(f"   {entry.franchisee_id:<10} net {format_fen(entry.net_fen):>12} ({verdict})  {files[0][0]}"
              f"\n   {'':<10} asking for {other.franchisee_id}'s statement: {refused}")
        for line in coupon_lines:
            side = "their coupons redeemed here" if line.flow == settlement_pb2.SETTLEMENT_FLOW_COUPON_ACQUIRED \
                else "our coupons redeemed there"
            print(f"   {'':<10} coupons: {line.transaction_count} of {line.counterparty_franchisee_id}'s ({side}), "
                  f"{format_fen(line.gross_fen)} → net {format_fen(line.net_fen)}")
    print(f"3. The statements they downloaded (PDF, XLSX, CSV, each checked against its SHA-256) are in {out_dir}")


def _chaincard(state: ChainState, *arguments: str, allowed_exit_codes: tuple[int, ...] = (0,), data_dir: bool = True) -> str:
    """Run a ``chaincard`` command against the demo's chain (with ``data_dir``, its data directory:
    its addresses, certificates and the admin's saved token) and return what it printed. The demo
    reaches a service's own commands this way, never by importing the service."""
    import os
    import subprocess
    import sys

    # The chain's state decides how to reach it, as for the demo's own calls, not a shell's settings.
    env = {name: value for name, value in os.environ.items()
           if name not in ("CHAINCARD_TLS_DIR", "CHAINCARD_CLIENT_CERT", "CHAINCARD_TOKEN_FILE", "CHAINCARD_INSECURE")}
    where = ["--data-dir", state.data_dir] if data_dir else []
    done = subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments, *where],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    if done.returncode not in allowed_exit_codes:
        raise RuntimeError(f"chaincard {' '.join(arguments)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def _notices(state: ChainState, *, limit: int, status: str | None = None) -> list[dict[str, str]]:
    """HQ's latest transaction notices, newest first (``chaincard notices list --json``)."""
    import json

    arguments = ["notices", "list", "--json", "--limit", str(limit), *(["--status", status] if status else [])]
    return list(reversed([json.loads(line) for line in _chaincard(state, *arguments).splitlines() if line.strip()]))


def _refusal(method: Callable[..., object], request: Message) -> str:
    """The status a call that must be refused got."""
    try:
        call(method, request)
    except grpc.RpcError as error:
        return error.code().name
    return "ALLOWED (it should not be!)"


def run_offline_store(state: ChainState, chain: Chain) -> None:
    """X4 live: store S-E-001 loses its link (region E's process is stopped with SIGSTOP, so its
    sockets stay open and simply go silent, like a dead WAN line), keeps selling within its offline
    limits, refuses what it may not do alone, and forwards its queue once the region is back."""
    import os
    import signal

    from chaincard.v1 import store_agent_pb2, store_agent_pb2_grpc

    region = chain.children["region-E"]
    phone = f"137{random.randint(0, 99_999_999):08d}"
    print("\n== A store that keeps selling when its link drops (离线收银, X4) ==")
    with state.channel(DEMO_STORE) as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        cards = cards_pb2_grpc.CardServiceStub(channel)
        till = transactions_pb2_grpc.TransactionServiceStub(channel)
        agent = store_agent_pb2_grpc.StoreAgentServiceStub(channel)

        def status() -> store_agent_pb2.GetStoreStatusResponse:
            return call(agent.GetStoreStatus, store_agent_pb2.GetStoreStatusRequest())

        def sale(price_fen: int, name: str) -> transactions_pb2.CheckoutRequest:
            return transactions_pb2.CheckoutRequest(request_id=new_id(), card_number=card, lines=[
                transactions_pb2.BasketLine(sku=name[:8].upper(), name=name, category="grocery", quantity=1, unit_price_fen=price_fen)])

        member = call(members.RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Chen Jing 陈静", phone=phone, channel=common_pb2.REGISTRATION_CHANNEL_STORE)).member
        card = call(cards.OpenCard, cards_pb2.OpenCardRequest(request_id=new_id(), member_id=member.member_id, card_type_code="SV")).card.card_number
        call(till.RechargeCard, transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card, amount_fen=30_000, tender=common_pb2.TENDER_TYPE_CASH))
        print(f"1. Online at S-E-001: {member.name} opens card {card} and recharges ¥300.00; the store caches the card")

        os.kill(region.pid, signal.SIGSTOP)
        try:
            print("2. Region E's process is stopped (SIGSTOP): the store's link is cut. The first sale waits out one deadline…")
            started = time.monotonic()
            first = call(till.Checkout, sale(5_800, "Rice 5kg"), deadline=30)
            print(f"   ¥58.00 approved OFFLINE after {time.monotonic() - started:.1f} s; receipt:")
            _print_receipt(first.receipt)
            second = call(till.Checkout, sale(3_000, "Cooking oil"), deadline=30)
            print(f"   ¥30.00 approved OFFLINE at once; estimated principal left "
                  f"{format_fen(second.balances_after.principal_fen)}")
            for label, attempt in (
                ("¥150.00 sale", lambda: call(till.Checkout, sale(15_000, "Tea gift box"), deadline=30)),
                ("¥100.00 recharge", lambda: call(till.RechargeCard, transactions_pb2.RechargeCardRequest(
                    request_id=new_id(), card_number=card, amount_fen=10_000, tender=common_pb2.TENDER_TYPE_CASH), deadline=30)),
            ):
                try:
                    attempt()
                except grpc.RpcError as error:
                    print(f"   {label} refused ({error.code().name}): {error.details()}")
            balance = call(cards.GetBalance, cards_pb2.GetBalanceRequest(card_number=card))
            print(f"   Balance from the store's cache (from_cache={balance.from_cache}): principal "
                  f"{format_fen(balance.balances.principal_fen)}, as last read from the region")
            offline = status()
            print(f"3. Store status: online={offline.online}, {offline.offline_queue_depth} sale(s) queued, exposure "
                  f"{format_fen(offline.offline_exposure_fen)} of {format_fen(offline.offline_exposure_limit_fen)}")
            time.sleep(2)
        finally:
            os.kill(region.pid, signal.SIGCONT)
        print("4. Region E resumes (SIGCONT); the store's link probe sees it and forwards its queue as advices…")
        deadline = time.monotonic() + 60
        while True:
            current = status()
            if current.online and current.offline_queue_depth == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the offline queue was not forwarded in time")
            time.sleep(0.2)
        balance = call(cards.GetBalance, cards_pb2.GetBalanceRequest(card_number=card))
        print(f"   Queue empty, store online. Region E's balance: principal {format_fen(balance.balances.principal_fen)}, "
              f"points {balance.balances.points}")
        history = call(till.ListTransactions, transactions_pb2.ListTransactionsRequest(card_number=card, page_size=5))
        for item in history.transactions:
            kind = common_pb2.TransactionType.Name(item.type).removeprefix("TRANSACTION_TYPE_")
            print(f"     {kind:<15} {format_fen(item.amount_fen):>9}  → principal {format_fen(item.balances_after.principal_fen)}")
        print("   Each offline sale was posted once, as an advice keyed by its checkout's request id (had the first one "
              "reached the region before the cut, its SPEND would stand and the advice be answered DUPLICATE)")


def run_reports(state: ChainState) -> None:
    """HQ's daily store report for today (R1) and the transaction notices sent (N1), both built from
    the Kafka events of everything the demo did."""
    from datetime import UTC, datetime

    from chaincard.business_day import business_date
    from chaincard.chain_state import deployment_of
    from chaincard.events.lag import consumer_lag
    from chaincard.v1 import reports_pb2, reports_pb2_grpc

    today = business_date(datetime.now(UTC)).isoformat()
    print(f"\n== HQ's reports, from the events (chaincard report daily --date {today}) ==")
    # HQ trails the regions by the relay and its consumers: wait until both groups caught up and
    # the notices due have gone out.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lags = {group.group_id.rpartition(".")[2]: group.lag for group in consumer_lag(state.kafka_bootstrap, deployment_of(state))}
        if lags["hq-read-models"] == 0 and lags["hq-notifications"] == 0:
            waiting = [notice for notice in _notices(state, limit=20, status="PENDING")
                       if datetime.fromisoformat(notice["send_after"]) <= datetime.now(UTC)]
            if not waiting:
                break
        time.sleep(0.3)
    with state.channel("hq") as channel:
        stub = reports_pb2_grpc.ReportServiceStub(channel)
        query = reports_pb2.SalesReportQuery(start_business_date=today, end_business_date=today,
                                             grouping=reports_pb2.REPORT_GROUPING_STORE)
        rows = [item.row for item in call(stub.StreamSalesReport, reports_pb2.StreamSalesReportRequest(query=query))]
        print(f"{'store':<9} {'sales':>5} {'sales net':>12} {'member spend':>13} {'recharges':>9} {'recharged':>12} "
              f"{'refunds+voids':>14}")
        for row in rows:
            figures = row.figures
            spent = figures.stored_value_principal_spent_fen + figures.stored_value_bonus_spent_fen
            print(f"{row.group_key or '(HQ)':<9} {figures.sales_count:>5} {format_fen(figures.sales_net_fen):>12} "
                  f"{format_fen(spent):>13} {figures.recharge_count:>9} {format_fen(figures.recharge_fen):>12} "
                  f"{format_fen(figures.refund_fen + figures.void_fen):>14}")
    print()
    # HQ's daily store report, as its own command prints it.
    print(_chaincard(state, "report", "daily", "--store", "S-E-002", "--date", today), end="")
    print("\n== Transaction notices sent (chaincard notices list; log channel) ==")
    notices = list(reversed(_notices(state, limit=12)))
    for notice in notices:
        text = notice["rendered"] or f"({notice['status'].lower()}: {notice['last_error'] or 'waiting'})"
        print(f"   {notice['channel']:<6} {notice['notification_event']:<11} …{notice['card_last4']}  {text}")
    if not notices:
        print("   (none yet)")

"""A whole chain as real processes: health of each, the thin slice through a store agent, the
ledger invariants afterwards, and HQ's event-fed view of the balance (issue: foundation)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.local.accounts import ensure_operator
from chaincard.local.demo import wait_for_member_view
from chaincard.local.demo_cards import run_count_card, run_level_and_qr, run_monthly_card
from chaincard.local.demo_golive import COMPANY_CARDS, run_company_purchase, run_import
from chaincard.rpc.channels import open_channel
from chaincard.security.identity import Role, Scope
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.e2e


def test_every_process_reports_serving_over_grpc_health(chain):
    assert {p.role for p in chain.processes} == {"hq", "region", "relay", "store", "settlement"}
    assert len([p for p in chain.processes if p.role == "store"]) == 4
    for process in chain.processes:
        with open_channel(process.endpoint, chain.operator_transport(token="")) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING, process.name
        # Mutual TLS is on by default: a plaintext caller never gets an answer.
        with grpc.insecure_channel(process.endpoint) as channel, pytest.raises(grpc.RpcError) as refused:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, process.name


def test_status_command_sees_the_chain(chain):
    result = subprocess.run(
        [sys.executable, "-m", "chaincard.cli", "status", "--data-dir", chain.data_dir], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SERVING") == len(chain.processes)
    # The headline figures summed over every process's /metrics (docs/adr/0051), none missing.
    assert "checkouts " in result.stdout and "stores offline " in result.stdout, result.stdout
    assert "not answering" not in result.stdout, result.stdout


def test_the_slice_end_to_end(chain):
    phone = f"136{random.randint(0, 99_999_999):08d}"
    with chain.channel("store-S-E-002") as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        cards = cards_pb2_grpc.CardServiceStub(channel)
        transactions = transactions_pb2_grpc.TransactionServiceStub(channel)
        member = members.RegisterMember(members_pb2.RegisterMemberRequest(request_id=new_id(), name="E2E 会员", phone=phone), timeout=10).member
        card = cards.OpenCard(cards_pb2.OpenCardRequest(request_id=new_id(), member_id=member.member_id, card_type_code="SV"), timeout=10).card
        assert card.issuing_franchisee_id == "F-AURORA"
        recharge_request = transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=50_000, tender=common_pb2.TENDER_TYPE_CASH)
        transactions.RechargeCard(recharge_request, timeout=10)
        transactions.RechargeCard(recharge_request, timeout=10)  # a till retry: must not post twice
        sale = transactions.Checkout(transactions_pb2.CheckoutRequest(
            request_id=new_id(), card_number=card.card_number,
            lines=[transactions_pb2.BasketLine(sku="A", name="tea", category="tea", quantity=1, unit_price_fen=12_000)]), timeout=10)
        assert sale.balances_after.principal_fen == 38_000

    assert assert_ledger_consistent(chain.database_urls["region_E"]) >= 2
    view = wait_for_member_view(chain, phone, principal_fen=38_000, timeout=30)
    assert view.cards[0].balances.principal_fen == 38_000
    assert [t.type for t in view.recent_transactions] == [common_pb2.TRANSACTION_TYPE_SPEND, common_pb2.TRANSACTION_TYPE_RECHARGE]
    assert view.member.phone_masked == phone[:3] + "****" + phone[-4:]

    shown = subprocess.run(
        [sys.executable, "-m", "chaincard.cli", "member", "show", phone, "--data-dir", chain.data_dir],
        capture_output=True, text=True, timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "¥380.00" in shown.stdout and card.card_number in shown.stdout
    assert phone not in shown.stdout  # HQ's view is masked


def test_the_demos_count_card_level_upgrade_and_qr_checkout(chain, capsys):
    """The steps `chaincard demo` plays (issue 14 item 10), with what they print checked."""
    counted = run_count_card(chain)
    assert (counted.uses_bought, counted.uses_left_after_wash) == (10, 9)
    assert counted.second_wash_refusal.startswith("FAILED_PRECONDITION") and "S-W-001" in counted.second_wash_refusal
    monthly = run_monthly_card(chain)
    assert monthly.used_today_after_two == 2
    assert monthly.third_pot_refusal.startswith("FAILED_PRECONDITION") and "MONTHLY-TEA" in monthly.third_pot_refusal
    assert date.fromisoformat(monthly.extended_end) - date.fromisoformat(monthly.first_end) == timedelta(days=30)
    for used, receipt in enumerate(monthly.pot_receipts, start=1):  # each pot's receipt: the day's uses and the pass's end
        assert any(line.startswith("Pass MONTHLY-TEA -1") and line.endswith(f"{used}/2 today") for line in receipt), receipt
        assert any(line.startswith("Pass until") and line.endswith(monthly.first_end) for line in receipt), receipt
    shown = run_level_and_qr(chain)
    assert (shown.level_before, shown.level_after) == ("NORMAL", "SILVER")
    assert "Level upgraded to SILVER" in shown.upgrade_receipt
    assert len(shown.qr_code) == 39 and shown.qr_code.startswith("7") and shown.qr_code[1:16] == shown.card_number
    assert all(image.stat().st_size > 0 for image in shown.qr_images)
    assert shown.qr_sale_points_earned == 144  # ¥120 at SILVER's 1.2×
    assert shown.second_scan_refusal == "FAILED_PRECONDITION: member code already used; show a fresh one"
    printed = capsys.readouterr().out
    assert "Uses left CARWASH             10" in printed and "Uses CARWASH -1           9 left" in printed
    assert "level NORMAL → SILVER" in printed and str(shown.qr_images[1]) in printed
    assert assert_ledger_consistent(chain.database_urls["region_E"]) >= 2  # the packs match the uses accounts


def test_the_demos_going_live_steps(chain, capsys):
    """`chaincard demo`'s import of an old system's file (issue 15 item 9), as a user reads it."""
    shown = run_import(chain)
    assert "rows read 8, valid 6, in error 2" in shown.dry_run
    assert "手机号" in shown.dry_run and "本金余额(元)" in shown.dry_run  # each problem named by the file's own column
    assert "rows read 8, valid 6, in error 2" in shown.real_run
    assert "balanced to the fen" in shown.reconciliation
    assert "imported 0, already imported 6" in shown.again
    assert "row 8 手机号" in capsys.readouterr().out
    # The demo's manager-approved recharge lists S-E-002's staff: tests/e2e/test_store_staff.py plays it.
    company = run_company_purchase(chain)  # C6: 20 cards bought in one call, by invoice
    assert f"COMPLETED, {COMPANY_CARDS}/{COMPANY_CARDS} lines" in company.purchase, company.purchase
    assert f"CO-DEMO: {COMPANY_CARDS} cards" in company.cards
    assert company.cards.count("principal ¥") == COMPANY_CARDS and "principal ¥0.00" not in company.cards, company.cards
    assert "(F-BAMBOO ¥" in company.usage, company.usage  # one card spent at Bamboo's store: the company sees where


def test_a_cross_franchise_spend_settles_between_the_two_franchisees(chain):
    phone = f"135{random.randint(0, 99_999_999):08d}"
    with chain.channel("store-S-W-002") as bamboo, chain.channel("store-S-E-002") as aurora:
        member = members_pb2_grpc.MemberServiceStub(bamboo).RegisterMember(
            members_pb2.RegisterMemberRequest(request_id=new_id(), name="Settle", phone=phone), timeout=10).member
        card = cards_pb2_grpc.CardServiceStub(bamboo).OpenCard(
            cards_pb2.OpenCardRequest(request_id=new_id(), member_id=member.member_id, card_type_code="SV"), timeout=10).card
        transactions_pb2_grpc.TransactionServiceStub(bamboo).RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=20_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
        sale = transactions_pb2_grpc.TransactionServiceStub(aurora).Checkout(transactions_pb2.CheckoutRequest(
            request_id=new_id(), card_number=card.card_number,
            lines=[transactions_pb2.BasketLine(sku="A", name="tea", category="tea", quantity=1, unit_price_fen=10_000)]), timeout=10)
    # Settle only once the settlement service has consumed the sale from Kafka.
    engine = create_engine(chain.database_urls["settlement"])
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while not connection.execute(text("SELECT 1 FROM clearing_records WHERE transaction_id = :t"),
                                     {"t": sale.transaction.transaction_id}).first():
            assert time.monotonic() < deadline, "settlement never received the sale"
            time.sleep(0.3)
    engine.dispose()
    # Settling is HQ finance's: log in as such an operator with the CLI, keeping its token apart.
    password_file = Path(chain.data_dir) / "finance-password"
    password_file.write_text(ensure_operator(chain, "finance", Role.HQ_FINANCE, Scope.chain()))
    as_finance = {**os.environ, "CHAINCARD_TOKEN_FILE": str(Path(chain.data_dir) / "finance-token.json")}
    login = subprocess.run(
        [sys.executable, "-m", "chaincard.cli", "login", "finance", "--password-file", str(password_file),
         "--data-dir", chain.data_dir], capture_output=True, text=True, timeout=60, env=as_finance,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    as_admin = subprocess.run(
        [sys.executable, "-m", "chaincard.cli", "settle", "--date", sale.transaction.business_date, "--close-early",
         "--data-dir", chain.data_dir], capture_output=True, text=True, timeout=120,
    )
    assert as_admin.returncode != 0 and "PERMISSION_DENIED" in as_admin.stderr, as_admin.stdout + as_admin.stderr
    result = subprocess.run(
        [sys.executable, "-m", "chaincard.cli", "settle", "--date", sale.transaction.business_date, "--close-early",
         "--data-dir", chain.data_dir], capture_output=True, text=True, timeout=120, env=as_finance,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    nets = {line.split()[0]: line.split()[2] for line in result.stdout.splitlines() if " net " in line and line.startswith("  F-")}
    # Bamboo's card took ¥100 of goods at Aurora's store: Aurora is owed it less fees, Bamboo owes it.
    assert nets["F-AURORA"].startswith("¥") and nets["F-AURORA"] != "¥0.00"
    assert nets["F-BAMBOO"].startswith("-¥")
    assert "nets sum to ¥0.00" in result.stdout


def test_each_service_lists_a_days_postings_with_its_own_command(chain):
    """What the demo waits on before settling: the region's and settlement's own commands, each
    on its own database (the supervisor reads no service's database)."""
    phone = f"134{random.randint(0, 99_999_999):08d}"
    with chain.channel("store-S-W-002") as bamboo:
        member = members_pb2_grpc.MemberServiceStub(bamboo).RegisterMember(
            members_pb2.RegisterMemberRequest(request_id=new_id(), name="Postings", phone=phone), timeout=10).member
        card = cards_pb2_grpc.CardServiceStub(bamboo).OpenCard(
            cards_pb2.OpenCardRequest(request_id=new_id(), member_id=member.member_id, card_type_code="SV"), timeout=10).card
        recharge = transactions_pb2_grpc.TransactionServiceStub(bamboo).RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=5_000, tender=common_pb2.TENDER_TYPE_CASH),
            timeout=10).transaction

    def listed(*arguments: str) -> set[str]:
        done = subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments, "--date", recharge.business_date,
                               "--data-dir", chain.data_dir], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return set(done.stdout.split())

    assert recharge.transaction_id in listed("region", "postings", "--code", "W")
    assert recharge.transaction_id not in listed("region", "postings", "--code", "E")
    assert recharge.transaction_id in listed("region", "postings")  # every region of the chain
    deadline = time.monotonic() + 30
    while recharge.transaction_id not in listed("clearing", "postings"):
        assert time.monotonic() < deadline, "settlement never received the recharge"
        time.sleep(0.3)

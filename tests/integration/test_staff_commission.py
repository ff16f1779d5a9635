"""Staff commission and sales per staff member (C7, S2; docs/adr/0043) over real processes: HQ,
two regions and the broker, with PostgreSQL.

Two staff members at two stores open cards, take recharges and ring up sales; one sale is partly
refunded. HQ's commission run for the day, run twice, writes the day once, and its report matches
the table below, worked out by hand; the sales-per-staff report too; both export to CSV and XLSX
with the same figures.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from decimal import Decimal

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    commission_pb2,
    commission_pb2_grpc,
    common_pb2,
    directory_pb2,
    directory_pb2_grpc,
    members_pb2,
    program_config_pb2_grpc,
    transactions_pb2,
)
from chaincard.v1 import program_config_pb2 as pc

# HQ's views in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True

TEA = transactions_pb2.BasketLine(sku="TEA", name="Longjing", category="tea", quantity=1, unit_price_fen=10_000)
CUPS = transactions_pb2.BasketLine(sku="CUP", name="Cups", category="homeware", quantity=2, unit_price_fen=10_000)
A_STORE, B_STORE = "S-E-001", "S-E-002"
# (staff id, operator id the tills name): a till may name the staff id itself (S1).
A, B = ("ST-CM-A", "ST-CM-A"), ("ST-CM-B", "ST-CM-B")
PLANS = [
    pc.CommissionPlan(code="CM-OPEN", name="开卡 ¥5", event=pc.COMMISSION_EVENT_CARD_OPENING, fixed_fen=500, active=True),
    pc.CommissionPlan(code="CM-RECH", name="充值 1%", event=pc.COMMISSION_EVENT_RECHARGE, rate_bp=100, active=True),
    pc.CommissionPlan(code="CM-SPEND", name="消费 2%", event=pc.COMMISSION_EVENT_SPEND, rate_bp=200, active=True),
    pc.CommissionPlan(code="CM-GOLD-MGR", name="金卡消费 店长 ¥1", event=pc.COMMISSION_EVENT_SPEND, fixed_fen=100,
                      level_codes=["GOLD"], staff_roles=[directory_pb2.STAFF_ROLE_STORE_MANAGER], active=True),
]
# (store, staff, plan) -> (events, basis fen, commission fen), by hand:
EXPECTED = {
    # A opened an SV card (¥5), recharged it ¥500 (1% = ¥5.00), sold it tea for ¥100 (2% = ¥2.00), then
    # refunded ¥25 of that sale: floor(200 × 2,500 / 10,000) = 50 fen back.
    (A_STORE, "ST-CM-A", "CM-OPEN"): (1, 0, 500),
    (A_STORE, "ST-CM-A", "CM-RECH"): (1, 50_000, 500),
    (A_STORE, "ST-CM-A", "CM-SPEND"): (1, 7_500, 150),
    # B (a store manager) opened a GOLD card (¥5), recharged it ¥333.33 (1% = 333.33 fen, floored:
    # 333), sold it two cups at ¥180 after Gold's 10% (2% = 360 fen; Gold and manager: ¥1), and sold
    # the SV card tea for ¥100 (2% = 200 fen; not Gold: no ¥1).
    (B_STORE, "ST-CM-B", "CM-OPEN"): (1, 0, 500),
    (B_STORE, "ST-CM-B", "CM-RECH"): (1, 33_333, 333),
    (B_STORE, "ST-CM-B", "CM-SPEND"): (2, 28_000, 560),
    (B_STORE, "ST-CM-B", "CM-GOLD-MGR"): (1, 18_000, 100),
}
EXPECTED_SALES = {  # (store, staff) -> (sales, sales net, recharges, recharged, cards opened)
    (A_STORE, "ST-CM-A"): (1, 7_500, 1, 50_000, 1),
    (B_STORE, "ST-CM-B"): (2, 28_000, 1, 33_333, 1),
}
DEADLINE = 10


def _hq_config(regions) -> None:  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        for plan in PLANS:
            program.UpsertCommissionPlan(pc.UpsertCommissionPlanRequest(request_id=new_id(), commission_plan=plan), timeout=DEADLINE)
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        for (staff_id, _), store, role, name in ((A, A_STORE, directory_pb2.STAFF_ROLE_CASHIER, "Zhou Min"),
                                                           (B, B_STORE, directory_pb2.STAFF_ROLE_STORE_MANAGER, "Li Na")):
            directory.UpsertStaff(directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=directory_pb2.Staff(
                staff_id=staff_id, store_id=store, name=name, role=role, active=True)), timeout=DEADLINE)


def _open(clients, store: str, operator: str, card_type: str) -> str:  # type: ignore[no-untyped-def]
    member = clients.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=store, name="提成 Commission", phone=f"136{random.randint(0, 99_999_999):08d}",
        operator_id=operator), timeout=DEADLINE).member
    return str(clients.cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id=store, member_id=member.member_id, card_type_code=card_type, operator_id=operator),
        timeout=DEADLINE).card.card_number)


def _recharge(clients, store: str, operator: str, card: str, amount: int) -> transactions_pb2.RechargeCardResponse:  # type: ignore[no-untyped-def]
    answer: transactions_pb2.RechargeCardResponse = clients.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
        request_id=new_id(), store_id=store, card_number=card, amount_fen=amount, tender=common_pb2.TENDER_TYPE_CASH,
        operator_id=operator), timeout=DEADLINE)
    return answer


def _sell(clients, store: str, operator: str, card: str, line: transactions_pb2.BasketLine) -> transactions_pb2.CheckoutResponse:  # type: ignore[no-untyped-def]
    answer: transactions_pb2.CheckoutResponse = clients.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=store, card_number=card, lines=[line], operator_id=operator), timeout=DEADLINE)
    return answer


def _scalar(url: str, sql: str, **params: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def day(regions) -> str:  # type: ignore[no-untyped-def]
    _hq_config(regions)
    east = regions.clients["E"]
    sv_card = _open(east, A_STORE, A[1], "SV")
    gold_card = _open(east, B_STORE, B[1], "GOLD")
    recharge = _recharge(east, A_STORE, A[1], sv_card, 50_000)
    ids = [recharge.transaction.transaction_id,
           _recharge(east, B_STORE, B[1], gold_card, 33_333).transaction.transaction_id]
    a_sale = _sell(east, A_STORE, A[1], sv_card, TEA).transaction
    assert a_sale.amount_fen == 10_000
    gold_sale = _sell(east, B_STORE, B[1], gold_card, CUPS).transaction
    assert gold_sale.amount_fen == 18_000  # Gold: 10% off homeware
    ids += [a_sale.transaction_id, gold_sale.transaction_id,
            _sell(east, B_STORE, B[1], sv_card, TEA).transaction.transaction_id]
    refund = east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
        request_id=new_id(), store_id=A_STORE, card_number=sv_card, original_transaction_id=a_sale.transaction_id,
        amount_fen=2_500, reason="half a pot", operator_id=A[1]), timeout=DEADLINE)
    ids.append(refund.transaction.transaction_id)
    # HQ must hold every one of them, and both openings with their operator, before the run.
    hq = regions.database_urls["hq"]
    deadline = time.monotonic() + 60
    while (_scalar(hq, "SELECT COUNT(*) FROM transaction_views WHERE transaction_id = ANY(:ids)", ids=ids) < len(ids)
           or _scalar(hq, "SELECT COUNT(*) FROM card_views WHERE card_number IN (:a, :b) AND opened_operator_id <> ''",
                      a=sv_card, b=gold_card) < 2):
        assert time.monotonic() < deadline, "HQ did not receive the day's events"
        time.sleep(0.2)
    return recharge.transaction.business_date


def _commission(regions, day: str, store: str = "") -> dict[tuple[str, str, str], tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        answer = commission_pb2_grpc.CommissionServiceStub(channel).GetCommissionReport(
            commission_pb2.GetCommissionReportRequest(business_date=day, store_id=store), timeout=DEADLINE)
    assert answer.computed
    return {(line.store_id, line.staff_id, line.plan_code): (line.event_count, line.basis_fen, line.commission_fen)
            for line in answer.lines if line.staff_id in ("ST-CM-A", "ST-CM-B")}


def test_the_day_is_computed_once_and_matches_the_hand_computed_table(regions, day):
    hq = regions.database_urls["hq"]
    with open_channel(regions.hq_endpoint) as channel:
        stub = commission_pb2_grpc.CommissionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as early:  # the day has not ended
            stub.RunCommission(commission_pb2.RunCommissionRequest(business_date=day), timeout=DEADLINE)
        assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        first = stub.RunCommission(commission_pb2.RunCommissionRequest(business_date=day, close_early=True), timeout=DEADLINE)
        assert not first.already_run and first.entries_written >= 9
        report = _commission(regions, day)
        entries = _scalar(hq, "SELECT COUNT(*) FROM commission_entries")
        second = stub.RunCommission(commission_pb2.RunCommissionRequest(business_date=day, close_early=True), timeout=DEADLINE)
    assert second.already_run and second.entries_written == 0
    assert _scalar(hq, "SELECT COUNT(*) FROM commission_entries") == entries
    assert _commission(regions, day) == report == EXPECTED
    assert _commission(regions, day, B_STORE) == {key: value for key, value in EXPECTED.items() if key[0] == B_STORE}


def test_sales_per_staff_member(regions, day):
    with open_channel(regions.hq_endpoint) as channel:
        answer = commission_pb2_grpc.CommissionServiceStub(channel).GetStaffSalesReport(
            commission_pb2.GetStaffSalesReportRequest(business_date=day), timeout=DEADLINE)
    rows = {(row.store_id, row.staff_id): (row.sales_count, row.sales_net_fen, row.recharge_count, row.recharge_fen, row.cards_opened)
            for row in answer.rows if row.staff_id in ("ST-CM-A", "ST-CM-B")}
    assert rows == EXPECTED_SALES
    assert {row.staff_name for row in answer.rows if row.staff_id in ("ST-CM-A", "ST-CM-B")} == {"Zhou Min", "Li Na"}


def _cli(*arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CHAINCARD_INSECURE": "1"})  # the fixtures' HQ runs --insecure
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _xlsx_rows(path) -> list[list]:  # type: ignore[no-untyped-def,type-arg]
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_reports_export_to_csv_and_xlsx_with_the_same_figures(regions, day, tmp_path):
    _cli("report", "commission", "--day", day, "--run", "--close-early", "--hq", regions.hq_endpoint)  # computed already: a no-op
    for report, staff_column, money_columns in (("commission", 2, (7, 8)), ("staff", 2, (5, 7))):
        files = {}
        for file_format in ("csv", "xlsx"):
            path = tmp_path / f"{report}.{file_format}"
            _cli("report", report, "--day", day, "--format", file_format, "--out", str(path), "--hq", regions.hq_endpoint)
            files[file_format] = path
        with files["csv"].open(encoding="utf-8-sig", newline="") as handle:
            csv_rows = [row for row in csv.reader(handle)]
        xlsx_rows = _xlsx_rows(files["xlsx"])
        assert csv_rows[0] == xlsx_rows[0]
        mine = [row for row in csv_rows[1:] if row[staff_column] in ("ST-CM-A", "ST-CM-B")]
        mine_xlsx = [row for row in xlsx_rows[1:] if row[staff_column] in ("ST-CM-A", "ST-CM-B")]
        assert len(mine) == len(mine_xlsx) == (len(EXPECTED) if report == "commission" else len(EXPECTED_SALES))
        for csv_row, xlsx_row in zip(mine, mine_xlsx, strict=True):
            for column in money_columns:
                assert Decimal(csv_row[column]) == Decimal(str(xlsx_row[column])).quantize(Decimal("0.01"))
        if report == "commission":
            by_key = {(row[1], row[2], row[4]): Decimal(row[8]) for row in mine}
            assert by_key == {key: Decimal(value[2]) / 100 for key, value in EXPECTED.items()}
    assert "CM-GOLD-MGR" in _cli("report", "commission", "--day", day, "--store", B_STORE, "--hq", regions.hq_endpoint)

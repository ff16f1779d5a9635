"""HQ's coupon report (issue 13) from real events: cards opened through the regions' API, coupons
issued and expired by the home regions' own coupon code (region_service.coupons.issuing: the rows,
CouponIssued, CouponStateChanged); the coupon-carrying postings a checkout will write (the `redeem`
room) are written to the region's own outbox as the checkout will. The regions' own relays publish
everything to a broker of this module's, HQ's real read-model consumer applies it, and the report
is read over HQ's real gRPC ReportService and the CLI's CSV/XLSX export.

The coupons (templates T-A borne by Aurora, T-H by HQ), issued on 2026-11-20, used on 2026-11-21:
  e1, an Aurora card (opened at S-E-002): A1 redeemed at S-E-002 (Aurora) 1,000 off; A2 redeemed
      at S-W-002 (Bamboo) 1,000 off, then refunded (restored: not counted); A3 expired (the expiry
      is recorded today); A4 unused.
  w1, a Bamboo card (S-W-002): A5 redeemed at S-E-002 (Aurora) 1,000 off.
  h1, an HQ card (S-E-001): H1 redeemed at S-E-002 555 off (its posting published twice); H2 unused.
By franchisee over 2026-11-20..2026-11-21 (issued: the holder's side; redeemed: where used):
  T-A F-AURORA: issued 4, redeemed A1 + A5 = 2 for 2,000, of the 4 issued 1 redeemed → 25.00 %
  T-A F-BAMBOO: issued 1, redeemed 0 (A2 restored), of the 1 issued 1 redeemed → 100.00 %
  T-H F-AURORA: issued 0, redeemed 1 for 555, rate 0 (nothing issued)
  T-H F-HQ:     issued 2, redeemed 0, of the 2 issued 1 redeemed → 50.00 %
Expired today: T-A F-AURORA 1.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import grpc
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.coupons.templates import issuable_template
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    events_pb2,
    members_pb2,
    reports_pb2,
    reports_pb2_grpc,
    transactions_pb2,
)
from hq_service.bootstrap import READ_MODEL_CONSUMER
from region_service.context import RegionContext
from region_service.coupons.issuing import EXPIRED, change_state, issue_coupons, lock_coupons
from region_service.models import Card, OutboxMessage
from tests.support.coupons import upsert_template
from tests.support.regions import region_context as region_context_of

# HQ's views in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True

ISSUED_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
USE_DAY = "2026-11-21"
GROUP = reports_pb2.REPORT_GROUPING_FRANCHISEE


def _card(clients, store: str) -> str:  # type: ignore[no-untyped-def]
    member = clients.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=store, name="券 Coupon", phone=f"136{random.randint(0, 99_999_999):08d}"), timeout=10).member
    return clients.cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id=store, member_id=member.member_id, card_type_code="GOLD"), timeout=10).card.card_number


def _posted(transaction_id: str, kind: int, card: str, store: str, coupons: list[tuple[str, str, int]],
            original: str = "") -> events_pb2.TransactionPosted:
    transaction = common_pb2.Transaction(transaction_id=transaction_id, type=kind, card_number=card, store_id=store,
                                         business_date=USE_DAY, original_transaction_id=original, amount_fen=5_000)
    transaction.occurred_at.FromDatetime(ISSUED_AT + timedelta(days=1))
    return events_pb2.TransactionPosted(transaction=transaction, coupons=[
        transactions_pb2.AppliedCoupon(coupon_code=code, template_code=template, discount_fen=discount)
        for code, template, discount in coupons])


def _publish(url: str, events: list[tuple[str, str, object]]) -> None:
    """Write (topic, card, payload) events to a region's own outbox, in order; its relay publishes them."""
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            for topic, card, payload in events:
                add_event(session, OutboxMessage, topic=topic, key=card, payload=payload, producer="test")  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _wait_drained(regions, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Until HQ's read-model consumer applied every event the two regions' outboxes hold."""
    ids: list[str] = []
    for code in ("E", "W"):
        engine = create_engine(regions.database_urls[code])
        with engine.connect() as connection:
            ids += list(connection.execute(text("SELECT event_id FROM outbox")).scalars())
        engine.dispose()
    engine = create_engine(regions.database_urls["hq"])
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                seen = connection.execute(
                    text("SELECT count(*) FROM processed_events WHERE consumer LIKE :group AND event_id = ANY(:ids)"),
                    {"group": f"%{READ_MODEL_CONSUMER}", "ids": ids}).scalar_one()
            if seen == len(ids):
                return
            assert time.monotonic() < deadline, f"HQ applied {seen} of {len(ids)} events"
            time.sleep(0.2)
    finally:
        engine.dispose()


def _issue(ctx: RegionContext, card_number: str, template: str, count: int) -> list[str]:
    """``count`` coupons of ``template`` issued to the card by the region's own code, on 2026-11-20."""
    terms = issuable_template(ctx.program.snapshot(force=True), template)
    with ctx.session_factory() as session, session.begin():
        card = session.get(Card, card_number)
        rows = issue_coupons(ctx, session, card, terms, count=count, reason="report test", issue_key=f"test:{card_number}",
                             now=ISSUED_AT)
        return [row.coupon_code for row in rows]


def _expire(ctx: RegionContext, code: str) -> None:
    with ctx.session_factory() as session, session.begin():
        change_state(ctx, session, lock_coupons(session, [code])[code], EXPIRED, reason="report test")


@pytest.fixture(scope="module")
def coupons(regions):  # type: ignore[no-untyped-def]
    """The scenario of the module docstring; returns today's business day (the day of the expiry)."""
    upsert_template(regions.hq_endpoint, "T-A", issuer_franchisee_id="F-AURORA")
    upsert_template(regions.hq_endpoint, "T-H", issuer_franchisee_id="F-HQ")
    east, west = regions.clients["E"], regions.clients["W"]
    e1, h1, w1 = _card(east, "S-E-002"), _card(east, "S-E-001"), _card(west, "S-W-002")
    with region_context_of(regions, "E") as east_context, region_context_of(regions, "W") as west_context:
        a1, a2, a3, _a4 = _issue(east_context, e1, "T-A", 4)
        h_1, _h2 = _issue(east_context, h1, "T-H", 2)
        (a5,) = _issue(west_context, w1, "T-A", 1)
        _expire(east_context, a3)
    sale, refund = common_pb2.TRANSACTION_TYPE_SPEND, common_pb2.TRANSACTION_TYPE_REFUND
    h1_sale = _posted("CT-4", sale, h1, "S-E-002", [(h_1, "T-H", 555)])
    east_events = [
        (topics.POSTINGS, e1, _posted("CT-1", sale, e1, "S-E-002", [(a1, "T-A", 1_000)])),
        (topics.POSTINGS, e1, _posted("CT-2", sale, e1, "S-W-002", [(a2, "T-A", 1_000)])),
        (topics.POSTINGS, e1, _posted("CT-3", refund, e1, "S-W-002", [(a2, "T-A", 1_000)], original="CT-2")),
        (topics.POSTINGS, h1, h1_sale),
        (topics.POSTINGS, h1, h1_sale),  # the same posting again under another event id: counted once
    ]
    west_events = [(topics.POSTINGS, w1, _posted("CT-5", sale, w1, "S-E-002", [(a5, "T-A", 1_000)]))]
    _publish(regions.database_urls["E"], east_events)
    _publish(regions.database_urls["W"], west_events)
    _wait_drained(regions)
    return SimpleNamespace(today=business_date(datetime.now(UTC), "Asia/Shanghai", "04:00").isoformat(),
                           restored=a2, redeemed=a1, expired=a3, all=sorted([a1, a2, a3, _a4, h_1, _h2, a5]))


def _figures(row: reports_pb2.CouponReportRow) -> tuple:  # type: ignore[type-arg]
    return (row.template_code, row.group_key, row.issued_count, row.redeemed_count, row.redeemed_discount_fen, row.expired_count,
            row.issued_redeemed_count, row.redemption_rate_bp)


EXPECTED = [
    ("T-A", "F-AURORA", 4, 2, 2_000, 0, 1, 2_500),
    ("T-A", "F-BAMBOO", 1, 0, 0, 0, 1, 10_000),
    ("T-H", "F-AURORA", 0, 1, 555, 0, 0, 0),
    ("T-H", "F-HQ", 2, 0, 0, 0, 1, 5_000),
]


def test_coupon_report_counts_issued_redeemed_expired_and_the_rate(regions, coupons):
    today = coupons.today
    with open_channel(regions.hq_endpoint) as channel:
        stub = reports_pb2_grpc.ReportServiceStub(channel)

        def report(first: str, last: str, **query) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
            request = reports_pb2.StreamCouponReportRequest(query=reports_pb2.CouponReportQuery(
                start_business_date=first, end_business_date=last, **query))
            return [_figures(item.row) for item in stub.StreamCouponReport(request, timeout=10)]

        assert report("2026-11-20", USE_DAY, grouping=GROUP) == EXPECTED
        # The expiry is recorded on the day it happened (today), not the day of issue.
        assert report(today, today, grouping=GROUP) == [("T-A", "F-AURORA", 0, 0, 0, 1, 0, 0)]
        # Issue day only: issued and the rate, nothing redeemed yet that day.
        assert report("2026-11-20", "2026-11-20", grouping=GROUP, template_code="T-H") == [("T-H", "F-HQ", 2, 0, 0, 0, 1, 5_000)]
        # A franchisee's scope: its members' coupons and what its stores redeemed.
        assert report("2026-11-20", USE_DAY, grouping=reports_pb2.REPORT_GROUPING_STORE,
                      scope=reports_pb2.ReportScope(franchisee_id="F-BAMBOO")) == [("T-A", "S-W-002", 1, 0, 0, 0, 1, 10_000)]
        chain = report("2026-11-20", USE_DAY)
        assert chain == [("T-A", "", 5, 2, 2_000, 0, 2, 4_000), ("T-H", "", 2, 1, 555, 0, 1, 5_000)]
        with pytest.raises(grpc.RpcError) as refused:
            report(USE_DAY, "2026-11-20")
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "end_business_date" in refused.value.details()


def _cli(*arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CHAINCARD_INSECURE": "1"})  # the fixtures' HQ runs --insecure
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_cli_shows_and_exports_the_coupon_report_as_csv_and_xlsx(regions, coupons, tmp_path):
    from openpyxl import load_workbook

    csv_path, xlsx_path = tmp_path / "coupons.csv", tmp_path / "coupons.xlsx"
    shown = _cli("report", "coupons", "--from", "2026-11-20", "--to", USE_DAY, "--by", "franchisee",
                 "--hq", regions.hq_endpoint, "--csv", str(csv_path), "--xlsx", str(xlsx_path))
    assert "Coupons" in shown and "Aurora Trading" in shown
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        csv_rows = list(csv.reader(handle))
    assert csv_rows[0] == ["template", "group", "name", "issued", "redeemed", "discount given", "expired",
                           "issued and redeemed", "redemption rate %"]
    assert [row[:2] + row[3:] for row in csv_rows[1:]] == [
        ["T-A", "F-AURORA", "4", "2", "20.00", "0", "1", "25.00"],
        ["T-A", "F-BAMBOO", "1", "0", "0.00", "0", "1", "100.00"],
        ["T-H", "F-AURORA", "0", "1", "5.55", "0", "0", "0.00"],
        ["T-H", "F-HQ", "2", "0", "0.00", "0", "1", "50.00"],
    ]
    sheet = load_workbook(xlsx_path, read_only=True).active
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows[0] == csv_rows[0]
    for csv_row, xlsx_row in zip(csv_rows[1:], xlsx_rows[1:], strict=True):
        assert [Decimal(text) for text in csv_row[3:]] == [Decimal(str(value)) for value in xlsx_row[3:]], (csv_row, xlsx_row)
        assert csv_row[:3] == xlsx_row[:3]


def test_hq_keeps_one_row_per_coupon_and_the_restored_one_unredeemed(regions, coupons):
    engine = create_engine(regions.database_urls["hq"])
    try:
        with Session(engine) as session:
            from hq_service.coupon_views import CouponView

            rows = {row.coupon_code: row for row in session.execute(select(CouponView)).scalars()}
    finally:
        engine.dispose()
    assert sorted(rows) == coupons.all
    assert (rows[coupons.restored].redeemed_transaction_id, rows[coupons.restored].redeemed_discount_fen) == (None, 0)
    assert (rows[coupons.redeemed].redeemed_store_id, rows[coupons.redeemed].redeemed_transaction_id) == ("S-E-002", "CT-1")
    assert rows[coupons.expired].state == common_pb2.COUPON_STATE_EXPIRED

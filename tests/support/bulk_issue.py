"""What the bulk coupon issue tests share: a coupon template at HQ, the StartBulkIssue stream, waiting
for a job to finish, and the coupons a region holds from a job."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator, Sequence

import grpc
from sqlalchemy import create_engine

from chaincard.ids import make_card_number, new_id
from chaincard.v1 import coupon_issue_pb2, coupon_issue_pb2_grpc, program_config_pb2, program_config_pb2_grpc
from tests.support.sql import rows

DEADLINE = 60.0


def set_coupon_template(channel: grpc.Channel, code: str, *, active: bool = True) -> None:
    """A ¥5 cash voucher valid 30 days from issue."""
    template = program_config_pb2.CouponTemplate(code=code, name=f"¥5 off ({code})", kind=program_config_pb2.COUPON_KIND_CASH_VOUCHER,
                                                 face_value_fen=500, validity_days=30, active=active)
    program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCouponTemplate(
        program_config_pb2.UpsertCouponTemplateRequest(request_id=new_id(), coupon_template=template), timeout=DEADLINE)


def start_messages(request_id: str, template: str, reason: str, cards: Sequence[str], *, filter_name: str = "",
                   per_message: int = 1000) -> Iterator[coupon_issue_pb2.StartBulkIssueRequest]:
    """The StartBulkIssue stream: ``start`` on the first message, then ``per_message`` cards a message."""
    start = coupon_issue_pb2.BulkIssueStart(template_code=template, reason=reason, filter_name=filter_name)
    yield coupon_issue_pb2.StartBulkIssueRequest(request_id=request_id, start=start, card_numbers=list(cards[:per_message]))
    for offset in range(per_message, len(cards), per_message):
        yield coupon_issue_pb2.StartBulkIssueRequest(card_numbers=list(cards[offset:offset + per_message]))


def wait_for_job(stub: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, job_id: str, *, timeout: float = 120.0,
                 metadata: Sequence[tuple[str, str]] | None = None) -> coupon_issue_pb2.BulkIssueJob:
    """The job once it is no longer RUNNING (the test fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        job = stub.GetBulkIssue(coupon_issue_pb2.GetBulkIssueRequest(job_id=job_id), timeout=DEADLINE, metadata=metadata).job
        if job.state != coupon_issue_pb2.BULK_ISSUE_STATE_RUNNING:
            return job
        assert time.monotonic() < deadline, f"bulk issue {job_id} still running: {job}"
        time.sleep(0.5)


def job_coupons(region_database_url: str, job_id: str) -> dict[str, list[str]]:
    """Card → the codes of the coupons it holds from bulk issue ``job_id`` (region database)."""
    held: dict[str, list[str]] = {}
    for card, code in rows(region_database_url, "SELECT card_number, coupon_code FROM coupons WHERE issue_key LIKE :key",
                           key=f"bulk:{job_id}:%"):
        held.setdefault(card, []).append(code)
    return held


def copy_cards(database_url: str, region_prefix: str, count: int, *, store_id: str, franchisee_id: str = "F-HQ",
               first_serial: int = 5_000_000_000) -> list[str]:
    """Test set-up only: ``count`` members with an ACTIVE stored-value card each, written straight into a
    region's database with COPY (opening 100,000 cards through the API would take most of an hour).
    Returns the card numbers."""
    cards = [make_card_number(region_prefix, first_serial + index) for index in range(count)]
    members = io.StringIO()
    rows_of_cards = io.StringIO()
    for index, card in enumerate(cards):
        member = f"bulk-{region_prefix}-{first_serial + index}"
        phone = f"19{first_serial + index:09d}"[-11:]
        members.write(f"{member}\t{hashlib.sha256(phone.encode()).hexdigest()}\t{phone}\t{phone[:3]}****{phone[-4:]}\t"
                      f"Bulk {index}\t\t\t{{}}\t[]\tPOS\t{store_id}\t2026-12-01 00:00:00+00\n")
        rows_of_cards.write(f"{card}\t{member}\tSV\tVIRTUAL\tACTIVE\tNORMAL\t{franchisee_id}\t{store_id}\t"
                            "2026-12-01 00:00:00+00\t0\n")
    engine = create_engine(database_url)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            members.seek(0)
            cursor.copy_expert("COPY members (member_id, phone_hmac, phone, phone_masked, name, gender, email, custom_fields, "
                               "tags, channel, registered_store_id, registered_at) FROM STDIN", members)
            rows_of_cards.seek(0)
            cursor.copy_expert("COPY cards (card_number, member_id, card_type_code, form, state, level_code, "
                               "issuing_franchisee_id, issuing_store_id, opened_at, failed_pin_attempts) FROM STDIN",
                               rows_of_cards)
            connection.commit()
        finally:
            connection.close()
    finally:
        engine.dispose()
    return cards

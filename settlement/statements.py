"""Reading runs and statements back (the servicer, the CLI and file re-rendering use these)."""

from __future__ import annotations

import re
from datetime import date, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.errors import InvalidArgument, NotFound
from chaincard.v1 import program_config_pb2, settlement_pb2
from settlement.documents import StatementDocument
from settlement.models import SettlementRun, Statement
from settlement.rules import MemoLine

COMPLETED = "COMPLETED"
FAILED = "FAILED"
RUNNING = "RUNNING"
_STATES = {
    RUNNING: settlement_pb2.SETTLEMENT_RUN_STATE_RUNNING,
    COMPLETED: settlement_pb2.SETTLEMENT_RUN_STATE_COMPLETED,
    FAILED: settlement_pb2.SETTLEMENT_RUN_STATE_FAILED,
}


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_BUSINESS_DAY = date(2000, 1, 1)
LAST_BUSINESS_DAY = date(2999, 12, 31)


def parse_day(field: str, value: str, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise InvalidArgument(field, "is required (YYYY-MM-DD)")
        return None
    # Strictly YYYY-MM-DD in ASCII digits (fromisoformat alone also takes "20261125", "2026-W48-3"),
    # and a business day the chain can have had: later days overflow the cut-off arithmetic.
    if not _ISO_DAY.fullmatch(value):
        raise InvalidArgument(field, f"{value[:40]!r} is not a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise InvalidArgument(field, f"{value!r} is not a date YYYY-MM-DD") from error
    if not FIRST_BUSINESS_DAY <= day <= LAST_BUSINESS_DAY:
        raise InvalidArgument(field, f"must lie between {FIRST_BUSINESS_DAY} and {LAST_BUSINESS_DAY}")
    return day


def timestamp(moment: datetime | None) -> Timestamp:
    stamp = Timestamp()
    if moment is not None:
        stamp.FromDatetime(moment)
    return stamp


def run_message(row: SettlementRun, *, with_manifest: bool = True) -> settlement_pb2.SettlementRun:
    run = settlement_pb2.SettlementRun(
        business_date=row.business_date.isoformat(), state=_STATES[row.state], started_at=timestamp(row.started_at),
        clearing_record_count=row.clearing_record_count, late_record_count=row.late_record_count,
        statement_count=row.statement_count, error_message=row.error_message,
    )
    if row.completed_at is not None:
        run.completed_at.CopyFrom(timestamp(row.completed_at))
    if row.fee_schedule:
        run.fee_schedule.CopyFrom(program_config_pb2.FeeSchedule.FromString(row.fee_schedule))
    if with_manifest and row.manifest:
        run.manifest.CopyFrom(settlement_pb2.SettlementManifest.FromString(row.manifest))
    return run


def completed_run(session: Session, business_day: date) -> SettlementRun | None:
    row = session.get(SettlementRun, business_day)
    return row if row is not None and row.state == COMPLETED else None


def find_statement(session: Session, *, statement_id: str = "", franchisee_id: str = "",
                   business_date: date | None = None) -> Statement:
    if statement_id:
        row = session.get(Statement, statement_id)
    else:
        if not franchisee_id or business_date is None:
            raise InvalidArgument("statement_id", "give the statement id, or the franchisee id and the business date")
        row = session.execute(
            select(Statement).where(Statement.franchisee_id == franchisee_id, Statement.business_date == business_date)
        ).scalar_one_or_none()
    if row is None:
        wanted = statement_id or f"{franchisee_id} on {business_date}"
        raise NotFound(f"no statement {wanted}")
    return row


def statement_message(row: Statement) -> settlement_pb2.Statement:
    return settlement_pb2.Statement.FromString(row.document)


def load_statement(session: Session, *, statement_id: str = "", franchisee_id: str = "",
                   business_date: date | None = None) -> settlement_pb2.Statement:
    return statement_message(find_statement(session, statement_id=statement_id, franchisee_id=franchisee_id,
                                            business_date=business_date))


def load_document(session: Session, statement_id: str) -> StatementDocument:
    row = find_statement(session, statement_id=statement_id)
    run = session.get(SettlementRun, row.business_date)
    assert run is not None
    return StatementDocument(statement=statement_message(row), memo=[MemoLine.from_dict(item) for item in row.memo],
                             run_id=run.run_id, directory=run.directory)


def summary_message(row: Statement) -> settlement_pb2.StatementSummary:
    return settlement_pb2.StatementSummary(
        statement_id=row.statement_id, franchisee_id=row.franchisee_id, business_date=row.business_date.isoformat(),
        net_fen=row.net_fen, line_count=row.line_count, content_sha256_hex=row.content_sha256,
    )

"""SettlementService over gRPC: proto ⇄ domain translation only.

Authorisation by scope (a franchisee admin sees only its own statements and clearing records)
arrives with the security issue as a server interceptor; until then the ``franchisee_id`` filters
are honoured as given and every caller is treated as HQ finance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date

from sqlalchemy import or_, select

from chaincard.db.idempotency import remember, replay_or_reserve, validate_request_id
from chaincard.errors import InvalidArgument, NotFound
from chaincard.settlement_client import CLOSE_EARLY_METADATA  # the one name of the close-early metadata
from chaincard.v1 import common_pb2, settlement_pb2, settlement_pb2_grpc
from settlement import documents
from settlement.models import ClearingRecord, IdempotencyKey, SettlementRun, Statement
from settlement.runs import SettlementRunner
from settlement.statements import (
    COMPLETED,
    find_statement,
    load_document,
    parse_day,
    run_message,
    statement_message,
    summary_message,
    timestamp,
)

CHUNK_BYTES = 64 * 1024
_FORMATS = {common_pb2.EXPORT_FORMAT_CSV: "csv", common_pb2.EXPORT_FORMAT_XLSX: "xlsx", common_pb2.EXPORT_FORMAT_PDF: "pdf"}


def _page(size: int, default: int, maximum: int) -> int:
    if size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    return min(size or default, maximum)


def _offset(token: str) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise InvalidArgument("page_token", "is not a token this service gave")
    return int(token)


class SettlementServicer(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, runner: SettlementRunner) -> None:
        self.runner = runner
        self.sessions = runner.session_factory

    def RunSettlement(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802 - generated name
        validate_request_id(request.request_id)
        day = parse_day("business_date", request.business_date)
        assert day is not None
        with self.sessions() as session:
            replay = replay_or_reserve(session, IdempotencyKey, "RunSettlement", request, settlement_pb2.RunSettlementResponse)
        if replay is not None:
            return replay
        close_early = any(key == CLOSE_EARLY_METADATA and value in ("1", "true")
                          for key, value in context.invocation_metadata() or ())
        response = settlement_pb2.RunSettlementResponse(run=self.runner.run(day, close_early=close_early))
        with self.sessions() as session, session.begin():
            if session.get(IdempotencyKey, request.request_id) is None:
                remember(session, IdempotencyKey, "RunSettlement", request, response)
        return response

    def GetSettlementRun(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802
        day = parse_day("business_date", request.business_date)
        with self.sessions() as session:
            row = session.get(SettlementRun, day)
            if row is None:
                raise NotFound(f"business day {request.business_date} is not settled")
            return settlement_pb2.GetSettlementRunResponse(run=run_message(row))

    def ListSettlementRuns(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802
        start = parse_day("start_business_date", request.start_business_date, required=False)
        end = parse_day("end_business_date", request.end_business_date, required=False)
        size, offset = _page(request.page_size, 31, 366), _offset(request.page_token)
        query = select(SettlementRun).order_by(SettlementRun.business_date.desc())
        if start:
            query = query.where(SettlementRun.business_date >= start)
        if end:
            query = query.where(SettlementRun.business_date <= end)
        with self.sessions() as session:
            rows = session.execute(query.offset(offset).limit(size + 1)).scalars().all()
        return settlement_pb2.ListSettlementRunsResponse(
            runs=[run_message(row, with_manifest=False) for row in rows[:size]],
            next_page_token=str(offset + size) if len(rows) > size else "",
        )

    def GetStatement(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802
        day = parse_day("business_date", request.business_date, required=not request.statement_id)
        with self.sessions() as session:
            row = find_statement(session, statement_id=request.statement_id, franchisee_id=request.franchisee_id,
                                 business_date=day)
            return settlement_pb2.GetStatementResponse(statement=statement_message(row))

    def ListStatements(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802
        start = parse_day("start_business_date", request.start_business_date, required=False)
        end = parse_day("end_business_date", request.end_business_date, required=False)
        size, offset = _page(request.page_size, 100, 1000), _offset(request.page_token)
        query = select(Statement).order_by(Statement.business_date.desc(), Statement.franchisee_id)
        if request.franchisee_id:
            query = query.where(Statement.franchisee_id == request.franchisee_id)
        if start:
            query = query.where(Statement.business_date >= start)
        if end:
            query = query.where(Statement.business_date <= end)
        with self.sessions() as session:
            rows = session.execute(query.offset(offset).limit(size + 1)).scalars().all()
        return settlement_pb2.ListStatementsResponse(
            statements=[summary_message(row) for row in rows[:size]],
            next_page_token=str(offset + size) if len(rows) > size else "",
        )

    def ExportStatement(self, request, context) -> Iterator[settlement_pb2.ExportStatementResponse]:  # type: ignore[no-untyped-def]  # noqa: N802
        file_format = _FORMATS.get(request.format)
        if file_format is None:
            raise InvalidArgument("format", "must be CSV, XLSX or PDF")
        if not request.statement_id:
            raise InvalidArgument("statement_id", "is required")
        with self.sessions() as session:
            document = load_document(session, request.statement_id)
        content = documents.render(document, file_format)
        yield from export_chunks(document.file_name(file_format), documents.CONTENT_TYPES[file_format], content)

    def StreamClearingRecords(self, request, context) -> Iterator[settlement_pb2.StreamClearingRecordsResponse]:  # type: ignore[no-untyped-def]  # noqa: N802
        day = parse_day("business_date", request.business_date)
        assert day is not None
        record = ClearingRecord
        query = (
            select(record)
            .where(record.business_date == day, record.issuing_franchisee_id != record.acquiring_franchisee_id,
                   record.acquiring_franchisee_id != "")
            .order_by(record.occurred_at, record.sequence)
        )
        if request.franchisee_id:
            query = query.where(or_(record.issuing_franchisee_id == request.franchisee_id,
                                    record.acquiring_franchisee_id == request.franchisee_id))
        with self.sessions() as session:
            run = session.get(SettlementRun, day)
            watermark = run.watermark_sequence if run is not None and run.state == COMPLETED else None
            for row in session.execute(query.execution_options(yield_per=1000)).scalars():
                yield settlement_pb2.StreamClearingRecordsResponse(record=clearing_message(row, day, watermark))


def clearing_message(row: ClearingRecord, day: date, watermark: int | None) -> settlement_pb2.ClearingRecord:
    settled = row.settled_business_date or (day if watermark is not None and row.sequence <= watermark else None)
    message = settlement_pb2.ClearingRecord(
        transaction_id=row.transaction_id,
        transaction_type=common_pb2.TransactionType.Value("TRANSACTION_TYPE_" + row.transaction_type),
        business_date=row.business_date.isoformat(), settled_business_date=settled.isoformat() if settled else "",
        card_number=row.card_number, issuing_franchisee_id=row.issuing_franchisee_id,
        acquiring_store_id=row.acquiring_store_id, acquiring_franchisee_id=row.acquiring_franchisee_id,
        principal_fen=row.principal_delta_fen if row.flow_kind == "RECHARGE" else -row.principal_delta_fen,
        bonus_fen=row.bonus_delta_fen if row.flow_kind == "RECHARGE" else -row.bonus_delta_fen,
    )
    if row.occurred_at is not None:
        message.occurred_at.CopyFrom(timestamp(row.occurred_at))
    return message


def export_chunks(file_name: str, content_type: str, content: bytes) -> Iterator[settlement_pb2.ExportStatementResponse]:
    digest = hashlib.sha256(content).hexdigest()
    offsets = range(0, max(len(content), 1), CHUNK_BYTES)
    for index, offset in enumerate(offsets):
        last = index == len(offsets) - 1
        chunk = common_pb2.ExportChunk(data=content[offset:offset + CHUNK_BYTES], offset=offset, last=last)
        if index == 0:
            chunk.file_name, chunk.content_type = file_name, content_type
        if last:
            chunk.sha256_hex, chunk.total_bytes = digest, len(content)
        yield settlement_pb2.ExportStatementResponse(chunk=chunk)


def register(runner: SettlementRunner):  # type: ignore[no-untyped-def]
    """The (add_to_server, servicer, service name) triple for chaincard.rpc.server.build_server."""
    return (settlement_pb2_grpc.add_SettlementServiceServicer_to_server, SettlementServicer(runner),
            settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name)


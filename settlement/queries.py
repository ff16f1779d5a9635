"""SettlementService's reads: runs, statements, their export and the clearing records, each a
function of a session and the request (the servicer only opens the session and translates).
``RunSettlement`` is a command: settlement.handlers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import cast

from cryptography.hazmat.primitives import serialization
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chaincard.errors import FailedPrecondition, InvalidArgument, NotFound
from chaincard.ids import is_ascii_digits
from chaincard.security.tokens import SigningKey
from chaincard.v1 import common_pb2, settlement_pb2
from settlement import documents
from settlement.manifests import MANIFEST_FILE, SIGNATURE_FILE, ListedStatement, statement_extract_json
from settlement.models import (
    ClearingCountUse,
    ClearingCoupon,
    ClearingRecord,
    SettlementRun,
    Statement,
    StatementFile,
)
from settlement.runs import signed_manifest_files
from settlement.statements import (
    COMPLETED,
    completed_run,
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
    if not is_ascii_digits(token):
        raise InvalidArgument("page_token", "is not a token this service gave")
    return int(token)


def get_run(session: Session, request: settlement_pb2.GetSettlementRunRequest) -> settlement_pb2.GetSettlementRunResponse:
    day = parse_day("business_date", request.business_date)
    row = session.get(SettlementRun, day)
    if row is None:
        raise NotFound(f"business day {request.business_date} is not settled")
    return settlement_pb2.GetSettlementRunResponse(run=run_message(row))


def get_manifest(session: Session, request: settlement_pb2.GetSettlementManifestRequest,
                 signing_key: SigningKey) -> settlement_pb2.GetSettlementManifestResponse:
    """The day's manifest.json as signed at run time, or one franchisee's statement extract signed
    now with ``signing_key`` (the service's current key): manifest.json lists every franchisee's net."""
    day = parse_day("business_date", request.business_date)
    assert day is not None  # required
    run = completed_run(session, day)
    if run is None:
        raise NotFound(f"business day {request.business_date} is not settled")
    files = session.execute(
        select(StatementFile).where(StatementFile.business_date == day).order_by(StatementFile.file_name)).scalars().all()
    signed = signed_manifest_files(session, run, files)  # rebuilt from the rows; raises unless it verifies
    if SIGNATURE_FILE not in signed:
        raise FailedPrecondition(f"business day {request.business_date} was settled before manifests were signed")
    manifest = settlement_pb2.SettlementManifest.FromString(run.manifest)
    manifest_json_bytes = signed[MANIFEST_FILE]
    manifest_json_sha256 = hashlib.sha256(manifest_json_bytes).hexdigest()
    if not request.franchisee_id:
        return settlement_pb2.GetSettlementManifestResponse(
            business_date=request.business_date, kind=settlement_pb2.SIGNED_DOCUMENT_KIND_MANIFEST,
            document=manifest_json_bytes, signature=manifest.manifest_json_signature, signing_key_id=manifest.signing_key_id,
            signing_public_key=manifest.signing_public_key, manifest_json_sha256_hex=manifest_json_sha256)
    own = session.execute(
        select(Statement.franchisee_id, Statement.franchisee_name, Statement.statement_id, Statement.net_fen,
               Statement.content_sha256).where(Statement.business_date == day, Statement.franchisee_id == request.franchisee_id)
    ).all()
    if not own:
        raise NotFound(f"franchisee {request.franchisee_id[:40]!r} has no statement on {request.business_date}")
    ids = {row.statement_id for row in own}
    extract = statement_extract_json(run, manifest_json_bytes, [ListedStatement(*row) for row in own],
                                     [file for file in files if file.statement_id in ids], signing_key.key_id)
    return settlement_pb2.GetSettlementManifestResponse(
        business_date=request.business_date, kind=settlement_pb2.SIGNED_DOCUMENT_KIND_STATEMENT_EXTRACT,
        document=extract, signature=signing_key.private_key.sign(extract), signing_key_id=signing_key.key_id,
        signing_public_key=signing_key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        manifest_json_sha256_hex=manifest_json_sha256)


def list_runs(session: Session, request: settlement_pb2.ListSettlementRunsRequest) -> settlement_pb2.ListSettlementRunsResponse:
    start = parse_day("start_business_date", request.start_business_date, required=False)
    end = parse_day("end_business_date", request.end_business_date, required=False)
    size, offset = _page(request.page_size, 31, 366), _offset(request.page_token)
    query = select(SettlementRun).order_by(SettlementRun.business_date.desc())
    if start:
        query = query.where(SettlementRun.business_date >= start)
    if end:
        query = query.where(SettlementRun.business_date <= end)
    rows = session.execute(query.offset(offset).limit(size + 1)).scalars().all()
    return settlement_pb2.ListSettlementRunsResponse(
        runs=[run_message(row, with_manifest=False) for row in rows[:size]],
        next_page_token=str(offset + size) if len(rows) > size else "",
    )


def get_statement(session: Session, request: settlement_pb2.GetStatementRequest) -> settlement_pb2.GetStatementResponse:
    day = parse_day("business_date", request.business_date, required=not request.statement_id)
    row = find_statement(session, statement_id=request.statement_id, franchisee_id=request.franchisee_id, business_date=day)
    return settlement_pb2.GetStatementResponse(statement=statement_message(row))


def list_statements(session: Session, request: settlement_pb2.ListStatementsRequest) -> settlement_pb2.ListStatementsResponse:
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
    rows = session.execute(query.offset(offset).limit(size + 1)).scalars().all()
    return settlement_pb2.ListStatementsResponse(
        statements=[summary_message(row) for row in rows[:size]],
        next_page_token=str(offset + size) if len(rows) > size else "",
    )


def _export_format(request: settlement_pb2.ExportStatementRequest) -> str:
    """The file format asked for; checked before the statement is read."""
    file_format = _FORMATS.get(request.format)
    if file_format is None:
        raise InvalidArgument("format", "must be CSV, XLSX or PDF")
    if not request.statement_id:
        raise InvalidArgument("statement_id", "is required")
    return file_format


def export_statement(session: Session, request: settlement_pb2.ExportStatementRequest) -> Iterator[settlement_pb2.ExportStatementResponse]:
    """The statement rendered in the format asked for, in chunks. The document is read at once (the
    session may close before the chunks are sent)."""
    file_format = _export_format(request)
    document = load_document(session, request.statement_id)
    content = documents.render(document, file_format)
    return export_chunks(document.file_name(file_format), documents.CONTENT_TYPES[file_format], content)


def clearing_records(session: Session, request: settlement_pb2.StreamClearingRecordsRequest) -> Iterator[settlement_pb2.StreamClearingRecordsResponse]:
    """The day's cross-franchisee records, oldest first, read as they are streamed: a card of one
    franchisee at another's store, a coupon one franchisee bears used at another's store, or count
    uses one franchisee sold consumed at another's store."""
    day = parse_day("business_date", request.business_date)
    assert day is not None
    record, coupon, uses = ClearingRecord, ClearingCoupon, ClearingCountUse
    cross_coupon = select(coupon.transaction_id).where(
        coupon.transaction_id == record.transaction_id, coupon.issuer_franchisee_id != record.acquiring_franchisee_id)
    cross_uses = select(uses.transaction_id).where(
        uses.transaction_id == record.transaction_id, uses.seller_franchisee_id != record.acquiring_franchisee_id)
    query = (
        select(record)
        .where(record.business_date == day, record.acquiring_franchisee_id != "",
               or_(record.issuing_franchisee_id != record.acquiring_franchisee_id, cross_coupon.exists(), cross_uses.exists()))
        .order_by(record.occurred_at, record.sequence)
    )
    if request.franchisee_id:
        bearer = cross_coupon.where(coupon.issuer_franchisee_id == request.franchisee_id)
        seller = cross_uses.where(uses.seller_franchisee_id == request.franchisee_id)
        query = query.where(or_(record.issuing_franchisee_id == request.franchisee_id,
                                record.acquiring_franchisee_id == request.franchisee_id, bearer.exists(), seller.exists()))
    run = session.get(SettlementRun, day)
    watermark = run.watermark_sequence if run is not None and run.state == COMPLETED else None
    for row in session.execute(query.execution_options(yield_per=1000)).scalars():
        yield settlement_pb2.StreamClearingRecordsResponse(record=clearing_message(row, day, watermark))


def clearing_transaction_ids(session: Session, day: date) -> list[str]:
    """The ids of every posting of business day ``day`` that reached the clearing ledger, its own
    franchisee's business included (``chaincard clearing postings``; the stream above shows only the
    cross-franchisee records)."""
    query = select(ClearingRecord.transaction_id).where(ClearingRecord.business_date == day)
    return list(session.execute(query.order_by(ClearingRecord.transaction_id)).scalars())


def clearing_message(row: ClearingRecord, day: date, watermark: int | None) -> settlement_pb2.ClearingRecord:
    settled = row.settled_business_date or (day if watermark is not None and row.sequence <= watermark else None)
    message = settlement_pb2.ClearingRecord(
        transaction_id=row.transaction_id,
        transaction_type=cast(common_pb2.TransactionType,
                              common_pb2.TransactionType.Value("TRANSACTION_TYPE_" + row.transaction_type)),
        business_date=row.business_date.isoformat(), settled_business_date=settled.isoformat() if settled else "",
        card_number=row.card_number, issuing_franchisee_id=row.issuing_franchisee_id,
        acquiring_store_id=row.acquiring_store_id, acquiring_franchisee_id=row.acquiring_franchisee_id,
        principal_fen=row.principal_delta_fen if row.flow_kind == "RECHARGE" else -row.principal_delta_fen,
        bonus_fen=row.bonus_delta_fen if row.flow_kind == "RECHARGE" else -row.bonus_delta_fen,
        coupon_fen=row.coupon_fen,
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

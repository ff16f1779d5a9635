"""AuditService.ListAuditEntries (H4): the audit log, filtered, newest first, a page at a time.

Filters combine with AND. The authorising interceptor forces a scoped operator's region_code,
franchisee_id or store_id filter to its own scope, so nothing outside it can come back; the
handler applies the caller's scope once more in case it is ever served without that rule.

Pages follow (occurred_at, entry_id) downwards: the token is the last entry's position, so entries
arriving meanwhile neither shift nor repeat the pages already read.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from chaincard.errors import InvalidArgument
from chaincard.security.identity import ScopeLevel, current_principal
from chaincard.v1 import audit_pb2, audit_pb2_grpc
from hq_service.models import AuditLogEntry

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_FILTER_LENGTH = 128
# Request field → column. ``operator_id`` matches the actor, which is the operator id for
# operators and also finds a service's own actions ("store:S-E-001", "region:E", "system").
TEXT_FILTERS = {
    "operator_id": AuditLogEntry.actor,
    "target_type": AuditLogEntry.target_type,
    "target_id": AuditLogEntry.target_id,
    "action": AuditLogEntry.action,
    "store_id": AuditLogEntry.store_id,
    "franchisee_id": AuditLogEntry.franchisee_id,
    "region_code": AuditLogEntry.region_code,
}
_SCOPE_COLUMNS = {ScopeLevel.REGION: AuditLogEntry.region_code, ScopeLevel.FRANCHISEE: AuditLogEntry.franchisee_id,
                  ScopeLevel.STORE: AuditLogEntry.store_id}


def list_entries(session: Session, request: audit_pb2.ListAuditEntriesRequest) -> audit_pb2.ListAuditEntriesResponse:
    size = page_size(request.page_size)
    statement = filtered(request).order_by(AuditLogEntry.occurred_at.desc(), AuditLogEntry.entry_id.desc())
    after = decode_page_token(request.page_token)
    if after is not None:
        statement = statement.where(tuple_(AuditLogEntry.occurred_at, AuditLogEntry.entry_id) < tuple_(*after))
    rows = session.execute(statement.limit(size + 1)).scalars().all()
    page = rows[:size]
    token = encode_page_token(page[-1]) if len(rows) > size else ""
    return audit_pb2.ListAuditEntriesResponse(entries=[entry_message(row) for row in page], next_page_token=token)


def page_size(requested: int) -> int:
    if not 0 <= requested <= MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"must be between 1 and {MAX_PAGE_SIZE} (0 for {DEFAULT_PAGE_SIZE})")
    return requested or DEFAULT_PAGE_SIZE


def filtered(request: audit_pb2.ListAuditEntriesRequest) -> Select[AuditLogEntry]:
    """Every entry matching all of the request's filters (and the caller's scope)."""
    statement = select(AuditLogEntry)
    for field, column in TEXT_FILTERS.items():
        value = getattr(request, field)
        if len(value) > MAX_FILTER_LENGTH or not value.isprintable():
            raise InvalidArgument(field, f"must be at most {MAX_FILTER_LENGTH} printable characters")
        if value:
            statement = statement.where(column == value)
    start = _moment("start_time", request.start_time) if request.HasField("start_time") else None
    end = _moment("end_time", request.end_time) if request.HasField("end_time") else None
    if start is not None and end is not None and end <= start:
        raise InvalidArgument("end_time", "must be after start_time")
    if start is not None:
        statement = statement.where(AuditLogEntry.occurred_at >= start)
    if end is not None:
        statement = statement.where(AuditLogEntry.occurred_at < end)
    principal = current_principal()
    if principal is not None and principal.scope is not None and principal.scope.level in _SCOPE_COLUMNS:
        statement = statement.where(_SCOPE_COLUMNS[principal.scope.level] == principal.scope.id)
    return statement


def _moment(field: str, stamp: Timestamp) -> datetime:
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument(field, "is not a valid time") from None


# ---- page tokens -----------------------------------------------------------------------------------
def encode_page_token(row: AuditLogEntry) -> str:
    return base64.urlsafe_b64encode(f"{row.occurred_at.isoformat()}|{row.entry_id}".encode()).decode()


def decode_page_token(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        moment, entry_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(moment).astimezone(UTC), entry_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "is not a token this service issued") from None


# ---- translation ------------------------------------------------------------------------------------
def entry_message(row: AuditLogEntry) -> audit_pb2.AuditEntry:
    occurred_at = Timestamp()
    occurred_at.FromDatetime(row.occurred_at)
    return audit_pb2.AuditEntry(
        entry_id=row.entry_id, occurred_at=occurred_at, operator_id=row.operator_id, operator_role=row.operator_role,
        operator_scope=row.operator_scope, producer=row.producer, action=row.action, target_type=row.target_type,
        target_id=row.target_id, store_id=row.store_id, franchisee_id=row.franchisee_id, region_code=row.region_code,
        request_id=row.request_id, reason=row.reason, before_json=row.before_json, after_json=row.after_json,
        outcome=row.outcome, amount_fen=row.amount_fen, actor=row.actor, origin=row.origin,
    )


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    """Translates AuditService calls into :func:`list_entries`."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def ListAuditEntries(  # noqa: N802 - gRPC method names
        self, request: audit_pb2.ListAuditEntriesRequest, context: grpc.ServicerContext,
    ) -> audit_pb2.ListAuditEntriesResponse:
        with self.session_factory() as session:
            return list_entries(session, request)

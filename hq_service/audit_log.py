"""HQ's audit log (H4): the one table every administrative and financial action of the chain lands in.

Two ways in, both append-only:

- :func:`record` writes one of HQ's own actions (directory, program configuration, operators and
  their tokens) in the caller's session, so the entry commits with the change it describes or not
  at all. Who acted comes from :func:`current_principal` (the operator; else the calling service's
  certificate; else ``system``).
- :class:`AuditCollector` is the handler of the ``<deployment>.hq-audit`` consumer: it stores each
  AuditEntryRecorded the regions publish (topic chaincard.audit.v1) as it came.

Entries are never changed: the ORM refuses it below and a database trigger refuses it for any other
client (revision 0005). Queries and exports are in :mod:`hq_service.audit_query`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from sqlalchemy import Connection, event
from sqlalchemy.orm import Mapper, Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.dialects import insert_for
from chaincard.ids import new_id
from chaincard.security.identity import Place, Principal, Scope, ScopeLevel, current_principal
from chaincard.v1 import audit_pb2, events_pb2
from hq_service.company_models import CompanyRow
from hq_service.models import AuditLogEntry, Store

log = logging.getLogger(__name__)

PRODUCER = "hq_service"
SYSTEM = "system"
ANONYMOUS = "anonymous"  # a refused caller with no identity at all
PACKAGE = "chaincard.v1"
# Never written to an entry, whatever a caller hands to record(): credentials must not outlive
# the request in a table nobody may clean up.
_SECRET_KEYS = frozenset({"password", "password_hash", "initial_password", "current_password", "new_password",
                          "token", "pin", "pin_hash"})

JsonState = Message | dict[str, Any] | None
CHAIN_WIDE = Place()  # an entry about nothing narrower than the chain


def rpc(service: str, method: str) -> str:
    """The full RPC name an entry's ``action`` carries, e.g. ``chaincard.v1.DirectoryService/UpsertStore``."""
    return f"{PACKAGE}.{service}/{method}"


# ---- who and where -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Who:
    actor: str
    operator_id: str = ""
    operator_role: str = ""
    operator_scope: str = ""
    origin: str = ""  # the certificate identity the call came from


def who(principal: Principal | None, *, nobody: str = SYSTEM) -> Who:
    """The operator; else the calling service; else ``nobody`` (no interceptor: a local tool)."""
    if principal is None:
        return Who(actor=nobody)
    fields = principal.audit_fields()
    return Who(actor=fields["operator_id"] or fields["peer"] or nobody, operator_id=fields["operator_id"],
               operator_role=fields["operator_role"], operator_scope=fields["operator_scope"], origin=fields["peer"])


def store_place(session: Session, store_id: str) -> Place:
    """Where a store sits (its region and franchisee, when the directory knows it)."""
    store = session.get(Store, store_id) if store_id else None
    if store is None:
        return Place(store=store_id)
    return Place.of_store(store)


def scope_place(session: Session, scope: Scope | None) -> Place:
    """The place an operator scope names, so entries about that operator are found within it."""
    if scope is None or scope.level is ScopeLevel.CHAIN:
        return Place()
    if scope.level is ScopeLevel.REGION:
        return Place(region=scope.id)
    if scope.level is ScopeLevel.FRANCHISEE:
        return Place(franchisee=scope.id)
    if scope.level is ScopeLevel.COMPANY:  # the company's home region and its seller find it
        company = session.get(CompanyRow, scope.id)
        return Place(region=company.home_region, franchisee=company.franchisee_id) if company is not None else Place()
    return store_place(session, scope.id)


# ---- state as JSON -----------------------------------------------------------------------------------
def _scrubbed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items() if key not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def as_state(message: Message) -> dict[str, Any]:
    """A message as a dict of every field (proto field names), to extend before recording."""
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def state_json(state: JsonState) -> str:
    """A message or dict as sorted JSON (secrets dropped); empty for None."""
    if state is None:
        return ""
    if isinstance(state, Message):
        state = as_state(state)
    return json.dumps(_scrubbed(state), ensure_ascii=False, sort_keys=True, default=str)


# ---- HQ's own actions ----------------------------------------------------------------------------------
def record(
    session: Session,
    *,
    action: str,
    target_type: str,
    target_id: str,
    place: Place = CHAIN_WIDE,
    before: JsonState = None,
    after: JsonState = None,
    request_id: str = "",
    reason: str = "",
    outcome: str = "OK",
    amount_fen: int = 0,
    acting: Who | None = None,
) -> AuditLogEntry:
    """Append one entry of HQ's own in the caller's transaction. ``acting`` overrides who acted
    (a log-in acts as the operator it proves to be); by default it is the current caller."""
    acting = acting or who(current_principal())
    now = utc_now()
    entry = _clipped(AuditLogEntry(
        entry_id=new_id(), occurred_at=now, recorded_at=now, producer=PRODUCER,
        actor=acting.actor, operator_id=acting.operator_id, operator_role=acting.operator_role,
        operator_scope=acting.operator_scope, origin=acting.origin,
        action=action, target_type=target_type, target_id=target_id,
        store_id=place.store, franchisee_id=place.franchisee, region_code=place.region,
        request_id=request_id, reason=reason, before_json=state_json(before), after_json=state_json(after),
        outcome=outcome, amount_fen=amount_fen,
    ))
    session.add(entry)
    return entry


def refusal_recorder(session_factory: sessionmaker[Session]) -> Callable[[str, Principal | None, str, str], None]:
    """An ``on_denied`` hook for AuthorizationInterceptor: each refused call becomes an entry
    (outcome = the status name), in a transaction of its own since the call changes nothing."""

    def on_denied(method: str, principal: Principal | None, status_name: str, reason: str) -> None:
        with session_factory.begin() as session:
            record(session, action=method.lstrip("/"), target_type="rpc", target_id=method.lstrip("/"),
                   place=scope_place(session, principal.scope if principal else None), reason=reason,
                   outcome=status_name, acting=who(principal, nobody=ANONYMOUS))

    return on_denied


# ---- entries from the other services ---------------------------------------------------------------
class AuditCollector:
    """Handler of HQ's audit consumer: stores every AuditEntryRecorded as the producer wrote it."""

    def apply(self, session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        if isinstance(payload, events_pb2.AuditEntryRecorded):
            insert_collected(session, entry_row(payload.entry, envelope))


def entry_row(entry: audit_pb2.AuditEntry, envelope: events_pb2.EventEnvelope) -> AuditLogEntry:
    producer = entry.producer or envelope.producer
    stamp = entry.occurred_at if entry.HasField("occurred_at") else envelope.occurred_at
    occurred_at: datetime = stamp.ToDatetime(tzinfo=UTC)
    # Who, as the region itself writes it: the operator; else the store that called; else the
    # producing process (a scheduled job such as expiry, or the cardholder's self-service).
    actor = entry.actor or entry.operator_id or (f"store:{entry.store_id}" if entry.store_id else producer)
    return _clipped(AuditLogEntry(
        entry_id=entry.entry_id or envelope.event_id, occurred_at=occurred_at, recorded_at=utc_now(),
        actor=actor, operator_id=entry.operator_id, operator_role=entry.operator_role,
        operator_scope=entry.operator_scope, producer=producer, origin=entry.origin,
        action=entry.action, target_type=entry.target_type, target_id=entry.target_id, store_id=entry.store_id,
        franchisee_id=entry.franchisee_id, region_code=entry.region_code, request_id=entry.request_id,
        reason=entry.reason, before_json=entry.before_json, after_json=entry.after_json,
        outcome=entry.outcome or "OK", amount_fen=entry.amount_fen,
    ))


def insert_collected(session: Session, row: AuditLogEntry) -> None:
    """Insert unless an entry with this id is already stored (the same entry published again
    under another event id must not fail the consumer's batch)."""
    values = {column.key: getattr(row, column.key) for column in AuditLogEntry.__table__.columns}
    insert = insert_for(session)
    session.execute(insert(AuditLogEntry).values(values).on_conflict_do_nothing(index_elements=["entry_id"]))


def _clipped(row: AuditLogEntry) -> AuditLogEntry:
    """Cut over-long texts to their column: a bad entry must neither block the consumer forever
    (it retries a failing record) nor fail the action it describes."""
    for column in AuditLogEntry.__table__.columns:
        length = getattr(column.type, "length", None)
        value = getattr(row, column.key)
        if length and isinstance(value, str) and len(value) > length:
            log.warning("audit field clipped", extra={"fields": {"field": column.key, "entry_id": row.entry_id}})
            setattr(row, column.key, value[:length])
    return row


# ---- append-only at the ORM level (the trigger covers everyone else) ------------------------------
class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditLogEntry, "before_update")
def _refuse_update(mapper: Mapper[AuditLogEntry], connection: Connection, target: AuditLogEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.entry_id} cannot be changed")


@event.listens_for(AuditLogEntry, "before_delete")
def _refuse_delete(mapper: Mapper[AuditLogEntry], connection: Connection, target: AuditLogEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.entry_id} cannot be deleted")

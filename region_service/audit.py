"""The region's append-only audit log (H4): who did what to which card, when, where, before and after.

An entry is written with :func:`record` in the caller's session, so it commits together with the
change it describes (or not at all), and is published as AuditEntryRecorded on chaincard.audit.v1
through the outbox in that same transaction. Nothing here updates or deletes an entry; the ORM
refuses it below and a database trigger refuses it for any other client (migration 0002).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Mapper, Session

from chaincard.db.base import table_of, utc_now
from chaincard.db.bulk import insert_rows
from chaincard.db.outbox import outbox_row
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.events.outbox import add_event
from chaincard.ids import new_id
from chaincard.security.identity import current_principal
from chaincard.v1 import audit_pb2, events_pb2
from region_service.context import RegionContext
from region_service.models import AuditLogEntry, OutboxMessage
from region_service.translate import timestamp

SYSTEM = "system"
CARDHOLDER = "cardholder"


def actor_of(operator_id: str, store_id: str = "", *, self_service: bool = False) -> str:
    """Who acted: the operator; else the store that called without naming one; else the holder
    (self-service) or the system (scheduled jobs)."""
    if operator_id:
        return operator_id
    if store_id:
        return f"store:{store_id}"
    return CARDHOLDER if self_service else SYSTEM


def record(
    session: Session,
    ctx: RegionContext,
    *,
    action: str,
    target_type: str,
    target_id: str,
    operator_id: str = "",
    actor: str | None = None,
    store_id: str = "",
    franchisee_id: str = "",
    request_id: str = "",
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    amount_fen: int = 0,
    outcome: str = "OK",
) -> AuditLogEntry:
    """Append one audit entry and its AuditEntryRecorded event in the caller's transaction.

    ``before`` / ``after`` must already be free of PII in clear and of any PIN material.
    ``actor`` defaults to :func:`actor_of` (operator, else ``store:<id>``, else ``system``).
    """
    operator_id, role, scope = _acting(operator_id)
    entry = AuditLogEntry(
        id=new_id(),
        occurred_at=utc_now(),
        actor=actor or actor_of(operator_id, store_id),
        store_id=store_id,
        franchisee_id=franchisee_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason[:256],
        before=before,
        after=after,
        amount_fen=amount_fen,
        outcome=outcome,
        request_id=request_id,
    )
    session.add(entry)
    add_event(
        session, OutboxMessage, topic=topics.AUDIT, key=target_id, producer=ctx.producer_name,
        payload=events_pb2.AuditEntryRecorded(entry=_entry_message(entry, operator_id, ctx, role, scope)),
    )
    return entry


def record_many(session: Session, ctx: RegionContext, entries: list[AuditLogEntry]) -> list[dict[str, Any]]:
    """Append many entries (built, not added to the session) in one statement; answers their
    AuditEntryRecorded outbox rows (chaincard.db.outbox.outbox_row) for the caller to insert with
    its other events. A bulk writer's form of :func:`record` (an import chunk's opening balances)."""
    if not entries:
        return []
    operator_id, role, scope = _acting("")
    table = table_of(AuditLogEntry)
    insert_rows(session, table, [{column: getattr(entry, column) for column in table.c.keys()} for entry in entries])
    return [outbox_row(wrap(events_pb2.AuditEntryRecorded(entry=_entry_message(entry, operator_id, ctx, role, scope)),
                            producer=ctx.producer_name, aggregate_id=entry.target_id), topic=topics.AUDIT, key=entry.target_id)
            for entry in entries]


def _origin() -> str:
    """The certificate identity the call came from (empty for jobs and plaintext set-ups)."""
    principal = current_principal()
    return str(principal.peer) if principal is not None and principal.peer is not None else ""


def _acting(operator_id: str) -> tuple[str, str, str]:
    """(operator id, role, scope) of who acted: the logged-in operator whose token authorised the
    call; else the staff member a store named in the request (its certificate vouches for it)."""
    principal = current_principal()
    if principal is not None and principal.is_operator and principal.role is not None:
        return principal.operator_id, principal.role.proto_name, str(principal.scope)
    return operator_id, "", ""


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _entry_message(entry: AuditLogEntry, operator_id: str, ctx: RegionContext, role: str, scope: str) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(
        entry_id=entry.id,
        occurred_at=timestamp(entry.occurred_at),
        operator_id=operator_id,
        operator_role=role,
        operator_scope=scope,
        actor=entry.actor,
        origin=_origin(),
        producer=ctx.producer_name,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        store_id=entry.store_id,
        franchisee_id=entry.franchisee_id,
        region_code=ctx.region_code,
        request_id=entry.request_id,
        reason=entry.reason,
        before_json=_json(entry.before),
        after_json=_json(entry.after),
        outcome=entry.outcome,
        amount_fen=entry.amount_fen,
    )


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditLogEntry, "before_update")
def _refuse_update(mapper: Mapper[AuditLogEntry], connection: Connection, target: AuditLogEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditLogEntry, "before_delete")
def _refuse_delete(mapper: Mapper[AuditLogEntry], connection: Connection, target: AuditLogEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be deleted")

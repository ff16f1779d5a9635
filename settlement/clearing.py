"""The clearing ledger's intake (F1): one record per posted transaction, from the postings topic."""

from __future__ import annotations

from datetime import date

from google.protobuf.message import Message
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.v1 import common_pb2, events_pb2
from settlement.models import ClearingRecord


def record_posting(session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
    if not isinstance(payload, events_pb2.TransactionPosted):
        return
    transaction = payload.transaction
    session.merge(
        ClearingRecord(
            transaction_id=transaction.transaction_id,
            transaction_type=common_pb2.TransactionType.Name(transaction.type).removeprefix("TRANSACTION_TYPE_"),
            card_number=transaction.card_number,
            home_region=transaction.home_region,
            issuing_franchisee_id=payload.issuing_franchisee_id,
            acquiring_franchisee_id=payload.acquiring_franchisee_id,
            acquiring_store_id=payload.acquiring_store_id,
            business_date=date.fromisoformat(transaction.business_date),
            principal_delta_fen=transaction.principal_delta_fen,
            bonus_delta_fen=transaction.bonus_delta_fen,
            points_delta=transaction.points_delta,
        )
    )


def flows_for_day(session: Session, business_date: date) -> list[tuple[str, str, str, int, int, int]]:
    """Gross flows of one business day by (issuing, acquiring, type): count, principal, bonus."""
    rows = session.execute(
        select(
            ClearingRecord.issuing_franchisee_id,
            ClearingRecord.acquiring_franchisee_id,
            ClearingRecord.transaction_type,
            func.count(),
            func.sum(ClearingRecord.principal_delta_fen),
            func.sum(ClearingRecord.bonus_delta_fen),
        )
        .where(ClearingRecord.business_date == business_date)
        .group_by(ClearingRecord.issuing_franchisee_id, ClearingRecord.acquiring_franchisee_id, ClearingRecord.transaction_type)
        .order_by(ClearingRecord.issuing_franchisee_id, ClearingRecord.acquiring_franchisee_id, ClearingRecord.transaction_type)
    ).all()
    return [(a, b, c, int(d), int(e or 0), int(f or 0)) for a, b, c, d, e, f in rows]

"""The clearing ledger's intake (F1): one record per posted transaction, from the postings topic.

Records keep what the home region said: its business date (store's time zone, the chain's
cut-off), the issuing and acquiring franchisees and the card's deltas. For a refund or void the
record also keeps the reversed transaction's type, business date and store, looked up in the
clearing ledger itself: per-card ordering on the topic means the original was taken in first.

Each record inserted is also added to the running totals of its day (``clearing_totals``), in the
same transaction and only when the insert took place: a redelivered posting counts once.

A company's receivable (C6, docs/adr/0045) rides along the same way: a COMPANY_RECHARGE carrying a
``company_id`` records what it invoiced, and a ``CompanyPaymentPosted`` (a region's COMPANY_PAYMENT,
tied to no card) becomes a clearing record of its own — issuer and acquirer both the selling
franchisee, so it settles nothing — with what it paid. Both only with their record's insert.
"""

from __future__ import annotations

import logging
from datetime import UTC, date
from functools import cache
from typing import Any, cast

from google.protobuf.message import Message
from sqlalchemy import (
    Case,
    Column,
    ColumnClause,
    ColumnElement,
    Insert,
    Table,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from chaincard.business_day import business_date as business_date_of
from chaincard.db.base import table_of
from chaincard.db.dialects import INSERT_OF_DIALECT, dialect_of
from chaincard.v1 import common_pb2, events_pb2
from settlement.models import (
    ClearingCompanyReceivable,
    ClearingCountUse,
    ClearingCoupon,
    ClearingRecord,
    ClearingTotal,
)
from settlement.rules import CountUseGroup, CouponUse, count_use_groups, coupon_uses, flow_kind_of

log = logging.getLogger(__name__)

COMPANY_RECHARGE = "COMPANY_RECHARGE"
COMPANY_PAYMENT = "COMPANY_PAYMENT"


class ClearingIntake:
    """The consumer's handler: ``(session, envelope, payload)``, inside the consumer's transaction."""

    def __init__(self, time_zone: str = "Asia/Shanghai", cutoff: str = "04:00") -> None:
        # Only for a producer that left business_date empty; regions always set it.
        self.time_zone = time_zone
        self.cutoff = cutoff

    def __call__(self, session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        if isinstance(payload, events_pb2.CompanyPaymentPosted):
            self.company_payment(session, payload)
            return
        if not isinstance(payload, events_pb2.TransactionPosted):
            return
        values = self.record_values(session, payload)
        if values is None:
            return
        coupons = coupon_uses(str(values["transaction_type"]),
                              ((c.coupon_code, c.template_code, c.discount_fen, c.issuer_franchisee_id) for c in payload.coupons))
        values["coupon_fen"] = sum(coupon.discount_fen for coupon in coupons)
        # A transaction is recorded once, whatever event carried it (the id is the region's).
        inserted = session.connection().execute(_record_insert(dialect_of(session)), values).scalar_one_or_none()
        if inserted is not None:
            add_record_to_totals(session, inserted)
            if coupons:  # with their record only, so a redelivered posting adds none twice
                record_coupons(session, str(values["transaction_id"]), cast(date, values["business_date"]), coupons)
            uses = count_use_groups(str(values["transaction_type"]), (
                (c.item_code, c.uses, c.seller_franchisee_id, c.value_fen) for c in payload.transaction.count_use_consumptions))
            if uses:  # likewise (docs/adr/0031)
                record_count_uses(session, str(values["transaction_id"]), cast(date, values["business_date"]), uses)
            if payload.company_id and values["transaction_type"] == COMPANY_RECHARGE:
                record_company_receivable(session, str(values["transaction_id"]), cast(date, values["business_date"]),
                                          payload.company_id, payload.acquiring_franchisee_id,
                                          invoiced_fen=payload.transaction.amount_fen)
            elif payload.company_id and values["transaction_type"] == "VOID":  # a credit note: the invoice reduced
                record_company_receivable(session, str(values["transaction_id"]), cast(date, values["business_date"]),
                                          payload.company_id, payload.acquiring_franchisee_id,
                                          invoiced_fen=-payload.transaction.amount_fen)

    def company_payment(self, session: Session, payload: events_pb2.CompanyPaymentPosted) -> None:
        """A region's COMPANY_PAYMENT: a clearing record within the selling franchisee, and what it paid."""
        if not payload.transaction_id or not payload.business_date:
            log.warning("company payment without a transaction id or business date skipped")
            return
        day = date.fromisoformat(payload.business_date)
        values: dict[str, object] = {
            "transaction_id": payload.transaction_id, "transaction_type": COMPANY_PAYMENT, "card_number": "",
            "home_region": payload.region_code, "issuing_franchisee_id": payload.franchisee_id,
            "acquiring_franchisee_id": payload.franchisee_id, "acquiring_store_id": "", "settling_store_id": "",
            "business_date": day, "flow_kind": "", "amount_fen": payload.amount_fen, "principal_delta_fen": 0,
            "bonus_delta_fen": 0, "points_delta": 0, "count_uses_delta": 0, "coupon_fen": 0,
            "original_transaction_id": None, "original_transaction_type": None, "original_business_date": None,
            "occurred_at": payload.occurred_at.ToDatetime(tzinfo=UTC) if payload.HasField("occurred_at") else None,
        }
        inserted = session.connection().execute(_record_insert(dialect_of(session)), values).scalar_one_or_none()
        if inserted is not None:
            add_record_to_totals(session, inserted)
            record_company_receivable(session, payload.transaction_id, day, payload.company_id, payload.franchisee_id,
                                      paid_fen=payload.amount_fen)

    def record_values(self, session: Session, payload: events_pb2.TransactionPosted) -> dict[str, object] | None:
        transaction = payload.transaction
        if not transaction.transaction_id:
            log.warning("posting without a transaction id skipped")
            return None
        kind = common_pb2.TransactionType.Name(transaction.type).removeprefix("TRANSACTION_TYPE_")
        occurred_at = transaction.occurred_at.ToDatetime(tzinfo=UTC) if transaction.HasField("occurred_at") else None
        if transaction.business_date:
            day = date.fromisoformat(transaction.business_date)
        elif occurred_at is not None:
            day = business_date_of(occurred_at, self.time_zone, self.cutoff)
        else:
            log.warning("posting without a business date skipped", extra={"fields": {"transaction_id": transaction.transaction_id}})
            return None
        store = payload.acquiring_store_id or transaction.store_id
        original_type = original_day = None
        settling_store = store
        if transaction.original_transaction_id:
            original = session.execute(
                select(ClearingRecord.transaction_type, ClearingRecord.business_date, ClearingRecord.settling_store_id)
                .where(ClearingRecord.transaction_id == transaction.original_transaction_id)
            ).one_or_none()
            if original is not None:
                original_type, original_day, settling_store = original.transaction_type, original.business_date, original.settling_store_id
        return {
            "transaction_id": transaction.transaction_id,
            "transaction_type": kind,
            "card_number": transaction.card_number,
            "home_region": transaction.home_region,
            "issuing_franchisee_id": payload.issuing_franchisee_id,
            "acquiring_franchisee_id": payload.acquiring_franchisee_id,
            "acquiring_store_id": store,
            "settling_store_id": settling_store,
            "business_date": day,
            "flow_kind": str(flow_kind_of(kind, original_type, transaction.principal_delta_fen, transaction.bonus_delta_fen)),
            "amount_fen": transaction.amount_fen,
            "principal_delta_fen": transaction.principal_delta_fen,
            "bonus_delta_fen": transaction.bonus_delta_fen,
            "points_delta": transaction.points_delta,
            "count_uses_delta": sum(change.uses_delta for change in transaction.count_use_deltas),
            "original_transaction_id": transaction.original_transaction_id or None,
            "original_transaction_type": original_type,
            "original_business_date": original_day,
            "occurred_at": occurred_at,
        }


def record_coupons(session: Session, transaction_id: str, business_day: date, coupons: list[CouponUse]) -> None:
    """The coupons of the record just inserted, each with its cost bearer and signed discount."""
    session.connection().execute(table_of(ClearingCoupon).insert(), [
        {"transaction_id": transaction_id, "coupon_code": coupon.coupon_code, "template_code": coupon.template_code,
         "issuer_franchisee_id": coupon.issuer_franchisee_id, "discount_fen": coupon.discount_fen, "business_date": business_day}
        for coupon in coupons
    ])


def record_count_uses(session: Session, transaction_id: str, business_day: date, groups: list[CountUseGroup]) -> None:
    """The count uses of the record just inserted, per item and seller, signed."""
    session.connection().execute(table_of(ClearingCountUse).insert(), [
        {"transaction_id": transaction_id, "item_code": group.item_code, "seller_franchisee_id": group.seller_franchisee_id,
         "uses": group.uses, "value_fen": group.value_fen, "business_date": business_day}
        for group in groups
    ])


def record_company_receivable(session: Session, transaction_id: str, business_day: date, company_id: str,
                              franchisee_id: str, *, invoiced_fen: int = 0, paid_fen: int = 0) -> None:
    """What the record just inserted did to a company's receivable at its selling franchisee."""
    session.connection().execute(table_of(ClearingCompanyReceivable).insert(), {
        "transaction_id": transaction_id, "company_id": company_id, "franchisee_id": franchisee_id,
        "invoiced_fen": invoiced_fen, "paid_fen": paid_fen, "business_date": business_day})


record_posting = ClearingIntake()

_TOTAL_KEYS = ("business_date", "issuing_franchisee_id", "acquiring_franchisee_id", "settling_store_id", "flow_kind")
_TOTAL_SUMS = {  # clearing_totals column ← the record column it sums
    "principal_fen": "principal_delta_fen", "bonus_fen": "bonus_delta_fen", "points": "points_delta",
    "count_uses": "count_uses_delta",
}
# Inline, not a bound parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
_EMPTY: ColumnClause[str] = literal_column("''")


def reported_type(records: type[ClearingRecord] | ReadOnlyColumnCollection[str, Column[Any]]) -> Case[str]:
    """The type of a record that is only reported (flow NONE: a memo item of its own); empty for a
    SPEND or RECHARGE flow, whose spends, refunds and voids are settled as one."""
    return case((records.flow_kind == _EMPTY, records.transaction_type), else_=_EMPTY)


def add_to_totals(session: Session, *where: ColumnElement[bool]) -> None:
    """Add the clearing records matching ``where`` to the running totals of their days — a bulk
    load's call (the benchmark's, once for all it copied). Each record must be added once only."""
    session.execute(_totals_upsert(dialect_of(session), *where))


def add_record_to_totals(session: Session, sequence: int) -> None:
    """Intake's call, for the one record it has just inserted: the same statement, built once."""
    session.execute(_one_record_upsert(dialect_of(session)), {"sequence": sequence})


def _upsert_into(dialect: str, table: Table) -> postgresql.Insert:
    """The dialect's INSERT … ON CONFLICT construct (SQLite's has the same methods as PostgreSQL's)."""
    return cast(postgresql.Insert, INSERT_OF_DIALECT[dialect](table))


@cache
def _record_insert(dialect: str) -> Insert:
    """Built once, values bound per record (building and caching a statement per record cost more
    CPU than PostgreSQL spent on the insert)."""
    record = table_of(ClearingRecord)
    return (_upsert_into(dialect, record).on_conflict_do_nothing(index_elements=["transaction_id"])
            .returning(record.c.sequence))


@cache
def _one_record_upsert(dialect: str) -> Insert:
    return _totals_upsert(dialect, ClearingRecord.sequence == bindparam("sequence"))


def _totals_upsert(dialect: str, *where: ColumnElement[bool]) -> Insert:
    """INSERT … SELECT the matching records' sums by total … ON CONFLICT add them to the total."""
    record = table_of(ClearingRecord).c
    keys = [*(record[name] for name in _TOTAL_KEYS), reported_type(record)]
    sums = [func.count(), *(func.sum(record[source]) for source in _TOTAL_SUMS.values())]
    rows = select(*keys, *sums).where(*where).group_by(*keys)
    columns = [*_TOTAL_KEYS, "reported_type", "transaction_count", *_TOTAL_SUMS]
    total = table_of(ClearingTotal)
    statement = _upsert_into(dialect, total).from_select(columns, rows)
    return statement.on_conflict_do_update(
        index_elements=[*_TOTAL_KEYS, "reported_type"],
        set_={name: total.c[name] + statement.excluded[name] for name in ("transaction_count", *_TOTAL_SUMS)},
    )




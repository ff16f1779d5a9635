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
from collections.abc import Mapping, Sequence
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
from settlement.rules import CouponUse, count_use_groups, coupon_uses, flow_kind_of

log = logging.getLogger(__name__)

COMPANY_RECHARGE = "COMPANY_RECHARGE"
# A reversed transaction as the clearing ledger holds it: type, business date, settling store.
_Original = tuple[str, date, str]
COMPANY_PAYMENT = "COMPANY_PAYMENT"


class ClearingIntake:
    """The consumer's handler: ``(session, envelope, payload)``, inside the consumer's transaction."""

    def __init__(self, time_zone: str = "Asia/Shanghai", cutoff: str = "04:00") -> None:
        # Only for a producer that left business_date empty; regions always set it.
        self.time_zone = time_zone
        self.cutoff = cutoff

    def __call__(self, session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        """One event (a batch of one)."""
        self.apply_batch(session, [(envelope, payload)])

    def apply_batch(self, session: Session, events: Sequence[tuple[events_pb2.EventEnvelope, Message]]) -> None:
        """A poll's new events in one go: the records in one multi-row insert, their totals in one
        upsert, their coupons, count uses and receivables in one insert each (issue 17 item 2)."""
        postings: list[events_pb2.TransactionPosted] = []
        for _, payload in events:
            if isinstance(payload, events_pb2.CompanyPaymentPosted):
                self.company_payment(session, payload)  # rare: a company's payment, one at a time
            elif isinstance(payload, events_pb2.TransactionPosted):
                postings.append(payload)
        if postings:
            self._record_postings(session, postings)

    def _record_postings(self, session: Session, postings: Sequence[events_pb2.TransactionPosted]) -> None:
        originals = self._originals(session, postings)
        records: dict[str, tuple[dict[str, object], events_pb2.TransactionPosted]] = {}
        for payload in postings:
            values = self.record_values(payload, originals)
            if values is None or values["transaction_id"] in records:
                continue  # a transaction is recorded once, whatever event carried it (the id is the region's)
            records[str(values["transaction_id"])] = (values, payload)
            # A refund later in the same batch finds its sale here (per-card order on the topic).
            originals[str(values["transaction_id"])] = (str(values["transaction_type"]), cast(date, values["business_date"]),
                                                        str(values["settling_store_id"]))
        for values, payload in records.values():
            values["coupon_fen"] = sum(coupon.discount_fen for coupon in _coupons_of(values, payload))
        inserted: dict[str, int] = {row.transaction_id: row.sequence for row in session.connection().execute(
            _record_insert(dialect_of(session)), [values for values, _ in records.values()])}
        if not inserted:
            return  # all redelivered
        session.execute(_records_upsert(dialect_of(session)), {"sequences": list(inserted.values())})
        coupons: list[dict[str, object]] = []
        count_uses: list[dict[str, object]] = []
        receivables: list[dict[str, object]] = []
        for transaction_id in inserted:  # with their record only, so a redelivered posting adds none twice
            values, payload = records[transaction_id]
            day, kind = cast(date, values["business_date"]), str(values["transaction_type"])
            coupons += [{"transaction_id": transaction_id, "coupon_code": coupon.coupon_code,
                         "template_code": coupon.template_code, "issuer_franchisee_id": coupon.issuer_franchisee_id,
                         "discount_fen": coupon.discount_fen, "business_date": day}
                        for coupon in _coupons_of(values, payload)]
            count_uses += [{"transaction_id": transaction_id, "item_code": group.item_code,  # docs/adr/0031
                            "seller_franchisee_id": group.seller_franchisee_id, "uses": group.uses,
                            "value_fen": group.value_fen, "business_date": day}
                           for group in count_use_groups(kind, ((c.item_code, c.uses, c.seller_franchisee_id, c.value_fen)
                                                                for c in payload.transaction.count_use_consumptions))]
            if payload.company_id and kind in (COMPANY_RECHARGE, "VOID"):  # a VOID is a credit note: the invoice reduced
                sign = 1 if kind == COMPANY_RECHARGE else -1
                receivables.append({"transaction_id": transaction_id, "company_id": payload.company_id,
                                    "franchisee_id": payload.acquiring_franchisee_id,
                                    "invoiced_fen": sign * payload.transaction.amount_fen, "paid_fen": 0, "business_date": day})
        for model, rows in ((ClearingCoupon, coupons), (ClearingCountUse, count_uses), (ClearingCompanyReceivable, receivables)):
            if rows:
                session.connection().execute(table_of(model).insert(), rows)

    def _originals(self, session: Session, postings: Sequence[events_pb2.TransactionPosted]) -> dict[str, _Original]:
        """The reversed transactions the batch names, from the clearing ledger, in one query."""
        wanted = {payload.transaction.original_transaction_id for payload in postings} - {""}
        if not wanted:
            return {}
        rows = session.execute(
            select(ClearingRecord.transaction_id, ClearingRecord.transaction_type, ClearingRecord.business_date,
                   ClearingRecord.settling_store_id).where(ClearingRecord.transaction_id.in_(wanted)))
        return {row.transaction_id: (row.transaction_type, row.business_date, row.settling_store_id) for row in rows}

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
        inserted = session.connection().execute(_record_insert(dialect_of(session)), values).one_or_none()
        if inserted is not None:
            add_record_to_totals(session, inserted.sequence)
            record_company_receivable(session, payload.transaction_id, day, payload.company_id, payload.franchisee_id,
                                      paid_fen=payload.amount_fen)

    def record_values(self, payload: events_pb2.TransactionPosted, originals: Mapping[str, _Original]) -> dict[str, object] | None:
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
        original = originals.get(transaction.original_transaction_id) if transaction.original_transaction_id else None
        if original is not None:
            original_type, original_day, settling_store = original
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


def record_company_receivable(session: Session, transaction_id: str, business_day: date, company_id: str,
                              franchisee_id: str, *, invoiced_fen: int = 0, paid_fen: int = 0) -> None:
    """What the record just inserted did to a company's receivable at its selling franchisee."""
    session.connection().execute(table_of(ClearingCompanyReceivable).insert(), {
        "transaction_id": transaction_id, "company_id": company_id, "franchisee_id": franchisee_id,
        "invoiced_fen": invoiced_fen, "paid_fen": paid_fen, "business_date": business_day})


def _coupons_of(values: Mapping[str, object], payload: events_pb2.TransactionPosted) -> list[CouponUse]:
    return coupon_uses(str(values["transaction_type"]), ((c.coupon_code, c.template_code, c.discount_fen, c.issuer_franchisee_id)
                                                         for c in payload.coupons))


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
    """For one record just inserted (a company's payment): the intake's statement, built once."""
    session.execute(_records_upsert(dialect_of(session)), {"sequences": [sequence]})


def _upsert_into(dialect: str, table: Table) -> postgresql.Insert:
    """The dialect's INSERT … ON CONFLICT construct (SQLite's has the same methods as PostgreSQL's)."""
    return cast(postgresql.Insert, INSERT_OF_DIALECT[dialect](table))


@cache
def _record_insert(dialect: str) -> Insert:
    """Built once, values bound per record (building and caching a statement per record cost more
    CPU than PostgreSQL spent on the insert); many records go as one multi-row statement. Only the
    records inserted come back: a redelivered one is already there."""
    record = table_of(ClearingRecord)
    return (_upsert_into(dialect, record).on_conflict_do_nothing(index_elements=["transaction_id"])
            .returning(record.c.transaction_id, record.c.sequence))


@cache
def _records_upsert(dialect: str) -> Insert:
    return _totals_upsert(dialect, ClearingRecord.sequence.in_(bindparam("sequences", expanding=True)))


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




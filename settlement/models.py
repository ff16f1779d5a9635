"""Settlement schema: the clearing ledger fed by postings, and the nightly runs with their statements.

Clearing records are immutable facts about one ledger transaction each, except for
``settled_business_date``, which a run sets once on a record that arrived after its own day was
settled (F4). A record of day D belongs to D's run when its ``sequence`` is at most the run's
``watermark_sequence``; every later one is settled by the next run as an adjustment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Identity, Index, Integer, LargeBinary, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now
from chaincard.db.idempotency import IdempotencyKeyColumns
from chaincard.db.inbox import ProcessedEventColumns
from settlement.rules import MemoLine

MEMO_COLUMNS = list(MemoLine._fields)  # the keys of MemoLine.as_dict, in order


class Base(DeclarativeBase):
    metadata = new_metadata()


class MemoItems(TypeDecorator[list[dict[str, Any]]]):
    """A statement's memo items as JSON ``{"columns": [...], "rows": [[...], ...]}``: the keys once,
    not in each item — a busy day has some 50,000 items, and writing each as an object took a
    quarter of its run. Takes MemoLine items (or their dicts); reads give one dict per item, as
    MemoLine.as_dict makes it, however the memo was stored (before 2026-11-25: a list of dicts)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"columns": MEMO_COLUMNS, "rows": [_memo_row(item) for item in value]}

    def process_result_value(self, value: Any, dialect: Dialect) -> list[dict[str, Any]] | None:
        if value is None or isinstance(value, list):  # nothing, or stored as dicts already
            return value
        columns = value["columns"]
        return [_memo_dict(columns, row) for row in value["rows"]]


def _memo_row(item: MemoLine | dict[str, Any]) -> MemoLine:
    """The item as a JSON array can hold it (a named tuple is one), its original day as text."""
    memo = MemoLine.from_dict(item) if isinstance(item, dict) else item
    original = memo.original_business_date
    return memo if original is None else memo._replace(original_business_date=original.isoformat())  # type: ignore[arg-type]  # the JSON row holds the day as text


def _memo_dict(columns: list[str], row: list[Any]) -> dict[str, Any]:
    item = dict(zip(columns, row, strict=True))
    item["original_business_date"] = item["original_business_date"] or ""  # as MemoLine.as_dict has it
    return item


class ClearingRecord(Base):
    """Who issued the card and who acquired the business, for one ledger transaction (F1)."""

    __tablename__ = "clearing_records"
    __table_args__ = (
        Index("ix_clearing_records_business_date", "business_date"),
        Index("ix_clearing_records_business_date_sequence", "business_date", "sequence"),
        Index("ix_clearing_records_settled_business_date", "settled_business_date",
              postgresql_where="settled_business_date IS NOT NULL"),
        Index("ix_clearing_records_original_transaction_id", "original_transaction_id"),
    )

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Intake order: increases with every record taken in. A run's watermark is a sequence number
    # that every committed record at or below it is known to have (see settlement.runs).
    sequence: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    transaction_type: Mapped[str] = mapped_column(String(32))
    card_number: Mapped[str] = mapped_column(String(32))
    home_region: Mapped[str] = mapped_column(String(8))
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32))
    acquiring_franchisee_id: Mapped[str] = mapped_column(String(32))
    acquiring_store_id: Mapped[str] = mapped_column(String(32))
    # The store of the franchisee that is party to the flow: the acquiring store, or for a refund
    # or void the store of the transaction it reverses (which may be refunded elsewhere).
    settling_store_id: Mapped[str] = mapped_column(String(32), default="")
    # The business date as the home region computed it (store's time zone, the chain's cut-off).
    business_date: Mapped[date] = mapped_column(Date)
    # Which settlement flow it moves: "SPEND", "RECHARGE", or "" (reported, not settled).
    flow_kind: Mapped[str] = mapped_column(String(16), default="")
    # Signed movements of the card's balances, in fen, points and count-card uses.
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_delta_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_delta_fen: Mapped[int] = mapped_column(BigInteger)
    points_delta: Mapped[int] = mapped_column(BigInteger)
    count_uses_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    # The coupon discounts it applied, summed (negative for a refund or void restoring them); each
    # coupon, with the franchisee bearing its cost, is a ClearingCoupon row.
    coupon_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # For refunds and voids: the transaction reversed, its type and its business date (when the
    # clearing ledger holds it).
    original_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    original_transaction_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    original_business_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Set only on a record that arrived after its own day was settled: the day whose run settled it.
    settled_business_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class ClearingCoupon(Base):
    """One coupon a clearing record applied (or, for a refund or void, restored): its cost bearer
    clears the discount with the record's acquiring franchisee (F1). Written with its record, once;
    late or not is its record's (the run joins them on the transaction id)."""

    __tablename__ = "clearing_coupons"
    __table_args__ = (Index("ix_clearing_coupons_business_date", "business_date"),)

    transaction_id: Mapped[str] = mapped_column(String(36), ForeignKey("clearing_records.transaction_id"), primary_key=True)
    coupon_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_code: Mapped[str] = mapped_column(String(64))
    # The franchisee bearing the coupon's cost (AppliedCoupon.issuer_franchisee_id).
    issuer_franchisee_id: Mapped[str] = mapped_column(String(32))
    # Signed: the discount taken by a sale, its negative when a refund or void restored the coupon.
    discount_fen: Mapped[int] = mapped_column(BigInteger)
    # The record's business date, copied so a run finds the day's coupons by index.
    business_date: Mapped[date] = mapped_column(Date)


class ClearingCountUse(Base):
    """Count-card uses of one item and one seller that a clearing record consumed (or, for a refund
    or void, returned): the seller clears their value with the record's acquiring franchisee
    (docs/adr/0031). Written with its record, once; late or not is its record's."""

    __tablename__ = "clearing_count_uses"
    __table_args__ = (Index("ix_clearing_count_uses_business_date", "business_date"),)

    transaction_id: Mapped[str] = mapped_column(String(36), ForeignKey("clearing_records.transaction_id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The franchisee that sold the uses (CountUseConsumption.seller_franchisee_id).
    seller_franchisee_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Signed: consumed by a sale, negative when a refund or void returned them.
    uses: Mapped[int] = mapped_column(BigInteger)
    value_fen: Mapped[int] = mapped_column(BigInteger)
    # The record's business date, copied so a run finds the day's uses by index.
    business_date: Mapped[date] = mapped_column(Date)


class ClearingCompanyReceivable(Base):
    """What one clearing record did to a company's receivable at the franchisee that sold it cards by
    invoice (C6, docs/adr/0045): a COMPANY_RECHARGE invoiced its principal, a COMPANY_PAYMENT paid.
    Written with its record, once; late or not is its record's. Reported on the selling franchisee's
    statement ("company receivables"), never netted: a company is not a franchisee."""

    __tablename__ = "clearing_company_receivables"
    __table_args__ = (
        Index("ix_clearing_company_receivables_business_date", "business_date"),
        Index("ix_clearing_company_receivables_franchisee_company", "franchisee_id", "company_id"),
    )

    transaction_id: Mapped[str] = mapped_column(String(36), ForeignKey("clearing_records.transaction_id"), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(32))
    # The selling franchisee, whose COMPANY_RECEIVABLE it moved.
    franchisee_id: Mapped[str] = mapped_column(String(32))
    invoiced_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # The record's business date, copied so a run finds the day's rows by index.
    business_date: Mapped[date] = mapped_column(Date)


class ClearingTotal(Base):
    """Running sums of the clearing records sharing a business day, issuer, acquirer, settling store
    and flow — kept by intake in the transaction that inserts each record, so a run reads one row
    per flow instead of every record (see settlement.clearing.add_to_totals).

    Every record of the day is counted, whenever it arrived: a run takes the day's totals less the
    day's records above its watermark (few: they arrived while it ran, and settle later as late).
    """

    __tablename__ = "clearing_totals"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    acquiring_franchisee_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    settling_store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    flow_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The transaction type of what is only reported (flow_kind ""): a memo item of its own. Empty
    # for SPEND and RECHARGE, whose spends, refunds and voids a run settles as one flow anyway.
    reported_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    transaction_count: Mapped[int] = mapped_column(BigInteger)
    # Sums of the records' signed deltas, in fen, points and count-card uses.
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    count_uses: Mapped[int] = mapped_column(BigInteger)


class SettlementRun(Base):
    """One run per business date (the key); COMPLETED runs are never changed again."""

    __tablename__ = "settlement_runs"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    completed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Every clearing record with a sequence at or below this was committed before the run read.
    watermark_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    clearing_record_count: Mapped[int] = mapped_column(BigInteger, default=0)
    late_record_count: Mapped[int] = mapped_column(BigInteger, default=0)
    statement_count: Mapped[int] = mapped_column(Integer, default=0)
    # The FeeSchedule proto applied to the day (deterministically serialized).
    fee_schedule: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    # The SettlementManifest proto (deterministically serialized) and its hash.
    manifest: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    manifest_sha256: Mapped[str] = mapped_column(String(64), default="")
    net_total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the statement files print beside ids, as of the run: franchisee and store names, the
    # chain's business-day time zone and cut-off (so files re-render byte for byte later).
    directory: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_message: Mapped[str] = mapped_column(Text, default="")


class Statement(Base):
    """A franchisee's statement for one day: an immutable document (the Statement proto, with
    lines) beside the columns the list queries need, and its memo of what was reported only."""

    __tablename__ = "statements"
    __table_args__ = (Index("ix_statements_franchisee_id_business_date", "franchisee_id", "business_date"),)

    statement_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, ForeignKey("settlement_runs.business_date"))
    franchisee_id: Mapped[str] = mapped_column(String(32))
    franchisee_name: Mapped[str] = mapped_column(String(200))
    net_fen: Mapped[int] = mapped_column(BigInteger)
    receivable_fen: Mapped[int] = mapped_column(BigInteger)
    payable_fen: Mapped[int] = mapped_column(BigInteger)
    fees_fen: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    # The Statement proto, deterministically serialized; content_sha256 is over it with the hash empty.
    document: Mapped[bytes] = mapped_column(LargeBinary)
    # Reported, not settled: points, count uses, closures… (settlement.rules.MemoLine items, read as dicts).
    memo: Mapped[list[dict[str, Any]]] = mapped_column(MemoItems, default=list)


class StatementFile(Base):
    """A rendered statement file (CSV, XLSX, PDF) and its SHA-256: the run's file manifest."""

    __tablename__ = "statement_files"

    statement_id: Mapped[str] = mapped_column(String(80), ForeignKey("statements.statement_id"), primary_key=True)
    file_format: Mapped[str] = mapped_column(String(8), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)


class IdempotencyKey(IdempotencyKeyColumns, Base):
    pass


class ProcessedEvent(ProcessedEventColumns, Base):
    pass

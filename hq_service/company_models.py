"""HQ's company accounts (C6, docs/adr/0045). On hq_service.models.Base; the schema change is
revision 0020 (migrations/versions/2026-12-03_companies.py);
its bulk recharges and cards are revision 0021 (2026-12-03_company_recharges.py); its payments are
revision 0023 (2026-12-03_company_payments.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from hq_service.models import Base


class CompanyRow(Base):
    """A company that buys cards by invoice (companies.proto Company)."""

    __tablename__ = "companies"

    company_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    # Unique: one company account per legal entity, so its invoices and receivable add up in one place.
    tax_id: Mapped[str] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str] = mapped_column(String(64))
    # Normalised 11-digit mobile number: HQ's operators call it; it is not a member's phone (no HMAC index).
    contact_phone: Mapped[str] = mapped_column(String(11))
    home_region: Mapped[str] = mapped_column(String(8), index=True)
    franchisee_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class CompanyRechargeJobRow(Base):
    """One BulkRecharge (companies.proto CompanyRechargeJob). Revision 0021."""

    __tablename__ = "company_recharge_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('RUNNING', 'COMPLETED', 'FAILED')", name="state_known"),
        Index("ix_company_recharge_jobs_running", "state", "created_at"),
    )

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The BulkRecharge request id: a retry finds this job (unique).
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of what the request asked: the same request id with anything else is ALREADY_EXISTS.
    fingerprint: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.company_id"), index=True)
    store_id: Mapped[str] = mapped_column(String(32))
    card_type_code: Mapped[str] = mapped_column(String(32), default="")
    operator_id: Mapped[str] = mapped_column(String(64), default="")
    # RUNNING, COMPLETED or FAILED (CompanyRechargeState without the prefix).
    state: Mapped[str] = mapped_column(String(16))
    lines_total: Mapped[int] = mapped_column(Integer)
    amount_total_fen: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class CompanyRechargeLine(Base):
    """One line of a job: what it asks, its home region, and once its region answered, what was posted."""

    __tablename__ = "company_recharge_lines"

    job_id: Mapped[str] = mapped_column(ForeignKey("company_recharge_jobs.job_id"), primary_key=True)
    line_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), index=True)
    # The card named by the line ("" for a new card); once posted, the card credited.
    card_number: Mapped[str] = mapped_column(String(32), default="")
    holder_name: Mapped[str] = mapped_column(String(64), default="")
    # A new holder's phone, normalised, kept only until its region has posted the line (then "": the
    # member's phone lives in their home region, HQ keeps only its HMAC index).
    holder_phone: Mapped[str] = mapped_column(String(11), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # "" while waiting, POSTED or REFUSED.
    outcome: Mapped[str] = mapped_column(String(16), default="")
    transaction_id: Mapped[str] = mapped_column(String(36), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")


class CompanyRechargeRegion(Base):
    """A job's chunk for one home region: sent until the region posts or refuses it."""

    __tablename__ = "company_recharge_regions"

    job_id: Mapped[str] = mapped_column(ForeignKey("company_recharge_jobs.job_id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class CompanyCard(Base):
    """A card a company bought or recharged: from the region's answer to a chunk and from
    TransactionPosted.company_id (whichever HQ sees first; both insert-if-absent)."""

    __tablename__ = "company_cards"

    company_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class CompanyPaymentRow(Base):
    """One RecordCompanyPayment (companies.proto CompanyPayment). Revision 0023."""

    __tablename__ = "company_payments"

    payment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The RecordCompanyPayment request id: a retry finds this payment (unique).
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of what the request asked: the same request id with anything else is ALREADY_EXISTS.
    fingerprint: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.company_id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(64), default="")
    operator_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class CompanyPaymentPartRow(Base):
    """A payment's part in one region: posted there once (its COMPANY_PAYMENT transaction). Revision 0023."""

    __tablename__ = "company_payment_parts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_company_payment_parts_waiting", "transaction_id"),
    )

    payment_id: Mapped[str] = mapped_column(ForeignKey("company_payments.payment_id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # "" until the region has posted it.
    transaction_id: Mapped[str] = mapped_column(String(36), default="")
    # Why the region has not posted it yet (a region not answering); "" otherwise.
    last_error: Mapped[str] = mapped_column(String(500), default="")


class CompanyCreditNoteRow(Base):
    """A credit note on one posted line of a bulk recharge (C6, docs/adr/0045): the line's
    COMPANY_RECHARGE voided in its home region, so the line is no longer invoiced. Stored before the
    region is called (the line is then no longer payable); ``transaction_id`` is the region's VOID
    once it answered. A line may have several (partial credits, HQ migration 0029), which together
    never exceed the part of the line no payment covers."""

    __tablename__ = "company_credit_notes"
    __table_args__ = (Index("ix_company_credit_notes_line", "job_id", "line_index"),)

    credit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("company_recharge_jobs.job_id"))
    line_index: Mapped[int] = mapped_column(Integer)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.company_id"), index=True)
    region_code: Mapped[str] = mapped_column(String(8))
    card_number: Mapped[str] = mapped_column(String(32))
    # The amount credited (the region's VOID), in fen.
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # What CreditCompanyLine asked, in fen (0: the whole creditable part); a retry must ask the same.
    asked_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    reason: Mapped[str] = mapped_column(String(200), default="")
    operator_id: Mapped[str] = mapped_column(String(64), default="")
    transaction_id: Mapped[str] = mapped_column(String(36), default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)

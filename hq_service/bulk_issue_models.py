"""HQ's tables of bulk coupon issues (Q2, docs/adr/0024): saved member filters, the jobs, each job's
cards, and a cursor per (job, home region). On hq_service.models.Base; the schema change is revision
0012 (migrations/versions/2026-12-03_bulk_coupon_issue.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from hq_service.models import Base


class MemberFilter(Base):
    """A named selection of HQ's card view (coupon_issue.proto MemberFilter); "" matches any."""

    __tablename__ = "member_filters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    level_code: Mapped[str] = mapped_column(String(32), default="")
    card_type_code: Mapped[str] = mapped_column(String(32), default="")
    home_region: Mapped[str] = mapped_column(String(8), default="")
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    issuing_store_id: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class BulkIssueJobRow(Base):
    """One bulk issue. Its counters change in the transaction that records each chunk's answers."""

    __tablename__ = "bulk_issue_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('RUNNING', 'COMPLETED', 'FAILED')", name="state_known"),
        CheckConstraint("cards_issued + cards_skipped_unknown + cards_skipped_not_active <= cards_total",
                        name="counted_at_most_total"),
        Index("ix_bulk_issue_jobs_running", "state", "created_at"),
    )

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The StartBulkIssue request id: a repeat finds this job (unique).
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of what the request asked (template, reason, filter, the sorted cards): a repeat with
    # the same request id but anything else is ALREADY_EXISTS.
    fingerprint: Mapped[str] = mapped_column(String(64))
    template_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    filter_name: Mapped[str] = mapped_column(String(64), default="")
    # RUNNING, COMPLETED or FAILED (coupon_issue.proto BulkIssueState without the prefix).
    state: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[str] = mapped_column(String(64), default="")
    # A regional manager's region; "" for a chain-wide job.
    region_code: Mapped[str] = mapped_column(String(8), default="")
    cards_total: Mapped[int] = mapped_column(BigInteger)
    cards_issued: Mapped[int] = mapped_column(BigInteger, default=0)
    cards_skipped_unknown: Mapped[int] = mapped_column(BigInteger, default=0)
    cards_skipped_not_active: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class BulkIssueCard(Base):
    """One card of a job: its home region, and once answered, its coupon or why it got none."""

    __tablename__ = "bulk_issue_cards"

    job_id: Mapped[str] = mapped_column(ForeignKey("bulk_issue_jobs.job_id"), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    # "" when no region of the chain is the card's home (answered at once: UNKNOWN_CARD).
    region_code: Mapped[str] = mapped_column(String(8))
    # "" while unanswered; ISSUED, UNKNOWN_CARD or CARD_NOT_ACTIVE.
    outcome: Mapped[str] = mapped_column(String(24), default="")
    coupon_code: Mapped[str] = mapped_column(String(17), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")


class BulkIssueCursor(Base):
    """How far a job has got in one home region: every card up to ``last_card_number`` (in card
    number order) has its answer recorded. Advanced in the transaction that records a chunk."""

    __tablename__ = "bulk_issue_cursors"

    job_id: Mapped[str] = mapped_column(ForeignKey("bulk_issue_jobs.job_id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_card_number: Mapped[str] = mapped_column(String(32), default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)

"""Settlement schema: one clearing record per posted transaction, keyed by its event."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now
from chaincard.db.inbox import ProcessedEventColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


class ClearingRecord(Base):
    """Who issued the card and who acquired the business, for one ledger transaction (F1)."""

    __tablename__ = "clearing_records"
    __table_args__ = (Index("ix_clearing_records_business_date", "business_date"),)

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transaction_type: Mapped[str] = mapped_column(String(32))
    card_number: Mapped[str] = mapped_column(String(32))
    home_region: Mapped[str] = mapped_column(String(8))
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32))
    acquiring_franchisee_id: Mapped[str] = mapped_column(String(32))
    acquiring_store_id: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    # Signed movements of the card's balances, in fen and points.
    principal_delta_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_delta_fen: Mapped[int] = mapped_column(BigInteger)
    points_delta: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class ProcessedEvent(ProcessedEventColumns, Base):
    pass

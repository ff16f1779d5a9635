"""Store agent schema (SQLite): every mutating request is written here before its first send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now


class Base(DeclarativeBase):
    metadata = new_metadata()


class OutgoingRequest(Base):
    """A mutating request on its way to the region. Survives a crash; retried with the same id."""

    __tablename__ = "outgoing_requests"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Full RPC name, e.g. "/chaincard.v1.TransactionService/Checkout".
    method: Mapped[str] = mapped_column(String(128))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    request: Mapped[bytes] = mapped_column(LargeBinary)
    # PENDING (not yet answered), DONE (answered; response kept), REJECTED (final error kept).
    state: Mapped[str] = mapped_column(String(16), index=True)
    response: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)


class Receipt(Base):
    """Receipt lines of every sale and recharge this store made, for reprints."""

    __tablename__ = "receipts"

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)

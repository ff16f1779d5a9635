"""HQ schema: the chain directory, program configuration, the phone index and read models fed by events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now
from chaincard.db.inbox import ProcessedEventColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    card_prefix: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(255))


class Franchisee(Base):
    __tablename__ = "franchisees"

    franchisee_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    company_owned: Mapped[bool] = mapped_column(Boolean, default=False)


class Store(Base):
    __tablename__ = "stores"

    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(8), index=True)
    franchisee_id: Mapped[str] = mapped_column(String(32), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))


class ConfigItem(Base):
    """One item of program configuration (card type, level, promotion, rule, fee schedule, …).

    The item is kept as its serialized chaincard.v1 message, so fields added to the proto need no
    migration here; ``item_key`` is its code (empty for chain-wide singletons such as settings).
    """

    __tablename__ = "config_items"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)


class PhysicalCard(Base):
    """The HQ card directory of pre-printed numbers (C2): which region is each number's home."""

    __tablename__ = "physical_cards"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    home_region: Mapped[str] = mapped_column(String(8))
    franchisee_id: Mapped[str] = mapped_column(String(32))
    card_type_code: Mapped[str] = mapped_column(String(32), default="")
    registered_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class ConfigVersion(Base):
    """One row: bumped by every change to directory or program configuration."""

    __tablename__ = "config_version"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class PhoneClaim(Base):
    """The chain-wide unique phone index, keyed by the phone's HMAC (never the raw number)."""

    __tablename__ = "phone_claims"

    phone_hmac: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), unique=True)
    home_region: Mapped[str] = mapped_column(String(8))
    request_id: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class MemberView(Base):
    """Member 360, masked (read model)."""

    __tablename__ = "member_views"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone_hmac: Mapped[str] = mapped_column(String(64), index=True)
    # A serialized chaincard.v1.Member (phone masked).
    member: Mapped[bytes] = mapped_column(LargeBinary)


class CardView(Base):
    __tablename__ = "card_views"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    card_type_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[int] = mapped_column(Integer)
    home_region: Mapped[str] = mapped_column(String(8))
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32))
    principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    # The newest transaction applied; an older event arriving late must not roll balances back.
    last_transaction_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class TransactionView(Base):
    __tablename__ = "transaction_views"
    __table_args__ = (Index("ix_transaction_views_card_occurred", "card_number", "occurred_at"),)

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    store_id: Mapped[str] = mapped_column(String(32), index=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # A serialized chaincard.v1.Transaction.
    transaction: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessedEvent(ProcessedEventColumns, Base):
    pass

"""HQ's coupon read model (issue 13, Q1–Q5 reports): one row per coupon, fed by events.

Three sources, each owning its own columns, so that the topics' relative order never matters:

- ``CouponIssued`` (chaincard.cards.v1): template, holder card, the business day of issue;
- ``CouponStateChanged`` (chaincard.cards.v1): the state, and the day it expired;
- the coupons of ``TransactionPosted`` (chaincard.postings.v1): a sale's coupons are redeemed by it
  (store, day, discount); a refund's or void's coupons are restored, which undoes the redemption of
  the transaction it reverses. The redemption columns follow the postings only: a state change
  arriving before or after them cannot undo or fake a redemption.

A coupon's row is made by whichever event comes first; every write sets values (none adds), so a
redelivered or repeated event changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from chaincard.v1 import common_pb2, events_pb2
from hq_service.models import Base, CardView

T = common_pb2.TransactionType
_REDEEMING = frozenset({T.TRANSACTION_TYPE_SPEND, T.TRANSACTION_TYPE_OFFLINE_ADVICE})
_RESTORING = frozenset({T.TRANSACTION_TYPE_REFUND, T.TRANSACTION_TYPE_VOID})


class CouponView(Base):
    """One coupon as HQ's reports see it (hq migration 0011)."""

    __tablename__ = "coupon_views"
    __table_args__ = (
        Index("ix_coupon_views_issued_business_date", "issued_business_date"),
        Index("ix_coupon_views_redeemed_business_date", "redeemed_business_date"),
        Index("ix_coupon_views_expired_business_date", "expired_business_date"),
        # Coupon holdings in segment filters (A2; revision 0024).
        Index("ix_coupon_views_card_state", "card_number", "state"),
    )

    coupon_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_code: Mapped[str] = mapped_column(String(64), default="")
    # The card holding it (its issuing store, franchisee and region are the holder's side).
    card_number: Mapped[str] = mapped_column(String(32), default="")
    # chaincard.v1.CouponState; 0 until an event says.
    state: Mapped[int] = mapped_column(Integer, default=0)
    # Set by CouponIssued: the business day of issue at the card's issuing store.
    issued_business_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Set while the coupon is EXPIRED: the business day its expiry was recorded.
    expired_business_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The sale that redeemed it, while redeemed and not restored (postings only).
    redeemed_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    redeemed_store_id: Mapped[str] = mapped_column(String(32), default="")
    redeemed_business_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    redeemed_discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class BusinessDays(Protocol):
    """What the projector needs of ReadModelProjector: the business day of a moment at a store."""

    def business_date_at(self, session: Session, store_id: str, moment: datetime) -> date: ...


def _row(session: Session, coupon_code: str) -> CouponView:
    view = session.get(CouponView, coupon_code)
    if view is None:
        view = CouponView(coupon_code=coupon_code, template_code="", card_number="", state=0, redeemed_store_id="",
                          redeemed_discount_fen=0)
        session.add(view)
        session.flush()  # a later event of the same batch finds it by its key
    return view


def _holder_day(days: BusinessDays, session: Session, card_number: str, moment: datetime) -> date:
    """The business day of ``moment`` at the holder card's issuing store (the chain's zone if unknown)."""
    card = session.get(CardView, card_number) if card_number else None
    return days.business_date_at(session, card.issuing_store_id if card is not None else "", moment)


def _moment(envelope: events_pb2.EventEnvelope) -> datetime:
    return envelope.occurred_at.ToDatetime(tzinfo=UTC) if envelope.HasField("occurred_at") else utc_now()


def coupon_issued(days: BusinessDays, session: Session, envelope: events_pb2.EventEnvelope, event: events_pb2.CouponIssued) -> None:
    coupon = event.coupon
    if not coupon.coupon_code:
        return
    view = _row(session, coupon.coupon_code)
    view.template_code = coupon.template_code or view.template_code
    view.card_number = coupon.card_number or view.card_number
    if not view.state:  # a state change already applied is newer than the issue
        view.state = coupon.state
    issued_at = coupon.issued_at.ToDatetime(tzinfo=UTC) if coupon.HasField("issued_at") else _moment(envelope)
    view.issued_business_date = _holder_day(days, session, view.card_number, issued_at)
    view.updated_at = utc_now()


def coupon_state_changed(days: BusinessDays, session: Session, envelope: events_pb2.EventEnvelope,
                         event: events_pb2.CouponStateChanged) -> None:
    if not event.coupon_code:
        return
    view = _row(session, event.coupon_code)
    view.card_number = event.card_number or view.card_number
    view.state = event.state
    if event.state == common_pb2.COUPON_STATE_EXPIRED:
        view.expired_business_date = view.expired_business_date or _holder_day(days, session, view.card_number, _moment(envelope))
    else:
        view.expired_business_date = None
    view.updated_at = utc_now()


def coupons_posted(session: Session, event: events_pb2.TransactionPosted, day: date) -> None:
    """A sale redeems its coupons; a refund or void restores the coupons it lists, undoing the
    redemption by the transaction it reverses (and only that one: the coupon may be redeemed again)."""
    transaction = event.transaction
    if transaction.type in _REDEEMING:
        for coupon in event.coupons:
            view = _row(session, coupon.coupon_code)
            view.template_code = view.template_code or coupon.template_code
            view.card_number = view.card_number or transaction.card_number
            view.redeemed_transaction_id = transaction.transaction_id
            view.redeemed_store_id = transaction.store_id
            view.redeemed_business_date = day
            view.redeemed_discount_fen = abs(coupon.discount_fen)
            view.updated_at = utc_now()
    elif transaction.type in _RESTORING and transaction.original_transaction_id:
        for coupon in event.coupons:
            restored = session.get(CouponView, coupon.coupon_code)
            if restored is not None and restored.redeemed_transaction_id == transaction.original_transaction_id:
                restored.redeemed_transaction_id = None
                restored.redeemed_store_id = ""
                restored.redeemed_business_date = None
                restored.redeemed_discount_fen = 0
                restored.updated_at = utc_now()

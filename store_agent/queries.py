"""StoreAgentService's reads from the agent's own SQLite (its offline queue and kept receipts), and
the balance a POS is given from the card cache while the region cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.errors import ChainCardError, InvalidArgument, NotFound
from chaincard.ids import is_ascii_digits
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    store_agent_pb2,
    store_sync_pb2,
    transactions_pb2,
    transactions_pb2_grpc,
)
from store_agent.models import CachedCard, OfflineAdvice, Receipt
from store_agent.offline import queued_exposure
from store_agent.receipts import columns_for, reprint_document, reprint_lines, with_copy_mark
from store_agent.region_link import RegionLink

MAX_PAGE = 1000


@dataclass(frozen=True)
class OfflineQueue:
    depth: int
    oldest_queued_at: datetime | None
    exposure_fen: int
    rejected: int


def offline_queue(session: Session) -> OfflineQueue:
    depth, oldest = session.execute(
        select(func.count(), func.min(OfflineAdvice.approved_at)).where(OfflineAdvice.state == "QUEUED")
    ).one()
    rejected = session.execute(select(func.count()).where(OfflineAdvice.state == "REJECTED")).scalar_one()
    return OfflineQueue(depth=depth, oldest_queued_at=oldest, exposure_fen=queued_exposure(session), rejected=rejected)


@dataclass(frozen=True)
class OfflineDay:
    """What the store approved offline on one business day, which of it overdrew cards, and what the
    cards it approved that day owe now (as last known here)."""

    approvals: int
    approved_fen: int
    overdrawn: int
    overdrawn_fen: int
    receivable_cards: int = 0
    receivable_fen: int = 0
    # Sales whose coupons their home region found used elsewhere, expired or voided (docs/adr/0025).
    coupon_conflicts: int = 0
    coupon_conflict_fen: int = 0


def offline_day(session: Session, day: date) -> OfflineDay:
    overdrawn = OfflineAdvice.outcome == "POSTED_OVERDRAWN"
    approvals, approved, overdrawn_count, overdrawn_fen = session.execute(
        select(func.count(), func.coalesce(func.sum(OfflineAdvice.stored_value_fen), 0),
               func.count().filter(overdrawn),
               func.coalesce(func.sum(OfflineAdvice.stored_value_fen).filter(overdrawn), 0))
        .where(OfflineAdvice.business_date == day)
    ).one()
    approved_cards = select(OfflineAdvice.card_number).where(OfflineAdvice.business_date == day).distinct()
    owing, owed = session.execute(
        select(func.count(), func.coalesce(func.sum(CachedCard.owed_fen), 0))
        .where(CachedCard.owed_fen > 0, CachedCard.card_number.in_(approved_cards))
    ).one()
    conflicts, conflict_fen = session.execute(
        select(func.count(), func.coalesce(func.sum(OfflineAdvice.coupon_conflict_fen), 0))
        .where(OfflineAdvice.business_date == day, OfflineAdvice.coupon_conflicts > 0)
    ).one()
    return OfflineDay(int(approvals), int(approved), int(overdrawn_count), int(overdrawn_fen), int(owing), int(owed),
                      int(conflicts), int(conflict_fen))


def kept_receipt(session: Session, transaction_id: str) -> Receipt:
    if not transaction_id:
        raise InvalidArgument("transaction_id", "is required")
    stored = session.get(Receipt, transaction_id)
    if stored is None:
        raise NotFound(f"this store has no receipt for transaction {transaction_id}")
    return stored


def reprint(stored: Receipt, request: store_agent_pb2.ReprintReceiptRequest, link: RegionLink,
            region: transactions_pb2_grpc.TransactionServiceStub) -> store_agent_pb2.ReprintReceiptResponse:
    """A copy of a kept receipt: from its document; for an online sale without one, the region's
    fresh layout when it answers; else the lines kept here."""
    columns = columns_for(request.paper_width)
    if stored.document:
        lines = reprint_document(stored.document, columns)
    elif stored.card_number and link.online:
        try:
            answer = link.read(region.GetReceipt, transactions_pb2.GetReceiptRequest(
                transaction_id=request.transaction_id, card_number=stored.card_number,
                paper_width=request.paper_width or common_pb2.PAPER_WIDTH_80_MM))
            lines = with_copy_mark([line.text for line in answer.receipt], columns)
        except ChainCardError:  # unreachable, or the region lost it: the copy kept here will do
            lines = reprint_lines(stored.text.split("\n"), columns)
    else:
        lines = reprint_lines(stored.text.split("\n"), columns)
    return store_agent_pb2.ReprintReceiptResponse(receipt=[common_pb2.ReceiptLine(text=line) for line in lines], columns=columns)


def queued_advices(session: Session, request: store_agent_pb2.ListQueuedAdvicesRequest) -> store_agent_pb2.ListQueuedAdvicesResponse:
    if request.page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    size = min(request.page_size or 100, MAX_PAGE)
    after = 0
    if request.page_token:
        if not is_ascii_digits(request.page_token):
            raise InvalidArgument("page_token", "is not a token this store gave")
        after = int(request.page_token)
    rows = session.execute(
        select(OfflineAdvice).where(OfflineAdvice.state == "QUEUED", OfflineAdvice.sequence > after)
        .order_by(OfflineAdvice.sequence).limit(size + 1)
    ).scalars().all()
    response = store_agent_pb2.ListQueuedAdvicesResponse()
    for row in rows[:size]:
        queued = response.advices.add(advice=store_sync_pb2.OfflineAdvice.FromString(row.advice), attempts=row.attempts,
                                      last_error=row.last_error or "")
        if row.last_attempt_at is not None:
            queued.last_attempt_at.FromDatetime(row.last_attempt_at)
    if len(rows) > size:
        response.next_page_token = str(rows[size - 1].sequence)
    return response


def cached_balance(cached: CachedCard) -> cards_pb2.GetBalanceResponse:
    """A balance from the card cache, marked as such (``from_cache``, ``as_of``)."""
    response = cards_pb2.GetBalanceResponse(
        card_number=cached.card_number,
        state=(cast(common_pb2.CardState, common_pb2.CardState.Value("CARD_STATE_" + cached.state)) if cached.state
               else common_pb2.CARD_STATE_UNSPECIFIED),
        balances=common_pb2.Balances(principal_fen=cached.principal_fen, bonus_fen=cached.bonus_fen, points=cached.points,
                                     owed_fen=cached.owed_fen),
        from_cache=True,
    )
    response.as_of.FromDatetime(cached.balances_as_of)
    return response

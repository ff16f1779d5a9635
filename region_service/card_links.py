"""Linked cards' links and monthly usage in the region's database (C5, docs/adr/0032).

Links and usage are written only under the row locks of the cards involved (the main card's lock
serialises every spend drawing on it). A checkout learns a card's main card from the statement that
locks the card (region_service.repository.LockedCard.main_card_number), locks the main card next,
and reads the link again under both locks (:func:`require_same_link`): a link undone in between
answers ABORTED, and the caller retries the whole command.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard import linked_cards
from chaincard.db.base import utc_now
from chaincard.errors import Aborted, FailedPrecondition
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.v1 import events_pb2
from region_service.context import RegionContext
from region_service.models import Card, CardLink, CardLinkUsage, OutboxMessage
from region_service.translate import timestamp

# Keys of a transaction's details naming who used a linked card's spend (Transaction fields 23–24).
PRESENTING_CARD = "presenting_card_number"
FUNDING_CARD = "funding_card_number"
# Key of a linked card's sale's details: the month its spend counts in (refunds release it there).
LINK_MONTH = "link_month"
# CardLinkChanged.cause values.
LINKED, UNLINKED, USAGE = "link", "unlink", "usage"


def link_of(session: Session, linked_card_number: str) -> CardLink | None:
    return session.get(CardLink, linked_card_number, populate_existing=True)


def main_card_of(session: Session, card_number: str) -> str | None:
    """The main card whose stored value ``card_number`` spends; None for a card not linked."""
    return session.execute(
        select(CardLink.main_card_number).where(CardLink.linked_card_number == card_number)
    ).scalar_one_or_none()


def require_same_link(session: Session, card_number: str, expected_main: str | None) -> CardLink | None:
    """The card's link, read again under the cards' locks; ABORTED (retry) when it changed since
    the lock statement read it (region_service.repository.LockedCard.main_card_number)."""
    link = link_of(session, card_number)
    if (link.main_card_number if link else None) != expected_main:
        raise Aborted(f"card {card_number}'s link changed during the sale; retry")
    return link


def links_of_main(session: Session, main_card_number: str) -> list[CardLink]:
    return list(session.execute(
        select(CardLink).where(CardLink.main_card_number == main_card_number)
        .order_by(CardLink.linked_at, CardLink.linked_card_number)
    ).scalars())


def count_links_of(session: Session, main_card_number: str) -> int:
    return int(session.execute(
        select(func.count()).select_from(CardLink).where(CardLink.main_card_number == main_card_number)
    ).scalar_one())


def spent_in(session: Session, linked_card_number: str, month: str) -> int:
    """What the linked card spent of its main card's stored value in ``month``, net of refunds."""
    usage = session.get(CardLinkUsage, (linked_card_number, month), populate_existing=True)
    return usage.spent_fen if usage else 0


def spent_this_month(session: Session, linked_card_number: str, now: datetime, time_zone: str) -> tuple[str, int]:
    month = linked_cards.month_of(now, time_zone)
    return month, spent_in(session, linked_card_number, month)


def add_spend(session: Session, linked_card_number: str, month: str, amount_fen: int) -> None:
    """Count a spend (positive) or a refund's release (negative) in ``month``; the caller holds the
    main card's lock. A release never takes the month below zero (the row's CHECK)."""
    usage = session.get(CardLinkUsage, (linked_card_number, month), populate_existing=True)
    if usage is None:
        session.add(CardLinkUsage(linked_card_number=linked_card_number, month=month, spent_fen=max(amount_fen, 0)))
    else:
        usage.spent_fen = max(usage.spent_fen + amount_fen, 0)
    session.flush()


def announce(ctx: RegionContext, session: Session, linked_card_number: str, main_card_number: str, *, cause: str,
             month: str = "", transaction_id: str = "", operator_id: str = "") -> None:
    """Publish the linked card's link and its usage of ``month`` (default: the current one) as they
    stand in this transaction (CardLinkChanged, keyed by the linked card so HQ applies one card's
    changes in order; docs/adr/0037). The caller holds the cards' locks: nothing changes them before
    the commit that sends the event."""
    session.flush()
    link = session.get(CardLink, linked_card_number)
    linked = link is not None and link.main_card_number == main_card_number
    card = session.get(Card, linked_card_number)
    now = utc_now()
    month = month or linked_cards.month_of(now, ctx.settings.business_time_zone)
    add_event(session, OutboxMessage, topic=topics.CARDS, key=linked_card_number, producer=ctx.producer_name,
              payload=events_pb2.CardLinkChanged(
                  linked_card_number=linked_card_number, main_card_number=main_card_number, linked=linked,
                  monthly_limit_fen=link.monthly_limit_fen if link is not None and linked else 0, month=month,
                  spent_fen=spent_in(session, linked_card_number, month), cause=cause,
                  member_id=(card.member_id or "") if card is not None else "", transaction_id=transaction_id,
                  operator_id=operator_id, changed_at=timestamp(now)))


def require_unlinked(session: Session, card_number: str, verb: str) -> None:
    """A card whose balances move or end (replacement, reissue, closure) is neither linked nor a main
    card with links: unlink first (exact under the card's lock, which LinkCard also takes)."""
    link = link_of(session, card_number)
    if link is not None:
        raise FailedPrecondition(f"card {card_number} is linked to main card {link.main_card_number}; unlink it before it "
                                 f"is {verb}")
    links = count_links_of(session, card_number)
    if links:
        raise FailedPrecondition(f"card {card_number} is a main card with {links} linked card(s); unlink them before it "
                                 f"is {verb}")

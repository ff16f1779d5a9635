"""HQ's read model of linked cards (C5, docs/adr/0037): each linked card's link and its monthly
usage, from CardLinkChanged events, for the member view of the main card's member.

A linked card's events share one key (its number), so they arrive in order: the last one applied
is the newest. Usage is kept per card and month, as the region keeps it: a refund of last month's
sale reports last month's usage without touching this month's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC
from typing import cast

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from chaincard import linked_cards
from chaincard.db.base import utc_now
from chaincard.v1 import common_pb2, events_pb2, member_view_pb2
from hq_service.models import CardLinkUsageView, CardLinkView, CardView, MemberView


def card_link_changed(session: Session, event: events_pb2.CardLinkChanged) -> None:
    if event.linked:
        link = session.get(CardLinkView, event.linked_card_number)
        if link is None:
            link = CardLinkView(linked_card_number=event.linked_card_number)
            session.add(link)
        link.main_card_number = event.main_card_number
        link.monthly_limit_fen = event.monthly_limit_fen
        if event.cause == "link" or link.linked_at is None:
            link.linked_at = event.changed_at.ToDatetime(tzinfo=UTC) if event.HasField("changed_at") else None
    else:
        session.execute(delete(CardLinkView).where(CardLinkView.linked_card_number == event.linked_card_number,
                                                   CardLinkView.main_card_number == event.main_card_number))
    if event.month:
        usage = session.get(CardLinkUsageView, (event.linked_card_number, event.month))
        if usage is None:
            session.add(CardLinkUsageView(linked_card_number=event.linked_card_number, month=event.month,
                                          spent_fen=event.spent_fen))
        else:
            usage.spent_fen = event.spent_fen
    session.flush()


def linked_to(session: Session, main_card_numbers: Collection[str], time_zone: str) -> list[member_view_pb2.LinkedCardView]:
    """The cards linked to any of ``main_card_numbers``, oldest link first, each with its holder
    (masked, from HQ's member view), state and this month's usage (the chain's ``time_zone``)."""
    if not main_card_numbers:
        return []
    month = linked_cards.month_of(utc_now(), time_zone)
    rows = session.execute(
        select(CardLinkView, CardView, MemberView.member, CardLinkUsageView.spent_fen)
        .outerjoin(CardView, CardView.card_number == CardLinkView.linked_card_number)
        .outerjoin(MemberView, MemberView.member_id == CardView.member_id)
        .outerjoin(CardLinkUsageView, and_(CardLinkUsageView.linked_card_number == CardLinkView.linked_card_number,
                                           CardLinkUsageView.month == month))
        .where(CardLinkView.main_card_number.in_(sorted(main_card_numbers)))
        .order_by(CardLinkView.linked_at.asc().nulls_last(), CardLinkView.linked_card_number)
    ).all()
    views = []
    for link, card, member, spent in rows:
        view = member_view_pb2.LinkedCardView(
            card_number=link.linked_card_number, main_card_number=link.main_card_number,
            monthly_limit_fen=link.monthly_limit_fen, spent_this_month_fen=spent or 0, month=month)
        if card is not None:
            view.holder_member_id = card.member_id
            view.state = cast(common_pb2.CardState, card.state)  # the read model keeps the proto enum numbers
            view.issuing_franchisee_id, view.issuing_store_id, view.home_region = \
                card.issuing_franchisee_id, card.issuing_store_id, card.home_region
        if member is not None:
            view.holder_name = common_pb2.Member.FromString(member).name
        if link.linked_at is not None:
            view.linked_at.FromDatetime(link.linked_at)
        views.append(view)
    return views

"""Member 360 from HQ's read model (masked PII): profile, cards with balances, the cards linked to
them (C5, docs/adr/0037), recent transactions over all of those."""

from __future__ import annotations

from typing import cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chaincard.errors import InvalidArgument, NotFound
from chaincard.phones import normalise_phone, phone_hmac
from chaincard.v1 import common_pb2, member_view_pb2
from hq_service import link_views, rfm
from hq_service.models import CardView, MemberView, TransactionView

RECENT_TRANSACTIONS = 20


def get_member_view(session: Session, request: member_view_pb2.GetMemberViewRequest, phone_key: str, *,
                    time_zone: str) -> member_view_pb2.GetMemberViewResponse:
    """``time_zone``: the chain's, whose calendar month linked cards' usage counts in."""
    key = request.WhichOneof("key")
    if key == "phone":
        phone = normalise_phone(request.phone)
        if phone is None:
            raise InvalidArgument("phone", "must be an 11-digit mainland mobile number")
        view = session.execute(select(MemberView).where(MemberView.phone_hmac == phone_hmac(phone, phone_key))).scalar_one_or_none()
    elif key == "card_number":
        card = session.get(CardView, request.card_number)
        if card is not None and not card.member_id and card.card_type_code:
            raise NotFound(f"card {request.card_number} is a bearer card: it has no member")
        view = session.get(MemberView, card.member_id) if card is not None else None
    elif key == "member_id":
        view = session.get(MemberView, request.member_id)
    else:
        raise InvalidArgument("key", "give one of phone, card_number, member_id")
    if view is None:
        raise NotFound("no member found in HQ's chain-wide view (a new member shows up within seconds)")

    cards = session.execute(
        select(CardView).where(CardView.member_id == view.member_id)
        .order_by(CardView.opened_at.desc().nulls_last(), CardView.card_number)
    ).scalars().all()
    # A main card's member sees its linked cards and their history too (C5), whoever holds them.
    linked = link_views.linked_to(session, {card.card_number for card in cards}, time_zone)
    linked_numbers = sorted({link.card_number for link in linked})
    transactions = session.execute(
        select(TransactionView.transaction)
        .where(or_(TransactionView.member_id == view.member_id, TransactionView.card_number.in_(linked_numbers))
               if linked_numbers else TransactionView.member_id == view.member_id)
        .order_by(TransactionView.occurred_at.desc())
        .limit(RECENT_TRANSACTIONS)
    ).scalars()
    response = member_view_pb2.GetMemberViewResponse(
        member=common_pb2.Member.FromString(view.member),
        cards=[
            member_view_pb2.CardView(
                card_number=card.card_number, card_type_code=card.card_type_code,
                state=cast(common_pb2.CardState, card.state),  # the read model keeps the proto enum numbers
                home_region=card.home_region, issuing_franchisee_id=card.issuing_franchisee_id,
                balances=common_pb2.Balances(principal_fen=card.principal_fen, bonus_fen=card.bonus_fen, points=card.points),
                level_code=card.level_code, issuing_store_id=card.issuing_store_id,
                form=cast(common_pb2.CardForm, card.form),
            )
            for card in cards
        ],
        recent_transactions=[common_pb2.Transaction.FromString(raw) for raw in transactions],
        linked_cards=linked,
    )
    score = rfm.latest_score(session, view.member_id)
    if score is not None:
        response.rfm.CopyFrom(score)
    changes = [moment for moment in [view.updated_at, *(card.updated_at for card in cards)] if moment is not None]
    if changes:
        response.as_of.FromDatetime(max(changes))
    return response

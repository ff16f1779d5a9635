"""HQ's chain-wide read models, fed only by events (DESIGN §5): member 360, cards, transactions."""

from __future__ import annotations

from datetime import UTC, date

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from chaincard.v1 import events_pb2
from hq_service.models import CardView, MemberView, TransactionView


def apply_event(session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
    """Apply one event's effect; the consumer loop guarantees each event id arrives here once."""
    if isinstance(payload, events_pb2.MemberRegistered):
        _member_registered(session, payload)
    elif isinstance(payload, events_pb2.CardOpened):
        _card_opened(session, payload)
    elif isinstance(payload, events_pb2.TransactionPosted):
        _transaction_posted(session, payload)
    # Other event types are not part of these read models.


def _member_registered(session: Session, event: events_pb2.MemberRegistered) -> None:
    session.merge(MemberView(member_id=event.member.member_id, phone_hmac=event.phone_hmac, member=event.member.SerializeToString()))


def _card_opened(session: Session, event: events_pb2.CardOpened) -> None:
    card = event.card
    view = session.get(CardView, card.card_number)
    if view is None:
        # A transaction may have arrived first (different topics): it already created the row with balances.
        view = CardView(card_number=card.card_number, principal_fen=0, bonus_fen=0, points=0)
        session.add(view)
    view.member_id = card.member_id
    view.card_type_code = card.card_type_code
    view.state = card.state
    view.home_region = card.home_region
    view.issuing_franchisee_id = card.issuing_franchisee_id


def _transaction_posted(session: Session, event: events_pb2.TransactionPosted) -> None:
    transaction = event.transaction
    occurred_at = transaction.occurred_at.ToDatetime(tzinfo=UTC)
    session.merge(
        TransactionView(
            transaction_id=transaction.transaction_id,
            card_number=transaction.card_number,
            member_id=event.member_id,
            store_id=transaction.store_id,
            business_date=date.fromisoformat(transaction.business_date),
            occurred_at=occurred_at,
            transaction=transaction.SerializeToString(),
        )
    )
    view = session.get(CardView, transaction.card_number)
    if view is None:
        view = CardView(
            card_number=transaction.card_number, member_id=event.member_id, card_type_code="", state=0,
            home_region=transaction.home_region, issuing_franchisee_id=event.issuing_franchisee_id,
        )
        session.add(view)
    # Postings of one card arrive in order (keyed by card), but guard anyway: never roll balances back.
    if view.last_transaction_at is None or occurred_at >= view.last_transaction_at:
        balances = transaction.balances_after
        view.principal_fen, view.bonus_fen, view.points = balances.principal_fen, balances.bonus_fen, balances.points
        view.last_transaction_at = occurred_at

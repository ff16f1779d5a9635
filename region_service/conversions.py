"""Trial conversion (体验卡转正, C1, docs/adr/0034): a trial card whose type names
``converts_to_card_type_code`` becomes a card of that type on its first recharge of at least the
type's ``conversion_min_recharge_fen``, in the recharge's transaction and before the money lands, so
the recharge then follows the new type's rules. The rule is chaincard.card_types'; this module
writes it: the card row (type, validity from now, the new type's default level when it ranks
higher), a CardTypeChanged event HQ's card view follows, and an audit entry ``card.convert``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from chaincard import card_types
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.v1 import directory_pb2, events_pb2
from region_service import audit
from region_service.context import RegionContext
from region_service.levels import set_level
from region_service.models import Card, OutboxMessage
from region_service.repository import LockedCard, load_card
from region_service.translate import timestamp


def convert_on_recharge(ctx: RegionContext, session: Session, card: LockedCard, amount_fen: int, *,
                        store: directory_pb2.Store, operator_id: str, transaction_id: str, request_id: str,
                        now: datetime) -> LockedCard:
    """``card`` (locked by the caller) as it is after this recharge's conversion, if any."""
    snapshot = ctx.program.snapshot()
    target = card_types.conversion_target(snapshot, card.card_type_code, amount_fen)
    if target is None:
        return card
    row = load_card(session, card.card_number)
    previous_type, previous_expiry = row.card_type_code, row.expires_at
    row.card_type_code = target.code
    row.expires_at = card_types.converted_expiry(target, now)
    ranks = {level.code: level.rank for level in snapshot.levels}
    default_level = target.default_level_code
    if default_level in ranks and ranks[default_level] > ranks.get(row.level_code, -1):
        set_level(ctx, session, row, default_level, cause="conversion", now=now, operator_id=operator_id,
                  store_id=store.store_id, transaction_id=transaction_id, request_id=request_id)
    _announce(ctx, session, row, previous_type, store_id=store.store_id, operator_id=operator_id,
              transaction_id=transaction_id, now=now)
    audit.record(
        session, ctx, action="card.convert", target_type="card", target_id=row.card_number, operator_id=operator_id,
        store_id=store.store_id, franchisee_id=row.issuing_franchisee_id, request_id=request_id,
        before={"card_type_code": previous_type, "expires_at": previous_expiry.isoformat() if previous_expiry else None},
        after={"card_type_code": row.card_type_code, "expires_at": row.expires_at.isoformat() if row.expires_at else None,
               "level_code": row.level_code, "transaction_id": transaction_id},
    )
    session.flush()
    return replace(card, card_type_code=row.card_type_code, expires_at=row.expires_at, level_code=row.level_code)


def _announce(ctx: RegionContext, session: Session, card: Card, previous_type: str, *, store_id: str, operator_id: str,
              transaction_id: str, now: datetime) -> None:
    add_event(session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
              payload=events_pb2.CardTypeChanged(
                  card_number=card.card_number, previous_card_type_code=previous_type, card_type_code=card.card_type_code,
                  cause="conversion", expires_at=timestamp(card.expires_at), level_code=card.level_code,
                  transaction_id=transaction_id, store_id=store_id, operator_id=operator_id, changed_at=timestamp(now),
                  member_id=card.member_id or ""))

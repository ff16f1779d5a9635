"""ChangeCardLevel (L2): a manager sets a card's level by hand, with a reason; written like every
level change (region_service.levels.set_level: the row, CardLevelChanged, the audit entry)."""

from __future__ import annotations

from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from chaincard.v1 import cards_pb2
from region_service import validation
from region_service.handlers.lifecycle import MAX_REASON, card_view
from region_service.levels import set_level
from region_service.repository import load_card
from region_service.unit_of_work import RegionUnitOfWork

_CLOSED_STATES = ("CLOSED", "REPLACED")


def change_card_level(uow: RegionUnitOfWork, request: cards_pb2.ChangeCardLevelRequest) -> cards_pb2.ChangeCardLevelResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    reason = validation.require_text("reason", request.reason, max_length=MAX_REASON)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    store = ctx.program.store(request.store_id) if request.store_id else None
    snapshot = ctx.program.snapshot()
    if not request.level_code:
        raise InvalidArgument("level_code", "is required")
    if request.level_code not in {level.code for level in snapshot.levels}:
        raise InvalidArgument("level_code", f"names no level: {request.level_code}")
    card = load_card(session, card_number, for_update=True)
    if card.state in _CLOSED_STATES:
        raise FailedPrecondition(f"card {card_number} is {card.state}")
    # A level is the issuing franchisee's commercial promise: a store may change only its own cards'.
    if store is not None and store.franchisee_id != card.issuing_franchisee_id:
        raise PermissionDenied(f"card {card_number} was issued by another franchisee than store {store.store_id}'s")
    if card.level_code == request.level_code:
        raise FailedPrecondition(f"card {card_number} is already at level {request.level_code}")
    set_level(ctx, session, card, request.level_code, cause="manual", now=utc_now(), reason=reason,
              operator_id=operator_id, store_id=store.store_id if store else "", request_id=request.request_id)
    session.flush()
    return cards_pb2.ChangeCardLevelResponse(card=card_view(session, card, ctx.region_code))

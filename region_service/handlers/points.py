"""Manual points adjustment with a reason (P4), audited."""

from __future__ import annotations

from chaincard import card_types
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.receipts import ReceiptItem
from chaincard.v1 import transactions_pb2
from region_service import audit, card_states, validation
from region_service.ledger_store import card_account_ids, card_balances, system_account_id
from region_service.models import LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import load_card
from region_service.unit_of_work import RegionUnitOfWork

MAX_ADJUSTMENT = 10_000_000


def adjust_points(uow: RegionUnitOfWork, request: transactions_pb2.AdjustPointsRequest) -> transactions_pb2.AdjustPointsResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    if request.points_delta == 0 or abs(request.points_delta) > MAX_ADJUSTMENT:
        raise InvalidArgument("points_delta", f"must be non-zero and at most {MAX_ADJUSTMENT} either way")
    reason = validation.require_text("reason", request.reason, max_length=256)
    store = ctx.program.store(request.store_id)

    card = load_card(session, card_number, for_update=True)
    card_types.rules_of(ctx.program.snapshot(), card.card_type_code).require_points("its points cannot be adjusted")
    card_states.require_points_adjustable(card)
    before = card_balances(session, card_number)
    if before.points + request.points_delta < 0:
        raise FailedPrecondition(f"card {card_number} holds {before.points} points; cannot remove {-request.points_delta}")
    liability = system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    card_points = card_account_ids(session, card_number)[Asset.POINTS]
    if request.points_delta > 0:
        postings = transfer(Asset.POINTS, request.points_delta, debit=liability, credit=card_points)
    else:
        postings = transfer(Asset.POINTS, -request.points_delta, debit=card_points, credit=liability)
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request.request_id, type="POINTS_ADJUSTMENT", card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id,
        business_date=ctx.store_business_day(store.time_zone), amount_fen=0, principal_delta_fen=0, bonus_delta_fen=0,
        points_delta=request.points_delta, principal_after_fen=0, bonus_after_fen=0, points_after=0,
        details={"reason": reason, "operator_id": request.operator_id}, created_at=utc_now(),
    )
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        receipt_title=f"POINTS ADJUSTMENT  {store.name}",
        receipt_items=[ReceiptItem("Points", f"{request.points_delta:+d}"), ReceiptItem("Reason", reason[:20])],
    )
    audit.record(
        session, ctx, action="points.adjust", target_type="card", target_id=card_number,
        operator_id=request.operator_id, store_id=store.store_id, franchisee_id=store.franchisee_id,
        request_id=request.request_id, reason=reason,
        before={"points": before.points}, after={"points": before.points + request.points_delta},
    )
    return transactions_pb2.AdjustPointsResponse(transaction=recorded.transaction, balances_after=recorded.balances_after)

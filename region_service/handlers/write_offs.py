"""A store manager writes off what a card owes (issue 21, docs/adr/0018): the card's receivables
(offline overdrafts, points a refund could not claw back) are credited against the issuing
franchisee's RECEIVABLE_WRITTEN_OFF account — the issuer's loss, as the overdraft was its risk
(docs/adr/0011) — in one RECEIVABLE_WRITE_OFF transaction, audited with the reason."""

from __future__ import annotations

from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import cards_pb2
from region_service import audit, receivables, validation
from region_service.handlers.lifecycle import MAX_REASON
from region_service.ledger_store import system_account_id
from region_service.models import LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import lock_payment_cards
from region_service.unit_of_work import RegionUnitOfWork

WRITE_OFF = "RECEIVABLE_WRITE_OFF"


def write_off_receivable(
    uow: RegionUnitOfWork, request: cards_pb2.WriteOffReceivableRequest,
) -> cards_pb2.WriteOffReceivableResponse:
    """Everything the card owes, written off at once; FAILED_PRECONDITION when it owes nothing."""
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    reason = validation.require_text("reason", request.reason, max_length=MAX_REASON)

    cards, locked = lock_payment_cards(session, [card_number])
    card = cards[card_number]
    before = locked.balances(card_number)
    if not before.owed_fen and not before.points_owed:
        raise FailedPrecondition(f"card {card_number} owes nothing; there is nothing to write off")
    issuer = card.issuing_franchisee_id
    postings = [
        *receivables.collect(locked, card_number, Asset.STORED_VALUE_PRINCIPAL, before.owed_fen, debit=system_account_id(
            session, issuer, SystemAccount.RECEIVABLE_WRITTEN_OFF, Asset.STORED_VALUE_PRINCIPAL)),
        *receivables.collect(locked, card_number, Asset.POINTS, before.points_owed, debit=system_account_id(
            session, issuer, SystemAccount.RECEIVABLE_WRITTEN_OFF, Asset.POINTS)),
    ]
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request.request_id, type=WRITE_OFF, card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=ctx.store_business_day(store.time_zone),
        # The holder's principal and points positions, receivables included, rise by what is forgiven.
        amount_fen=before.owed_fen, principal_delta_fen=before.owed_fen, bonus_delta_fen=0, points_delta=before.points_owed,
        principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
        details={"owed_written_off_fen": before.owed_fen, "points_owed_written_off": before.points_owed,
                 "reason": reason, "operator_id": operator_id},
    )
    items = [ReceiptItem(f"Reason: {reason}"[:32])]
    if before.owed_fen:
        items.append(amount_row("Owed written off", before.owed_fen))
    if before.points_owed:
        items.append(ReceiptItem("Points owed written off", str(before.points_owed)))
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        receipt_title=f"WRITE-OFF  {store.name}", receipt_items=items, operator_id=operator_id, request_id=request.request_id,
        locked=locked,
    )
    audit.record(
        session, ctx, action="card.receivable_write_off", target_type="card", target_id=card_number,
        operator_id=operator_id, store_id=store.store_id, franchisee_id=issuer, request_id=request.request_id, reason=reason,
        before={"owed_fen": before.owed_fen, "points_owed": before.points_owed}, after={"owed_fen": 0, "points_owed": 0},
        amount_fen=before.owed_fen,
    )
    return cards_pb2.WriteOffReceivableResponse(
        transaction=recorded.transaction, written_off_fen=before.owed_fen, points_written_off=before.points_owed,
        balances=recorded.balances_after, receipt=recorded.receipt,
    )

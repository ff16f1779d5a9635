"""Refunds and voids of count-use purchases (K1, K2, K4; docs/adr/0035), through RefundSale and
VoidSale: the original is a COUNT_USES_PURCHASE instead of a sale, and the same store-manager rule
applies (chaincard.security.authz).

A void (same business day, same store, nothing of it used) takes the purchase back whole: its
uses, pack(s) and pass days leave the card and its tender is returned, as a recharge void. A
refund takes back what is unused — each pack's unused uses (or the uses asked for, by item, in
``lines``: sku = item code, quantity = uses) at their floor share of the pack's value left, and a
pass's unused whole days pro rata of its price — and returns that much to the tender: to the card
in the purchase's principal/bonus split when it paid from stored value, else at the till.
"""

from __future__ import annotations

from chaincard.count_purchase_refunds import stored_value_back
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.money import format_fen
from chaincard.pricing import TenderKind
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import common_pb2, directory_pb2, transactions_pb2
from region_service import audit, count_purchase_refunds, count_uses, time_passes
from region_service.context import RegionContext
from region_service.handlers.payments import sales_refunded_so_far, stored_value_postings
from region_service.models import LedgerTransaction
from region_service.posting import Recorded, record_transaction
from region_service.repository import lock_card_accounts, lock_cards
from region_service.unit_of_work import RegionUnitOfWork

_TENDER_TYPES = {
    TenderKind.CASH: common_pb2.TENDER_TYPE_CASH,
    TenderKind.BANK_CARD: common_pb2.TENDER_TYPE_BANK_CARD,
    TenderKind.MOBILE_PAY: common_pb2.TENDER_TYPE_MOBILE_PAY,
    TenderKind.STORED_VALUE: common_pb2.TENDER_TYPE_STORED_VALUE,
}
_Request = transactions_pb2.RefundSaleRequest | transactions_pb2.VoidSaleRequest


def _wanted(request: transactions_pb2.RefundSaleRequest, original: LedgerTransaction) -> dict[str, int] | None:
    """The uses asked for per count item (``lines``: sku = item code, quantity = uses), or None: all unused."""
    if request.amount_fen:
        raise InvalidArgument("amount_fen", "a count-use purchase is refunded by uses (lines: item code and uses), "
                                            "or whole (neither)")
    if not request.lines:
        return None
    bought = (original.details.get(count_uses.DETAILS_USES) or {})
    wanted: dict[str, int] = {}
    for index, line in enumerate(request.lines):
        if line.sku not in bought:
            raise InvalidArgument(f"lines[{index}].sku", f"purchase {original.transaction_id} sold no uses of {line.sku!r}"
                                  " (a time pass is refunded whole: leave lines empty)")
        if line.sku in wanted:
            raise InvalidArgument(f"lines[{index}].sku", f"{line.sku} is listed twice")
        if not 0 < line.quantity <= bought[line.sku]:
            raise InvalidArgument(f"lines[{index}].quantity", f"must be 1 to {bought[line.sku]}")
        wanted[line.sku] = int(line.quantity)
    return wanted


def _post(ctx: RegionContext, uow: RegionUnitOfWork, request: _Request, original: LedgerTransaction, store: directory_pb2.Store,
          *, kind: str, reason: str, wanted: dict[str, int] | None) -> tuple[Recorded, transactions_pb2.AppliedTender, int, int]:
    """Take back what the refund or void covers and return its value to the purchase's tender; returns
    the record, the tender given back and the principal and bonus put back on the card."""
    session = uow.session
    card = lock_cards(session, [original.card_number])[original.card_number]
    locked = lock_card_accounts(session, [card.card_number])
    now = utc_now()
    business_date = ctx.store_business_day(store.time_zone)
    whole = kind == "VOID"
    if whole:
        count_purchase_refunds.require_voidable(session, original, now)
    taken = count_purchase_refunds.take_back(session, locked, original, wanted=wanted, whole=whole,
                                             business_date=business_date, now=now)
    if not taken.uses and not taken.days:
        raise FailedPrecondition(f"nothing of purchase {original.transaction_id} is left to refund: its uses and pass days "
                                 "were used, expired or refunded already")
    paid = original.details["tenders"][0]
    tender = TenderKind(paid["type"])
    principal = bonus = 0
    postings = list(taken.postings)
    if tender is TenderKind.STORED_VALUE and taken.value_fen:
        principal, bonus = stored_value_back(paid.get("principal_fen", 0), paid.get("bonus_fen", 0),
                                             sales_refunded_so_far(session, original), taken.value_fen)
        postings += stored_value_postings(session, original.acquiring_franchisee_id, card.card_number, principal, bonus,
                                          refund=True, accounts=locked.ids(card.card_number))
    applied = transactions_pb2.AppliedTender(
        type=_TENDER_TYPES[tender], amount_fen=taken.value_fen, principal_fen=principal, bonus_fen=bonus,
        card_number=card.card_number if tender is TenderKind.STORED_VALUE else "")
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request.request_id, type=kind, card_number=card.card_number, store_id=store.store_id,
        acquiring_franchisee_id=original.acquiring_franchisee_id, business_date=business_date, amount_fen=taken.value_fen,
        principal_delta_fen=principal, bonus_delta_fen=bonus, points_delta=0, principal_after_fen=0, bonus_after_fen=0,
        points_after=0, original_transaction_id=original.transaction_id, created_at=now,
        details={"tenders": [{"type": str(tender), "amount_fen": taken.value_fen, "principal_fen": principal, "bonus_fen": bonus,
                              "card_number": applied.card_number}] if taken.value_fen else [],
                 "reason": reason, "operator_id": request.operator_id, **taken.details()},
    )
    items = [amount_row(f"{kind.title()} of purchase", taken.value_fen)]
    items += [ReceiptItem(f"Uses removed {item}"[:22], str(uses)) for item, uses in taken.uses.items()]
    items += [ReceiptItem(f"Pass {item} days"[:22], f"-{days}") for item, days in taken.days.items()]
    if taken.value_fen:
        items.append(ReceiptItem(f"Back to {str(tender).lower().replace('_', ' ')}"[:22], format_fen(taken.value_fen)))
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=original.acquiring_franchisee_id,
        tenders=[applied] if taken.value_fen else [], receipt_title=f"{kind} PURCHASE  {store.name}", receipt_items=items,
        locked=locked, memo=not postings,  # a pass bought for cash moves nothing on the ledger, nor does its refund
    )
    recorded.balances_after.count_uses.extend(count_uses.balances(session, locked, card.card_number))
    recorded.balances_after.count_uses.extend(time_passes.balances(
        session, ctx.program.snapshot(), card.card_type_code, card.card_number, business_date=business_date, now=now))
    audit.record(session, ctx, action=f"count_purchase.{kind.lower()}", target_type="transaction",
                 target_id=original.transaction_id, operator_id=request.operator_id, store_id=store.store_id,
                 franchisee_id=store.franchisee_id, request_id=request.request_id, reason=reason, amount_fen=taken.value_fen)
    return recorded, applied, principal, bonus


def refund_purchase(uow: RegionUnitOfWork, request: transactions_pb2.RefundSaleRequest, original: LedgerTransaction,
                    store: directory_pb2.Store, reason: str) -> transactions_pb2.RefundSaleResponse:
    recorded, applied, principal, bonus = _post(uow.region, uow, request, original, store, kind="REFUND", reason=reason,
                                                wanted=_wanted(request, original))
    return transactions_pb2.RefundSaleResponse(
        transaction=recorded.transaction, refund_fen=applied.amount_fen, principal_restored_fen=principal,
        bonus_restored_fen=bonus, tenders=[applied] if applied.amount_fen else [], balances_after=recorded.balances_after,
        receipt=recorded.receipt,
    )


def void_purchase(uow: RegionUnitOfWork, request: transactions_pb2.VoidSaleRequest, original: LedgerTransaction,
                  store: directory_pb2.Store, reason: str) -> transactions_pb2.VoidSaleResponse:
    recorded, applied, _principal, _bonus = _post(uow.region, uow, request, original, store, kind="VOID", reason=reason,
                                                  wanted=None)
    return transactions_pb2.VoidSaleResponse(
        transaction=recorded.transaction, tenders=[applied] if applied.amount_fen else [],
        balances_after=recorded.balances_after, receipt=recorded.receipt,
    )

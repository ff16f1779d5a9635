"""Refunds and voids (V6): new transactions citing the original, never more than is left of it.

A refund of part of a sale restores stored value to each card that paid, in the sale's own
principal/bonus proportion, claws back the points the sale earned and returns the points it
redeemed, each in proportion (chaincard.pricing.plan_refund). A void is the whole sale, on its
business day, at its store, before any refund. A void, or the refund after which nothing of the
sale is left to refund, gives its coupons back (region_service.coupon_redemption, docs/adr/0021);
a partial refund gives none back (docs/adr/0019). A recharge is voided only while everything it put
on the card is still there; a count-use purchase is refunded or voided as
region_service.handlers.purchase_refunds says (docs/adr/0035).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument, NotFound
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.money import split_proportionally
from chaincard.pricing import (
    AppliedTender,
    PricingError,
    RefundPlan,
    SaleRecord,
    TenderKind,
    plan_refund,
    plan_void,
)
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import directory_pb2, transactions_pb2
from region_service import (
    audit,
    card_links,
    count_uses,
    coupon_redemption,
    receivables,
    referral_awards,
    time_passes,
    validation,
)
from region_service.context import RegionContext
from region_service.handlers import purchase_refunds
from region_service.handlers.payments import (
    applied_message,
    card_account_ids,
    points_postings,
    sales_refunded_so_far,
    stored_value_postings,
    tender_record,
)
from region_service.ledger_store import card_balances, system_account_id
from region_service.models import Card, LedgerTransaction
from region_service.posting import Recorded, record_transaction
from region_service.repository import lock_card_accounts, lock_cards
from region_service.unit_of_work import RegionUnitOfWork

MAX_REASON = 256
# A refund or void of a sale (both post through _post_refund).
# A company's bulk recharge (region_service.company_orders.TRANSACTION_TYPE).
COMPANY_RECHARGE = "COMPANY_RECHARGE"

_SaleReversal = transactions_pb2.RefundSaleRequest | transactions_pb2.VoidSaleRequest


def _original(session: Session, card_number: str, transaction_id: str, kind: str) -> LedgerTransaction:
    if not transaction_id:
        raise InvalidArgument("original_transaction_id", "is required")
    row = session.get(LedgerTransaction, transaction_id)
    if row is None or row.card_number != card_number:
        raise NotFound(f"no transaction {transaction_id} on card {card_number}")
    if row.type == COMPANY_RECHARGE:
        # Paid by invoice (C6): reversing it at a till would pay cash for money never taken there.
        raise FailedPrecondition(f"transaction {transaction_id} is a company's invoiced recharge: it is corrected "
                                 "by a credit note to the company, not voided or refunded at a till")
    if row.type != kind:
        raise FailedPrecondition(f"transaction {transaction_id} is a {row.type.lower()}, not a {kind.lower()}")
    return row


def _count_purchase(session: Session, card_number: str, transaction_id: str) -> LedgerTransaction | None:
    """The original when it is a count-use purchase of the card (refunded by
    region_service.handlers.purchase_refunds, docs/adr/0035); None for anything else."""
    row = session.get(LedgerTransaction, transaction_id) if transaction_id else None
    if row is None or row.card_number != card_number or row.type != count_uses.PURCHASE:
        return None
    return row


def _sale_record(row: LedgerTransaction) -> SaleRecord:
    details = row.details
    return SaleRecord(
        total_due_fen=details["total_due_fen"],
        tenders=tuple(
            AppliedTender(kind=TenderKind(t["type"]), amount_fen=t["amount_fen"], principal_fen=t.get("principal_fen", 0),
                          bonus_fen=t.get("bonus_fen", 0), card_number=t.get("card_number", ""))
            for t in details["tenders"]
        ),
        points_earned=details.get("points_earned", 0),
        points_redeemed=details.get("points_redeemed", 0),
    )


def _refund_amount(request: transactions_pb2.RefundSaleRequest, original: LedgerTransaction) -> int:
    """The amount asked for, or, for a refund by lines, those lines' share of what they cost net."""
    if request.amount_fen < 0:
        raise InvalidArgument("amount_fen", "must be positive")
    if request.amount_fen:
        return request.amount_fen
    if not request.lines:
        raise InvalidArgument("amount_fen", "give the amount to refund, or the lines")
    priced = {line["sku"]: line for line in original.details.get("lines", [])}
    total = 0
    for index, line in enumerate(request.lines):
        sold = priced.get(line.sku)
        if sold is None:
            raise InvalidArgument(f"lines[{index}].sku", f"{line.sku} was not part of the sale")
        if not 0 < line.quantity <= sold["quantity"]:
            raise InvalidArgument(f"lines[{index}].quantity", f"must be 1 to {sold['quantity']}")
        total += split_proportionally(sold["net_fen"], line.quantity, sold["quantity"])
    return total


def _post_refund(
    ctx: RegionContext, session: Session, *, original: LedgerTransaction, plan: RefundPlan, cards: dict[str, Card],
    kind: str, request: _SaleReversal, store: directory_pb2.Store, reason: str, whole: bool,
) -> tuple[Recorded, int, list[str]]:
    """Post the refund on the sale's card (and linked rows on any second card); returns the record,
    the points actually clawed back (never more than the card still holds) and the coupons made
    AVAILABLE again. ``whole``: nothing of the sale is left to refund after this one, so its coupons
    come back and their flow is reversed (docs/adr/0019, 0021); a partial refund keeps them used."""
    card = cards[original.card_number]
    transaction_id, now = new_id(), utc_now()
    own = [t for t in plan.tenders if t.kind is TenderKind.STORED_VALUE]
    postings = [p for t in own for p in stored_value_postings(
        session, original.acquiring_franchisee_id, card.card_number, t.principal_fen, t.bonus_fen, refund=True)]
    held_points = card_balances(session, card.card_number).points + plan.points_returned
    clawback = min(plan.points_clawback, held_points)
    postings += points_postings(session, card, to_card=plan.points_returned, from_card=clawback)
    # Points the card no longer holds are owed: a receivable on the card, paid from the next points
    # it earns (issue 21, docs/adr/0018).
    locked = lock_card_accounts(session, [card.card_number])
    postings += receivables.owe(
        session, locked, card.card_number, Asset.POINTS, plan.points_clawback - clawback,
        credit=system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS),
    )
    # Count-card uses the sale took come back with the refund (K1, docs/adr/0029).
    given = count_uses.give_back(session, locked, original, whole=whole,
                                 count_fen_now=sum(t.amount_fen for t in plan.tenders if t.kind is TenderKind.COUNT_USES))
    postings += given.postings
    # Time-pass uses the sale took are released from its day (K4, docs/adr/0030): nothing on the ledger.
    released = time_passes.give_back(session, original, transaction_id=transaction_id, store_id=store.store_id, whole=whole, now=now,
                                     count_fen_now=sum(t.amount_fen for t in plan.tenders if t.kind is TenderKind.COUNT_USES))
    # The coupons after the card and its accounts (region_service.repository's lock order).
    reversed_coupons = coupon_redemption.recorded_coupons(original) if whole else []
    restored = coupon_redemption.restore(ctx, session, original, transaction_id=transaction_id, moment=now) if whole else []
    postings += coupon_redemption.coupon_postings(session, reversed_coupons, original.acquiring_franchisee_id, reverse=True)
    restored_principal, restored_bonus = sum(t.principal_fen for t in own), sum(t.bonus_fen for t in own)
    who = _released_link_usage(ctx, session, original, plan)
    row = LedgerTransaction(
        transaction_id=transaction_id, request_id=request.request_id, type=kind, card_number=card.card_number,
        store_id=store.store_id, acquiring_franchisee_id=original.acquiring_franchisee_id,
        business_date=ctx.store_business_day(store.time_zone), amount_fen=plan.refund_fen, principal_delta_fen=restored_principal,
        bonus_delta_fen=restored_bonus, points_delta=plan.points_returned - clawback, principal_after_fen=0,
        bonus_after_fen=0, points_after=0, original_transaction_id=original.transaction_id, created_at=now,
        details={"tenders": [tender_record(t) for t in plan.tenders if t.amount_fen], "reason": reason,
                 "points_clawback": clawback, "points_clawback_short": plan.points_clawback - clawback,
                 "points_returned": plan.points_returned, "operator_id": request.operator_id,
                 **coupon_redemption.details_of(reversed_coupons), **({"coupons_restored": restored} if restored else {}),
                 **given.details(sign=1), **released.details(), **who},
    )
    items = [amount_row(f"{kind.title()} of sale", plan.refund_fen)]
    items += [amount_row(f"Back to {str(t.kind).lower().replace('_', ' ')}"[:22], t.amount_fen) for t in plan.tenders if t.amount_fen]
    if clawback:
        items.append(ReceiptItem("Points taken back", str(clawback)))
    if plan.points_clawback > clawback:
        items.append(ReceiptItem("Points now owed", str(plan.points_clawback - clawback)))
    if plan.points_returned:
        items.append(ReceiptItem("Points returned", str(plan.points_returned)))
    items += [ReceiptItem("Coupon returned", f"...{code[-6:]}") for code in restored]
    items += [ReceiptItem(f"Uses returned {item}"[:22], str(uses)) for item, uses in given.uses.items() if uses]
    items += [ReceiptItem(f"Pass uses back {item}"[:22], str(-uses)) for item, uses in released.uses.items()]
    if not postings and not released.uses:
        raise FailedPrecondition("nothing to give back to the card: this part of the sale was paid outside the card")
    # An awarded spend's referrer gives back the same share of what this returns (docs/adr/0044).
    referral_clawback = referral_awards.on_refund(ctx, session, original=original, member_id=card.member_id,
                                                  refund_transaction_id=transaction_id, refund_fen=plan.refund_fen, now=now)
    if referral_clawback:
        row.details["referral_points_clawback"] = referral_clawback
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=original.acquiring_franchisee_id,
        tenders=[applied_message(t) for t in plan.tenders if t.amount_fen], receipt_title=f"{kind}  {store.name}",
        receipt_items=items, locked=locked, memo=bool(released.uses),
        coupons=coupon_redemption.coupon_messages(reversed_coupons),
    )
    recorded.balances_after.count_uses.extend(count_uses.balances(session, locked, card.card_number))
    if released.uses:
        recorded.balances_after.count_uses.extend(time_passes.balances(
            session, ctx.program.snapshot(), card.card_type_code, card.card_number, business_date=row.business_date, now=now))
    for tender in plan.tenders:
        if tender.kind is TenderKind.OTHER_MEMBER_CARD and tender.amount_fen:
            other = cards[tender.card_number]
            linked = LedgerTransaction(
                transaction_id=new_id(), request_id=f"linked:{new_id()}", type=kind, card_number=other.card_number,
                store_id=store.store_id, acquiring_franchisee_id=original.acquiring_franchisee_id,
                business_date=row.business_date, amount_fen=tender.amount_fen, principal_delta_fen=tender.principal_fen,
                bonus_delta_fen=tender.bonus_fen, points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0,
                original_transaction_id=original.transaction_id, created_at=row.created_at,
                details={"refund_transaction_id": row.transaction_id, "tenders": [tender_record(tender)],
                         **(who if who.get(card_links.FUNDING_CARD) == other.card_number else {})},
            )
            record_transaction(
                ctx, session, row=linked, card=other, acquiring_franchisee_id=original.acquiring_franchisee_id,
                postings=stored_value_postings(session, original.acquiring_franchisee_id, other.card_number,
                                               tender.principal_fen, tender.bonus_fen, refund=True),
                tenders=[applied_message(tender)], receipt_title=f"{kind}  {store.name}",
                receipt_items=[amount_row(f"Back for card ...{card.card_number[-4:]}", tender.amount_fen)],
            )
    return recorded, clawback, restored


def _released_link_usage(ctx: RegionContext, session: Session, original: LedgerTransaction, plan: RefundPlan) -> dict[str, str]:
    """A linked card's sale (C5, docs/adr/0032): what the refund gives back to the main card is
    released from the linked card's usage of the month the sale counted in (the main card's lock is
    held). The details naming who used it, for the refund's rows; empty for any other sale."""
    details = original.details
    main, presenting = details.get(card_links.FUNDING_CARD), details.get(card_links.PRESENTING_CARD)
    if not main or not presenting:
        return {}
    back = sum(t.amount_fen for t in plan.tenders if t.kind is TenderKind.OTHER_MEMBER_CARD and t.card_number == main)
    if back:
        card_links.add_spend(session, presenting, details[card_links.LINK_MONTH], -back)
        card_links.announce(ctx, session, presenting, main, cause=card_links.USAGE, month=details[card_links.LINK_MONTH],
                            transaction_id=original.transaction_id)
    return {card_links.PRESENTING_CARD: presenting, card_links.FUNDING_CARD: main}


def _other_cards(original: LedgerTransaction) -> list[str]:
    return [t["card_number"] for t in original.details.get("tenders", []) if t["type"] == "OTHER_MEMBER_CARD"]


def _audit(ctx: RegionContext, session: Session, action: str, request: _SaleReversal | transactions_pb2.VoidRechargeRequest,
           store: directory_pb2.Store, original: LedgerTransaction, amount: int, reason: str) -> None:
    audit.record(
        session, ctx, action=action, target_type="transaction", target_id=original.transaction_id,
        operator_id=request.operator_id, store_id=store.store_id, franchisee_id=store.franchisee_id,
        request_id=request.request_id, reason=reason, amount_fen=amount,
    )


def refund_sale(uow: RegionUnitOfWork, request: transactions_pb2.RefundSaleRequest) -> transactions_pb2.RefundSaleResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    purchase = _count_purchase(session, card_number, request.original_transaction_id)
    if purchase is not None:
        return purchase_refunds.refund_purchase(uow, request, purchase, store, reason)
    original = _original(session, card_number, request.original_transaction_id, "SPEND")
    if "paid_for_transaction_id" in original.details:
        raise FailedPrecondition("refund the sale itself, on the card it was made with")
    cards = lock_cards(session, [card_number, *_other_cards(original)])
    already = sales_refunded_so_far(session, original)
    try:
        plan = plan_refund(_sale_record(original), already, _refund_amount(request, original))
    except PricingError as error:
        if error.precondition:
            raise FailedPrecondition(str(error)) from error
        raise InvalidArgument(error.field, error.problem) from error
    recorded, clawback, restored = _post_refund(
        ctx, session, original=original, plan=plan, cards=cards, kind="REFUND", request=request, store=store, reason=reason,
        whole=already + plan.refund_fen >= original.details["total_due_fen"])
    _audit(ctx, session, "sale.refund", request, store, original, plan.refund_fen, reason)
    own = [t for t in plan.tenders if t.kind is TenderKind.STORED_VALUE]
    return transactions_pb2.RefundSaleResponse(
        transaction=recorded.transaction, refund_fen=plan.refund_fen,
        principal_restored_fen=sum(t.principal_fen for t in own), bonus_restored_fen=sum(t.bonus_fen for t in own),
        points_clawed_back=clawback, points_restored=plan.points_returned, coupons_restored=restored,
        tenders=[applied_message(t) for t in plan.tenders if t.amount_fen], balances_after=recorded.balances_after,
        receipt=recorded.receipt,
    )


def void_sale(uow: RegionUnitOfWork, request: transactions_pb2.VoidSaleRequest) -> transactions_pb2.VoidSaleResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    purchase = _count_purchase(session, card_number, request.original_transaction_id)
    if purchase is not None:
        _require_same_day_same_store(ctx, purchase, store)
        return purchase_refunds.void_purchase(uow, request, purchase, store, reason)
    original = _original(session, card_number, request.original_transaction_id, "SPEND")
    _require_same_day_same_store(ctx, original, store)
    cards = lock_cards(session, [card_number, *_other_cards(original)])
    if sales_refunded_so_far(session, original):
        raise FailedPrecondition(f"sale {original.transaction_id} was already refunded or voided; refund what is left instead")
    plan = plan_void(_sale_record(original))
    recorded, _clawback, restored = _post_refund(ctx, session, original=original, plan=plan, cards=cards, kind="VOID",
                                                  request=request, store=store, reason=reason, whole=True)
    _audit(ctx, session, "sale.void", request, store, original, plan.refund_fen, reason)
    return transactions_pb2.VoidSaleResponse(
        transaction=recorded.transaction, tenders=[applied_message(t) for t in plan.tenders if t.amount_fen],
        coupons_restored=restored, balances_after=recorded.balances_after, receipt=recorded.receipt,
    )


def _require_same_day_same_store(ctx: RegionContext, original: LedgerTransaction, store: directory_pb2.Store) -> None:
    if original.store_id != store.store_id:
        raise FailedPrecondition(f"only store {original.store_id}, which made it, can void transaction {original.transaction_id}")
    if original.business_date != ctx.store_business_day(store.time_zone):
        raise FailedPrecondition(f"transaction {original.transaction_id} is from business day {original.business_date}; "
                                 "only same-day transactions can be voided — refund it instead")


def void_recharge(uow: RegionUnitOfWork, request: transactions_pb2.VoidRechargeRequest) -> transactions_pb2.VoidRechargeResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    original = _original(session, card_number, request.original_transaction_id, "RECHARGE")
    _require_same_day_same_store(ctx, original, store)
    card = lock_cards(session, [card_number])[card_number]
    if sales_refunded_so_far(session, original):
        raise FailedPrecondition(f"recharge {original.transaction_id} was already voided")
    held = card_balances(session, card_number)
    principal, bonus, points = original.principal_delta_fen, original.bonus_delta_fen, original.points_delta
    # What the recharge paid of what the card owed (issue 21) is owed again: only the rest leaves the card.
    owed_paid, points_owed_paid = original.details.get("owed_paid_fen", 0), original.details.get("points_owed_paid", 0)
    if held.principal_fen < principal - owed_paid or held.bonus_fen < bonus or held.points < points - points_owed_paid:
        raise FailedPrecondition("part of this recharge was already spent; it can no longer be voided")
    accounts = card_account_ids(session, card_number)
    locked = lock_card_accounts(session, [card_number])
    cash = system_account_id(session, original.acquiring_franchisee_id, SystemAccount.CASH_COLLECTED, Asset.STORED_VALUE_PRINCIPAL)
    promotion = system_account_id(session, card.issuing_franchisee_id, SystemAccount.PROMOTION_EXPENSE, Asset.STORED_VALUE_BONUS)
    liability = system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    postings = [
        *transfer(Asset.STORED_VALUE_PRINCIPAL, principal - owed_paid, debit=accounts[Asset.STORED_VALUE_PRINCIPAL], credit=cash),
        *receivables.owe(session, locked, card_number, Asset.STORED_VALUE_PRINCIPAL, owed_paid, credit=cash),
        *transfer(Asset.STORED_VALUE_BONUS, bonus, debit=accounts[Asset.STORED_VALUE_BONUS], credit=promotion),
        *points_postings(session, card, to_card=0, from_card=points - points_owed_paid),
        *receivables.owe(session, locked, card_number, Asset.POINTS, points_owed_paid, credit=liability),
    ]
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request.request_id, type="VOID", card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=original.acquiring_franchisee_id,
        business_date=original.business_date, amount_fen=original.amount_fen, principal_delta_fen=-principal,
        bonus_delta_fen=-bonus, points_delta=-points, principal_after_fen=0, bonus_after_fen=0, points_after=0,
        original_transaction_id=original.transaction_id, created_at=utc_now(),
        details={"tenders": original.details.get("tenders", []), "reason": reason, "operator_id": request.operator_id},
    )
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=original.acquiring_franchisee_id,
        receipt_title=f"VOID RECHARGE  {store.name}",
        receipt_items=[amount_row("Recharge voided", original.amount_fen), amount_row("Cash back", principal)],
        locked=locked,
    )
    _audit(ctx, session, "recharge.void", request, store, original, original.amount_fen, reason)
    return transactions_pb2.VoidRechargeResponse(
        transaction=recorded.transaction, principal_reversed_fen=principal, bonus_reversed_fen=bonus,
        points_reversed=points, balances_after=recorded.balances_after, receipt=recorded.receipt,
    )

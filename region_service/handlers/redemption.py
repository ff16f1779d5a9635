"""Points redemption outside checkout (P2): ``RedeemPoints`` exchanges a card's points for what an HQ
offer (PointsRedemptionRule) gives — a gift handed over at the store, stored value credited as
bonus, or coupons — in one transaction, posted as a POINTS_REDEMPTION, audited, exactly once per
request id (the command pipeline). Cash deduction at checkout is PointsDeductionPolicy's, not this.

The points leave the card to its issuer's points liability and consume its lots oldest expiry first
(region_service.points_lots, through posting). Only points the card does not owe may be spent
(issue 21). Coupons are issued through region_service.coupons.issuing, one per unit, in the same
transaction; count uses as one free pack of the offer's item (region_service.points_for_uses,
docs/adr/0037). A redemption is not reversed: a mistake is put right by a points adjustment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from chaincard import card_types, count_products
from chaincard.commands import CommitThenRefuse
from chaincard.coupons.templates import CouponTemplateTerms, issuable_template, validity
from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError, FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, directory_pb2, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import audit, card_states, count_uses, gifts, pins, points_for_uses, validation
from region_service.context import RegionContext
from region_service.coupons.issuing import coupon_message, issue_coupons
from region_service.handlers.cards import require_usable
from region_service.ledger_store import system_account_id
from region_service.models import Card, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import LockedAccounts, load_card, lock_card_accounts
from region_service.unit_of_work import RegionUnitOfWork

ResponseT = TypeVar("ResponseT")

MAX_UNITS = 1_000
# What one unit of a stored-value offer may credit (HQ refuses more; an older snapshot may not).
MAX_STORED_VALUE_FEN = 500_000
TRANSACTION_TYPE = "POINTS_REDEMPTION"
KIND_NAMES = {
    pc.POINTS_REDEMPTION_KIND_GIFT: "GIFT",
    pc.POINTS_REDEMPTION_KIND_STORED_VALUE: "STORED_VALUE",
    pc.POINTS_REDEMPTION_KIND_COUNT_USES: "COUNT_USES",
    pc.POINTS_REDEMPTION_KIND_COUPON: "COUPON",
}


def offer(ctx: RegionContext, rule_code: str) -> pc.PointsRedemptionRule:
    """The offer named ``rule_code`` (INVALID_ARGUMENT naming the field when there is none)."""
    if not rule_code:
        raise InvalidArgument("rule_code", "is required")
    for rule in ctx.program.snapshot().points_redemption_rules:
        if rule.code == rule_code:
            return rule
    raise InvalidArgument("rule_code", f"no points redemption offer {rule_code!r}")


def units(quantity: int) -> int:
    if not 1 <= quantity <= MAX_UNITS:
        raise InvalidArgument("quantity", f"must be between 1 and {MAX_UNITS}")
    return quantity


def require_redeemable(rule: pc.PointsRedemptionRule, store: directory_pb2.Store) -> None:
    """The offer may be redeemed at this store now (FAILED_PRECONDITION naming the offer otherwise)."""
    if not rule.active:
        raise FailedPrecondition(f"points offer {rule.code} is switched off")
    if rule.store_ids and store.store_id not in rule.store_ids:
        raise FailedPrecondition(f"points offer {rule.code} is not redeemable at store {store.store_id}")
    if rule.points_cost <= 0:
        raise FailedPrecondition(f"points offer {rule.code} has no points cost configured")
    if rule.kind == pc.POINTS_REDEMPTION_KIND_GIFT and not rule.gift_sku:
        raise FailedPrecondition(f"points offer {rule.code} names no gift SKU")
    if rule.kind == pc.POINTS_REDEMPTION_KIND_STORED_VALUE and not 0 < rule.stored_value_fen <= MAX_STORED_VALUE_FEN:
        raise FailedPrecondition(f"points offer {rule.code} credits no stored value, or more than {MAX_STORED_VALUE_FEN} fen")
    if rule.kind == pc.POINTS_REDEMPTION_KIND_COUPON and not rule.coupon_template_code:
        raise FailedPrecondition(f"points offer {rule.code} names no coupon template")
    if rule.kind not in KIND_NAMES:
        raise FailedPrecondition(f"points offer {rule.code} has no kind")


def redeem_points(uow: RegionUnitOfWork, request: transactions_pb2.RedeemPointsRequest) -> transactions_pb2.RedeemPointsResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    quantity = units(request.quantity)
    rule = offer(ctx, request.rule_code)
    store = ctx.program.store(request.store_id)
    require_redeemable(rule, store)
    terms = _coupon_terms(ctx, rule)
    item = points_for_uses.offered_item(ctx.program.snapshot(), rule, store) \
        if rule.kind == pc.POINTS_REDEMPTION_KIND_COUNT_USES else None
    cost = rule.points_cost * quantity

    card = load_card(session, card_number, for_update=True)
    require_usable(card)
    rules = card_types.rules_of(ctx.program.snapshot(), card.card_type_code)
    rules.require_points("its points cannot be redeemed")
    if rule.kind == pc.POINTS_REDEMPTION_KIND_STORED_VALUE:
        rules.require_stored_value(f"points offer {rule.code} cannot credit it")
    if item is not None:
        card_type = ctx.program.card_type(card.card_type_code) if card.card_type_code else None
        count_products.require_holdable(card_type, item, card.card_type_code)
    card_states.require_points_adjustable(card)
    refusal = pins.check_pin(ctx, session, card, request.pin, purpose="points redemption", store_id=store.store_id,
                             operator_id=request.operator_id, request_id=request.request_id)
    if refusal is not None:
        raise CommitThenRefuse(refusal)
    locked = lock_card_accounts(session, [card_number])
    held = locked.balances(card_number)
    spendable = max(held.points - held.points_owed, 0)
    if cost > spendable:
        owing = f" (it owes {held.points_owed})" if held.points_owed else ""
        raise FailedPrecondition(f"card {card_number} has {spendable} points to spend{owing}; "
                                 f"{quantity} × {rule.code} needs {cost}")
    if rule.kind == pc.POINTS_REDEMPTION_KIND_GIFT and store.region_code in ("", ctx.region_code):
        # The store is this region's: its gift leaves the shelf in this very transaction. (A store of
        # another region: that region took it before forwarding the call here; region_service.gifts.)
        gifts.take_gift(session, request_id=request.request_id, store_id=store.store_id, sku=rule.gift_sku, quantity=quantity)

    bonus = rule.stored_value_fen * quantity if rule.kind == pc.POINTS_REDEMPTION_KIND_STORED_VALUE else 0
    postings = _postings(session, card, locked, points=cost, bonus_fen=bonus)
    transaction_id, now = new_id(), utc_now()
    credited = None
    if item is not None:
        credited = points_for_uses.credit_pack(session, locked, card, item, uses=rule.count_uses * quantity,
                                               transaction_id=transaction_id, now=now)
        postings += credited.postings
    row = LedgerTransaction(
        transaction_id=transaction_id, request_id=request.request_id, type=TRANSACTION_TYPE, card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=ctx.store_business_day(store.time_zone),
        amount_fen=bonus, principal_delta_fen=0, bonus_delta_fen=bonus, points_delta=-cost, principal_after_fen=0,
        bonus_after_fen=0, points_after=0, created_at=now,
        details={"rule_code": rule.code, "kind": KIND_NAMES[rule.kind], "quantity": quantity, "points_spent": cost,
                 "gift_sku": rule.gift_sku if rule.kind == pc.POINTS_REDEMPTION_KIND_GIFT else "",
                 "bonus_fen": bonus, "operator_id": request.operator_id,
                 # Transaction.count_use_deltas reads this (region_service.translate), as for a purchase.
                 **({count_uses.DETAILS_USES: {rule.count_item_code: credited.uses},
                     "expires_at": credited.expires_at.isoformat() if credited.expires_at else ""} if credited else {})},
    )
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        points_redeemed=cost, receipt_title=f"POINTS REDEEMED  {store.name}",
        receipt_items=_receipt_items(rule, quantity, cost, bonus, credited), locked=locked,
    )
    if credited is not None:
        recorded.balances_after.count_uses.extend(count_uses.balances(session, locked, card_number))
    coupons = _issue_coupons(ctx, session, card, terms, quantity, request, rule)
    audit.record(
        session, ctx, action="points.redeem", target_type="card", target_id=card_number, operator_id=request.operator_id,
        store_id=store.store_id, franchisee_id=store.franchisee_id, request_id=request.request_id, amount_fen=bonus,
        reason=f"{rule.code} x{quantity}", before={"points": held.points},
        after={"points": held.points - cost, "rule_code": rule.code, "kind": KIND_NAMES[rule.kind], "quantity": quantity,
               **({"count_item_code": rule.count_item_code, "count_uses": credited.uses} if credited else {})},
    )
    return transactions_pb2.RedeemPointsResponse(
        transaction=recorded.transaction, points_spent=cost,
        gift_sku=rule.gift_sku if rule.kind == pc.POINTS_REDEMPTION_KIND_GIFT else "", bonus_credited_fen=bonus,
        count_item_code=rule.count_item_code if credited else "", count_uses_credited=credited.uses if credited else 0,
        coupons_issued=coupons, balances_after=recorded.balances_after, receipt=recorded.receipt,
    )


def take_gift_then_forward(ctx: RegionContext, request: transactions_pb2.RedeemPointsRequest,
                           forward: Callable[[], ResponseT]) -> ResponseT:
    """A GIFT redemption at a store of this region for a card homed in another: the gift leaves this
    region's stock first (its own transaction, keyed by the request id), then ``forward`` asks the
    card's home region to post the points; a definite refusal from there puts the gift back
    (region_service.gifts). Any other offer is simply forwarded."""
    rule = offer(ctx, request.rule_code)
    if rule.kind != pc.POINTS_REDEMPTION_KIND_GIFT:
        return forward()
    quantity = units(request.quantity)
    store = ctx.program.store(request.store_id)
    require_redeemable(rule, store)
    gifts.require_own_store(ctx, store)
    with ctx.session_factory.begin() as session:
        gifts.take_gift(session, request_id=request.request_id, store_id=store.store_id, sku=rule.gift_sku, quantity=quantity)
    try:
        return forward()
    except ChainCardError as refused:
        if refused.status_name in gifts.DEFINITE_REFUSALS:
            gifts.return_gift(ctx, request.request_id)
        raise


def _postings(session: Session, card: Card, locked: LockedAccounts, *, points: int, bonus_fen: int) -> list[Posting]:
    """Points back to the issuer's liability; a stored-value offer's bonus from the issuer's promotion
    expense, as a recharge bonus is (it carries the cost, and gets it back if the card closes)."""
    accounts = locked.ids(card.card_number)
    issuer = card.issuing_franchisee_id
    liability = system_account_id(session, issuer, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    postings = transfer(Asset.POINTS, points, debit=accounts[Asset.POINTS], credit=liability)
    if bonus_fen:
        promotion = system_account_id(session, issuer, SystemAccount.PROMOTION_EXPENSE, Asset.STORED_VALUE_BONUS)
        postings += transfer(Asset.STORED_VALUE_BONUS, bonus_fen, debit=promotion, credit=accounts[Asset.STORED_VALUE_BONUS])
    return postings


def _receipt_items(rule: pc.PointsRedemptionRule, quantity: int, cost: int, bonus_fen: int,
                   credited: points_for_uses.Credited | None) -> list[ReceiptItem]:
    items = [ReceiptItem("Offer", rule.name[:20] or rule.code), ReceiptItem("Units", str(quantity)),
             ReceiptItem("Points spent", str(cost))]
    if rule.kind == pc.POINTS_REDEMPTION_KIND_GIFT:
        items.append(ReceiptItem("Gift to hand over", f"{rule.gift_sku} x{quantity}"))
    if bonus_fen:
        items.append(ReceiptItem("Bonus credited", format_fen(bonus_fen)))
    if rule.kind == pc.POINTS_REDEMPTION_KIND_COUPON:
        items.append(ReceiptItem("Coupons issued", f"{rule.coupon_template_code} x{quantity}"))
    if credited is not None:
        expiry = credited.expires_at.date().isoformat() if credited.expires_at else "never"
        items += [ReceiptItem(f"Uses added {rule.count_item_code}"[:20], str(credited.uses)),
                  ReceiptItem(f"Uses expire {rule.count_item_code}"[:20], expiry)]
    return items


def _coupon_terms(ctx: RegionContext, rule: pc.PointsRedemptionRule) -> CouponTemplateTerms | None:
    """A coupon offer's template, checked issuable now (before anything is written)."""
    if rule.kind != pc.POINTS_REDEMPTION_KIND_COUPON:
        return None
    terms = issuable_template(ctx.program.snapshot(), rule.coupon_template_code, field="rule_code")
    validity(terms, utc_now())  # FAILED_PRECONDITION when the template's coupons could no longer be valid
    return terms


def _issue_coupons(ctx: RegionContext, session: Session, card: Card, terms: CouponTemplateTerms | None, quantity: int,
                   request: transactions_pb2.RedeemPointsRequest, rule: pc.PointsRedemptionRule) -> Sequence[common_pb2.Coupon]:
    """One coupon per unit, in the redemption's transaction; the issue key is the request's, so a
    retry (answered from the stored response anyway) could never issue twice."""
    if terms is None:
        return []
    issued = issue_coupons(ctx, session, card, terms, count=quantity, reason=f"points redemption {rule.code}"[:128],
                           issue_key=f"points-redemption:{request.request_id}", operator_id=request.operator_id)
    return [coupon_message(coupon) for coupon in issued]

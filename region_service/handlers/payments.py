"""Recharge (V1, V2) and checkout (X1, V3, V4, P1, P2, L1): command handlers ``handler(uow, request)``
run by the region's pipeline (``ctx.commands.run``), one database transaction each, posted exactly
once. The request → pricing mapping, the receipt layout and the answer are the checkout core's
(chaincard.checkout, shared with the store agent's offline stand-in); this module loads state, locks
cards, checks PINs, locks the sale's coupons and posts (their redemption: region_service.coupon_redemption).

Both read and write with SQLAlchemy Core statements, not ORM objects: a checkout is the region's
busiest command, and the ORM was most of its CPU (docs/BENCHMARKS.md, Checkout). A card is loaded
as an ORM object only for a PIN check, which updates its failure count. The common sale (one card,
own stored value, no coupon or count use: region_service.one_trip.qualifies) has all its writes
done by one call of the database function post_checkout (docs/adr/0052)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import card_types, linked_cards
from chaincard.checkout import receipt
from chaincard.checkout.request import (
    CheckoutFields,
    checkout_fields,
    drawn_on_main_card,
    price,
    pricing_input,
    require_card_movement,
)
from chaincard.checkout.response import applied_message, checkout_response, tender_record, tender_type_value
from chaincard.checkout.terms import recharge_promotions
from chaincard.commands import CommitThenRefuse
from chaincard.coupons.rules import HeldCoupon
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, count_uses_asset, transfer
from chaincard.ledger.receivables import spendable_stored_value
from chaincard.pricing import CheckoutPlan, StoredValue, TenderKind, select_recharge_bonus
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, directory_pb2, transactions_pb2
from region_service import (
    card_links,
    count_uses,
    coupon_redemption,
    member_codes,
    one_trip,
    pins,
    receivables,
    recharge_rules,
    referral_awards,
    time_passes,
    validation,
)
from region_service.context import RegionContext
from region_service.conversions import convert_on_recharge
from region_service.coupons.issuing import coupon_message
from region_service.coupons.rules_issue import issue_listed
from region_service.coupons.rules_issue import receipt_items as coupon_receipt_items
from region_service.handlers.cards import require_usable
from region_service.ledger_store import (
    LockedAccounts,
    card_account_ids,
    system_account_id,
)
from region_service.models import Card, CardLink, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import LockedCard, lock_payment_cards
from region_service.unit_of_work import RegionUnitOfWork

# Only a bound on the field (¥1,000,000): what a card may take is the card type's rules
# (chaincard.compliance: the V9 balance cap, real-name and non-cash thresholds; the V5 approval).
MAX_RECHARGE_FEN = 100_000_000
MAX_CHECKOUT_FEN = 100_000_000

_EXTERNAL_TENDERS = {
    common_pb2.TENDER_TYPE_CASH: TenderKind.CASH,
    common_pb2.TENDER_TYPE_BANK_CARD: TenderKind.BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY: TenderKind.MOBILE_PAY,
}


def stored_value_postings(session: Session, franchisee_id: str, card_number: str, principal: int, bonus: int, *,
                          refund: bool = False, accounts: dict[str, str] | None = None) -> list[Posting]:
    """Stored value leaving a card for goods at ``franchisee_id``'s store (or coming back on refund).
    ``accounts``: the card's account ids by asset, when the caller has them already."""
    accounts = accounts or card_account_ids(session, card_number)
    postings: list[Posting] = []
    for asset, amount in ((Asset.STORED_VALUE_PRINCIPAL, principal), (Asset.STORED_VALUE_BONUS, bonus)):
        redeemed = system_account_id(session, franchisee_id, SystemAccount.STORED_VALUE_REDEEMED, asset)
        if refund:
            postings += transfer(asset, amount, debit=redeemed, credit=accounts[asset])
        else:
            postings += transfer(asset, amount, debit=accounts[asset], credit=redeemed)
    return postings


def points_postings(session: Session, card: Card | LockedCard, *, to_card: int, from_card: int,
                    accounts: dict[str, str] | None = None, locked: LockedAccounts | None = None) -> list[Posting]:
    """Points issued to the card (earned, returned) and taken from it (redeemed, clawed back),
    against the issuing franchisee's points liability. With the card's ``locked`` accounts, points
    issued pay what the card owes in points first (issue 21)."""
    if not to_card and not from_card:
        return []
    card_points = (accounts or card_account_ids(session, card.card_number))[Asset.POINTS]
    liability = system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    owed_paid = receivables.collectable(locked, card.card_number, Asset.POINTS, to_card) if locked is not None else 0
    return [
        *transfer(Asset.POINTS, from_card, debit=card_points, credit=liability),
        *(receivables.collect(locked, card.card_number, Asset.POINTS, owed_paid, debit=liability) if locked else []),
        *transfer(Asset.POINTS, to_card - owed_paid, debit=liability, credit=card_points),
    ]


# ---- recharge ---------------------------------------------------------------------------------------
def recharge_card(uow: RegionUnitOfWork, request: transactions_pb2.RechargeCardRequest) -> transactions_pb2.RechargeCardResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    amount = validation.amount_fen("amount_fen", request.amount_fen, maximum=MAX_RECHARGE_FEN)
    tender = validation.enum_choice("tender", request.tender or common_pb2.TENDER_TYPE_CASH, _EXTERNAL_TENDERS)
    store = ctx.program.store(request.store_id)
    promotions = recharge_promotions(ctx.program.snapshot())

    cards, locked = lock_payment_cards(session, [card_number])
    card = cards[card_number]
    require_usable(card)
    main_number = card_links.main_card_of(session, card_number)  # exact: LinkCard takes this card's lock too
    if main_number is not None:
        raise linked_cards.not_rechargeable(card_number, main_number)
    transaction_id, now = new_id(), utc_now()
    # A convertible trial card becomes its paid type first (docs/adr/0034); the recharge follows that type.
    trial_type_code = card.card_type_code
    card = convert_on_recharge(ctx, session, card, amount, store=store, operator_id=request.operator_id,
                               transaction_id=transaction_id, request_id=request.request_id, now=now)
    rules = card_types.rules_of(ctx.program.snapshot(), card.card_type_code)
    rules.require_rechargeable()
    bonus = select_recharge_bonus(amount, promotions, card_type_code=card.card_type_code, store_id=store.store_id, now=utc_now())
    if not rules.points:  # a tier's bonus points go nowhere on a card without points (C1)
        bonus = replace(bonus, bonus_points=0)
    # What the card owes is paid first, in this same transaction (issue 21): only the rest lands on
    # the card. A retry with the same request_id is answered from the first, so it is paid once.
    owed_paid = receivables.collectable(locked, card_number, Asset.STORED_VALUE_PRINCIPAL, amount)
    principal_before = locked.balances(card_number).principal_fen
    # V9 compliance and V5 recharge rules, before anything is posted (docs/adr/0038, 0039).
    approved = recharge_rules.check(
        ctx, session, card_type_code=card.card_type_code, member_id=card.member_id, store_id=store.store_id,
        operator_id=request.operator_id, amount_fen=amount, cash=tender is TenderKind.CASH,
        principal_before_fen=principal_before, principal_after_fen=principal_before + amount - owed_paid)
    accounts = locked.ids(card_number)
    cash = system_account_id(session, store.franchisee_id, SystemAccount.CASH_COLLECTED, Asset.STORED_VALUE_PRINCIPAL)
    # The bonus is the issuer's promotion: it carries the cost, and gets it back if the card closes.
    promotion = system_account_id(session, card.issuing_franchisee_id, SystemAccount.PROMOTION_EXPENSE, Asset.STORED_VALUE_BONUS)
    points_owed_paid = receivables.collectable(locked, card_number, Asset.POINTS, bonus.bonus_points)
    postings = [
        *receivables.collect(locked, card_number, Asset.STORED_VALUE_PRINCIPAL, owed_paid, debit=cash),
        *transfer(Asset.STORED_VALUE_PRINCIPAL, amount - owed_paid, debit=cash, credit=accounts[Asset.STORED_VALUE_PRINCIPAL]),
        *transfer(Asset.STORED_VALUE_BONUS, bonus.bonus_fen, debit=promotion, credit=accounts[Asset.STORED_VALUE_BONUS]),
        *points_postings(session, card, to_card=bonus.bonus_points, from_card=0, accounts=accounts, locked=locked),
    ]
    row = LedgerTransaction(
        transaction_id=transaction_id, request_id=request.request_id, type="RECHARGE", card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=ctx.store_business_day(store.time_zone),
        # The holder's principal position, receivable included (as an advice's is): the acquirer
        # collected it all, so settlement owes the issuer all of it (a receivable collected at
        # another franchisee's store clears like stored value).
        amount_fen=amount, principal_delta_fen=amount, bonus_delta_fen=bonus.bonus_fen, points_delta=bonus.bonus_points,
        principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
        details={"tenders": [{"type": str(tender), "amount_fen": amount}], "promotion_code": bonus.promotion_code,
                 "bonus_fen": bonus.bonus_fen, "bonus_points": bonus.bonus_points, "operator_id": request.operator_id,
                 "owed_paid_fen": owed_paid, "points_owed_paid": points_owed_paid},
    )
    # The tier's coupons, in this same transaction (Q2): a retry is answered from the first, and the
    # issue keys name this transaction, so they are issued once.
    coupons = issue_listed(ctx, session, card, bonus.coupon_template_codes, key_prefix=f"recharge:{row.transaction_id}",
                           reason=f"recharge promotion {bonus.promotion_code}", now=row.created_at)
    if approved:  # a store manager approved a recharge above the threshold (V5): audited with it
        recharge_rules.audit_approval(ctx, session, card_number=card_number, card_type_code=card.card_type_code,
                                      franchisee_id=store.franchisee_id, store_id=store.store_id,
                                      operator_id=request.operator_id, request_id=request.request_id,
                                      amount_fen=amount, transaction_id=transaction_id)
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        tenders=[transactions_pb2.AppliedTender(type=tender_type_value(tender), amount_fen=amount)],
        points_earned=bonus.bonus_points, receipt_title=receipt.recharge_title(store.name),
        receipt_items=[*receipt.recharge_lines(amount, tender, promotion_code=bonus.promotion_code, bonus_fen=bonus.bonus_fen,
                                               bonus_points=bonus.bonus_points, owed_paid_fen=owed_paid),
                       *coupon_receipt_items(ctx, coupons),
                       *([ReceiptItem(f"Card converted to {card.card_type_code}")]
                         if card.card_type_code != trial_type_code else [])],
        locked=locked,
    )
    return transactions_pb2.RechargeCardResponse(
        transaction=recorded.transaction, principal_fen=amount, bonus_fen=bonus.bonus_fen, points_earned=bonus.bonus_points,
        promotion_code=bonus.promotion_code, receipt=recorded.receipt, coupons_issued=[coupon_message(c) for c in coupons],
    )


# ---- checkout ---------------------------------------------------------------------------------------
def checkout(uow: RegionUnitOfWork, request: transactions_pb2.CheckoutRequest) -> transactions_pb2.CheckoutResponse:
    """Validate every field, lock every card of the sale (number order), check their PINs, price,
    post, keep the receipt and the event: one transaction (docs/adr/0013). A wrong PIN ends it
    there, committed with only the failure count, and the sale is refused."""
    ctx, session = uow.region, uow.session
    request, member_code = member_codes.checkout_by_code(ctx, session, request)  # a QR code for the card
    fields = checkout_fields(request)
    store = ctx.program.store(request.store_id)
    for number in fields.other_card_numbers:
        if ctx.home_region_of(number) != ctx.region_code:
            raise FailedPrecondition(f"card {number} is homed in another region; a second card must share the first's home region")
    pins_given = {fields.card_number: request.pin}
    pins_given.update({t.card_number: t.pin for t in request.tenders if t.type == common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD})

    cards, locked = lock_payment_cards(session, [fields.card_number, *fields.other_card_numbers])
    card = cards[fields.card_number]
    require_usable(card)
    link = None
    if card.main_card_number is not None:  # a linked card (C5) spends its main card's stored value
        fields = drawn_on_main_card(fields, card.main_card_number)
        cards, locked = _with_main_card(session, cards, locked, card.main_card_number)
        link = card_links.require_same_link(session, card.card_number, card.main_card_number)
    # The PIN of the card presented pays: the main card's own PIN is not asked for its linked cards.
    _check_pins(ctx, session, cards, pins_given, not_asked={link.main_card_number} if link else set())
    if member_code is not None:  # under the card's lock: a second sale with the code waits, then is refused
        member_codes.take(session, member_code, request.request_id)
    # The coupons last (docs/adr/0021): a second till racing for one waits here, then finds it used.
    coupons = coupon_redemption.lock_sale_coupons(session, fields.coupon_codes)
    now = utc_now()
    local_time = now.astimezone(ZoneInfo(store.time_zone or ctx.settings.business_time_zone))
    plan = _price(ctx, fields, card, cards, locked, store, local_time, coupons.held)
    if plan.total_due_fen > MAX_CHECKOUT_FEN:
        raise InvalidArgument("lines", f"basket total must be at most {MAX_CHECKOUT_FEN} fen")
    funding = _linked_spend(ctx, session, plan, link, now)
    if funding is None:
        require_card_movement(plan)
    business_date = ctx.store_business_day(store.time_zone)
    # Count-card uses (K1, K3): taken from the card's packs under its row lock, so racing tills
    # serialise here and never take more uses than the card holds.
    snapshot = ctx.program.snapshot()
    time_intents = [intent for intent in fields.count_uses if time_passes.is_time_intent(snapshot, intent)]
    uses = count_uses.take_for_sale(session, locked, snapshot, [i for i in fields.count_uses if i not in time_intents],
                                    card_number=card.card_number, store=store, business_date=business_date, now=now)
    # Time passes (K4, docs/adr/0030): nothing leaves the ledger; the period and daily cap are checked here.
    passes = time_passes.take_for_sale(session, snapshot, time_intents, card_number=card.card_number, store=store,
                                       business_date=business_date, now=now)

    own = [t for t in plan.tenders if t.kind is TenderKind.STORED_VALUE]
    accounts = locked.ids(card.card_number)
    postings = [p for t in own for p in stored_value_postings(
        session, store.franchisee_id, card.card_number, t.principal_fen, t.bonus_fen, accounts=accounts)]
    postings += points_postings(session, card, to_card=plan.points_earned, from_card=plan.points_redeemed, accounts=accounts,
                                locked=locked)
    postings += coupon_redemption.coupon_postings(session, plan.applied_coupons, store.franchisee_id)
    postings += uses.postings
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request.request_id, type="SPEND", card_number=card.card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=business_date,
        amount_fen=plan.total_due_fen, principal_delta_fen=-sum(t.principal_fen for t in own),
        bonus_delta_fen=-sum(t.bonus_fen for t in own), points_delta=plan.points_earned - plan.points_redeemed,
        principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
        details={
            "subtotal_fen": plan.subtotal_fen, "discount_fen": plan.discount_fen, "total_due_fen": plan.total_due_fen,
            "points_earned": plan.points_earned, "points_redeemed": plan.points_redeemed,
            "points_deduction_fen": plan.points_deduction_fen, "tenders": [tender_record(t) for t in plan.tenders],
            "lines": [{"sku": line.sku, "quantity": line.quantity, "net_fen": line.net_fen} for line in plan.lines],
            "operator_id": request.operator_id,
            **coupon_redemption.details_of(plan.applied_coupons),
            **uses.details(),
            **passes.details(),
            **(funding.details() if funding else {}),
        },
    )
    # A referred member's spend within the programme's period earns their referrer a share (M5,
    # docs/adr/0044); the row keeps the award so that its refunds take back the same share.
    row.details.update(referral_awards.on_spend(ctx, session, member_id=card.member_id, card_number=card.card_number,
                                                transaction_id=row.transaction_id, amount_fen=plan.total_due_fen, now=now))
    time_passes.record(session, passes, card_number=card.card_number, transaction_id=row.transaction_id, store_id=store.store_id,
                       business_date=business_date, now=now)
    pass_balances = time_passes.balances(session, snapshot, card.card_type_code, card.card_number, business_date=business_date,
                                         now=now) if passes.uses else []
    coupon_redemption.mark_redeemed(ctx, session, coupons, plan.applied_coupons, transaction_id=row.transaction_id, moment=now)
    tenders = _with_count_items([applied_message(t) for t in plan.tenders], fields)
    uses_left = _uses_left(locked, card.card_number, uses) if uses.uses else []
    # The common sale is written in one round trip (docs/adr/0052); the rule is one_trip.qualifies.
    one_round_trip = one_trip.qualifies(session, snapshot, card=card, cards=cards, locked=locked, plan=plan,
                                        by_member_code=member_code is not None,
                                        count_uses=bool(fields.count_uses or uses.uses or passes.uses), details=row.details)
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        tenders=tenders, coupons=coupon_redemption.coupon_messages(plan.applied_coupons),
        points_earned=plan.points_earned,
        points_redeemed=plan.points_redeemed, receipt_title=receipt.sale_title(store.name),
        receipt_items=[*receipt.sale_lines(receipt.sale_figures(plan, _coupon_names(ctx, plan))),
                       *count_uses.receipt_items(uses, uses_left), *time_passes.receipt_items(passes, pass_balances),
                       *(funding.receipt_items() if funding else [])],
        subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen, points_deduction_fen=plan.points_deduction_fen,
        locked=locked, memo=bool(passes.uses),  # a sale paid by a time pass alone moves nothing on the ledger
        defer=one_round_trip,
    )
    _record_other_card_spends(ctx, session, plan, cards, locked, row, store, funding)
    recorded.balances_after.count_uses.extend(count_uses.balances(session, locked, card.card_number))
    recorded.balances_after.count_uses.extend(pass_balances)
    response = checkout_response(plan, transaction=recorded.transaction, balances_after=recorded.balances_after,
                                 receipt=recorded.receipt, offline=False)
    del response.tenders[:]
    response.tenders.extend(tenders)
    if recorded.pending is not None:  # the sale, its receipt, event and remembered answer: one statement
        return one_trip.finish(uow, recorded.pending, response)
    return response


def _with_count_items(tenders: list[transactions_pb2.AppliedTender], fields: CheckoutFields) -> list[transactions_pb2.AppliedTender]:
    """The count-uses tender names its item and uses when the sale used one item (the pricing engine
    values all count uses as one tender)."""
    if len(fields.count_uses) == 1:
        for tender in tenders:
            if tender.type == common_pb2.TENDER_TYPE_COUNT_USES:
                tender.count_item_code, tender.uses = fields.count_uses[0].item_code, fields.count_uses[0].uses
    return tenders


def _uses_left(locked: LockedAccounts, card_number: str, uses: count_uses.SaleUses) -> list[common_pb2.CountUseBalance]:
    """Each item's uses on the card once the sale's are taken (its accounts are locked, not yet moved)."""
    held = locked.of_card(card_number)
    return [common_pb2.CountUseBalance(item_code=item, uses=held[count_uses_asset(item)].balance - taken)
            for item, taken in uses.uses.items()]


def _coupon_names(ctx: RegionContext, plan: CheckoutPlan) -> dict[str, str]:
    """The receipt prints a coupon by its template's name."""
    if not plan.applied_coupons:
        return {}
    return {template.code: template.name or template.code for template in ctx.program.snapshot().coupon_templates}


def _check_pins(ctx: RegionContext, session: Session, cards: dict[str, LockedCard], pins_given: dict[str, str], *,
                not_asked: set[str]) -> None:
    """Check the PIN of every locked card that has one (in card-number order), under the sale's own
    card lock, so no ResetPin can come between the check and the count. Only such a card is loaded
    as an ORM object: the check counts failures on it, and scrypt dwarfs the load anyway. A wrong PIN
    is counted and the sale refused: the transaction commits with the count alone (nothing else is
    written before this point), and the caller gets the refusal (docs/adr/0013)."""
    for number, locked in cards.items():
        if locked.pin_hash is None or number in not_asked:
            continue
        card = session.get(Card, number)
        assert card is not None  # locked above
        refusal = pins.check_pin(ctx, session, card, pins_given.get(number, ""), purpose="payment")
        if refusal is not None:
            raise CommitThenRefuse(refusal)


def _price(ctx: RegionContext, fields: CheckoutFields, card: LockedCard, cards: dict[str, LockedCard], locked: LockedAccounts,
           store: directory_pb2.Store, local_time: datetime, coupons: Sequence[HeldCoupon]) -> CheckoutPlan:
    held = locked.balances(card.card_number)
    others = {}
    for number, other in cards.items():
        if number != card.card_number:
            require_usable(other)
            card_types.rules_of(ctx.program.snapshot(), other.card_type_code).require_stored_value(
                f"card {number} cannot pay as a second member card")
            balance = locked.balances(number)
            others[number] = StoredValue(*spendable_stored_value(balance.principal_fen, balance.bonus_fen, balance.owed_fen))
    # A card that owes cannot spend the stored value that would pay its debt (issue 21).
    spendable = StoredValue(*spendable_stored_value(held.principal_fen, held.bonus_fen, held.owed_fen))
    return price(pricing_input(
        fields, ctx.program.snapshot(), store_id=store.store_id, local_time=local_time, level_code=card.level_code,
        stored_value=spendable, points_balance=held.points, birthday=card.birthday,
        other_cards=others, coupons=coupons, issuing_franchisee_id=card.issuing_franchisee_id,
        card_type_code=card.card_type_code,
    ))


def _record_other_card_spends(ctx: RegionContext, session: Session, plan: CheckoutPlan, cards: dict[str, LockedCard],
                              locked: LockedAccounts, sale: LedgerTransaction, store: directory_pb2.Store,
                              funding: LinkedSpend | None) -> None:
    """A second member card (组合支付) gets its own SPEND on its own history, linked to the sale; so
    does a linked card's main card (C5), its row naming who used it, and HQ hears of the linked
    card's new usage (CardLinkChanged, docs/adr/0037)."""
    if funding is not None:
        card_links.announce(ctx, session, funding.presenting_card_number, funding.main_card_number, cause=card_links.USAGE,
                            month=funding.month, transaction_id=sale.transaction_id)
    for tender in plan.tenders:
        if tender.kind is not TenderKind.OTHER_MEMBER_CARD or not tender.amount_fen:
            continue
        funded = funding is not None and tender.card_number == funding.main_card_number
        other = cards[tender.card_number]
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=f"linked:{new_id()}", type="SPEND", card_number=other.card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=sale.business_date,
            amount_fen=tender.amount_fen, principal_delta_fen=-tender.principal_fen, bonus_delta_fen=-tender.bonus_fen,
            points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=sale.created_at,
            details={"paid_for_transaction_id": sale.transaction_id, "total_due_fen": tender.amount_fen,
                     "tenders": [tender_record(tender)], **(funding.who() if funding and funded else {})},
        )
        record_transaction(
            ctx, session, row=row, card=other, acquiring_franchisee_id=store.franchisee_id,
            postings=stored_value_postings(session, store.franchisee_id, other.card_number, tender.principal_fen, tender.bonus_fen,
                                           accounts=locked.ids(other.card_number)),
            tenders=[applied_message(tender)], receipt_title=receipt.sale_title(store.name),
            receipt_items=[*receipt.paid_for_card_lines(sale.card_number, tender.amount_fen),
                           *(funding.receipt_items() if funding and funded else [])], locked=locked,
        )


@dataclass(frozen=True)
class LinkedSpend:
    """A linked card's sale drawing on its main card's stored value (C5, docs/adr/0032)."""

    presenting_card_number: str
    main_card_number: str
    amount_fen: int
    month: str

    def who(self) -> dict[str, str]:
        """The details keys naming who used it (Transaction fields 23–24)."""
        return {card_links.PRESENTING_CARD: self.presenting_card_number, card_links.FUNDING_CARD: self.main_card_number}

    def details(self) -> dict[str, str]:
        return {**self.who(), card_links.LINK_MONTH: self.month}

    def receipt_items(self) -> list[ReceiptItem]:
        return [ReceiptItem("Card used", f"...{self.presenting_card_number[-4:]}"),
                ReceiptItem("Paid by main card", f"...{self.main_card_number[-4:]}")]


def _with_main_card(session: Session, cards: dict[str, LockedCard], locked: LockedAccounts,
                    main_card_number: str) -> tuple[dict[str, LockedCard], LockedAccounts]:
    """The sale's cards and accounts with its linked card's main card locked too. The main card is
    known only once the sale's cards are locked (the lock reads the link, so a sale on an unlinked
    card sends no extra statement), so it is locked after them, which may break card-number order:
    a transaction locking the pair in order (a refund of a linked sale, LinkCard) can then deadlock
    with this one; PostgreSQL breaks it and the pipeline retries (chaincard.db.idempotency)."""
    if main_card_number in cards:
        return cards, locked
    main_cards, main_accounts = lock_payment_cards(session, [main_card_number])
    return {**cards, **main_cards}, LockedAccounts({**locked.by_id, **main_accounts.by_id})


def _linked_spend(ctx: RegionContext, session: Session, plan: CheckoutPlan, link: CardLink | None,
                  now: datetime) -> LinkedSpend | None:
    """What a linked card's sale takes of its main card's stored value, checked against the card's
    monthly limit and counted, under the main card's row lock (held): linked cards racing on one main
    card serialise here. None for a sale that takes nothing from a main card."""
    if link is None:
        return None
    amount = sum(t.amount_fen for t in plan.tenders
                 if t.kind is TenderKind.OTHER_MEMBER_CARD and t.card_number == link.main_card_number)
    if not amount:
        return None
    month = linked_cards.month_of(now, ctx.settings.business_time_zone)
    linked_cards.require_within_limit(link.linked_card_number, limit_fen=link.monthly_limit_fen,
                                      spent_fen=card_links.spent_in(session, link.linked_card_number, month),
                                      amount_fen=amount, month=month)
    card_links.add_spend(session, link.linked_card_number, month, amount)
    return LinkedSpend(link.linked_card_number, link.main_card_number, amount, month)


def sales_refunded_so_far(session: Session, original: LedgerTransaction) -> int:
    return sum(session.execute(
        select(LedgerTransaction.amount_fen).where(
            LedgerTransaction.original_transaction_id == original.transaction_id,
            LedgerTransaction.card_number == original.card_number,
            LedgerTransaction.type.in_(("REFUND", "VOID")),
        )
    ).scalars())

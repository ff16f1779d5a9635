"""Recharge (V1, V2) and checkout (X1, V3, V4, P1, P2, L1): one database transaction each, posted
exactly once. Pricing is chaincard.pricing's; this module loads state, locks cards and posts.

Both read and write with SQLAlchemy Core statements, not ORM objects: a checkout is the region's
busiest command, and the ORM was most of its CPU (docs/BENCHMARKS.md, Checkout). A card is loaded
as an ORM object only for a PIN check, which updates its failure count."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.db.base import utc_now
from chaincard.db.idempotency import remember, replay_or_reserve, retry_on_conflict
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.pricing import (
    BasketLine,
    CheckoutInput,
    CheckoutPlan,
    PricingError,
    SaleContext,
    StoredValue,
    TenderIntent,
    TenderKind,
    price_checkout,
    select_recharge_bonus,
)
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import common_pb2, transactions_pb2
from region_service import pins, pricing_terms, validation
from region_service.context import RegionContext
from region_service.handlers.cards import require_usable
from region_service.ledger_store import (
    LockedAccounts,
    card_account_ids,
    system_account_id,
)
from region_service.models import Card, IdempotencyKey, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import LockedCard, lock_payment_cards

MAX_RECHARGE_FEN = 5_000_000  # ¥50,000: above this a recharge needs a manager (V5, later)
MAX_CHECKOUT_FEN = 100_000_000

_EXTERNAL_TENDERS = {
    common_pb2.TENDER_TYPE_CASH: TenderKind.CASH,
    common_pb2.TENDER_TYPE_BANK_CARD: TenderKind.BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY: TenderKind.MOBILE_PAY,
}
_TENDER_KINDS = {
    **_EXTERNAL_TENDERS,
    common_pb2.TENDER_TYPE_STORED_VALUE: TenderKind.STORED_VALUE,
    common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD: TenderKind.OTHER_MEMBER_CARD,
}


def tender_type_value(kind: str) -> int:
    return common_pb2.TenderType.Value("TENDER_TYPE_" + kind)


def store_business_day(ctx: RegionContext, store) -> date:  # type: ignore[no-untyped-def]
    """Today's business day at ``store`` (its time zone, the chain's cut-off)."""
    return business_date(utc_now(), store.time_zone or ctx.settings.business_time_zone, ctx.settings.business_day_cutoff)


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
                    accounts: dict[str, str] | None = None) -> list[Posting]:
    """Points issued to the card (earned, returned) and taken from it (redeemed, clawed back),
    against the issuing franchisee's points liability."""
    if not to_card and not from_card:
        return []
    card_points = (accounts or card_account_ids(session, card.card_number))[Asset.POINTS]
    liability = system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    return [
        *transfer(Asset.POINTS, from_card, debit=card_points, credit=liability),
        *transfer(Asset.POINTS, to_card, debit=liability, credit=card_points),
    ]


def tender_record(tender) -> dict:  # type: ignore[no-untyped-def]
    return {"type": str(tender.kind), "amount_fen": tender.amount_fen, "principal_fen": tender.principal_fen,
            "bonus_fen": tender.bonus_fen, "card_number": tender.card_number}


def applied_message(tender) -> transactions_pb2.AppliedTender:  # type: ignore[no-untyped-def]
    return transactions_pb2.AppliedTender(
        type=tender_type_value(str(tender.kind)), amount_fen=tender.amount_fen, principal_fen=tender.principal_fen,
        bonus_fen=tender.bonus_fen, card_number=tender.card_number,
    )


# ---- recharge ---------------------------------------------------------------------------------------
@retry_on_conflict
def recharge_card(ctx: RegionContext, request: transactions_pb2.RechargeCardRequest) -> transactions_pb2.RechargeCardResponse:
    card_number = validation.card_number(request.card_number)
    amount = validation.amount_fen("amount_fen", request.amount_fen, maximum=MAX_RECHARGE_FEN)
    tender = validation.enum_choice("tender", request.tender or common_pb2.TENDER_TYPE_CASH, _EXTERNAL_TENDERS)
    store = ctx.program.store(request.store_id)
    promotions = pricing_terms.recharge_promotions(ctx.program.snapshot())

    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "RechargeCard", request, transactions_pb2.RechargeCardResponse)
        if replay is not None:
            return replay
        cards, locked = lock_payment_cards(session, [card_number])
        card = cards[card_number]
        require_usable(card)
        bonus = select_recharge_bonus(amount, promotions, card_type_code=card.card_type_code, store_id=store.store_id, now=utc_now())
        accounts = locked.ids(card_number)
        cash = system_account_id(session, store.franchisee_id, SystemAccount.CASH_COLLECTED, Asset.STORED_VALUE_PRINCIPAL)
        # The bonus is the issuer's promotion: it carries the cost, and gets it back if the card closes.
        promotion = system_account_id(session, card.issuing_franchisee_id, SystemAccount.PROMOTION_EXPENSE, Asset.STORED_VALUE_BONUS)
        postings = [
            *transfer(Asset.STORED_VALUE_PRINCIPAL, amount, debit=cash, credit=accounts[Asset.STORED_VALUE_PRINCIPAL]),
            *transfer(Asset.STORED_VALUE_BONUS, bonus.bonus_fen, debit=promotion, credit=accounts[Asset.STORED_VALUE_BONUS]),
            *points_postings(session, card, to_card=bonus.bonus_points, from_card=0, accounts=accounts),
        ]
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request.request_id, type="RECHARGE", card_number=card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=store_business_day(ctx, store),
            amount_fen=amount, principal_delta_fen=amount, bonus_delta_fen=bonus.bonus_fen, points_delta=bonus.bonus_points,
            principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
            details={"tenders": [{"type": str(tender), "amount_fen": amount}], "promotion_code": bonus.promotion_code,
                     "bonus_fen": bonus.bonus_fen, "bonus_points": bonus.bonus_points, "operator_id": request.operator_id},
        )
        items = [amount_row("Recharged (principal)", amount)]
        if bonus.promotion_code:
            items += [amount_row(f"Bonus {bonus.promotion_code}"[:22], bonus.bonus_fen)]
            if bonus.bonus_points:
                items.append(ReceiptItem("Bonus points", str(bonus.bonus_points)))
        items.append(ReceiptItem(f"Paid by {tender.lower()}", format_fen(amount)))
        recorded = record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
            tenders=[transactions_pb2.AppliedTender(type=tender_type_value(str(tender)), amount_fen=amount)],
            points_earned=bonus.bonus_points, receipt_title=f"RECHARGE  {store.name}", receipt_items=items, locked=locked,
        )
        response = transactions_pb2.RechargeCardResponse(
            transaction=recorded.transaction, principal_fen=amount, bonus_fen=bonus.bonus_fen, points_earned=bonus.bonus_points,
            promotion_code=bonus.promotion_code, receipt=recorded.receipt,
        )
        remember(session, IdempotencyKey, "RechargeCard", request, response)
        return response


# ---- checkout ---------------------------------------------------------------------------------------
def _basket(request: transactions_pb2.CheckoutRequest) -> list[BasketLine]:
    lines = []
    for index, line in enumerate(request.lines):
        validation.require_text(f"lines[{index}].sku", line.sku)
        lines.append(BasketLine(
            sku=line.sku, name=validation.optional_text(f"lines[{index}].name", line.name) or line.sku,
            category=line.category, quantity=line.quantity, unit_price_fen=line.unit_price_fen,
        ))
    return lines


def _tender_intents(request: transactions_pb2.CheckoutRequest) -> list[TenderIntent]:
    intents = []
    for index, tender in enumerate(request.tenders):
        kind = _TENDER_KINDS.get(tender.type)
        if kind is None:
            raise InvalidArgument(f"tenders[{index}].type", "must be stored value, another member card, cash, bank card or mobile pay")
        if tender.amount_fen < 0:
            raise InvalidArgument(f"tenders[{index}].amount_fen", "must not be negative")
        if kind is TenderKind.OTHER_MEMBER_CARD:
            validation.card_number(tender.card_number, f"tenders[{index}].card_number")
        intents.append(TenderIntent(kind=kind, amount_fen=tender.amount_fen, card_number=tender.card_number))
    return intents


def _is_birthday(birthday: date | None, local_day: date) -> bool:
    return birthday is not None and (birthday.month, birthday.day) == (local_day.month, local_day.day)


def _price(ctx: RegionContext, request, card: LockedCard, cards: dict[str, LockedCard], locked: LockedAccounts,  # type: ignore[no-untyped-def]
           lines: list[BasketLine], intents: list[TenderIntent], store, local_time: datetime) -> CheckoutPlan:
    snapshot = ctx.program.snapshot()
    held = locked.balances(card.card_number)
    others = {}
    for number, other in cards.items():
        if number != card.card_number:
            require_usable(other)
            balance = locked.balances(number)
            others[number] = StoredValue(balance.principal_fen, balance.bonus_fen)
    try:
        return price_checkout(CheckoutInput(
            lines=lines,
            context=SaleContext(store_id=store.store_id, level_code=card.level_code, local_time=local_time,
                                is_birthday=_is_birthday(card.birthday, local_time.date())),
            card_number=card.card_number,
            level=pricing_terms.level_terms(ctx.program.level(card.level_code)),
            stored_value=StoredValue(held.principal_fen, held.bonus_fen),
            points_balance=held.points,
            points_to_redeem=request.points_to_redeem,
            points_policy=pricing_terms.points_policy(snapshot),
            tenders=intents,
            other_cards=others,
            split_rule=pricing_terms.split_rule(snapshot),
            earn_rules=pricing_terms.earn_rules(snapshot),
        ))
    except PricingError as error:
        if error.precondition:
            raise FailedPrecondition(str(error)) from error
        raise InvalidArgument(error.field, error.problem) from error


def _sale_receipt(plan: CheckoutPlan) -> list[ReceiptItem]:
    items = [ReceiptItem(f"{line.quantity} x {line.name}"[:22], format_fen(line.gross_fen)) for line in plan.lines]
    items.append(amount_row("Subtotal", plan.subtotal_fen))
    if plan.level_discount_fen:
        items.append(amount_row("Member discount", -plan.level_discount_fen))
    if plan.points_deduction_fen:
        items.append(amount_row(f"{plan.points_redeemed} points", -plan.points_deduction_fen))
    items.append(amount_row("Total", plan.total_due_fen))
    for tender in plan.tenders:
        label = {"STORED_VALUE": "card", "OTHER_MEMBER_CARD": f"Card ...{tender.card_number[-4:]}"}.get(str(tender.kind), str(tender.kind).lower())
        items.append(amount_row(f"Paid {label}"[:22], tender.amount_fen))
    items.append(ReceiptItem("Points earned", str(plan.points_earned)))
    items += [ReceiptItem(note[:32]) for note in plan.notes]
    return items


@retry_on_conflict
def checkout(ctx: RegionContext, request: transactions_pb2.CheckoutRequest) -> transactions_pb2.CheckoutResponse:
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    lines = _basket(request)
    intents = _tender_intents(request)
    if request.coupon_codes:
        raise InvalidArgument("coupon_codes", "coupons are not accepted yet")
    if request.points_to_redeem < 0:
        raise InvalidArgument("points_to_redeem", "must not be negative")
    other_numbers = [intent.card_number for intent in intents if intent.kind is TenderKind.OTHER_MEMBER_CARD]
    for number in other_numbers:
        if ctx.home_region_of(number) != ctx.region_code:
            raise FailedPrecondition(f"card {number} is homed in another region; a second card must share the first's home region")
    pins_given = {card_number: request.pin}
    pins_given.update({t.card_number: t.pin for t in request.tenders if t.type == common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD})
    try:
        return _checkout(ctx, request, store, lines, intents, card_number, other_numbers, pins_given)
    except _WrongPin as wrong:
        # Count the failure in a transaction of its own (the sale's rolled back), then refuse.
        pins.verify_pin_for_payment(ctx, wrong.card_number, pins_given[wrong.card_number])
        raise AssertionError("a wrong PIN must be refused") from None


class _WrongPin(Exception):
    def __init__(self, card_number: str) -> None:
        super().__init__(card_number)
        self.card_number = card_number


def _checkout(ctx: RegionContext, request: transactions_pb2.CheckoutRequest, store, lines: list[BasketLine],  # type: ignore[no-untyped-def]
              intents: list[TenderIntent], card_number: str, other_numbers: list[str], pins_given: dict[str, str]):
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "Checkout", request, transactions_pb2.CheckoutResponse)
        if replay is not None:
            return replay
        cards, locked = lock_payment_cards(session, [card_number, *other_numbers])
        card = cards[card_number]
        require_usable(card)
        _check_pins(ctx, session, cards, pins_given)
        local_time = utc_now().astimezone(ZoneInfo(store.time_zone or ctx.settings.business_time_zone))
        plan = _price(ctx, request, card, cards, locked, lines, intents, store, local_time)
        if plan.total_due_fen > MAX_CHECKOUT_FEN:
            raise InvalidArgument("lines", f"basket total must be at most {MAX_CHECKOUT_FEN} fen")

        own = [t for t in plan.tenders if t.kind is TenderKind.STORED_VALUE]
        accounts = locked.ids(card_number)
        postings = [p for t in own for p in stored_value_postings(
            session, store.franchisee_id, card_number, t.principal_fen, t.bonus_fen, accounts=accounts)]
        postings += points_postings(session, card, to_card=plan.points_earned, from_card=plan.points_redeemed, accounts=accounts)
        if not postings:
            raise FailedPrecondition("nothing to record on the card: the sale is paid entirely by external tenders and earns no points")
        business_day = store_business_day(ctx, store)
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request.request_id, type="SPEND", card_number=card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=business_day,
            amount_fen=plan.total_due_fen, principal_delta_fen=-sum(t.principal_fen for t in own),
            bonus_delta_fen=-sum(t.bonus_fen for t in own), points_delta=plan.points_earned - plan.points_redeemed,
            principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
            details={
                "subtotal_fen": plan.subtotal_fen, "discount_fen": plan.discount_fen, "total_due_fen": plan.total_due_fen,
                "points_earned": plan.points_earned, "points_redeemed": plan.points_redeemed,
                "points_deduction_fen": plan.points_deduction_fen, "tenders": [tender_record(t) for t in plan.tenders],
                "lines": [{"sku": line.sku, "quantity": line.quantity, "net_fen": line.net_fen} for line in plan.lines],
                "operator_id": request.operator_id,
            },
        )
        recorded = record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
            tenders=[applied_message(t) for t in plan.tenders], points_earned=plan.points_earned,
            points_redeemed=plan.points_redeemed, receipt_title=f"SALE  {store.name}", receipt_items=_sale_receipt(plan),
            subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen, points_deduction_fen=plan.points_deduction_fen,
            locked=locked,
        )
        _record_other_card_spends(ctx, session, plan, cards, locked, row, store)
        response = transactions_pb2.CheckoutResponse(
            transaction=recorded.transaction, subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen,
            points_deduction_fen=plan.points_deduction_fen, total_due_fen=plan.total_due_fen,
            tenders=[applied_message(t) for t in plan.tenders], points_earned=plan.points_earned,
            points_redeemed=plan.points_redeemed, balances_after=recorded.balances_after, receipt=recorded.receipt, offline=False,
            lines=[
                transactions_pb2.PricedLine(
                    sku=line.sku, quantity=line.quantity, gross_fen=line.gross_fen, level_discount_fen=line.level_discount_fen,
                    coupon_discount_fen=line.coupon_discount_fen, points_deduction_fen=line.points_deduction_fen,
                    net_fen=line.net_fen, points_earned=line.points_earned,
                )
                for line in plan.lines
            ],
        )
        remember(session, IdempotencyKey, "Checkout", request, response)
        return response


def _check_pins(ctx: RegionContext, session: Session, cards: dict[str, LockedCard], pins_given: dict[str, str]) -> None:
    """Check the PIN of every locked card that has one (in card-number order). Only such a card is
    loaded as an ORM object: the check counts failures on it, and scrypt dwarfs the load anyway."""
    for number, locked in cards.items():
        if locked.pin_hash is None:
            continue
        card = session.get(Card, number)
        assert card is not None  # locked above
        if pins.check_pin(ctx, session, card, pins_given.get(number, ""), purpose="payment") is not None:
            raise _WrongPin(number)


def _record_other_card_spends(ctx: RegionContext, session: Session, plan: CheckoutPlan, cards: dict[str, LockedCard],
                              locked: LockedAccounts, sale: LedgerTransaction, store) -> None:  # type: ignore[no-untyped-def]
    """A second member card (组合支付) gets its own SPEND on its own history, linked to the sale."""
    for tender in plan.tenders:
        if tender.kind is not TenderKind.OTHER_MEMBER_CARD:
            continue
        other = cards[tender.card_number]
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=f"linked:{new_id()}", type="SPEND", card_number=other.card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=sale.business_date,
            amount_fen=tender.amount_fen, principal_delta_fen=-tender.principal_fen, bonus_delta_fen=-tender.bonus_fen,
            points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=sale.created_at,
            details={"paid_for_transaction_id": sale.transaction_id, "total_due_fen": tender.amount_fen,
                     "tenders": [tender_record(tender)]},
        )
        record_transaction(
            ctx, session, row=row, card=other, acquiring_franchisee_id=store.franchisee_id,
            postings=stored_value_postings(session, store.franchisee_id, other.card_number, tender.principal_fen, tender.bonus_fen,
                                           accounts=locked.ids(other.card_number)),
            tenders=[applied_message(tender)], receipt_title=f"SALE  {store.name}",
            receipt_items=[amount_row(f"Paid for card ...{sale.card_number[-4:]}", tender.amount_fen)], locked=locked,
        )


def sales_refunded_so_far(session: Session, original: LedgerTransaction) -> int:
    return sum(session.execute(
        select(LedgerTransaction.amount_fen).where(
            LedgerTransaction.original_transaction_id == original.transaction_id,
            LedgerTransaction.card_number == original.card_number,
            LedgerTransaction.type.in_(("REFUND", "VOID")),
        )
    ).scalars())

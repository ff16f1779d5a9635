"""Recharge (V1) and checkout (X1, V3, V4): one database transaction each, posted exactly once."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.db.base import utc_now
from chaincard.db.idempotency import remember, replay_or_reserve, retry_on_conflict
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.pricing import (
    BasketLine,
    ExternalTender,
    LevelTerms,
    PricingError,
    StoredValue,
    price_checkout,
)
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import common_pb2, transactions_pb2
from region_service import validation
from region_service.context import RegionContext
from region_service.handlers.cards import load_card, require_usable
from region_service.ledger_store import card_accounts, card_balances, system_account_id
from region_service.models import IdempotencyKey, LedgerTransaction
from region_service.posting import record_transaction

MAX_RECHARGE_FEN = 5_000_000  # ¥50,000: above this a recharge needs a manager (V5, later)
MAX_CHECKOUT_FEN = 100_000_000

_EXTERNAL_TENDERS = {
    common_pb2.TENDER_TYPE_CASH: "CASH",
    common_pb2.TENDER_TYPE_BANK_CARD: "BANK_CARD",
    common_pb2.TENDER_TYPE_MOBILE_PAY: "MOBILE_PAY",
}


def _tender_type_value(name: str) -> int:
    return common_pb2.TenderType.Value("TENDER_TYPE_" + name)


def _card_account_ids(session: Session, card_number: str) -> dict[str, str]:
    return {asset: account.account_id for asset, account in card_accounts(session, card_number).items()}


def _store_day(ctx: RegionContext, store_time_zone: str) -> date:
    return business_date(utc_now(), store_time_zone or ctx.settings.business_time_zone, ctx.settings.business_day_cutoff)


@retry_on_conflict
def recharge_card(ctx: RegionContext, request: transactions_pb2.RechargeCardRequest) -> transactions_pb2.RechargeCardResponse:
    card_number = validation.card_number(request.card_number)
    amount = validation.amount_fen("amount_fen", request.amount_fen, maximum=MAX_RECHARGE_FEN)
    tender = validation.enum_choice("tender", request.tender or common_pb2.TENDER_TYPE_CASH, _EXTERNAL_TENDERS)
    store = ctx.program.store(request.store_id)

    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "RechargeCard", request, transactions_pb2.RechargeCardResponse)
        if replay is not None:
            return replay
        card = load_card(session, card_number, for_update=True)
        require_usable(card)
        accounts = _card_account_ids(session, card_number)
        cash = system_account_id(session, store.franchisee_id, SystemAccount.CASH_COLLECTED, Asset.STORED_VALUE_PRINCIPAL)
        postings = transfer(Asset.STORED_VALUE_PRINCIPAL, amount, debit=cash, credit=accounts[Asset.STORED_VALUE_PRINCIPAL])
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request.request_id, type="RECHARGE", card_number=card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id,
            business_date=_store_day(ctx, store.time_zone), amount_fen=amount, principal_delta_fen=amount,
            bonus_delta_fen=0, points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0,
            details={"tenders": [{"type": tender, "amount_fen": amount}]}, created_at=utc_now(),
        )
        applied = [transactions_pb2.AppliedTender(type=_tender_type_value(tender), amount_fen=amount)]
        recorded = record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
            tenders=applied, receipt_title=f"RECHARGE  {store.name}",
            receipt_items=[amount_row("Recharged (principal)", amount), ReceiptItem(f"Paid by {tender.lower()}", format_fen(amount))],
        )
        response = transactions_pb2.RechargeCardResponse(
            transaction=recorded.transaction, principal_fen=amount, bonus_fen=0, points_earned=0, receipt=recorded.receipt
        )
        remember(session, IdempotencyKey, "RechargeCard", request, response)
        return response


def _basket(request: transactions_pb2.CheckoutRequest) -> list[BasketLine]:
    lines = []
    for index, line in enumerate(request.lines):
        validation.require_text(f"lines[{index}].sku", line.sku)
        lines.append(
            BasketLine(
                sku=line.sku, name=validation.optional_text(f"lines[{index}].name", line.name) or line.sku,
                category=line.category, quantity=line.quantity, unit_price_fen=line.unit_price_fen,
            )
        )
    return lines


def _external_tenders(request: transactions_pb2.CheckoutRequest) -> list[ExternalTender]:
    tenders = []
    for index, tender in enumerate(request.tenders):
        if tender.type == common_pb2.TENDER_TYPE_STORED_VALUE:
            continue  # stored value always covers whatever the external tenders leave
        if tender.type not in _EXTERNAL_TENDERS:
            raise InvalidArgument(f"tenders[{index}].type", "this tender type is not accepted yet")
        tenders.append(ExternalTender(kind=_EXTERNAL_TENDERS[tender.type], amount_fen=tender.amount_fen))
    return tenders


@retry_on_conflict
def checkout(ctx: RegionContext, request: transactions_pb2.CheckoutRequest) -> transactions_pb2.CheckoutResponse:
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    lines = _basket(request)
    external = _external_tenders(request)
    if request.coupon_codes:
        raise InvalidArgument("coupon_codes", "coupons are not accepted yet")

    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "Checkout", request, transactions_pb2.CheckoutResponse)
        if replay is not None:
            return replay
        card = load_card(session, card_number, for_update=True)
        require_usable(card)
        held = card_balances(session, card_number)
        level = ctx.program.level(card.level_code)
        terms = LevelTerms(
            discount_bp=level.discount_bp if level else 0,
            points_multiplier_bp=level.points_multiplier_bp if level and level.points_multiplier_bp else 10_000,
        )
        try:
            plan = price_checkout(
                lines, level=terms, stored_value=StoredValue(held.principal_fen, held.bonus_fen),
                external_tenders=external, points_to_redeem=request.points_to_redeem,
            )
        except PricingError as error:
            if error.precondition:
                raise FailedPrecondition(str(error)) from error
            raise InvalidArgument(error.field, error.problem) from error
        if plan.total_due_fen > MAX_CHECKOUT_FEN:
            raise InvalidArgument("lines", f"basket total must be at most {MAX_CHECKOUT_FEN} fen")

        accounts = _card_account_ids(session, card_number)
        franchisee = store.franchisee_id
        redeemed = {
            asset: system_account_id(session, franchisee, SystemAccount.STORED_VALUE_REDEEMED, asset)
            for asset in (Asset.STORED_VALUE_PRINCIPAL, Asset.STORED_VALUE_BONUS)
        }
        postings = [
            *transfer(Asset.STORED_VALUE_PRINCIPAL, plan.principal_fen, debit=accounts[Asset.STORED_VALUE_PRINCIPAL], credit=redeemed[Asset.STORED_VALUE_PRINCIPAL]),
            *transfer(Asset.STORED_VALUE_BONUS, plan.bonus_fen, debit=accounts[Asset.STORED_VALUE_BONUS], credit=redeemed[Asset.STORED_VALUE_BONUS]),
        ]
        if plan.points_earned:
            points_liability = system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
            postings += transfer(Asset.POINTS, plan.points_earned, debit=points_liability, credit=accounts[Asset.POINTS])
        if not postings:
            raise FailedPrecondition("nothing to post: the sale is paid entirely by external tenders and earns no points")

        applied = [
            transactions_pb2.AppliedTender(type=_tender_type_value(tender.kind), amount_fen=tender.amount_fen)
            for tender in plan.external_tenders
        ]
        if plan.stored_value_fen:
            applied.append(
                transactions_pb2.AppliedTender(
                    type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=plan.stored_value_fen,
                    principal_fen=plan.principal_fen, bonus_fen=plan.bonus_fen, card_number=card_number,
                )
            )
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request.request_id, type="SPEND", card_number=card_number,
            store_id=store.store_id, acquiring_franchisee_id=franchisee, business_date=_store_day(ctx, store.time_zone),
            amount_fen=plan.total_due_fen, principal_delta_fen=-plan.principal_fen, bonus_delta_fen=-plan.bonus_fen,
            points_delta=plan.points_earned, principal_after_fen=0, bonus_after_fen=0, points_after=0,
            details={
                "subtotal_fen": plan.subtotal_fen, "discount_fen": plan.discount_fen,
                "tenders": [{"type": t.kind, "amount_fen": t.amount_fen} for t in plan.external_tenders]
                + [{"type": "STORED_VALUE", "amount_fen": plan.stored_value_fen}],
            },
            created_at=utc_now(),
        )
        items = [ReceiptItem(f"{line.quantity} x {line.name}"[:24], format_fen(line.quantity * line.unit_price_fen)) for line in lines]
        items += [amount_row("Subtotal", plan.subtotal_fen)]
        if plan.discount_fen:
            items.append(amount_row("Level discount", -plan.discount_fen))
        items += [amount_row("Total", plan.total_due_fen)]
        items += [ReceiptItem(f"Paid {tender.kind.lower()}", format_fen(tender.amount_fen)) for tender in plan.external_tenders]
        if plan.stored_value_fen:
            items.append(amount_row("Paid stored value", plan.stored_value_fen))
        items.append(ReceiptItem("Points earned", str(plan.points_earned)))
        recorded = record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=franchisee,
            tenders=applied, points_earned=plan.points_earned, receipt_title=f"SALE  {store.name}", receipt_items=items,
        )
        response = transactions_pb2.CheckoutResponse(
            transaction=recorded.transaction, subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen,
            points_deduction_fen=plan.points_deduction_fen, total_due_fen=plan.total_due_fen, tenders=applied,
            points_earned=plan.points_earned, points_redeemed=0, balances_after=recorded.balances_after, receipt=recorded.receipt,
            offline=False,
        )
        remember(session, IdempotencyKey, "Checkout", request, response)
        return response

"""Paid levels (L2, docs/adr/0027 "Paid levels"): ``BuyLevel`` sells a level HQ priced
(Level.price_fen > 0) to a card at a till, in the card's home region, exactly once per request id
(the command pipeline). Paid as a count-use purchase is (region_service.handlers.till_payment); the
card moves to the level at once (region_service.levels.set_level: its events and audit entry) and
the nightly review keeps it until ``paid_until`` (Level.paid_validity_days)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from chaincard.checkout.response import tender_type_value
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument, NotFound
from chaincard.ids import new_id
from chaincard.levels import can_buy, paid_until
from chaincard.money import format_fen
from chaincard.pricing import TenderKind
from chaincard.receipts import ReceiptItem
from chaincard.v1 import cards_pb2, common_pb2, transactions_pb2
from region_service import validation
from region_service.handlers import till_payment
from region_service.handlers.cards import require_usable
from region_service.levels import set_level
from region_service.models import Card, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import lock_payment_cards
from region_service.translate import timestamp
from region_service.unit_of_work import RegionUnitOfWork

TRANSACTION_TYPE = "LEVEL_PURCHASE"


def buy_level(uow: RegionUnitOfWork, request: cards_pb2.BuyLevelRequest) -> cards_pb2.BuyLevelResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    tender = validation.enum_choice("tender", request.tender or common_pb2.TENDER_TYPE_CASH, till_payment.TENDERS)
    if not request.level_code:
        raise InvalidArgument("level_code", "is required")
    store = ctx.program.store(request.store_id)
    snapshot = ctx.program.snapshot()
    level = ctx.program.level(request.level_code)
    if level is None:
        raise NotFound(f"level {request.level_code} not found")
    ranks = {item.code: item.rank for item in snapshot.levels}

    cards, locked = lock_payment_cards(session, [card_number])
    card = cards[card_number]
    require_usable(card)
    refusal = can_buy(level, ranks, card.level_code)
    if refusal is not None:
        raise FailedPrecondition(f"card {card_number}: {refusal}")
    price = level.price_fen
    paid = till_payment.pay(uow, card_number=card_number, locked=locked, franchisee_id=store.franchisee_id,
                            store_id=store.store_id, price_fen=price, tender=tender, pin=request.pin,
                            operator_id=request.operator_id, request_id=request.request_id,
                            what=f"level {level.code}", purpose="level purchase")
    now = utc_now()
    business_date = ctx.store_business_day(store.time_zone)
    until = paid_until(level, business_date)
    transaction_id = new_id()
    holder = session.get(Card, card_number)
    assert holder is not None  # locked above
    previous = holder.level_code
    set_level(ctx, session, holder, level.code, cause="purchase", now=now, operator_id=request.operator_id,
              store_id=store.store_id, transaction_id=transaction_id, request_id=request.request_id,
              paid_until=until, action="card.buy_level")
    stored = tender is TenderKind.STORED_VALUE
    row = LedgerTransaction(
        transaction_id=transaction_id, request_id=request.request_id, type=TRANSACTION_TYPE, card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=business_date,
        amount_fen=price, principal_delta_fen=-paid.principal_fen, bonus_delta_fen=-paid.bonus_fen, points_delta=0,
        principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=now,
        details={"tenders": [{"type": str(tender), "amount_fen": price, "principal_fen": paid.principal_fen,
                              "bonus_fen": paid.bonus_fen, "card_number": card_number if stored else ""}],
                 "level_code": level.code, "previous_level_code": previous,
                 "paid_until": until.isoformat() if until else "", "operator_id": request.operator_id},
    )
    applied = transactions_pb2.AppliedTender(type=tender_type_value(tender), amount_fen=price, principal_fen=paid.principal_fen,
                                             bonus_fen=paid.bonus_fen, card_number=card_number if stored else "")
    items = [ReceiptItem("Level bought", (level.name or level.code)[:20]), ReceiptItem("Price", format_fen(price)),
             ReceiptItem("Paid by", str(tender).replace("_", " ").lower()),
             ReceiptItem("Level kept to", until.isoformat() if until else "review rules")]
    recorded = record_transaction(
        ctx, session, row=row, postings=paid.postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        tenders=[applied], receipt_title=f"LEVEL  {store.name}", receipt_items=items, locked=locked,
        memo=not paid.postings,  # a level bought for cash moves nothing on the ledger
        operator_id=request.operator_id, request_id=request.request_id)
    until_at = datetime.combine(until, time(), ZoneInfo(store.time_zone or ctx.settings.business_time_zone)) if until else None
    return cards_pb2.BuyLevelResponse(
        transaction=recorded.transaction, amount_fen=price, previous_level_code=previous, level_code=level.code,
        paid_until=timestamp(until_at), balances_after=recorded.balances_after, receipt=recorded.receipt)

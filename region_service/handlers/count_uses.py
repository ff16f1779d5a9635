"""Count cards (K1, K3, docs/adr/0029): ``PurchaseCountUses`` sells packs of an HQ count item's uses
onto a card, in the card's home region, exactly once per request id (the command pipeline).

The uses are credited to the card's "COUNT_USES:<item>" account from the selling franchisee's
COUNT_USE_LIABILITY, with a pack row that carries their expiry (region_service.count_uses). The
price is paid by an external tender (outside the ledger, as a cash checkout is) or by the card's
own stored value, split into principal and bonus by the chain's rule and posted to the seller's
STORED_VALUE_REDEEMED, as a checkout paid by stored value is.
"""

from __future__ import annotations

from datetime import timedelta

from chaincard.checkout.response import tender_type_value
from chaincard.checkout.terms import split_rule
from chaincard.commands import CommitThenRefuse
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import SystemAccount, count_uses_asset, transfer
from chaincard.ledger.receivables import spendable_stored_value
from chaincard.money import format_fen
from chaincard.pricing import StoredValue, TenderKind, split_stored_value
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import count_uses, pins, validation
from region_service.handlers.cards import require_usable
from region_service.handlers.payments import stored_value_postings
from region_service.ledger_store import system_account_id
from region_service.models import Card, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import lock_payment_cards
from region_service.translate import timestamp
from region_service.unit_of_work import RegionUnitOfWork

MAX_PACKS = 100
TRANSACTION_TYPE = count_uses.PURCHASE
_TENDERS = {
    common_pb2.TENDER_TYPE_CASH: TenderKind.CASH,
    common_pb2.TENDER_TYPE_BANK_CARD: TenderKind.BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY: TenderKind.MOBILE_PAY,
    common_pb2.TENDER_TYPE_STORED_VALUE: TenderKind.STORED_VALUE,
}


def count_item(snapshot: pc.ConfigSnapshot, item_code: str, *, field: str = "item_code") -> pc.CountItem:
    """The HQ count item ``item_code`` (INVALID_ARGUMENT naming ``field`` when there is none)."""
    if not item_code:
        raise InvalidArgument(field, "is required")
    for item in snapshot.count_items:
        if item.code == item_code:
            return item
    raise InvalidArgument(field, f"no count item {item_code!r}")


def require_holdable(card_type: pc.CardType, item: pc.CountItem) -> None:
    """The card's type carries count uses, and this item among them."""
    if not card_type.count_uses:
        raise FailedPrecondition(f"card type {card_type.code} carries no count uses")
    if card_type.count_item_codes and item.code not in card_type.count_item_codes:
        raise FailedPrecondition(f"card type {card_type.code} does not carry count item {item.code}")


def purchase_count_uses(uow: RegionUnitOfWork,
                        request: transactions_pb2.PurchaseCountUsesRequest) -> transactions_pb2.PurchaseCountUsesResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    snapshot = ctx.program.snapshot()
    item = count_item(snapshot, request.item_code)
    if not 1 <= request.packs <= MAX_PACKS:
        raise InvalidArgument("packs", f"must be between 1 and {MAX_PACKS}")
    tender = validation.enum_choice("tender", request.tender or common_pb2.TENDER_TYPE_CASH, _TENDERS)
    store = ctx.program.store(request.store_id)
    if not item.active:
        raise FailedPrecondition(f"count item {item.code} is no longer sold")
    if item.uses_per_pack <= 0 or item.pack_price_fen < 0:
        raise FailedPrecondition(f"count item {item.code} has no pack configured")
    count_uses.require_at_store(item, store)
    price = item.pack_price_fen * request.packs
    uses = item.uses_per_pack * request.packs

    cards, locked = lock_payment_cards(session, [card_number])
    card = cards[card_number]
    require_usable(card)
    require_holdable(ctx.program.card_type(card.card_type_code), item)
    postings = []
    principal = bonus = 0
    if tender is TenderKind.STORED_VALUE and price:
        if card.pin_hash is not None:
            holder = session.get(Card, card_number)
            assert holder is not None  # locked above
            refusal = pins.check_pin(ctx, session, holder, request.pin, purpose="count-use purchase", store_id=store.store_id,
                                     operator_id=request.operator_id, request_id=request.request_id)
            if refusal is not None:
                raise CommitThenRefuse(refusal)
        held = locked.balances(card_number)
        spendable = StoredValue(*spendable_stored_value(held.principal_fen, held.bonus_fen, held.owed_fen))
        if price > spendable.total_fen:
            raise FailedPrecondition(f"card {card_number} has {format_fen(spendable.total_fen)} of stored value to spend; "
                                     f"{request.packs} × {item.code} costs {format_fen(price)}")
        principal, bonus = split_stored_value(price, spendable, split_rule(snapshot))
        postings += stored_value_postings(session, store.franchisee_id, card_number, principal, bonus,
                                          accounts=locked.ids(card_number))
    asset = count_uses_asset(item.code)
    uses_account = count_uses.account_id(session, locked, card_number, item.code)
    liability = system_account_id(session, store.franchisee_id, SystemAccount.COUNT_USE_LIABILITY, asset)
    postings += transfer(asset, uses, debit=liability, credit=uses_account)

    now = utc_now()
    expires_at = now + timedelta(days=item.validity_days) if item.validity_days > 0 else None
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request.request_id, type=TRANSACTION_TYPE, card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=ctx.store_business_day(store.time_zone),
        amount_fen=price, principal_delta_fen=-principal, bonus_delta_fen=-bonus, points_delta=0, principal_after_fen=0,
        bonus_after_fen=0, points_after=0, created_at=now,
        details={"tenders": [{"type": str(tender), "amount_fen": price, "principal_fen": principal, "bonus_fen": bonus,
                              "card_number": card_number if tender is TenderKind.STORED_VALUE else ""}],
                 "item_code": item.code, "packs": request.packs, count_uses.DETAILS_USES: {item.code: uses},
                 "expires_at": expires_at.isoformat() if expires_at else "", "operator_id": request.operator_id},
    )
    count_uses.add_pack(session, card_number=card_number, item_code=item.code, franchisee_id=store.franchisee_id,
                        transaction_id=row.transaction_id, uses=uses, bought_at=now, expires_at=expires_at, price_fen=price)
    applied = transactions_pb2.AppliedTender(type=tender_type_value(tender), amount_fen=price, principal_fen=principal,
                                             bonus_fen=bonus, card_number=card_number if tender is TenderKind.STORED_VALUE else "")
    uses_after = locked.of_card(card_number)[asset].balance + uses
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id, tenders=[applied],
        receipt_title=f"COUNT USES  {store.name}",
        receipt_items=_receipt_items(item, request.packs, uses, uses_after, price, tender, expires_at.date().isoformat()
                                     if expires_at else ""),
        locked=locked,
    )
    balances = count_uses.balances(session, locked, card_number)
    recorded.balances_after.count_uses.extend(balances)
    balance = next(b for b in balances if b.item_code == item.code)
    return transactions_pb2.PurchaseCountUsesResponse(
        transaction=recorded.transaction, amount_fen=price, uses_added=uses, count_use_balance=balance,
        balances_after=recorded.balances_after, receipt=recorded.receipt, expires_at=timestamp(expires_at),
    )


def _receipt_items(item: pc.CountItem, packs: int, uses: int, uses_after: int, price: int, tender: TenderKind,
                   expires_on: str) -> list[ReceiptItem]:
    return [
        ReceiptItem("Item", (item.name or item.code)[:20]), ReceiptItem("Packs", str(packs)), ReceiptItem("Uses added", str(uses)),
        ReceiptItem("Price", format_fen(price)), ReceiptItem("Paid by", str(tender).replace("_", " ").lower()),
        ReceiptItem("Uses expire", expires_on or "never"), ReceiptItem(f"Uses left {item.code}"[:20], str(uses_after)),
    ]

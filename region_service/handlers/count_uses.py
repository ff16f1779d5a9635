"""Count cards (K1, K3, docs/adr/0029): ``PurchaseCountUses`` sells packs of an HQ count item's uses
onto a card, in the card's home region, exactly once per request id (the command pipeline); or a
package's items, each with its share of the price (K2), or periods of a time item's pass (K4,
region_service.time_passes; docs/adr/0030).

The uses are credited to the card's "COUNT_USES:<item>" account from the selling franchisee's
COUNT_USE_LIABILITY, with a pack row that carries their expiry (region_service.count_uses). The
price is paid by an external tender (outside the ledger, as a cash checkout is) or by the card's
own stored value, split into principal and bonus by the chain's rule and posted to the seller's
STORED_VALUE_REDEEMED, as a checkout paid by stored value is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chaincard import count_products
from chaincard.checkout.response import tender_type_value
from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.ledger import SystemAccount, count_uses_asset, transfer
from chaincard.money import format_fen
from chaincard.pricing import TenderKind
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, transactions_pb2
from region_service import count_packages, count_uses, recharge_rules, time_passes, validation
from region_service.handlers import till_payment
from region_service.handlers.cards import require_usable
from region_service.ledger_store import system_account_id
from region_service.models import LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import lock_payment_cards
from region_service.translate import timestamp
from region_service.unit_of_work import RegionUnitOfWork

TRANSACTION_TYPE = count_uses.PURCHASE


def purchase_count_uses(uow: RegionUnitOfWork,
                        request: transactions_pb2.PurchaseCountUsesRequest) -> transactions_pb2.PurchaseCountUsesResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    snapshot = ctx.program.snapshot()
    tender = validation.enum_choice("tender", request.tender or common_pb2.TENDER_TYPE_CASH, till_payment.TENDERS)
    store = ctx.program.store(request.store_id)
    # One item's packs, or a package's items with their price shares (K2, docs/adr/0030).
    lines = count_packages.purchase_lines(snapshot, item_code=request.item_code, package_code=request.package_code,
                                          packs=request.packs, store=store)
    price = sum(line.price_fen for line in lines)
    what = f"{request.packs} × {request.package_code or request.item_code}"

    cards, locked = lock_payment_cards(session, [card_number])
    card = cards[card_number]
    require_usable(card)
    card_type = ctx.program.card_type(card.card_type_code)
    for line in lines:
        count_products.require_holdable(card_type, line.item, card.card_type_code)
    if tender is not TenderKind.STORED_VALUE:  # new prepaid value from outside the card (V9, docs/adr/0038)
        recharge_rules.check_purchase(ctx, session, card_type_code=card.card_type_code, member_id=card.member_id,
                                      amount_fen=price, cash=tender is TenderKind.CASH, what=f"purchase of {what}")
    paid = till_payment.pay(uow, card_number=card_number, locked=locked, franchisee_id=store.franchisee_id,
                            store_id=store.store_id, price_fen=price, tender=tender, pin=request.pin,
                            operator_id=request.operator_id, request_id=request.request_id, what=what,
                            purpose="count-use purchase")
    postings, principal, bonus = paid.postings, paid.principal_fen, paid.bonus_fen
    now = utc_now()
    transaction_id = new_id()
    uses_added: dict[str, int] = {}
    ends: dict[str, datetime | None] = {}
    for line in lines:
        if count_products.is_time_item(line.item):
            ends[line.item.code] = time_passes.add_period(
                session, line, card_number=card_number, franchisee_id=store.franchisee_id, transaction_id=transaction_id,
                package_code=request.package_code, now=now)
            continue
        asset = count_uses_asset(line.item.code)
        uses_account = count_uses.account_id(session, locked, card_number, line.item.code)
        liability = system_account_id(session, store.franchisee_id, SystemAccount.COUNT_USE_LIABILITY, asset)
        postings += transfer(asset, line.quantity, debit=liability, credit=uses_account)
        ends[line.item.code] = now + timedelta(days=line.validity_days) if line.validity_days > 0 else None
        uses_added[line.item.code] = line.quantity
        count_uses.add_pack(session, card_number=card_number, item_code=line.item.code, franchisee_id=store.franchisee_id,
                            transaction_id=transaction_id, uses=line.quantity, bought_at=now, expires_at=ends[line.item.code],
                            price_fen=line.price_fen, package_code=request.package_code)
    first = lines[0].item.code
    expires_at = ends[first]
    days_added = {line.item.code: line.days for line in lines if count_products.is_time_item(line.item)}
    row = LedgerTransaction(
        transaction_id=transaction_id, request_id=request.request_id, type=TRANSACTION_TYPE, card_number=card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=ctx.store_business_day(store.time_zone),
        amount_fen=price, principal_delta_fen=-principal, bonus_delta_fen=-bonus, points_delta=0, principal_after_fen=0,
        bonus_after_fen=0, points_after=0, created_at=now,
        details={"tenders": [{"type": str(tender), "amount_fen": price, "principal_fen": principal, "bonus_fen": bonus,
                              "card_number": card_number if tender is TenderKind.STORED_VALUE else ""}],
                 "item_code": request.item_code, "packs": request.packs, count_uses.DETAILS_USES: uses_added,
                 "expires_at": expires_at.isoformat() if expires_at else "", "operator_id": request.operator_id,
                 **({"package_code": request.package_code,
                     "price_shares": {line.item.code: line.price_fen for line in lines}} if request.package_code else {}),
                 **({"time_pass_days": days_added} if days_added else {})},
    )
    applied = transactions_pb2.AppliedTender(type=tender_type_value(tender), amount_fen=price, principal_fen=principal,
                                             bonus_fen=bonus, card_number=card_number if tender is TenderKind.STORED_VALUE else "")
    held_uses = {item: locked.of_card(card_number)[count_uses_asset(item)].balance + uses for item, uses in uses_added.items()}
    recorded = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id, tenders=[applied],
        receipt_title=f"COUNT USES  {store.name}",
        receipt_items=_receipt_items(request, lines, held_uses, ends, price, tender),
        locked=locked, memo=bool(days_added),  # a time pass bought for cash moves nothing on the ledger
    )
    balances = [*count_uses.balances(session, locked, card_number),
                *time_passes.balances(session, snapshot, card.card_type_code, card_number, business_date=row.business_date, now=now)]
    recorded.balances_after.count_uses.extend(balances)
    bought = [b for b in balances if b.item_code in ends]
    return transactions_pb2.PurchaseCountUsesResponse(
        transaction=recorded.transaction, amount_fen=price, uses_added=sum(uses_added.values()),
        count_use_balance=next((b for b in bought if b.item_code == first), None), balances_after=recorded.balances_after,
        receipt=recorded.receipt, expires_at=timestamp(expires_at), count_use_balances=bought, package_code=request.package_code,
    )


def _receipt_items(request: transactions_pb2.PurchaseCountUsesRequest, lines: list[count_products.PurchaseLine],
                   held_uses: dict[str, int], ends: dict[str, datetime | None], price: int, tender: TenderKind) -> list[ReceiptItem]:
    """The sale: the item or package, then per item what it added and what the card holds now."""
    head = [ReceiptItem("Package", request.package_code[:20])] if request.package_code else \
        [ReceiptItem("Item", (lines[0].item.name or lines[0].item.code)[:20])]
    items = [*head, ReceiptItem("Packs", str(request.packs)), ReceiptItem("Price", format_fen(price)),
             ReceiptItem("Paid by", str(tender).replace("_", " ").lower())]
    for line in lines:
        code, end = line.item.code, ends.get(line.item.code)
        if count_products.is_time_item(line.item):
            items += [ReceiptItem(f"Pass {code} +{line.days}d"[:20], f"to {end.date().isoformat()}" if end else "")]
            continue
        if request.package_code:
            items.append(ReceiptItem(f"{code} share"[:20], format_fen(line.price_fen)))
        items += [ReceiptItem(f"Uses added {code}"[:20], str(line.quantity)),
                  ReceiptItem(f"Uses expire {code}"[:20], end.date().isoformat() if end else "never"),
                  ReceiptItem(f"Uses left {code}"[:20], str(held_uses.get(code, 0)))]
    return items

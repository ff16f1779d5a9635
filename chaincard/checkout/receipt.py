"""The receipt of a card transaction, laid out once (X2): the sale lines, the card footer and the
offline marks, for the region's online checkout and recharge, its intake of offline advices and the
store agent's offline stand-in alike. Rows are chaincard.receipts' items, printable at either width.

A sale receipt reads, top to bottom: the title (``SALE  <store>``), the sale lines (items,
subtotal, member discount, each coupon used, points used as cash, total, each tender, points earned, the pricing
notes), the offline marks of an advice, then the card footer (what the card holds after it, the
card's tail and business day, the transaction id). The offline stand-in's footer says its figures
are estimates and that the sale reaches the card when the link returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from chaincard.money import format_fen
from chaincard.pricing import CheckoutPlan, TenderKind
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import common_pb2, transactions_pb2

# Centred under the title of a receipt the store agent approved alone.
OFFLINE_MARK = "** OFFLINE 离线 **"


def home_region_mark(region_code: str) -> str:
    """Centred under OFFLINE_MARK when the store was online but the card's home region did not answer
    (the store's status says the same)."""
    return f"home region {region_code} not answering"

# Item labels are cut so that a value still fits beside them at 58 mm; a note takes a whole line.
LABEL_COLUMNS = 22
NOTE_COLUMNS = 32


def sale_title(store_name: str) -> str:
    return f"SALE  {store_name}"


def offline_sale_title(store_name: str) -> str:
    """The region's receipt of an offline advice (the store printed its own, marked OFFLINE)."""
    return f"SALE (OFFLINE)  {store_name}"


def recharge_title(store_name: str) -> str:
    return f"RECHARGE  {store_name}"


@dataclass(frozen=True)
class SoldLine:
    quantity: int
    name: str
    gross_fen: int


@dataclass(frozen=True)
class UsedCoupon:
    """A coupon on the receipt: its template's name (else the template code), its code, what it took off."""

    name: str
    coupon_code: str
    discount_fen: int


@dataclass(frozen=True)
class PaidTender:
    kind: TenderKind
    amount_fen: int
    card_number: str = ""


@dataclass(frozen=True)
class SaleFigures:
    """What a sale receipt shows, from a priced plan (:func:`sale_figures`) or from the answer the
    store agent gave offline (:func:`advised_sale_figures`)."""

    lines: tuple[SoldLine, ...]
    subtotal_fen: int
    member_discount_fen: int
    total_due_fen: int
    tenders: tuple[PaidTender, ...]
    points_earned: int
    points_redeemed: int = 0
    points_deduction_fen: int = 0
    notes: tuple[str, ...] = ()
    coupons: tuple[UsedCoupon, ...] = ()


def sale_figures(plan: CheckoutPlan, coupon_names: Mapping[str, str] | None = None) -> SaleFigures:
    """``coupon_names``: template code → name (e.g. from chaincard.coupons.templates.coupon_templates),
    to print a coupon by its name rather than its template's code."""
    names = coupon_names or {}
    return SaleFigures(
        lines=tuple(SoldLine(line.quantity, line.name, line.gross_fen) for line in plan.lines),
        subtotal_fen=plan.subtotal_fen, member_discount_fen=plan.level_discount_fen, total_due_fen=plan.total_due_fen,
        tenders=tuple(PaidTender(tender.kind, tender.amount_fen, tender.card_number) for tender in plan.tenders),
        points_earned=plan.points_earned, points_redeemed=plan.points_redeemed,
        points_deduction_fen=plan.points_deduction_fen, notes=plan.notes,
        coupons=tuple(UsedCoupon(names.get(c.template_code, c.template_code), c.coupon_code, c.discount_fen)
                      for c in plan.applied_coupons),
    )


def tender_kind(tender_type: int) -> TenderKind:
    """A proto TenderType as the pricing engine's kind."""
    return TenderKind(common_pb2.TenderType.Name(tender_type).removeprefix("TENDER_TYPE_"))


def advised_sale_figures(request: transactions_pb2.CheckoutRequest, result: transactions_pb2.CheckoutResponse) -> SaleFigures:
    """An offline sale as its advice tells it: the store's answer, with the names from the request."""
    names = {line.sku: line.name or line.sku for line in request.lines}
    coupon_fen = sum(coupon.discount_fen for coupon in result.coupons)
    return SaleFigures(
        lines=tuple(SoldLine(line.quantity, names.get(line.sku, line.sku), line.gross_fen) for line in result.lines),
        subtotal_fen=result.subtotal_fen, member_discount_fen=result.discount_fen - coupon_fen,
        total_due_fen=result.total_due_fen,
        tenders=tuple(PaidTender(tender_kind(tender.type), tender.amount_fen, tender.card_number) for tender in result.tenders),
        points_earned=result.points_earned, points_redeemed=result.points_redeemed,
        points_deduction_fen=result.points_deduction_fen,
        coupons=tuple(UsedCoupon(c.template_code, c.coupon_code, c.discount_fen) for c in result.coupons),
    )


def tender_name(kind: TenderKind | str) -> str:
    """``BANK_CARD`` → ``bank card``."""
    return str(kind).lower().replace("_", " ")


def _paid_label(tender: PaidTender) -> str:
    if tender.kind is TenderKind.STORED_VALUE:
        return "Paid card"
    if tender.kind is TenderKind.OTHER_MEMBER_CARD:
        return f"Paid Card ...{tender.card_number[-4:]}"
    return f"Paid {tender_name(tender.kind)}"


def sale_lines(sale: SaleFigures) -> list[ReceiptItem]:
    """Items, subtotal, member discount, coupons, points used as cash, total, tenders, points earned, notes."""
    items = [ReceiptItem(f"{line.quantity} x {line.name}"[:LABEL_COLUMNS], format_fen(line.gross_fen)) for line in sale.lines]
    items.append(amount_row("Subtotal", sale.subtotal_fen))
    if sale.member_discount_fen:
        items.append(amount_row("Member discount", -sale.member_discount_fen))
    items += coupon_lines(sale.coupons)
    if sale.points_deduction_fen:
        items.append(amount_row(f"{sale.points_redeemed} points", -sale.points_deduction_fen))
    items.append(amount_row("Total", sale.total_due_fen))
    items += [amount_row(_paid_label(tender)[:LABEL_COLUMNS], tender.amount_fen) for tender in sale.tenders]
    items.append(ReceiptItem("Points earned", str(sale.points_earned)))
    items += [ReceiptItem(note[:NOTE_COLUMNS]) for note in sale.notes]
    return items


def coupon_lines(coupons: Sequence[UsedCoupon]) -> list[ReceiptItem]:
    """Each coupon as "Coupon <name>" and −¥x.xx, then its code on a line of its own (a code does not
    fit beside an amount at 58 mm)."""
    items: list[ReceiptItem] = []
    for coupon in coupons:
        items.append(amount_row(f"Coupon {coupon.name}"[:LABEL_COLUMNS], -coupon.discount_fen))
        items.append(ReceiptItem(f"  {coupon.coupon_code}"))
    return items


def paid_for_card_lines(paid_for_card_number: str, amount_fen: int) -> list[ReceiptItem]:
    """The receipt of a second member card (组合支付): what it paid for the sale's card."""
    return [amount_row(f"Paid for card ...{paid_for_card_number[-4:]}", amount_fen)]


def recharge_lines(amount_fen: int, tender: TenderKind | str, *, promotion_code: str = "", bonus_fen: int = 0,
                   bonus_points: int = 0, owed_paid_fen: int = 0) -> list[ReceiptItem]:
    """The principal recharged, the promotion's bonus and points, and how it was paid;
    ``owed_paid_fen``: the part that paid what the card owed first (issue 21)."""
    items = [amount_row("Recharged (principal)", amount_fen)]
    if owed_paid_fen:
        items.append(amount_row("Paid what card owed", owed_paid_fen))
    if promotion_code:
        items.append(amount_row(f"Bonus {promotion_code}"[:LABEL_COLUMNS], bonus_fen))
        if bonus_points:
            items.append(ReceiptItem("Bonus points", str(bonus_points)))
    items.append(ReceiptItem(f"Paid by {tender_name(tender)}", format_fen(amount_fen)))
    return items


def advice_marks(store_id: str, sequence: int, shortfall_fen: int) -> list[ReceiptItem]:
    """Where an offline sale was approved, and what the card could not cover (the holder owes it)."""
    items = [ReceiptItem(f"OFFLINE at {store_id} #{sequence}"[:NOTE_COLUMNS])]
    if shortfall_fen:
        items.append(amount_row("Overdrawn (owed)", shortfall_fen))
    return items


def card_footer(
    *,
    principal_fen: int,
    bonus_fen: int,
    points: int,
    card_number: str,
    business_date: date,
    transaction_id: str,
    estimated: bool = False,
    owed_fen: int = 0,
    points_owed: int = 0,
) -> list[ReceiptItem]:
    """What the card holds after the transaction, the card's tail and business day, the transaction
    id. ``estimated``: the offline stand-in's figures (last known balances less what it approved),
    with the note that the sale reaches the card when the link returns. ``owed_fen`` and
    ``points_owed``: what the card still owes (issue 21), printed only when it owes something."""
    mark = " (est.)" if estimated else ""
    items = [
        ReceiptItem("-"),
        amount_row(f"Principal left{mark}", principal_fen),
        amount_row(f"Bonus left{mark}", bonus_fen),
        ReceiptItem(f"Points{mark}", str(points)),
    ]
    if owed_fen:
        items.append(amount_row("Card owes", owed_fen))
    if points_owed:
        items.append(ReceiptItem("Points owed", str(points_owed)))
    items += [
        ReceiptItem(f"Card ...{card_number[-4:]}", business_date.isoformat()),
        ReceiptItem("Txn", transaction_id[-12:]),
    ]
    if estimated:
        items += [ReceiptItem("Approved offline; posted to"), ReceiptItem("your card when the link returns")]
    return items


def receipt_lines(lines: Sequence[str]) -> list[common_pb2.ReceiptLine]:
    return [common_pb2.ReceiptLine(text=line) for line in lines]

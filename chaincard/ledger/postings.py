"""Postings and the one invariant of the ledger: per asset, debits equal credits.

Balances are credit-normal: an account's balance is what the chain owes its holder, so a card's
stored value rises with a credit; system accounts (cash collected, promotion expense, ...) are
their mirror and usually run negative.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Asset(StrEnum):
    STORED_VALUE_PRINCIPAL = "STORED_VALUE_PRINCIPAL"
    STORED_VALUE_BONUS = "STORED_VALUE_BONUS"
    POINTS = "POINTS"
    # Count-card uses are one asset per item: "COUNT_USES:<item code>".
    COUNT_USES = "COUNT_USES"
    # The face value coupons took off sales (Q3), in fen: moves only between franchisees' system
    # accounts (who bears a coupon's cost, whose store honoured it), never on a card (ADR 0021).
    COUPON_VALUE = "COUPON_VALUE"


class Direction(StrEnum):
    DEBIT = "DEBIT"
    CREDIT = "CREDIT"


class SystemAccount(StrEnum):
    """The franchisee-side accounts opposite the cards. A franchisee's prepaid liability is the sum of
    its cards' balances (V7), so it needs no mirror account of its own."""

    CASH_COLLECTED = "CASH_COLLECTED"  # money taken at the till for recharges
    STORED_VALUE_REDEEMED = "STORED_VALUE_REDEEMED"  # goods handed over against stored value
    PROMOTION_EXPENSE = "PROMOTION_EXPENSE"  # bonus value given away by recharge promotions
    POINTS_LIABILITY = "POINTS_LIABILITY"  # points issued, not yet redeemed
    # Coupon discounts an acquiring store gave offline on coupons that turned out used elsewhere,
    # voided or expired when the advice arrived (X4, docs/adr/0025): the store's own loss, in
    # COUPON_VALUE, opposite its COUPON_REDEEMED (no issuer pays them).
    COUPON_CONFLICT_EXPENSE = "COUPON_CONFLICT_EXPENSE"
    # Before issue 21, what holders owed for offline spends (X4) beyond their balance; now only
    # history: an overdraft is a receivable on the card itself (purpose RECEIVABLE).
    OFFLINE_OVERDRAFT = "OFFLINE_OVERDRAFT"
    # What a card owed and a store manager wrote off (the issuer's loss), principal or points.
    RECEIVABLE_WRITTEN_OFF = "RECEIVABLE_WRITTEN_OFF"
    # Points that expired on the franchisee's cards (P3): its points liability, gone (ADR 0022).
    EXPIRED_POINTS_INCOME = "EXPIRED_POINTS_INCOME"
    # Coupons (Q3, ADR 0021): what the cost bearer's coupons took off sales (debited), and what the
    # acquiring franchisee's stores honoured (credited); settlement clears the difference (F1).
    COUPON_EXPENSE = "COUPON_EXPENSE"
    COUPON_REDEEMED = "COUPON_REDEEMED"
    # Count-card uses (K1, docs/adr/0029): the selling franchisee's uses sold and not yet consumed,
    # in COUNT_USES:<item> (debited when sold, credited back when a use is consumed or refunded).
    COUNT_USE_LIABILITY = "COUNT_USE_LIABILITY"
    # Balances brought over from the chain's old system (V8, docs/adr/0040): debited by each opening
    # balance, opposite the card's credit, for the issuing franchisee. Its (negative) balance is the
    # prepaid liability the franchisee took over, in principal, bonus and points.
    MIGRATION_OPENING = "MIGRATION_OPENING"
    # What companies owe the selling franchisee for cards bought and recharged on invoice (C6,
    # docs/adr/0045): debited by each COMPANY_RECHARGE, credited when the company pays.
    COMPANY_RECEIVABLE = "COMPANY_RECEIVABLE"
    # Referral points (M5, docs/adr/0044): the marketing expense of the referrer's card's issuer,
    # debited by each award and credited by each claw-back, in POINTS.
    REFERRAL_EXPENSE = "REFERRAL_EXPENSE"


def count_uses_asset(item_code: str) -> str:
    """The ledger asset of one count item's uses: "COUNT_USES:<item code>"."""
    return f"{Asset.COUNT_USES}:{item_code}"


class UnbalancedTransaction(ValueError):
    pass


@dataclass(frozen=True)
class Posting:
    account_id: str
    asset: str
    direction: Direction
    amount: int

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or self.amount <= 0:
            raise UnbalancedTransaction(f"posting amount must be a positive integer, got {self.amount!r}")


def transfer(asset: str, amount: int, *, debit: str, credit: str) -> list[Posting]:
    """Move ``amount`` of ``asset`` from the debited account to the credited one; nothing for 0."""
    if amount == 0:
        return []
    return [
        Posting(account_id=debit, asset=asset, direction=Direction.DEBIT, amount=amount),
        Posting(account_id=credit, asset=asset, direction=Direction.CREDIT, amount=amount),
    ]


def balance_change(posting: Posting) -> int:
    """How the posting moves its account's (credit-normal) balance."""
    return posting.amount if posting.direction is Direction.CREDIT else -posting.amount


def check_balanced(postings: Iterable[Posting]) -> None:
    """Raise unless every asset's debits equal its credits and there are at least two postings."""
    totals: dict[str, int] = defaultdict(int)
    count = 0
    for posting in postings:
        totals[posting.asset] += balance_change(posting)
        count += 1
    if count < 2:
        raise UnbalancedTransaction("a ledger transaction needs at least two postings")
    unbalanced = {asset: total for asset, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedTransaction(f"postings do not balance per asset: {unbalanced}")

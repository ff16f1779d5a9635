"""The checkout pipeline (X1), as pure functions over integers.

Stages, in order: subtotal → level discount → coupons → points deduction → tenders (external
first, stored value covers the rest, principal and bonus in proportion) → points earned.
Coupons and points deduction are stages that take nothing yet; the money path issue fills them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaincard.money import BASIS_POINTS, apply_rate, split_proportionally

MAX_LINES = 500


class PricingError(ValueError):
    """A basket that cannot be priced; ``field`` names the request field at fault."""

    def __init__(self, field: str, problem: str, *, precondition: bool = False) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.precondition = precondition


@dataclass(frozen=True)
class BasketLine:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True)
class LevelTerms:
    """What the card's level gives: a discount on the whole basket and a points multiplier."""

    discount_bp: int = 0
    points_multiplier_bp: int = BASIS_POINTS
    # Points earned per whole yuan paid, before the multiplier.
    points_per_yuan: int = 1


@dataclass(frozen=True)
class StoredValue:
    principal_fen: int
    bonus_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


@dataclass(frozen=True)
class ExternalTender:
    """Cash, bank card or mobile pay: recorded, processed elsewhere."""

    kind: str
    amount_fen: int


@dataclass(frozen=True)
class CheckoutPlan:
    subtotal_fen: int
    discount_fen: int
    points_deduction_fen: int
    total_due_fen: int
    external_tenders: tuple[ExternalTender, ...]
    stored_value_fen: int
    principal_fen: int
    bonus_fen: int
    points_earned: int
    notes: tuple[str, ...] = field(default=())


def _subtotal(lines: list[BasketLine]) -> int:
    if not lines:
        raise PricingError("lines", "a basket needs at least one line")
    if len(lines) > MAX_LINES:
        raise PricingError("lines", f"at most {MAX_LINES} lines")
    total = 0
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            raise PricingError(f"lines[{index}].quantity", "must be positive")
        if line.unit_price_fen < 0:
            raise PricingError(f"lines[{index}].unit_price_fen", "must not be negative")
        total += line.quantity * line.unit_price_fen
    return total


def price_checkout(
    lines: list[BasketLine],
    *,
    level: LevelTerms,
    stored_value: StoredValue,
    external_tenders: list[ExternalTender],
    points_to_redeem: int = 0,
) -> CheckoutPlan:
    subtotal = _subtotal(lines)
    discount = apply_rate(subtotal, level.discount_bp)
    after_coupons = subtotal - discount  # coupon stage: none yet
    if points_to_redeem:
        raise PricingError("points_to_redeem", "points deduction is not offered yet", precondition=True)
    total_due = after_coupons

    external_total = 0
    for index, tender in enumerate(external_tenders):
        if tender.amount_fen <= 0:
            raise PricingError(f"tenders[{index}].amount_fen", "must be positive")
        external_total += tender.amount_fen
    if external_total > total_due:
        raise PricingError("tenders", f"external tenders {external_total} fen exceed the total due {total_due} fen")

    from_stored_value = total_due - external_total
    if from_stored_value > stored_value.total_fen:
        raise PricingError(
            "card_number",
            f"insufficient stored value: {from_stored_value} fen needed, {stored_value.total_fen} fen available",
            precondition=True,
        )
    # Principal and bonus are consumed in proportion to what the card holds (V3).
    bonus_used = split_proportionally(from_stored_value, stored_value.bonus_fen, stored_value.total_fen)
    principal_used = from_stored_value - bonus_used

    points_base = (total_due // 100) * level.points_per_yuan
    points_earned = apply_rate(points_base, level.points_multiplier_bp)

    return CheckoutPlan(
        subtotal_fen=subtotal,
        discount_fen=discount,
        points_deduction_fen=0,
        total_due_fen=total_due,
        external_tenders=tuple(external_tenders),
        stored_value_fen=from_stored_value,
        principal_fen=principal_used,
        bonus_fen=bonus_used,
        points_earned=points_earned,
    )

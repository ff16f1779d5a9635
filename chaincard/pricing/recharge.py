"""Recharge promotions (充值赠送, V2): which bonus a recharge earns.

One promotion applies per recharge: among the active promotions valid at the moment of the
recharge (valid_from inclusive, valid_until exclusive) whose card types and stores include this
card type and store (empty = all) and that have a tier the amount reaches, the one with the highest
priority (ties: lowest code). Within it, the single tier with the highest min_amount_fen not above
the amount; tiers are not cumulative. A promotion none of whose tiers the amount reaches does not
apply, so a lower-priority promotion with a smaller entry tier can. No rounding happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chaincard.pricing.errors import PricingError
from chaincard.pricing.terms import require_aware

__all__ = ["RechargeBonus", "RechargePromotionTerms", "RechargeTierTerms", "select_recharge_bonus"]


@dataclass(frozen=True)
class RechargeTierTerms:
    """Recharge at least ``min_amount_fen``, get the bonus fen, bonus points and one coupon per
    template code (RechargeTier)."""

    min_amount_fen: int
    bonus_fen: int = 0
    bonus_points: int = 0
    coupon_template_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_amount_fen < 0 or self.bonus_fen < 0 or self.bonus_points < 0:
            raise ValueError("a recharge tier's amounts are never negative")


@dataclass(frozen=True)
class RechargePromotionTerms:
    """A recharge promotion (RechargePromotion); datetimes are aware or None (no bound)."""

    code: str
    name: str = ""
    tiers: tuple[RechargeTierTerms, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    card_type_codes: tuple[str, ...] = ()
    store_ids: tuple[str, ...] = ()
    priority: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        require_aware(self.valid_from, "valid_from")
        require_aware(self.valid_until, "valid_until")
        minimums = [tier.min_amount_fen for tier in self.tiers]
        if len(set(minimums)) != len(minimums):
            raise ValueError(f"promotion {self.code}: two tiers with the same min_amount_fen")

    def applies(self, *, card_type_code: str, store_id: str, now: datetime) -> bool:
        """Whether the promotion is on for this card type, store and moment (tiers aside)."""
        return (
            self.active
            and (self.valid_from is None or self.valid_from <= now)
            and (self.valid_until is None or now < self.valid_until)
            and (not self.card_type_codes or card_type_code in self.card_type_codes)
            and (not self.store_ids or store_id in self.store_ids)
        )

    def tier_for(self, amount_fen: int) -> RechargeTierTerms | None:
        """The highest tier ``amount_fen`` reaches, or None."""
        reached = [tier for tier in self.tiers if tier.min_amount_fen <= amount_fen]
        return max(reached, key=lambda tier: tier.min_amount_fen, default=None)


@dataclass(frozen=True)
class RechargeBonus:
    """What a recharge earns besides its principal; an empty promotion_code means no promotion."""

    promotion_code: str = ""
    bonus_fen: int = 0
    bonus_points: int = 0
    coupon_template_codes: tuple[str, ...] = ()


def select_recharge_bonus(
    amount_fen: int,
    promotions: Sequence[RechargePromotionTerms],
    *,
    card_type_code: str,
    store_id: str,
    now: datetime,
) -> RechargeBonus:
    """The bonus a recharge of ``amount_fen`` earns; see the module docstring for the choice.

    ``amount_fen`` must be positive (INVALID_ARGUMENT on ``amount_fen``); ``now`` must be aware.
    Nothing is rounded: the tier's bonus_fen and bonus_points are granted as configured.
    """
    if amount_fen <= 0:
        raise PricingError("amount_fen", f"must be positive, not {amount_fen}")
    if now is None:
        raise ValueError("now is required")
    require_aware(now, "now")
    candidates = [
        (promotion, tier)
        for promotion in promotions
        if promotion.applies(card_type_code=card_type_code, store_id=store_id, now=now)
        and (tier := promotion.tier_for(amount_fen)) is not None
    ]
    if not candidates:
        return RechargeBonus()
    promotion, tier = min(candidates, key=lambda pair: (-pair[0].priority, pair[0].code))
    return RechargeBonus(
        promotion_code=promotion.code,
        bonus_fen=tier.bonus_fen,
        bonus_points=tier.bonus_points,
        coupon_template_codes=tuple(tier.coupon_template_codes),
    )

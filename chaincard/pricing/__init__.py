"""Basket pricing, pure Python (STYLE rule 8): discounts, coupons, points, tenders, points earned,
refund plans and recharge promotions. Money is int fen, points int, rates int basis points."""

from chaincard.pricing.allocation import apportion, cumulative_shares, spread_to_largest
from chaincard.pricing.count_uses import CountUseIntent, count_uses_stage
from chaincard.pricing.earning import (
    DEFAULT_BASE_RULE,
    DEFAULT_BIRTHDAY_MULTIPLIER_BP,
    EarnedPoints,
    earn_points,
)
from chaincard.pricing.engine import (
    MAX_LINES,
    AppliedTender,
    BasketLine,
    CheckoutInput,
    CheckoutPlan,
    CountUsesStage,
    ExternalTender,
    PricedLine,
    TenderIntent,
    no_count_uses,
    price_checkout,
    split_stored_value,
)
from chaincard.pricing.errors import PricingError
from chaincard.pricing.recharge import (
    RechargeBonus,
    RechargePromotionTerms,
    RechargeTierTerms,
    select_recharge_bonus,
)
from chaincard.pricing.refunds import RefundPlan, SaleRecord, plan_refund, plan_void
from chaincard.pricing.terms import (
    EarnRule,
    LevelTerms,
    PointsDeductionPolicy,
    SaleContext,
    SplitRule,
    StoredValue,
    TenderKind,
)

__all__ = [
    "CountUseIntent",
    "count_uses_stage",
    "DEFAULT_BASE_RULE",
    "DEFAULT_BIRTHDAY_MULTIPLIER_BP",
    "MAX_LINES",
    "AppliedTender",
    "BasketLine",
    "CheckoutInput",
    "CheckoutPlan",
    "CountUsesStage",
    "EarnRule",
    "EarnedPoints",
    "ExternalTender",
    "LevelTerms",
    "PointsDeductionPolicy",
    "PricedLine",
    "PricingError",
    "RechargeBonus",
    "RechargePromotionTerms",
    "RechargeTierTerms",
    "RefundPlan",
    "SaleContext",
    "SaleRecord",
    "SplitRule",
    "StoredValue",
    "TenderIntent",
    "TenderKind",
    "apportion",
    "cumulative_shares",
    "earn_points",
    "no_count_uses",
    "plan_refund",
    "plan_void",
    "price_checkout",
    "select_recharge_bonus",
    "split_stored_value",
    "spread_to_largest",
]

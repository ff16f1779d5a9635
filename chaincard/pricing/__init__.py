"""Basket pricing, pure Python: discounts, coupons, points, tenders, points earned."""

from chaincard.pricing.engine import (
    BasketLine,
    CheckoutPlan,
    ExternalTender,
    LevelTerms,
    PricingError,
    StoredValue,
    price_checkout,
)

__all__ = [
    "BasketLine",
    "CheckoutPlan",
    "ExternalTender",
    "LevelTerms",
    "PricingError",
    "StoredValue",
    "price_checkout",
]

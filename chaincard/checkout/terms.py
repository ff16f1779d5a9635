"""HQ's configuration snapshot (protos) as the pricing engine's plain terms: one mapping for the
region and the store agent alike."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.pricing import (
    EarnRule,
    LevelTerms,
    PointsDeductionPolicy,
    RechargePromotionTerms,
    RechargeTierTerms,
    SplitRule,
)
from chaincard.v1 import program_config_pb2 as pc


def _moment(stamp: Timestamp) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None


def level_terms(level: pc.Level | None) -> LevelTerms:
    if level is None:
        return LevelTerms()
    return LevelTerms(
        code=level.code,
        discount_bp=level.discount_bp,
        category_discount_bp=dict(level.category_discount_bp),
        points_multiplier_bp=level.points_multiplier_bp or 10_000,
    )


def points_policy(snapshot: pc.ConfigSnapshot) -> PointsDeductionPolicy:
    policy = snapshot.points_deduction
    if not policy.enabled:
        return PointsDeductionPolicy()
    return PointsDeductionPolicy(
        enabled=True, points_per_unit=policy.points_per_unit, unit_value_fen=policy.unit_value_fen,
        max_bill_share_bp=policy.max_bill_share_bp, min_points=policy.min_points,
    )


def earn_rules(snapshot: pc.ConfigSnapshot) -> tuple[EarnRule, ...]:
    return tuple(
        EarnRule(
            code=rule.code, points_per_unit=rule.points_per_unit, spend_unit_fen=rule.spend_unit_fen,
            multiplier_bp=rule.multiplier_bp or 10_000, level_codes=tuple(rule.level_codes), store_ids=tuple(rule.store_ids),
            categories=tuple(rule.categories), weekdays=tuple(rule.weekdays), start_minute_of_day=rule.start_minute_of_day,
            end_minute_of_day=rule.end_minute_of_day, valid_from=_moment(rule.valid_from),
            valid_until=_moment(rule.valid_until), birthday_only=rule.birthday_only, priority=rule.priority, active=rule.active,
        )
        for rule in snapshot.earn_rules
    )


def split_rule(snapshot: pc.ConfigSnapshot) -> SplitRule:
    return {
        pc.STORED_VALUE_SPLIT_RULE_PRINCIPAL_FIRST: SplitRule.PRINCIPAL_FIRST,
        pc.StoredValueSplitRule.Value("STORED_VALUE_SPLIT_RULE_BONUS_FIRST"): SplitRule.BONUS_FIRST,
    }.get(snapshot.settings.stored_value_split, SplitRule.PROPORTIONAL)


def recharge_promotions(snapshot: pc.ConfigSnapshot) -> tuple[RechargePromotionTerms, ...]:
    return tuple(
        RechargePromotionTerms(
            code=promotion.code, name=promotion.name,
            tiers=tuple(
                RechargeTierTerms(
                    min_amount_fen=tier.min_amount_fen, bonus_fen=tier.bonus_fen, bonus_points=tier.bonus_points,
                    coupon_template_codes=tuple(tier.coupon_template_codes),
                )
                for tier in promotion.tiers
            ),
            valid_from=_moment(promotion.valid_from), valid_until=_moment(promotion.valid_until),
            card_type_codes=tuple(promotion.card_type_codes), store_ids=tuple(promotion.store_ids),
            priority=promotion.priority, active=promotion.active,
        )
        for promotion in snapshot.recharge_promotions
    )


def coupon_names(snapshot: pc.ConfigSnapshot) -> dict[str, str]:
    """Template code → name, for the receipt's coupon lines (``receipt.sale_figures``)."""
    return {template.code: template.name or template.code for template in snapshot.coupon_templates}

"""The demo chain: HQ-owned stores and two franchisees across two regions, card types and levels."""

from __future__ import annotations

from chaincard.v1 import directory_pb2, program_config_pb2

REGIONS = [
    directory_pb2.Region(code="E", card_prefix="11", name="East (华东)"),
    directory_pb2.Region(code="W", card_prefix="21", name="West (华西)"),
]
FRANCHISEES = [
    directory_pb2.Franchisee(franchisee_id="F-HQ", name="ChainCard HQ (直营)", company_owned=True),
    directory_pb2.Franchisee(franchisee_id="F-AURORA", name="Aurora Trading (曙光商贸)"),
    directory_pb2.Franchisee(franchisee_id="F-BAMBOO", name="Bamboo Retail (竹林零售)"),
]
STORES = [
    directory_pb2.Store(store_id="S-E-001", name="Shanghai Jing'an", region_code="E", franchisee_id="F-HQ", time_zone="Asia/Shanghai", active=True),
    directory_pb2.Store(store_id="S-E-002", name="Hangzhou West Lake", region_code="E", franchisee_id="F-AURORA", time_zone="Asia/Shanghai", active=True),
    directory_pb2.Store(store_id="S-W-001", name="Chengdu Chunxi", region_code="W", franchisee_id="F-HQ", time_zone="Asia/Shanghai", active=True),
    directory_pb2.Store(store_id="S-W-002", name="Chongqing Jiefangbei", region_code="W", franchisee_id="F-BAMBOO", time_zone="Asia/Shanghai", active=True),
]
CARD_TYPES = [
    program_config_pb2.CardType(code="SV", name="储值卡 Stored-value card", kind_description="stored value and points", stored_value=True, points=True),
    program_config_pb2.CardType(code="GOLD", name="金卡 Gold stored-value card", kind_description="stored value, points, gold level",
                                stored_value=True, points=True, discount=True, default_level_code="GOLD"),
    # A recharge above ¥2,000 on a business card needs the store manager at the till (V5; the demo's
    # go-live step shows it).
    program_config_pb2.CardType(code="BIZ", name="商务储值卡 Business stored-value card", kind_description="stored value and points",
                                stored_value=True, points=True, recharge_approval_threshold_fen=200_000),
    program_config_pb2.CardType(code="COUNT", name="计次卡 Count card", kind_description="prepaid service uses", count_uses=True,
                                validity_days=365, count_item_codes=["CARWASH"]),
    program_config_pb2.CardType(code="MONTHLY", name="月卡 Monthly tea card", kind_description="a tea-house time pass",
                                time_limited=True, validity_days=365, count_item_codes=["MONTHLY-TEA"]),
    # A member holding a tea club card who has not come for 30 days is dormant (A3): the demo's
    # wake-up campaign reaches them (chaincard.local.demo_campaign).
    program_config_pb2.CardType(code="CLUB", name="茶友卡 Tea club card", kind_description="stored value and points",
                                stored_value=True, points=True, dormant_after_days=30),
]
# Ten car washes for ¥300, valid a year, sold and used at any store; one wash a day per card and
# store (K1, K3). Its uses pay for the SKU below at checkout (a TENDER_TYPE_COUNT_USES tender).
CARWASH_SKU = "WASH-1"
TEA_POT_SKU = "TEA-POT"
COUNT_ITEMS = [
    program_config_pb2.CountItem(code="CARWASH", name="精洗一次 Car wash", eligible_skus=[CARWASH_SKU], uses_per_pack=10,
                                 pack_price_fen=30_000, validity_days=365, active=True, daily_uses_per_store=1),
    # 月卡: a month of tea-house pots for ¥199, at most two a day at any store (K4, docs/adr/0030).
    program_config_pb2.CountItem(code="MONTHLY-TEA", name="茶馆月卡 Monthly tea", eligible_skus=[TEA_POT_SKU], pack_price_fen=19_900,
                                 period_days=30, daily_cap_uses=2, active=True),
]
LEVELS = [
    program_config_pb2.Level(code="NORMAL", name="普卡 Standard", rank=1, discount_bp=0, points_multiplier_bp=10_000),
    program_config_pb2.Level(code="SILVER", name="银卡 Silver", rank=2, discount_bp=500, points_multiplier_bp=12_000),
    # Gold: 10% off, but only 5% on tea and none on tobacco (category overrides, L1).
    program_config_pb2.Level(code="GOLD", name="金卡 Gold", rank=3, discount_bp=1000, points_multiplier_bp=15_000,
                             category_discount_bp={"tea": 500, "tobacco": 0}),
]

# 充值满 5000 升银卡: one recharge of ¥5,000 or more makes a Standard card Silver at once (L2,
# docs/adr/0027). Only the demo chain (`chaincard demo`, `chaincard up`) and the e2e chain carry it
# (Chain's ``level_rules``): a rule applies to every card below its level, so the test chains'
# other cards, and the benchmarks' ¥50,000 recharges, would move up too. Above every recharge the
# e2e tests make (¥2,000 at most), below none the demo's own level step makes.
LEVEL_UPGRADE_RECHARGE_FEN = 500_000
LEVEL_RULES = [
    program_config_pb2.LevelRule(level_code="SILVER", name="充值满 5000 升银卡 One ¥5,000 recharge",
                                 upgrade_single_recharge_fen=LEVEL_UPGRADE_RECHARGE_FEN, active=True),
]

# Given by the ¥1,000 Gold recharge tier: ¥30 off a bill of ¥200 or more, for 30 days, at any
# store; its cost is borne by the card's issuing franchisee (Q1, F1).
COUPON_TEMPLATES = [
    program_config_pb2.CouponTemplate(
        code="GOLD-30-OVER-200", name="满 200 减 30 Gold welcome", kind=program_config_pb2.COUPON_KIND_CASH_VOUCHER,
        face_value_fen=3_000, min_spend_fen=20_000, validity_days=30, reminder_days_before_expiry=3, active=True,
    ),
]
# 100 points buy a branded umbrella at the counter (礼品兑换, P2).
POINTS_REDEMPTION_RULES = [
    program_config_pb2.PointsRedemptionRule(
        code="GIFT-UMBRELLA", name="ChainCard umbrella 雨伞", kind=program_config_pb2.POINTS_REDEMPTION_KIND_GIFT,
        points_cost=100, gift_sku="GIFT-UMBRELLA", active=True,
    ),
]
RECHARGE_PROMOTIONS = [
    program_config_pb2.RechargePromotion(
        code="WINTER-2026", name="充值赠送 Pay ¥500 get ¥50, pay ¥1,000 get ¥150, 200 points and a ¥30 coupon", priority=10, active=True,
        card_type_codes=["GOLD"],  # the plain SV card of the thin slice stays promotion-free
        tiers=[
            program_config_pb2.RechargeTier(min_amount_fen=50_000, bonus_fen=5_000),
            program_config_pb2.RechargeTier(min_amount_fen=100_000, bonus_fen=15_000, bonus_points=200,
                                            coupon_template_codes=["GOLD-30-OVER-200"]),
        ],
    ),
]
# 100 points pay ¥1, for at most half of a bill (积分抵现).
POINTS_DEDUCTION = program_config_pb2.PointsDeductionPolicy(
    enabled=True, points_per_unit=100, unit_value_fen=100, max_bill_share_bp=5000, min_points=100,
)
FEE_SCHEDULE = program_config_pb2.FeeSchedule(effective_from_business_date="2026-01-01", interchange_bp=150, collection_fee_bp=50)

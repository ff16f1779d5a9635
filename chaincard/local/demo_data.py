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
    directory_pb2.Store(store_id="S-E-001", name="Shanghai Jing'an", region_code="E", franchisee_id="F-HQ", time_zone="Asia/Shanghai"),
    directory_pb2.Store(store_id="S-E-002", name="Hangzhou West Lake", region_code="E", franchisee_id="F-AURORA", time_zone="Asia/Shanghai"),
    directory_pb2.Store(store_id="S-W-001", name="Chengdu Chunxi", region_code="W", franchisee_id="F-HQ", time_zone="Asia/Shanghai"),
    directory_pb2.Store(store_id="S-W-002", name="Chongqing Jiefangbei", region_code="W", franchisee_id="F-BAMBOO", time_zone="Asia/Shanghai"),
]
CARD_TYPES = [
    program_config_pb2.CardType(code="SV", name="储值卡 Stored-value card", kind_description="stored value and points", stored_value=True, points=True),
    program_config_pb2.CardType(code="COUNT", name="计次卡 Count card", kind_description="prepaid service uses", count_uses=True, validity_days=365),
]
LEVELS = [
    program_config_pb2.Level(code="NORMAL", name="普卡 Standard", rank=1, discount_bp=0, points_multiplier_bp=10_000),
    program_config_pb2.Level(code="SILVER", name="银卡 Silver", rank=2, discount_bp=500, points_multiplier_bp=12_000),
    program_config_pb2.Level(code="GOLD", name="金卡 Gold", rank=3, discount_bp=1000, points_multiplier_bp=15_000),
]

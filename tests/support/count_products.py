"""Packages (K2) and time cards (K4) in tests: the test programme's time item, package and time card
type beside the count programme (tests.support.count_uses), and the requests."""

from __future__ import annotations

import time

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import common_pb2, program_config_pb2_grpc, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from tests.support.count_uses import COUNT_CARD, ITEMS
from tests.support.points import CONFIG_MAX_AGE_SECONDS
from tests.support.regions import RunningRegions

# A card type that holds stored value, count uses and time passes.
TIME_CARD = "TIME-SV"
PRODUCT_ITEMS = [
    # 月卡: 30 days of washes, at most 2 a day.
    pc.CountItem(code="MONTH", name="洗车月卡 Monthly wash", eligible_skus=["WASH-1"], pack_price_fen=20_000, period_days=30,
                 daily_cap_uses=2, active=True),
    pc.CountItem(code="WAX", name="打蜡 Wax", eligible_skus=["WAX-1"], uses_per_pack=5, pack_price_fen=15_000, validity_days=60,
                 active=True, package_only=True),
]
PACKAGES = [
    # 10 washes (¥300 alone) + 5 waxes (¥150 alone) for ¥400: ¥266.66 and ¥133.34.
    pc.CountPackage(code="SET", name="洗车打蜡套餐", price_fen=40_000, validity_days=90, active=True,
                    items=[pc.CountPackageItem(item_code="WASH", uses=10), pc.CountPackageItem(item_code="WAX", uses=5)]),
    pc.CountPackage(code="SET-MONTH", name="月卡+打蜡", price_fen=30_000, active=True,
                    items=[pc.CountPackageItem(item_code="MONTH", uses=1), pc.CountPackageItem(item_code="WAX", uses=5)]),
    pc.CountPackage(code="SET-OFF", name="No longer sold", price_fen=100, active=False,
                    items=[pc.CountPackageItem(item_code="WASH", uses=1)]),
]


def set_products_programme(regions: RunningRegions) -> None:
    """The count programme, the time item, the packages and the time card type; then wait until the
    region servers see them (one wait for all)."""
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        for item in [*ITEMS, *PRODUCT_ITEMS]:
            program.UpsertCountItem(pc.UpsertCountItemRequest(request_id=new_id(), count_item=item), timeout=10)
        for code, name, time_limited in ((COUNT_CARD, "Count and stored value", False), (TIME_CARD, "Time, count and stored value", True)):
            program.UpsertCardType(pc.UpsertCardTypeRequest(request_id=new_id(), card_type=pc.CardType(
                code=code, name=name, kind_description=name, stored_value=True, points=True, count_uses=True,
                time_limited=time_limited, validity_days=365, default_level_code="NORMAL", active=True)), timeout=10)
        for package in PACKAGES:
            program.UpsertCountPackage(pc.UpsertCountPackageRequest(request_id=new_id(), count_package=package), timeout=10)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see the programme


def buy_package(card: str, package: str = "SET", packs: int = 1, *, store: str = "S-E-001",
                tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_CASH) -> transactions_pb2.PurchaseCountUsesRequest:
    return transactions_pb2.PurchaseCountUsesRequest(request_id=new_id(), store_id=store, card_number=card, package_code=package,
                                                     packs=packs, tender=tender, operator_id="C-TEST")

"""Count cards in tests (K1, K3): the test programme's count items and card type, and the requests."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import common_pb2, program_config_pb2_grpc, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from tests.support.points import CONFIG_MAX_AGE_SECONDS
from tests.support.regions import RunningRegions

# A card type that holds stored value and count uses (so every tender can pay for uses).
COUNT_CARD = "CNT-SV"
ITEMS = [
    pc.CountItem(code="WASH", name="精洗一次 Car wash", eligible_skus=["WASH-1"], uses_per_pack=10, pack_price_fen=30_000,
                 validity_days=30, active=True),
    pc.CountItem(code="WASH-E1", name="Wash at S-E-001", eligible_skus=["WASH-1"], uses_per_pack=5, pack_price_fen=10_000,
                 validity_days=0, active=True, store_ids=["S-E-001"], daily_uses_per_store=2),
    pc.CountItem(code="WASH-OFF", name="No longer sold", eligible_skus=["WASH-1"], uses_per_pack=5, pack_price_fen=10_000,
                 active=False),
]


def set_count_programme(regions: RunningRegions) -> None:
    """The count items and the count card type; then wait until the region servers see them."""
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        program.UpsertCardType(pc.UpsertCardTypeRequest(request_id=new_id(), card_type=pc.CardType(
            code=COUNT_CARD, name="Count and stored value", kind_description="count uses and stored value", stored_value=True,
            points=True, count_uses=True, validity_days=365, default_level_code="NORMAL", active=True,
            count_item_codes=[item.code for item in ITEMS])), timeout=10)
        for item in ITEMS:
            program.UpsertCountItem(pc.UpsertCountItemRequest(request_id=new_id(), count_item=item), timeout=10)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see the programme


def purchase(card: str, item: str = "WASH", packs: int = 1, *, store: str = "S-E-001",
             tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_CASH,
             pin: str = "") -> transactions_pb2.PurchaseCountUsesRequest:
    return transactions_pb2.PurchaseCountUsesRequest(request_id=new_id(), store_id=store, card_number=card, item_code=item,
                                                     packs=packs, tender=tender, pin=pin, operator_id="C-TEST")


def packs_of(database_url: str, card: str) -> list[tuple[str, int, int]]:
    """(item, uses bought, uses left) of each of the card's packs, oldest first."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [(str(item), int(bought), int(left)) for item, bought, left in connection.execute(text(
                "SELECT item_code, uses_bought, uses_left FROM count_use_packs WHERE card_number = :card "
                "ORDER BY bought_at, pack_id"), {"card": card})]
    finally:
        engine.dispose()


def wash_sale(card: str, uses: int = 1, *, item: str = "WASH", store: str = "S-E-001", washes: int | None = None,
              money: tuple[transactions_pb2.TenderRequest, ...] = ()) -> transactions_pb2.CheckoutRequest:
    """A checkout of ``washes`` (default ``uses``) car washes at ¥30.00 each, ``uses`` of them paid by
    count uses of ``item``, the rest by ``money``."""
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=store, card_number=card, operator_id="C-TEST",
        lines=[transactions_pb2.BasketLine(sku="WASH-1", name="Car wash", category="service", quantity=washes or uses,
                                           unit_price_fen=3_000)],
        tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=item, uses=uses),
                 *money])

"""The settlement golden scenario (issue 5): three franchisees, HQ-owned stores, two regions, recharges
and spends across them, a refund and a void, a card closure, a late posting, and the statements
computed by hand for it (the numbers were written before the settlement code first ran). The
scenario day by day is told in tests/integration/test_settlement_golden.py; its data lives here so
that every settlement test feeds the same events."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.envelope import wrap
from chaincard.v1 import common_pb2, directory_pb2, events_pb2, program_config_pb2, transactions_pb2
from settlement.models import ClearingRecord, SettlementRun, Statement, StatementFile

DAY = date(2026, 11, 20)
NEXT_DAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)

SNAPSHOT = program_config_pb2.ConfigSnapshot(
    version=7,
    franchisees=[
        directory_pb2.Franchisee(franchisee_id="F-HQ", name="ChainCard HQ (直营)", company_owned=True),
        directory_pb2.Franchisee(franchisee_id="F-AURORA", name="Aurora Trading (曙光商贸)"),
        directory_pb2.Franchisee(franchisee_id="F-BAMBOO", name="Bamboo Retail (竹林零售)"),
    ],
    stores=[
        directory_pb2.Store(store_id="S-E-001", name="Shanghai Jing'an", region_code="E", franchisee_id="F-HQ"),
        directory_pb2.Store(store_id="S-E-002", name="Hangzhou West Lake", region_code="E", franchisee_id="F-AURORA"),
        directory_pb2.Store(store_id="S-W-001", name="Chengdu Chunxi", region_code="W", franchisee_id="F-HQ"),
        directory_pb2.Store(store_id="S-W-002", name="Chongqing Jiefangbei", region_code="W", franchisee_id="F-BAMBOO"),
    ],
    fee_schedules=[
        program_config_pb2.FeeSchedule(effective_from_business_date="2026-01-01", interchange_bp=100, collection_fee_bp=50),
        program_config_pb2.FeeSchedule(effective_from_business_date="2026-06-01", interchange_bp=150, collection_fee_bp=50,
                                       platform_fee_bp=20),
    ],
)
STORE_FRANCHISEE = {store.store_id: store.franchisee_id for store in SNAPSHOT.stores}
CARDS = {  # card → (issuing franchisee, home region)
    "881100000000011": ("F-AURORA", "E"),  # A1
    "882100000000012": ("F-BAMBOO", "W"),  # B1
    "882100000000020": ("F-BAMBOO", "W"),  # B2
    "881100000000038": ("F-HQ", "E"),  # H1
}
A1, B1, B2, H1 = CARDS


def posted(transaction_id: str, kind: str, card: str, store: str, day: date, principal: int, bonus: int = 0, points: int = 0,
           original: str = "", original_store: str = "",
           coupons: tuple[tuple[str, str, int, str], ...] = (),
           uses: tuple[tuple[str, int, str, int], ...] = ()) -> events_pb2.TransactionPosted:
    """``uses``: count uses consumed or returned, ``(item, uses, seller, value fen)`` as
    CountUseConsumption has them (magnitudes; the type says which way)."""
    issuer, home = CARDS[card]
    acquirer = STORE_FRANCHISEE[original_store or store]  # refunds settle with the original's store's franchisee
    sign = 1 if kind in ("REFUND", "VOID") else -1
    deltas: dict[str, int] = {}
    for item, count, _seller, _value in uses:
        deltas[item] = deltas.get(item, 0) + sign * count
    return events_pb2.TransactionPosted(
        transaction=common_pb2.Transaction(
            transaction_id=transaction_id, type=common_pb2.TransactionType.Value("TRANSACTION_TYPE_" + kind),
            card_number=card, store_id=store, amount_fen=abs(principal + bonus), principal_delta_fen=principal,
            bonus_delta_fen=bonus, points_delta=points, business_date=day.isoformat(), original_transaction_id=original,
            home_region=home,
            count_use_deltas=[common_pb2.CountUseChange(item_code=item, uses_delta=delta) for item, delta in deltas.items()],
            count_use_consumptions=[common_pb2.CountUseConsumption(item_code=item, uses=count, seller_franchisee_id=seller,
                                                                   value_fen=value) for item, count, seller, value in uses],
        ),
        issuing_franchisee_id=issuer, acquiring_store_id=store, acquiring_franchisee_id=acquirer,
        coupons=[transactions_pb2.AppliedCoupon(coupon_code=code, template_code=template, discount_fen=discount,
                                                issuer_franchisee_id=bearer) for code, template, discount, bearer in coupons],
    )


DAY_ONE = [
    posted("T01", "RECHARGE", B1, "S-E-002", DAY, 100_000, 15_000, points=200),
    posted("T02", "SPEND", B1, "S-E-002", DAY, -20_001, -3_000),
    posted("T03", "SPEND", B1, "S-E-002", DAY, -8_700, -1_299),
    posted("T04", "REFUND", B1, "S-E-002", DAY, 5_000, 750, original="T02"),
    posted("T05", "SPEND", A1, "S-W-001", DAY, -12_345),
    posted("T06", "RECHARGE", H1, "S-W-002", DAY, 50_000, 5_000),
    posted("T07", "SPEND", H1, "S-E-002", DAY, -7_777, -778, points=85),
    posted("T08", "SPEND", A1, "S-E-002", DAY, -5_000),
    posted("T09", "RECHARGE", H1, "S-E-001", DAY, 30_000),
    posted("T10", "CARD_CLOSURE", B2, "S-E-001", DAY, -4_321, -500),
    posted("T11", "SPEND", A1, "S-W-002", DAY, -3_000),
    posted("T12", "VOID", A1, "S-W-002", DAY, 3_000, original="T11"),
]
LATE = posted("T13", "SPEND", B1, "S-E-001", DAY, -6_000, -1_001)


def _overdrawn(event: events_pb2.TransactionPosted, owed_fen: int) -> events_pb2.TransactionPosted:
    """An offline advice the card could not cover: ``owed_fen`` of it is a receivable on the card."""
    event.transaction.overdrawn = True
    event.transaction.balances_after.owed_fen = owed_fen
    return event


def _after(event: events_pb2.TransactionPosted, principal_fen: int) -> events_pb2.TransactionPosted:
    event.transaction.balances_after.principal_fen = principal_fen
    return event


DAY_TWO = [
    posted("T14", "RECHARGE", A1, "S-W-002", NEXT_DAY, 20_000),
    posted("T15", "REFUND", B1, "S-E-002", NEXT_DAY, 870, 130, original="T03"),
    # A receivable collected across franchisees (issue 21): A1 is overdrawn offline at HQ's store, then
    # recharged at another HQ store, which collects what A1 owes first.
    _overdrawn(posted("T16", "OFFLINE_ADVICE", A1, "S-W-001", NEXT_DAY, -4_000), owed_fen=2_500),
    _after(posted("T17", "RECHARGE", A1, "S-E-001", NEXT_DAY, 3_000), principal_fen=500),
]

# (flow, counterparty, store, original day, records, gross, interchange/collection fee, platform fee, net)
EXPECTED_DAY_ONE = {
    "F-AURORA": [
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-002", "", 3, 27_250, 409, 55, 26_786),
        ("SPEND_ACQUIRED", "F-HQ", "S-E-002", "", 1, 8_555, 128, 17, 8_410),
        ("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 2, 0, 0, 0, 0),
        ("SPEND_ISSUED", "F-HQ", "S-W-001", "", 1, 12_345, 185, 0, -12_160),
        ("RECHARGE_ACQUIRED", "F-BAMBOO", "S-E-002", "", 1, 100_000, 500, 0, -99_500),
    ],
    "F-BAMBOO": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-W-002", "", 2, 0, 0, 0, 0),
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "", 3, 27_250, 409, 0, -26_841),
        ("RECHARGE_ACQUIRED", "F-HQ", "S-W-002", "", 1, 50_000, 250, 0, -49_750),
        ("RECHARGE_ISSUED", "F-AURORA", "S-E-002", "", 1, 100_000, 500, 200, 99_300),
    ],
    "F-HQ": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-W-001", "", 1, 12_345, 185, 0, 12_160),
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "", 1, 8_555, 128, 0, -8_427),
        ("RECHARGE_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 50_000, 250, 0, 49_750),
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "", 4, 35_805, 0, 72, 72),
        ("PLATFORM_FEE", "F-BAMBOO", "S-E-002", "", 1, 100_000, 0, 200, 200),
    ],
}
# franchisee → (receivable, payable, platform fees charged, net)
EXPECTED_DAY_ONE_TOTALS = {
    "F-AURORA": (35_196, 111_660, 72, -76_464),
    "F-BAMBOO": (99_300, 76_591, 200, 22_709),
    "F-HQ": (62_182, 8_427, 0, 53_755),
}
EXPECTED_DAY_TWO = {
    "F-AURORA": [
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-002", "", 1, -1_000, -15, -2, -983),
        ("SPEND_ISSUED", "F-HQ", "S-W-001", "", 1, 4_000, 60, 0, -3_940),
        ("RECHARGE_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 20_000, 100, 40, 19_860),
        ("RECHARGE_ISSUED", "F-HQ", "S-E-001", "", 1, 3_000, 15, 6, 2_979),
    ],
    "F-BAMBOO": [
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "", 1, -1_000, -15, 0, 985),
        ("SPEND_ISSUED", "F-HQ", "S-E-001", "2026-11-20", 1, 7_001, 105, 0, -6_896),
        ("RECHARGE_ACQUIRED", "F-AURORA", "S-W-002", "", 1, 20_000, 100, 0, -19_900),
    ],
    "F-HQ": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-W-001", "", 1, 4_000, 60, 0, 3_940),
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-001", "2026-11-20", 1, 7_001, 105, 0, 6_896),
        ("RECHARGE_ACQUIRED", "F-AURORA", "S-E-001", "", 1, 3_000, 15, 0, -2_985),
        ("PLATFORM_FEE", "F-AURORA", "S-E-001", "", 1, 3_000, 0, 6, 6),
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "", 1, -1_000, 0, -2, -2),
        ("PLATFORM_FEE", "F-AURORA", "S-W-002", "", 1, 20_000, 0, 40, 40),
    ],
}
EXPECTED_DAY_TWO_TOTALS = {
    "F-AURORA": (22_839, 4_923, 44, 17_916),
    "F-BAMBOO": (985, 26_796, 0, -25_811),
    "F-HQ": (10_882, 2_987, 0, 7_895),
}


# ---- coupons (issue 13, F1): tests/integration/test_settlement_golden.py tells the arithmetic ----------
COUPON_DAY = date(2026, 11, 23)
COUPON_NEXT_DAY = date(2026, 11, 24)
COUPON_NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: both days closed
COUPON_SNAPSHOT = program_config_pb2.ConfigSnapshot()
COUPON_SNAPSHOT.CopyFrom(SNAPSHOT)
COUPON_SNAPSHOT.fee_schedules.add(effective_from_business_date="2026-11-23", interchange_bp=150, collection_fee_bp=50,
                                  platform_fee_bp=20, coupon_fee_bp=300)
# (code, template, discount, cost bearer) as AppliedCoupon has them
CP1 = ("CP1", "A-CASH-20", 2_000, "F-AURORA")
CP2 = ("CP2", "B-CASH-15", 1_500, "F-BAMBOO")
CP3 = ("CP3", "HQ-PCT-12", 1_235, "F-HQ")
CP4 = ("CP4", "A-CASH-10", 1_000, "F-AURORA")
CP5 = ("CP5", "HQ-CASH-5", 500, "F-HQ")
CP6 = ("CP6", "A-CASH-8", 800, "F-AURORA")
CP7 = ("CP7", "B-CASH-10", 1_000, "F-BAMBOO")
COUPON_DAY_ONE = [
    posted("C01", "SPEND", A1, "S-W-002", COUPON_DAY, -8_000, coupons=(CP1,)),
    posted("C02", "SPEND", B1, "S-W-002", COUPON_DAY, -3_500, coupons=(CP2,)),
    posted("C03", "SPEND", B1, "S-W-002", COUPON_DAY, -8_765, coupons=(CP3,)),
    posted("C04", "SPEND", H1, "S-E-002", COUPON_DAY, -6_000, -500, coupons=(CP4, CP5)),
    posted("C06", "SPEND", A1, "S-E-001", COUPON_DAY, -4_200, coupons=(CP6,)),
    posted("C07", "VOID", A1, "S-E-001", COUPON_DAY, 4_200, original="C06", coupons=(CP6,)),
]
COUPON_LATE = posted("C08", "OFFLINE_ADVICE", B1, "S-E-002", COUPON_DAY, -2_000, coupons=(CP7,))
COUPON_DAY_TWO = [
    # The region lists the restored coupon as the sale had it; settlement takes the discount back.
    posted("C05", "REFUND", A1, "S-W-002", COUPON_NEXT_DAY, 8_000, original="C01", coupons=(CP1,)),
]
EXPECTED_COUPON_DAY_ONE = {
    "F-AURORA": [
        ("SPEND_ACQUIRED", "F-HQ", "S-E-002", "", 1, 6_500, 98, 13, 6_389),
        ("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 8_000, 120, 0, -7_880),
        ("SPEND_ISSUED", "F-HQ", "S-E-001", "", 2, 0, 0, 0, 0),
        ("COUPON_ACQUIRED", "F-HQ", "S-E-002", "", 1, 500, 15, 1, 484),
        ("COUPON_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 2_000, 60, 0, -1_940),
        ("COUPON_ISSUED", "F-HQ", "S-E-001", "", 2, 0, 0, 0, 0),
    ],
    "F-BAMBOO": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-W-002", "", 1, 8_000, 120, 16, 7_864),
        ("COUPON_ACQUIRED", "F-AURORA", "S-W-002", "", 1, 2_000, 60, 4, 1_936),
        ("COUPON_ACQUIRED", "F-HQ", "S-W-002", "", 1, 1_235, 37, 2, 1_196),
    ],
    "F-HQ": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-E-001", "", 2, 0, 0, 0, 0),
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "", 1, 6_500, 98, 0, -6_402),
        ("COUPON_ACQUIRED", "F-AURORA", "S-E-001", "", 2, 0, 0, 0, 0),
        ("COUPON_ISSUED", "F-AURORA", "S-E-002", "", 1, 500, 15, 0, -485),
        ("COUPON_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 1_235, 37, 0, -1_198),
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "", 2, 7_000, 0, 14, 14),
        ("PLATFORM_FEE", "F-BAMBOO", "S-W-002", "", 3, 11_235, 0, 22, 22),
    ],
}
EXPECTED_COUPON_DAY_ONE_TOTALS = {  # receivable, payable, platform fees charged, net
    "F-AURORA": (6_873, 9_820, 14, -2_947),
    "F-BAMBOO": (10_996, 0, 22, 10_996),
    "F-HQ": (36, 8_085, 0, -8_049),
}
EXPECTED_COUPON_DAY_TWO = {
    "F-AURORA": [
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-002", "2026-11-23", 1, 2_000, 30, 4, 1_966),
        ("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 1, -8_000, -120, 0, 7_880),
        ("COUPON_ACQUIRED", "F-BAMBOO", "S-E-002", "2026-11-23", 1, 1_000, 30, 2, 968),
        ("COUPON_ISSUED", "F-BAMBOO", "S-W-002", "", 1, -2_000, -60, 0, 1_940),
    ],
    "F-BAMBOO": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-W-002", "", 1, -8_000, -120, -16, -7_864),
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "2026-11-23", 1, 2_000, 30, 0, -1_970),
        ("COUPON_ACQUIRED", "F-AURORA", "S-W-002", "", 1, -2_000, -60, -4, -1_936),
        ("COUPON_ISSUED", "F-AURORA", "S-E-002", "2026-11-23", 1, 1_000, 30, 0, -970),
    ],
    "F-HQ": [
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "2026-11-23", 2, 3_000, 0, 6, 6),
        ("PLATFORM_FEE", "F-BAMBOO", "S-W-002", "", 2, -10_000, 0, -20, -20),
    ],
}
EXPECTED_COUPON_DAY_TWO_TOTALS = {
    "F-AURORA": (12_754, 0, 6, 12_754),
    "F-BAMBOO": (0, 12_740, -20, -12_740),
    "F-HQ": (6, 20, 0, -14),
}


def feed(consumer: IdempotentConsumer,
         events: list[events_pb2.TransactionPosted] | list[events_pb2.TransactionPosted | events_pb2.CompanyPaymentPosted]) -> None:
    for event in events:
        key = (event.transaction.card_number if isinstance(event, events_pb2.TransactionPosted)
               else f"company:{event.company_id}")
        envelope = wrap(event, producer="region-test", aggregate_id=key).SerializeToString()
        assert consumer.apply(envelope) is True
        assert consumer.apply(envelope) is False  # redelivery changes nothing


def row_counts(sessions) -> dict[str, int]:
    with sessions() as session:
        return {model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (ClearingRecord, SettlementRun, Statement, StatementFile)}


# ---- count uses (issue 14 item 9): tests/integration/test_settlement_golden.py tells the arithmetic ----
COUNT_DAY = date(2026, 11, 26)
COUNT_NEXT_DAY = date(2026, 11, 27)
COUNT_NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: both days closed
COUNT_SNAPSHOT = program_config_pb2.ConfigSnapshot()
COUNT_SNAPSHOT.CopyFrom(COUPON_SNAPSHOT)
COUNT_SNAPSHOT.fee_schedules.add(effective_from_business_date="2026-11-26", interchange_bp=150, collection_fee_bp=50,
                                 platform_fee_bp=20, coupon_fee_bp=300, count_use_fee_bp=500)
COUNT_DAY_ONE = [
    posted("U01", "SPEND", A1, "S-E-002", COUNT_DAY, 0, uses=(("WASH", 1, "F-BAMBOO", 3_333),)),
    posted("U02", "SPEND", A1, "S-W-002", COUNT_DAY, -2_000, uses=(("WASH", 1, "F-BAMBOO", 3_333),)),
    posted("U03", "SPEND", B1, "S-E-001", COUNT_DAY, 0, uses=(("COFFEE", 2, "F-AURORA", 1_500), ("COFFEE", 1, "F-BAMBOO", 714))),
    posted("U04", "SPEND", H1, "S-W-002", COUNT_DAY, 0, uses=(("WASH", 2, "F-AURORA", 2_001),)),
    posted("U05", "VOID", H1, "S-W-002", COUNT_DAY, 0, original="U04", uses=(("WASH", 2, "F-AURORA", 2_001),)),
]
COUNT_LATE = posted("U07", "SPEND", H1, "S-E-002", COUNT_DAY, -1_000, uses=(("COFFEE", 1, "F-HQ", 715),))
COUNT_DAY_TWO = [
    posted("U08", "REFUND", B1, "S-E-001", COUNT_NEXT_DAY, 0, original="U03", uses=(("COFFEE", 1, "F-BAMBOO", 714),)),
]
EXPECTED_COUNT_DAY_ONE = {
    "F-AURORA": [
        ("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 2_000, 30, 0, -1_970),
        ("COUNT_USES_ACQUIRED", "F-BAMBOO", "S-E-002", "", 1, 3_333, 167, 7, 3_159),
        ("COUNT_USES_ISSUED", "F-BAMBOO", "S-W-002", "", 2, 0, 0, 0, 0),
        ("COUNT_USES_ISSUED", "F-HQ", "S-E-001", "", 1, 1_500, 75, 0, -1_425),
    ],
    "F-BAMBOO": [
        ("SPEND_ACQUIRED", "F-AURORA", "S-W-002", "", 1, 2_000, 30, 4, 1_966),
        ("SPEND_ACQUIRED", "F-HQ", "S-W-002", "", 2, 0, 0, 0, 0),
        ("SPEND_ISSUED", "F-HQ", "S-E-001", "", 1, 0, 0, 0, 0),
        ("COUNT_USES_ACQUIRED", "F-AURORA", "S-W-002", "", 2, 0, 0, 0, 0),
        ("COUNT_USES_ISSUED", "F-AURORA", "S-E-002", "", 1, 3_333, 167, 0, -3_166),
        ("COUNT_USES_ISSUED", "F-HQ", "S-E-001", "", 1, 714, 36, 0, -678),
    ],
    "F-HQ": [
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-001", "", 1, 0, 0, 0, 0),
        ("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 2, 0, 0, 0, 0),
        ("COUNT_USES_ACQUIRED", "F-AURORA", "S-E-001", "", 1, 1_500, 75, 0, 1_425),
        ("COUNT_USES_ACQUIRED", "F-BAMBOO", "S-E-001", "", 1, 714, 36, 0, 678),
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "", 1, 3_333, 0, 7, 7),
        ("PLATFORM_FEE", "F-BAMBOO", "S-W-002", "", 1, 2_000, 0, 4, 4),
    ],
}
EXPECTED_COUNT_DAY_ONE_TOTALS = {  # receivable, payable, platform fees charged, net
    "F-AURORA": (3_159, 3_395, 7, -236),
    "F-BAMBOO": (1_966, 3_844, 4, -1_878),
    "F-HQ": (2_114, 0, 0, 2_114),
}
EXPECTED_COUNT_DAY_TWO = {
    "F-AURORA": [
        ("SPEND_ACQUIRED", "F-HQ", "S-E-002", "2026-11-26", 1, 1_000, 15, 2, 983),
        ("COUNT_USES_ACQUIRED", "F-HQ", "S-E-002", "2026-11-26", 1, 715, 36, 1, 678),
    ],
    "F-BAMBOO": [
        ("SPEND_ISSUED", "F-HQ", "S-E-001", "", 1, 0, 0, 0, 0),
        ("COUNT_USES_ISSUED", "F-HQ", "S-E-001", "", 1, -714, -36, 0, 678),
    ],
    "F-HQ": [
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-001", "", 1, 0, 0, 0, 0),
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "2026-11-26", 1, 1_000, 15, 0, -985),
        ("COUNT_USES_ACQUIRED", "F-BAMBOO", "S-E-001", "", 1, -714, -36, 0, -678),
        ("COUNT_USES_ISSUED", "F-AURORA", "S-E-002", "2026-11-26", 1, 715, 36, 0, -679),
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "2026-11-26", 2, 1_715, 0, 3, 3),
    ],
}
EXPECTED_COUNT_DAY_TWO_TOTALS = {
    "F-AURORA": (1_661, 0, 3, 1_661),
    "F-BAMBOO": (678, 0, 0, 678),
    "F-HQ": (3, 2_342, 0, -2_339),
}


# ---- count-use purchases refunded (docs/adr/0035): tests/integration/test_settlement_golden.py tells the arithmetic ----
PURCHASE_DAY = date(2026, 11, 29)
PURCHASE_NEXT_DAY = date(2026, 11, 30)
PURCHASE_NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: both days closed
PURCHASE_DAY_ONE = [
    posted("P01", "COUNT_USES_PURCHASE", A1, "S-W-002", PURCHASE_DAY, -30_000),
    posted("P02", "COUNT_USES_PURCHASE", B1, "S-E-002", PURCHASE_DAY, 0),
    posted("P03", "REFUND", B1, "S-E-002", PURCHASE_DAY, 0, original="P02"),
]
PURCHASE_DAY_TWO = [
    posted("P04", "REFUND", A1, "S-W-002", PURCHASE_NEXT_DAY, 21_000, original="P01"),
]
EXPECTED_PURCHASE_DAY_ONE = {
    "F-AURORA": [("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 30_000, 450, 0, -29_550)],
    "F-BAMBOO": [("SPEND_ACQUIRED", "F-AURORA", "S-W-002", "", 1, 30_000, 450, 60, 29_490)],
    "F-HQ": [("PLATFORM_FEE", "F-BAMBOO", "S-W-002", "", 1, 30_000, 0, 60, 60)],
}
EXPECTED_PURCHASE_DAY_ONE_TOTALS = {  # receivable, payable, platform fees charged, net
    "F-AURORA": (0, 29_550, 0, -29_550),
    "F-BAMBOO": (29_490, 0, 60, 29_490),
    "F-HQ": (60, 0, 0, 60),
}
EXPECTED_PURCHASE_DAY_TWO = {
    "F-AURORA": [("SPEND_ISSUED", "F-BAMBOO", "S-W-002", "", 1, -21_000, -315, 0, 20_685)],
    "F-BAMBOO": [("SPEND_ACQUIRED", "F-AURORA", "S-W-002", "", 1, -21_000, -315, -42, -20_643)],
    "F-HQ": [("PLATFORM_FEE", "F-BAMBOO", "S-W-002", "", 1, -21_000, 0, -42, -42)],
}
EXPECTED_PURCHASE_DAY_TWO_TOTALS = {
    "F-AURORA": (20_685, 0, 0, 20_685),
    "F-BAMBOO": (0, 20_643, -42, -20_643),
    "F-HQ": (0, 42, 0, -42),
}


# ---- company receivables (C6, docs/adr/0045): tests/integration/test_settlement_golden.py tells the arithmetic ----
COMPANY_DAY = date(2026, 12, 1)
COMPANY_NEXT_DAY = date(2026, 12, 2)
COMPANY_NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: both days closed


def company_recharge(transaction_id: str, card: str, store: str, day: date, principal: int,
                     company_id: str) -> events_pb2.TransactionPosted:
    """A line of a company's bulk recharge, as the region posts it (TransactionPosted.company_id set)."""
    event = posted(transaction_id, "COMPANY_RECHARGE", card, store, day, principal)
    event.company_id = company_id
    event.tenders.add(type=common_pb2.TENDER_TYPE_INVOICE, amount_fen=principal)
    return event


def company_paid(transaction_id: str, company_id: str, franchisee_id: str, region: str, day: date,
                 amount_fen: int) -> events_pb2.CompanyPaymentPosted:
    """A region's part of a company's payment (COMPANY_PAYMENT, tied to no card)."""
    return events_pb2.CompanyPaymentPosted(
        transaction_id=transaction_id, payment_id=f"PAY-{transaction_id}", company_id=company_id,
        franchisee_id=franchisee_id, region_code=region, business_date=day.isoformat(), amount_fen=amount_fen)


COMPANY_DAY_ONE: list[events_pb2.TransactionPosted | events_pb2.CompanyPaymentPosted] = [
    company_recharge("K01", A1, "S-E-002", COMPANY_DAY, 50_000, "CO-ACME"),
    company_recharge("K02", H1, "S-E-002", COMPANY_DAY, 20_000, "CO-ACME"),
    company_recharge("K03", B1, "S-E-002", COMPANY_DAY, 10_000, "CO-BETA"),
    company_paid("K04", "CO-ACME", "F-AURORA", "E", COMPANY_DAY, 30_000),
]
COMPANY_LATE = company_paid("K05", "CO-ACME", "F-AURORA", "W", COMPANY_DAY, 5_000)
COMPANY_DAY_TWO: list[events_pb2.TransactionPosted | events_pb2.CompanyPaymentPosted] = [
    company_paid("K06", "CO-BETA", "F-AURORA", "W", COMPANY_NEXT_DAY, 10_000),
]
EXPECTED_COMPANY_DAY_ONE = {
    "F-AURORA": [
        ("RECHARGE_ACQUIRED", "F-BAMBOO", "S-E-002", "", 1, 10_000, 50, 0, -9_950),
        ("RECHARGE_ACQUIRED", "F-HQ", "S-E-002", "", 1, 20_000, 100, 0, -19_900),
    ],
    "F-BAMBOO": [("RECHARGE_ISSUED", "F-AURORA", "S-E-002", "", 1, 10_000, 50, 20, 9_930)],
    "F-HQ": [
        ("RECHARGE_ISSUED", "F-AURORA", "S-E-002", "", 1, 20_000, 100, 0, 19_900),
        ("PLATFORM_FEE", "F-BAMBOO", "S-E-002", "", 1, 10_000, 0, 20, 20),
    ],
}
EXPECTED_COMPANY_DAY_ONE_TOTALS = {  # receivable, payable, platform fees charged, net
    "F-AURORA": (0, 29_850, 0, -29_850),
    "F-BAMBOO": (9_930, 0, 20, 9_930),
    "F-HQ": (19_920, 0, 0, 19_920),
}
# company → (invoiced on the day, paid on the day, outstanding after it), on the seller's statement only
EXPECTED_COMPANY_RECEIVABLES_DAY_ONE = {"CO-ACME": (70_000, 30_000, 40_000), "CO-BETA": (10_000, 0, 10_000)}
EXPECTED_COMPANY_RECEIVABLES_DAY_TWO = {"CO-ACME": (0, 5_000, 35_000), "CO-BETA": (0, 10_000, 0)}

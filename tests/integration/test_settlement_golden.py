"""The golden scenario (issue 5): three franchisees, HQ-owned stores, two regions, recharges and
spends across them, a refund and a void, a card closure, a late posting — fed through the
consumer's own intake into a real PostgreSQL, settled, and compared with statements computed by
hand (the numbers below were written before the settlement code first ran).

Fee schedule from 2026-06-01: interchange 150 bp, collection fee 50 bp, platform fee 20 bp
(an older one from 2026-01-01 must not be picked). Fees are rounded half-up once per flow.

Day 2026-11-20 (cross-franchise records; T8, T9 are within one franchisee and settle nothing):
  T1  RECHARGE B1 (Bamboo's card) at S-E-002 (Aurora)   principal 100,000 bonus 15,000 points 200
  T2  SPEND    B1 at S-E-002                            principal −20,001 bonus −3,000
  T3  SPEND    B1 at S-E-002                            principal −8,700  bonus −1,299
  T4  REFUND   of T2 at S-E-002                         principal +5,000  bonus +750
      → flow Bamboo→Aurora at S-E-002: gross 23,001 + 9,999 − 5,750 = 27,250 (3 records)
        interchange 27,250 × 1.5% = 408.75 → 409; platform 27,250 × 0.2% = 54.5 → 55
  T5  SPEND    A1 (Aurora's card) at S-W-001 (HQ)       principal −12,345 → interchange 185.175 → 185;
      no platform fee: HQ receives
  T6  RECHARGE H1 (HQ's card) at S-W-002 (Bamboo)        principal 50,000 → collection 250; HQ receives
  T7  SPEND    H1 at S-E-002 (Aurora)                   principal −7,777 bonus −778 points +85
      → gross 8,555: interchange 128.325 → 128; platform 17.11 → 17
  T8  SPEND    A1 at S-E-002 (Aurora's own)             — nothing
  T9  RECHARGE H1 at S-E-001 (HQ's own)                 — nothing
  T10 CARD_CLOSURE B2 (Bamboo's) at S-E-001 (HQ)         principal −4,321 bonus −500 — reported only
  T11 SPEND    A1 at S-W-002 (Bamboo)                   principal −3,000
  T12 VOID     of T11 at S-W-002                         principal +3,000 → gross 0 (2 records)
Late: T13 SPEND B1 at S-E-001 (HQ) of 2026-11-20, principal −6,000 bonus −1,001, arriving after
  2026-11-20 was settled → adjustment in 2026-11-21's run: gross 7,001, interchange 105.015 → 105.
Day 2026-11-21:
  T14 RECHARGE A1 at S-W-002 (Bamboo)  principal 20,000 → collection 100, platform 40 (Aurora receives)
  T15 REFUND   of T3 at S-E-002        principal +870 bonus +130 → gross −1,000: interchange −15, platform −2
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.envelope import wrap
from chaincard.v1 import common_pb2, directory_pb2, events_pb2, program_config_pb2, settlement_pb2
from settlement.bootstrap import CLEARING_CONSUMER
from settlement.clearing import record_posting
from settlement.hq import StaticConfigSource
from settlement.models import ClearingRecord, ProcessedEvent, SettlementRun, Statement, StatementFile
from settlement.runs import SettlementRunner
from settlement.statements import load_statement

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
           original: str = "", original_store: str = "") -> events_pb2.TransactionPosted:
    issuer, home = CARDS[card]
    acquirer = STORE_FRANCHISEE[original_store or store]  # refunds settle with the original's store's franchisee
    return events_pb2.TransactionPosted(
        transaction=common_pb2.Transaction(
            transaction_id=transaction_id, type=common_pb2.TransactionType.Value("TRANSACTION_TYPE_" + kind),
            card_number=card, store_id=store, amount_fen=abs(principal + bonus), principal_delta_fen=principal,
            bonus_delta_fen=bonus, points_delta=points, business_date=day.isoformat(), original_transaction_id=original,
            home_region=home,
        ),
        issuing_franchisee_id=issuer, acquiring_store_id=store, acquiring_franchisee_id=acquirer,
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
DAY_TWO = [
    posted("T14", "RECHARGE", A1, "S-W-002", NEXT_DAY, 20_000),
    posted("T15", "REFUND", B1, "S-E-002", NEXT_DAY, 870, 130, original="T03"),
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
        ("RECHARGE_ISSUED", "F-BAMBOO", "S-W-002", "", 1, 20_000, 100, 40, 19_860),
    ],
    "F-BAMBOO": [
        ("SPEND_ISSUED", "F-AURORA", "S-E-002", "", 1, -1_000, -15, 0, 985),
        ("SPEND_ISSUED", "F-HQ", "S-E-001", "2026-11-20", 1, 7_001, 105, 0, -6_896),
        ("RECHARGE_ACQUIRED", "F-AURORA", "S-W-002", "", 1, 20_000, 100, 0, -19_900),
    ],
    "F-HQ": [
        ("SPEND_ACQUIRED", "F-BAMBOO", "S-E-001", "2026-11-20", 1, 7_001, 105, 0, 6_896),
        ("PLATFORM_FEE", "F-AURORA", "S-E-002", "", 1, -1_000, 0, -2, -2),
        ("PLATFORM_FEE", "F-AURORA", "S-W-002", "", 1, 20_000, 0, 40, 40),
    ],
}
EXPECTED_DAY_TWO_TOTALS = {
    "F-AURORA": (19_860, 983, 38, 18_877),
    "F-BAMBOO": (985, 26_796, 0, -25_811),
    "F-HQ": (6_936, 2, 0, 6_934),
}


def _lines(statement: settlement_pb2.Statement) -> list[tuple]:
    return [
        (settlement_pb2.SettlementFlow.Name(line.flow).removeprefix("SETTLEMENT_FLOW_"), line.counterparty_franchisee_id,
         line.store_id, line.original_business_date, line.transaction_count, line.gross_fen, line.counterparty_fee_fen,
         line.platform_fee_fen, line.net_fen)
        for line in statement.lines
    ]


def _totals(statement: settlement_pb2.Statement) -> tuple[int, int, int, int]:
    return (statement.receivable_fen, statement.payable_fen, statement.fees_fen, statement.net_fen)


@pytest.fixture
def ledger(fresh_database, tmp_path: Path):
    url = fresh_database("settlement_golden")
    upgrade_to_head("settlement", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    consumer = IdempotentConsumer(name=f"test.{CLEARING_CONSUMER}", bootstrap="unused:0", topics=[],
                                  session_factory=sessions, processed_model=ProcessedEvent, handle=record_posting)
    runner = SettlementRunner(sessions, StaticConfigSource(SNAPSHOT), statements_dir=tmp_path / "statements", clock=lambda: NOW)
    yield sessions, consumer, runner, tmp_path / "statements"
    engine.dispose()


def _feed(consumer: IdempotentConsumer, events: list[events_pb2.TransactionPosted]) -> None:
    for event in events:
        envelope = wrap(event, producer="region-test", aggregate_id=event.transaction.card_number).SerializeToString()
        assert consumer.apply(envelope) is True
        assert consumer.apply(envelope) is False  # redelivery changes nothing


def _row_counts(sessions) -> dict[str, int]:
    with sessions() as session:
        return {model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (ClearingRecord, SettlementRun, Statement, StatementFile)}


def test_golden_scenario_two_days_with_a_late_posting(ledger):
    sessions, consumer, runner, statements_dir = ledger
    _feed(consumer, DAY_ONE)

    run = runner.run(DAY)
    assert run.state == settlement_pb2.SETTLEMENT_RUN_STATE_COMPLETED
    assert (run.clearing_record_count, run.late_record_count, run.statement_count) == (10, 0, 3)
    assert run.fee_schedule.effective_from_business_date == "2026-06-01"
    assert run.manifest.net_total_fen == 0
    assert [entry.franchisee_id for entry in run.manifest.entries] == ["F-AURORA", "F-BAMBOO", "F-HQ"]
    with sessions() as session:
        for franchisee, expected in EXPECTED_DAY_ONE.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=DAY)
            assert statement.statement_id == f"ST-2026-11-20-{franchisee}"
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_DAY_ONE_TOTALS[franchisee], franchisee
            assert [line.line_number for line in statement.lines] == list(range(1, len(expected) + 1))
        closure = session.execute(select(Statement.memo).where(Statement.statement_id == "ST-2026-11-20-F-HQ")).scalar_one()
        assert {"item": "CARD_CLOSURE", "role": "ACQUIRER", "counterparty_franchisee_id": "F-BAMBOO", "store_id": "S-E-001",
                "original_business_date": "", "transaction_count": 1, "principal_fen": -4_321, "bonus_fen": -500,
                "points": 0, "count_uses": 0} in closure
    # Every file is where the manifest says, with the hash it lists.
    day_dir = statements_dir / "2026-11-20"
    manifest_files = {path.name for path in day_dir.iterdir()}
    assert "manifest.json" in manifest_files and "ST-2026-11-20-F-AURORA.pdf" in manifest_files
    with sessions() as session:
        for file in session.execute(select(StatementFile).where(StatementFile.business_date == DAY)).scalars():
            assert hashlib.sha256((day_dir / file.file_name).read_bytes()).hexdigest() == file.sha256

    # The late posting arrives; re-running the settled day changes nothing at all.
    before = _row_counts(sessions)
    _feed(consumer, [LATE])
    again = runner.run(DAY)
    assert again == run
    assert _row_counts(sessions) == {**before, "clearing_records": before["clearing_records"] + 1}

    _feed(consumer, DAY_TWO)
    second = runner.run(NEXT_DAY)
    assert (second.clearing_record_count, second.late_record_count) == (2, 1)
    assert second.manifest.net_total_fen == 0
    with sessions() as session:
        for franchisee, expected in EXPECTED_DAY_TWO.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=NEXT_DAY)
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_DAY_TWO_TOTALS[franchisee], franchisee
        late = session.get(ClearingRecord, "T13")
        assert (late.business_date, late.settled_business_date) == (DAY, NEXT_DAY)


def test_the_nightly_schedule_settles_the_closed_day_and_catches_up(ledger):
    from settlement.scheduler import NightlySettlement

    sessions, consumer, runner, _statements_dir = ledger
    _feed(consumer, DAY_ONE)
    nightly = NightlySettlement(runner, nightly_at="04:30")  # NOW is 09:00 on the 22nd in Shanghai
    assert nightly.days_to_settle() == [DAY, NEXT_DAY]
    assert nightly.run_due() == [DAY, NEXT_DAY]
    assert nightly.run_due() == []
    with sessions() as session:
        assert load_statement(session, franchisee_id="F-BAMBOO", business_date=DAY).net_fen == 22_709

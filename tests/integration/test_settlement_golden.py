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
  A receivable collected across franchisees (issue 21, docs/adr/0018):
  T16 OFFLINE_ADVICE A1 at S-W-001 (HQ) principal −4,000, of which the card held 1,500: 2,500 is now a
      receivable on A1. The acquirer is paid in full by the issuer, as for any spend: gross 4,000,
      interchange 60; no platform fee (HQ receives). Aurora pays 3,940, HQ receives 3,940.
  T17 RECHARGE A1 at S-E-001 (HQ)      principal 3,000: the first 2,500 pays A1's receivable, 500
      lands on the card. HQ took all 3,000 in cash for Aurora, so it clears like any recharge:
      collection 15, platform 6 (Aurora receives); HQ pays 2,985, Aurora receives 2,979.
  Totals: Aurora receivable 19,860 + 2,979 = 22,839, payable 983 + 3,940 = 4,923, fees 38 + 6 = 44,
  net 17,916; HQ receivable 3,940 + 6,896 + 6 + 40 = 10,882, payable 2 + 2,985 = 2,987, net 7,895;
  Bamboo unchanged (−25,811); 17,916 + 7,895 − 25,811 = 0.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from chaincard.v1 import settlement_pb2
from settlement.models import ClearingRecord, Statement, StatementFile
from settlement.statements import load_statement
from tests.support.settlement import (
    DAY,
    DAY_ONE,
    DAY_TWO,
    EXPECTED_DAY_ONE,
    EXPECTED_DAY_ONE_TOTALS,
    EXPECTED_DAY_TWO,
    EXPECTED_DAY_TWO_TOTALS,
    LATE,
    NEXT_DAY,
    feed,
    row_counts,
)


def _lines(statement: settlement_pb2.Statement) -> list[tuple]:
    return [
        (settlement_pb2.SettlementFlow.Name(line.flow).removeprefix("SETTLEMENT_FLOW_"), line.counterparty_franchisee_id,
         line.store_id, line.original_business_date, line.transaction_count, line.gross_fen, line.counterparty_fee_fen,
         line.platform_fee_fen, line.net_fen)
        for line in statement.lines
    ]


def _totals(statement: settlement_pb2.Statement) -> tuple[int, int, int, int]:
    return (statement.receivable_fen, statement.payable_fen, statement.fees_fen, statement.net_fen)


def test_golden_scenario_two_days_with_a_late_posting(ledger):
    sessions, consumer, runner, statements_dir = ledger
    feed(consumer, DAY_ONE)

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
    before = row_counts(sessions)
    feed(consumer, [LATE])
    again = runner.run(DAY)
    assert again == run
    assert row_counts(sessions) == {**before, "clearing_records": before["clearing_records"] + 1}

    feed(consumer, DAY_TWO)
    second = runner.run(NEXT_DAY)
    assert (second.clearing_record_count, second.late_record_count) == (4, 1)
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
    feed(consumer, DAY_ONE)
    nightly = NightlySettlement(runner, nightly_at="04:30")  # NOW is 09:00 on the 22nd in Shanghai
    assert nightly.days_to_settle() == [DAY, NEXT_DAY]
    assert nightly.run_due() == [DAY, NEXT_DAY]
    assert nightly.run_due() == []
    with sessions() as session:
        assert load_statement(session, franchisee_id="F-BAMBOO", business_date=DAY).net_fen == 22_709


def test_golden_coupons_clear_from_cost_bearer_to_the_store_and_reverse_on_refund(ledger):
    """Coupons (issue 13, F1): the franchisee bearing a coupon's cost pays the store's franchisee its
    discount less the coupon fee; the receiver pays HQ's platform fee as on every flow. Schedule from
    2026-11-23: interchange 150 bp, collection 50 bp, platform 20 bp, coupon 300 bp.

    Day 2026-11-23 (A1 Aurora's card, B1 Bamboo's, H1 HQ's; S-W-002 Bamboo's store, S-E-002 Aurora's,
    S-E-001 HQ's):
      C01 SPEND A1 at S-W-002, principal −8,000, CP1 (Aurora bears) 2,000 off
          spend Aurora→Bamboo 8,000: interchange 120, platform 16 → Bamboo +7,864, Aurora −7,880
          coupon Aurora→Bamboo 2,000: fee 2,000 × 3% = 60, platform 4 → Bamboo +1,936, Aurora −1,940
      C02 SPEND B1 at S-W-002, CP2 (Bamboo bears) 1,500 — card and coupon within Bamboo: nothing
      C03 SPEND B1 at S-W-002, CP3 (HQ bears) 1,235 — the card flow is Bamboo's own (nothing), the
          coupon is HQ's: fee 37.05 → 37, platform 2.47 → 2 → Bamboo +1,196, HQ −1,198
      C04 SPEND H1 at S-E-002, principal −6,000 bonus −500, CP4 (Aurora bears) 1,000 and CP5 (HQ) 500
          spend HQ→Aurora 6,500: interchange 97.5 → 98, platform 13 → Aurora +6,389, HQ −6,402
          CP4 is Aurora's own coupon at its own store: nothing; CP5 HQ→Aurora 500: fee 15,
          platform 1 → Aurora +484, HQ −485
      C06 SPEND A1 at S-E-001 (HQ), −4,200, CP6 (Aurora) 800; C07 VOID of C06 restoring CP6
          spend and coupon flows Aurora→HQ each net to gross 0 over 2 records: zero lines
      HQ's fee income: Aurora 13 + 1 = 14 (gross 7,000); Bamboo 16 + 4 + 2 = 22 (gross 11,235)
      Nets: Aurora 6,389 + 484 − 7,880 − 1,940 = −2,947; Bamboo 7,864 + 1,936 + 1,196 = 10,996;
      HQ 14 + 22 − 6,402 − 485 − 1,198 = −8,049; −2,947 + 10,996 − 8,049 = 0.
    Late: C08 OFFLINE_ADVICE B1 at S-E-002 of 2026-11-23, −2,000, CP7 (Bamboo) 1,000, after the day
      was settled → adjustments in 2026-11-24's run citing 2026-11-23:
          spend Bamboo→Aurora 2,000: interchange 30, platform 4 → Aurora +1,966, Bamboo −1,970
          coupon Bamboo→Aurora 1,000: fee 30, platform 2 → Aurora +968, Bamboo −970
    Day 2026-11-24:
      C05 REFUND of C01 at S-W-002, principal +8,000, restoring CP1: both flows reverse —
          spend −8,000: interchange −120, platform −16 → Bamboo −7,864, Aurora +7,880
          coupon −2,000: fee −60, platform −4 → Bamboo −1,936, Aurora +1,940
      Nets: Aurora 1,966 + 968 + 7,880 + 1,940 = 12,754; Bamboo −7,864 − 1,970 − 1,936 − 970 = −12,740;
      HQ 6 − 20 = −14; 12,754 − 12,740 − 14 = 0.
    """
    from settlement.hq import StaticConfigSource
    from settlement.models import ClearingCoupon
    from settlement.runs import SettlementRunner
    from tests.support.settlement import (
        COUPON_DAY,
        COUPON_DAY_ONE,
        COUPON_DAY_TWO,
        COUPON_LATE,
        COUPON_NEXT_DAY,
        COUPON_NOW,
        COUPON_SNAPSHOT,
        EXPECTED_COUPON_DAY_ONE,
        EXPECTED_COUPON_DAY_ONE_TOTALS,
        EXPECTED_COUPON_DAY_TWO,
        EXPECTED_COUPON_DAY_TWO_TOTALS,
    )

    sessions, consumer, _runner, statements_dir = ledger
    runner = SettlementRunner(sessions, StaticConfigSource(COUPON_SNAPSHOT), statements_dir=statements_dir,
                              clock=lambda: COUPON_NOW)
    feed(consumer, COUPON_DAY_ONE)
    run = runner.run(COUPON_DAY)
    assert (run.clearing_record_count, run.late_record_count, run.manifest.net_total_fen) == (4, 0, 0)
    assert run.fee_schedule.coupon_fee_bp == 300
    with sessions() as session:
        for franchisee, expected in EXPECTED_COUPON_DAY_ONE.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=COUPON_DAY)
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_COUPON_DAY_ONE_TOTALS[franchisee], franchisee
        assert (session.get(ClearingRecord, "C04").coupon_fen, session.get(ClearingRecord, "C07").coupon_fen) == (1_500, -800)
    # The day's cross-franchise records include C03: Bamboo's card at Bamboo's store, with HQ's coupon.
    from settlement.queries import clearing_records

    with sessions() as session:
        streamed = [item.record for item in clearing_records(session, settlement_pb2.StreamClearingRecordsRequest(
            business_date="2026-11-23"))]
        assert sorted((r.transaction_id, r.coupon_fen) for r in streamed) == [
            ("C01", 2_000), ("C03", 1_235), ("C04", 1_500), ("C06", 800), ("C07", -800)]
        hq_side = clearing_records(session, settlement_pb2.StreamClearingRecordsRequest(business_date="2026-11-23",
                                                                                     franchisee_id="F-HQ"))
        assert sorted(item.record.transaction_id for item in hq_side) == ["C03", "C04", "C06", "C07"]
    # The statement files show the coupon lines by name.
    csv = (statements_dir / "2026-11-23" / "ST-2026-11-23-F-BAMBOO.csv").read_text(encoding="utf-8-sig")
    assert "COUPON_ACQUIRED" in csv and "coupon_fee_bp,300" in csv

    feed(consumer, [COUPON_LATE])
    feed(consumer, COUPON_DAY_TWO)
    second = runner.run(COUPON_NEXT_DAY)
    assert (second.clearing_record_count, second.late_record_count, second.manifest.net_total_fen) == (1, 1, 0)
    with sessions() as session:
        for franchisee, expected in EXPECTED_COUPON_DAY_TWO.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=COUPON_NEXT_DAY)
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_COUPON_DAY_TWO_TOTALS[franchisee], franchisee
        restored = session.get(ClearingCoupon, ("C05", "CP1"))
        assert (restored.issuer_franchisee_id, restored.discount_fen) == ("F-AURORA", -2_000)
        assert session.execute(select(func.count()).select_from(ClearingCoupon)).scalar_one() == 9  # each once


def test_golden_count_uses_clear_from_seller_to_the_store_and_reverse_on_refund(ledger, capsys):
    """Count uses (issue 14 item 9, docs/adr/0031): the franchisee that sold a pack of uses pays the
    franchisee whose store gave the service the uses' value less the count-use fee; the receiver pays
    HQ's platform fee as on every flow. Schedule from 2026-11-26: interchange 150 bp, platform 20 bp,
    count-use fee 500 bp. Fees half up, once per flow.

    What uses are worth (the region's rule, chaincard.ledger.count_use_value): a use taken from a
    pack is worth value-left × uses // uses-left of the pack, so the last use takes the remainder:
      Bamboo's WASH pack on A1, 10,000 for 3: 10,000 × 1 // 3 = 3,333 (6,667 left for 2), then
        6,667 × 1 // 2 = 3,333 (3,334 left for the last use);
      Aurora's COFFEE pack on B1, 3,000 for 4: two uses at once 3,000 × 2 // 4 = 1,500;
      Bamboo's COFFEE pack on B1, 5,000 for 7: 5,000 // 7 = 714;
      Aurora's WASH pack on H1, 2,001 for 2: both at once = 2,001 (the whole pack);
      HQ's COFFEE pack on H1, 5,000 for 7 of which 5 were used: 1,430 left for 2 → 715.

    Day 2026-11-26 (A1 Aurora's card, B1 Bamboo's, H1 HQ's; S-E-002 Aurora's store, S-W-002
    Bamboo's, S-E-001 HQ's):
      U01 SPEND A1 at S-E-002, 1 WASH use sold by Bamboo (3,333), no stored value: the card is
          Aurora's at its own store (nothing); uses Bamboo→Aurora 3,333: fee 166.65 → 167,
          platform 6.666 → 7 → Aurora +3,159, Bamboo −3,166
      U02 SPEND A1 at S-W-002, principal −2,000 and 1 WASH use sold by Bamboo (3,333): the uses
          are Bamboo's at its own store (nothing); spend Aurora→Bamboo 2,000: interchange 30,
          platform 4 → Bamboo +1,966, Aurora −1,970
      U03 SPEND B1 at S-E-001, 3 COFFEE uses from two packs: 2 sold by Aurora (1,500) and 1 by
          Bamboo (714), no stored value: spend Bamboo→HQ gross 0 (a zero line); uses Aurora→HQ
          1,500: fee 75, no platform fee (HQ receives) → HQ +1,425, Aurora −1,425; uses
          Bamboo→HQ 714: fee 35.7 → 36 → HQ +678, Bamboo −678
      U04 SPEND H1 at S-W-002, 2 WASH uses sold by Aurora (2,001); U05 VOID of U04 returning them:
          spend HQ→Bamboo and uses Aurora→Bamboo each net to gross 0 over 2 records: zero lines
      HQ's fee income: Aurora 7 (gross 3,333), Bamboo 4 (gross 2,000)
      Nets: Aurora 3,159 − 1,970 − 1,425 = −236; Bamboo 1,966 − 3,166 − 678 = −1,878;
      HQ 1,425 + 678 + 7 + 4 = 2,114; −236 − 1,878 + 2,114 = 0.
    Late: U07 SPEND H1 at S-E-002 of 2026-11-26, principal −1,000 and 1 COFFEE use sold by HQ (715),
      after the day was settled → adjustments in 2026-11-27's run citing 2026-11-26:
          spend HQ→Aurora 1,000: interchange 15, platform 2 → Aurora +983, HQ −985
          uses HQ→Aurora 715: fee 35.75 → 36, platform 1.43 → 1 → Aurora +678, HQ −679
    Day 2026-11-27:
      U08 REFUND of U03 at S-E-001 giving back 1 COFFEE use: the region returns the use taken last,
          Bamboo's (714, all the value U03 took from that pack): uses Bamboo→HQ −714: fee −36
          (symmetric rounding), no platform fee → HQ −678, Bamboo +678; spend gross 0 (a zero line)
      Nets: Aurora 983 + 678 = 1,661; Bamboo 678; HQ 3 − 985 − 678 − 679 = −2,339;
      1,661 + 678 − 2,339 = 0.
    """
    from settlement.hq import StaticConfigSource
    from settlement.models import ClearingCountUse
    from settlement.queries import clearing_records
    from settlement.runs import SettlementRunner
    from tests.support.settlement import (
        COUNT_DAY,
        COUNT_DAY_ONE,
        COUNT_DAY_TWO,
        COUNT_LATE,
        COUNT_NEXT_DAY,
        COUNT_NOW,
        COUNT_SNAPSHOT,
        EXPECTED_COUNT_DAY_ONE,
        EXPECTED_COUNT_DAY_ONE_TOTALS,
        EXPECTED_COUNT_DAY_TWO,
        EXPECTED_COUNT_DAY_TWO_TOTALS,
    )

    sessions, consumer, _runner, statements_dir = ledger
    runner = SettlementRunner(sessions, StaticConfigSource(COUNT_SNAPSHOT), statements_dir=statements_dir,
                              clock=lambda: COUNT_NOW)
    feed(consumer, COUNT_DAY_ONE)
    run = runner.run(COUNT_DAY)
    # Records: U02, U03, U04, U05 (cards of another franchisee); use groups are not records.
    assert (run.clearing_record_count, run.late_record_count, run.manifest.net_total_fen) == (4, 0, 0)
    assert run.fee_schedule.count_use_fee_bp == 500
    with sessions() as session:
        for franchisee, expected in EXPECTED_COUNT_DAY_ONE.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=COUNT_DAY)
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_COUNT_DAY_ONE_TOTALS[franchisee], franchisee
        # U01 (Aurora's card at Aurora's store) is listed: Bamboo sold the uses it consumed.
        streamed = clearing_records(session, settlement_pb2.StreamClearingRecordsRequest(business_date="2026-11-26"))
        assert sorted(item.record.transaction_id for item in streamed) == ["U01", "U02", "U03", "U04", "U05"]
        hq_side = clearing_records(session, settlement_pb2.StreamClearingRecordsRequest(business_date="2026-11-26",
                                                                                    franchisee_id="F-HQ"))
        assert sorted(item.record.transaction_id for item in hq_side) == ["U03", "U04", "U05"]
    # The statement files show the count-use lines by name and the fee they were priced with.
    csv = (statements_dir / "2026-11-26" / "ST-2026-11-26-F-AURORA.csv").read_text(encoding="utf-8-sig")
    assert "COUNT_USES_ACQUIRED" in csv and "COUNT_USES_ISSUED" in csv and "count_use_fee_bp,500" in csv
    from settlement.cli import print_statement

    with sessions() as session:
        print_statement(load_statement(session, franchisee_id="F-AURORA", business_date=COUNT_DAY))
    printed = capsys.readouterr().out
    assert "count uses 500 bp" in printed and "COUNT_USES_ACQUIRED" in printed and "COUNT_USES_ISSUED" in printed

    feed(consumer, [COUNT_LATE])
    feed(consumer, COUNT_DAY_TWO)
    second = runner.run(COUNT_NEXT_DAY)
    assert (second.clearing_record_count, second.late_record_count, second.manifest.net_total_fen) == (1, 1, 0)
    with sessions() as session:
        for franchisee, expected in EXPECTED_COUNT_DAY_TWO.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=COUNT_NEXT_DAY)
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_COUNT_DAY_TWO_TOTALS[franchisee], franchisee
        returned = session.get(ClearingCountUse, ("U08", "COFFEE", "F-BAMBOO"))
        assert (returned.uses, returned.value_fen) == (-1, -714)
        assert session.execute(select(func.count()).select_from(ClearingCountUse)).scalar_one() == 8  # each once


def test_golden_count_use_purchase_refunds_follow_their_purchase(ledger):
    """A count-use purchase paid from the card's stored value is a spend (docs/adr/0031 addendum);
    its refund reverses that spend, and a cash purchase's refund, like the purchase, is only
    reported (docs/adr/0035). Schedule from 2026-11-26: interchange 150 bp, platform 20 bp.

    Day 2026-11-29:
      P01 COUNT_USES_PURCHASE A1 (Aurora's card) at S-W-002 (Bamboo), 10 uses for principal −30,000:
          spend Aurora→Bamboo 30,000: interchange 450, platform 60 → Bamboo +29,490, Aurora −29,550, HQ +60
      P02 COUNT_USES_PURCHASE B1 (Bamboo's) at S-E-002 (Aurora) in cash, and P03 its REFUND the same
          day: no stored value moves — memo items, no spend line (a zero line before ADR 0035)
    Day 2026-11-30:
      P04 REFUND of P01 at S-W-002 after 3 uses: the 7 left, principal +21,000 → spend gross −21,000:
          interchange −315, platform −42 → Bamboo −20,643, Aurora +20,685, HQ −42; 20,685 − 20,643 − 42 = 0.
    """
    from settlement.hq import StaticConfigSource
    from settlement.runs import SettlementRunner
    from tests.support.settlement import (
        COUNT_SNAPSHOT,
        EXPECTED_PURCHASE_DAY_ONE,
        EXPECTED_PURCHASE_DAY_ONE_TOTALS,
        EXPECTED_PURCHASE_DAY_TWO,
        EXPECTED_PURCHASE_DAY_TWO_TOTALS,
        PURCHASE_DAY,
        PURCHASE_DAY_ONE,
        PURCHASE_DAY_TWO,
        PURCHASE_NEXT_DAY,
        PURCHASE_NOW,
    )

    sessions, consumer, _runner, statements_dir = ledger
    runner = SettlementRunner(sessions, StaticConfigSource(COUNT_SNAPSHOT), statements_dir=statements_dir,
                              clock=lambda: PURCHASE_NOW)
    for day, events, expected_lines, expected_totals in (
        (PURCHASE_DAY, PURCHASE_DAY_ONE, EXPECTED_PURCHASE_DAY_ONE, EXPECTED_PURCHASE_DAY_ONE_TOTALS),
        (PURCHASE_NEXT_DAY, PURCHASE_DAY_TWO, EXPECTED_PURCHASE_DAY_TWO, EXPECTED_PURCHASE_DAY_TWO_TOTALS),
    ):
        feed(consumer, events)
        run = runner.run(day)
        assert run.manifest.net_total_fen == 0
        with sessions() as session:
            for franchisee, expected in expected_lines.items():
                statement = load_statement(session, franchisee_id=franchisee, business_date=day)
                assert _lines(statement) == expected, franchisee
                assert _totals(statement) == expected_totals[franchisee], franchisee
    with sessions() as session:
        flows = dict(session.execute(select(ClearingRecord.transaction_id, ClearingRecord.flow_kind)).all())
    assert (flows["P01"], flows["P04"]) == ("SPEND", "SPEND")
    assert flows["P02"] == flows["P03"] != "SPEND"


def test_golden_company_receivables_on_the_sellers_statement(ledger):
    """Companies' invoiced cards (C6, docs/adr/0045). Aurora sells cards by invoice to CO-ACME and
    CO-BETA at S-E-002; schedule from 2026-11-26: collection 50 bp, platform 20 bp.

    Day 2026-12-01:
      K01 COMPANY_RECHARGE A1 (Aurora's own card) 50,000 for CO-ACME — within Aurora: no line
      K02 COMPANY_RECHARGE H1 (HQ's card) 20,000 for CO-ACME — a recharge flow: Aurora collects the
          invoice and owes HQ the principal: collection 100, no platform fee (HQ receives) → HQ +19,900
      K03 COMPANY_RECHARGE B1 (Bamboo's card) 10,000 for CO-BETA: collection 50, platform 20 →
          Bamboo +9,930, Aurora −9,950, HQ +20
      K04 COMPANY_PAYMENT CO-ACME 30,000 (region E) — within Aurora: no line, only its receivable
      Nets: −29,850 + 9,930 + 19,920 = 0 (the receivables are not in them).
      Aurora's company receivables: CO-ACME invoiced 70,000, paid 30,000, outstanding 40,000;
      CO-BETA invoiced 10,000, outstanding 10,000. Nobody else's statement has the section.
    Late: K05 COMPANY_PAYMENT CO-ACME 5,000 (region W) of 2026-12-01, after that day was settled.
    Day 2026-12-02:
      K06 COMPANY_PAYMENT CO-BETA 10,000 (region W).
      Aurora's company receivables: CO-ACME paid 5,000 (the late one), outstanding 35,000; CO-BETA
      paid 10,000, outstanding 0 (shown: it moved that day). No lines at all.
    """
    from settlement.hq import StaticConfigSource
    from settlement.models import ClearingCompanyReceivable
    from settlement.runs import SettlementRunner
    from tests.support.settlement import (
        COMPANY_DAY,
        COMPANY_DAY_ONE,
        COMPANY_DAY_TWO,
        COMPANY_LATE,
        COMPANY_NEXT_DAY,
        COMPANY_NOW,
        COUNT_SNAPSHOT,
        EXPECTED_COMPANY_DAY_ONE,
        EXPECTED_COMPANY_DAY_ONE_TOTALS,
        EXPECTED_COMPANY_RECEIVABLES_DAY_ONE,
        EXPECTED_COMPANY_RECEIVABLES_DAY_TWO,
    )

    def receivables(statement: settlement_pb2.Statement) -> dict[str, tuple[int, int, int]]:
        return {owed.company_id: (owed.invoiced_fen, owed.paid_fen, owed.outstanding_fen)
                for owed in statement.company_receivables}

    sessions, consumer, _runner, statements_dir = ledger
    runner = SettlementRunner(sessions, StaticConfigSource(COUNT_SNAPSHOT), statements_dir=statements_dir,
                              clock=lambda: COMPANY_NOW)
    feed(consumer, COMPANY_DAY_ONE)  # each event twice: redelivery counts once
    run = runner.run(COMPANY_DAY)
    assert (run.clearing_record_count, run.manifest.net_total_fen) == (2, 0)
    with sessions() as session:
        for franchisee, expected in EXPECTED_COMPANY_DAY_ONE.items():
            statement = load_statement(session, franchisee_id=franchisee, business_date=COMPANY_DAY)
            assert _lines(statement) == expected, franchisee
            assert _totals(statement) == EXPECTED_COMPANY_DAY_ONE_TOTALS[franchisee], franchisee
            assert receivables(statement) == (EXPECTED_COMPANY_RECEIVABLES_DAY_ONE if franchisee == "F-AURORA" else {})
        assert session.execute(select(func.count()).select_from(ClearingCompanyReceivable)).scalar_one() == 4
    day_dir = statements_dir / COMPANY_DAY.isoformat()
    csv = (day_dir / "ST-2026-12-01-F-AURORA.csv").read_bytes().decode("utf-8-sig")
    assert "company_receivables,company,invoiced_fen,paid_fen,outstanding_fen\r\n" in csv
    assert "company,CO-ACME,70000,30000,40000\r\ncompany,CO-BETA,10000,0,10000\r\n" in csv
    assert "company_receivables" not in (day_dir / "ST-2026-12-01-F-BAMBOO.csv").read_text(encoding="utf-8-sig")

    feed(consumer, [COMPANY_LATE])
    feed(consumer, COMPANY_DAY_TWO)
    second = runner.run(COMPANY_NEXT_DAY)
    assert second.manifest.net_total_fen == 0
    with sessions() as session:
        aurora = load_statement(session, franchisee_id="F-AURORA", business_date=COMPANY_NEXT_DAY)
        assert (aurora.lines, aurora.net_fen) == ([], 0)
        assert receivables(aurora) == EXPECTED_COMPANY_RECEIVABLES_DAY_TWO
        # The first day's statement stays as it was settled: the late payment is the next day's.
        first = load_statement(session, franchisee_id="F-AURORA", business_date=COMPANY_DAY)
        assert receivables(first) == EXPECTED_COMPANY_RECEIVABLES_DAY_ONE

    # A credit note (CreditCompanyLine) on K02 two days later: the region's VOID carries the company.
    # The recharge flow is reversed (Aurora no longer owes HQ's card the principal) and the
    # company's invoice goes down by it; nets still sum to zero.
    from datetime import UTC, date, datetime

    from tests.support.settlement import H1, posted

    credit_day = date(2026, 12, 3)
    credit = posted("K07", "VOID", H1, "S-E-002", credit_day, -20_000, original="K02")
    credit.company_id = "CO-ACME"
    feed(consumer, [credit])
    third = SettlementRunner(sessions, StaticConfigSource(COUNT_SNAPSHOT), statements_dir=statements_dir,
                             clock=lambda: datetime(2026, 12, 4, 1, 0, tzinfo=UTC)).run(credit_day)
    assert third.manifest.net_total_fen == 0
    with sessions() as session:
        aurora = load_statement(session, franchisee_id="F-AURORA", business_date=credit_day)
        assert receivables(aurora) == {"CO-ACME": (-20_000, 0, 15_000)}
        assert aurora.net_fen == 19_900  # K02's line (−19,900) reversed
        assert session.execute(select(func.count()).select_from(ClearingCompanyReceivable)).scalar_one() == 7

    # Partial credit notes (ADR 0045, fifth change): a line credited twice in part. K08 COMPANY_RECHARGE
    # H1 30,000 for CO-ACME, then K09 VOID −8,000 and K10 VOID −2,000 of it, each its own credit note.
    # Each VOID reverses exactly its amount of the recharge flow (collection fee 50 bp of it: 40 and 10)
    # and lowers the invoice by exactly it: Aurora owes HQ the 20,000 left less its 100 fee, and
    # CO-ACME was invoiced 20,000 net that day, outstanding 15,000 + 20,000.
    partial_day = date(2026, 12, 4)
    recharge = posted("K08", "COMPANY_RECHARGE", H1, "S-E-002", partial_day, 30_000)
    first_part = posted("K09", "VOID", H1, "S-E-002", partial_day, -8_000, original="K08")
    second_part = posted("K10", "VOID", H1, "S-E-002", partial_day, -2_000, original="K08")
    for event in (recharge, first_part, second_part):
        event.company_id = "CO-ACME"
    feed(consumer, [recharge, first_part, second_part])
    fourth = SettlementRunner(sessions, StaticConfigSource(COUNT_SNAPSHOT), statements_dir=statements_dir,
                              clock=lambda: datetime(2026, 12, 5, 1, 0, tzinfo=UTC)).run(partial_day)
    assert fourth.manifest.net_total_fen == 0
    with sessions() as session:
        aurora = load_statement(session, franchisee_id="F-AURORA", business_date=partial_day)
        assert receivables(aurora) == {"CO-ACME": (20_000, 0, 35_000)}
        assert aurora.net_fen == -29_850 + 7_960 + 1_990 == -19_900
        hq = load_statement(session, franchisee_id="F-HQ", business_date=partial_day)
        assert hq.net_fen == 19_900
        assert session.execute(select(func.count()).select_from(ClearingCompanyReceivable)).scalar_one() == 10

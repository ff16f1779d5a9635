"""HQ's commission run (docs/adr/0043) over its real PostgreSQL schema: a refund on a later day
claws back, from who earned it, what it reverses; refunds in parts take back exactly what was
earned; each day is written once however often it runs; the nightly job picks the ended days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.v1 import commission_pb2, common_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service.commission import commission_report, compute_day, due_days
from hq_service.models import CommissionEntry, ConfigItem, StaffMember, TransactionView

DAY1, DAY2, DAY3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
PLAN = pc.CommissionPlan(code="SP-3PCT", name="3%", event=pc.COMMISSION_EVENT_SPEND, rate_bp=300, active=True)


def _row(transaction_id: str, kind: str, day: date, amount: int, operator: str, original: str = "",
         request_id: str = "") -> TransactionView:
    transaction = common_pb2.Transaction(transaction_id=transaction_id, operator_id=operator, original_transaction_id=original,
                                         request_id=request_id or f"r-{transaction_id}")
    return TransactionView(transaction_id=transaction_id, card_number="8811", member_id="m", store_id="S-E-001",
                           business_date=day, occurred_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC),
                           transaction=transaction.SerializeToString(), transaction_type=kind, amount_fen=amount, tenders=[])


def _lines(sessions, day: date) -> dict[tuple[str, str], tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        answer = commission_report(session, commission_pb2.GetCommissionReportRequest(business_date=day.isoformat()))
    return {(line.staff_id, line.plan_code): (line.event_count, line.basis_fen, line.commission_fen) for line in answer.lines}


def test_clawbacks_across_days_and_each_day_once(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("commission_runs")
    upgrade_to_head("hq_service", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            session.add(ConfigItem(kind="commission_plan", item_key=PLAN.code, definition=PLAN.SerializeToString(),
                                   updated_at=datetime.now(UTC)))
            session.add(StaffMember(staff_id="ST-1", store_id="S-E-001", name="Zhou", role="CASHIER", active=True,
                                    employee_number="", operator_id="op-1"))
            session.add_all([
                _row("sale-1", "SPEND", DAY1, 3_333, "op-1"),      # 3% of ¥33.33 = 99.99 fen: 99
                _row("linked-1", "SPEND", DAY1, 5_000, "op-1", request_id="linked:x"),  # a second card's part: nothing
                _row("nobody", "SPEND", DAY1, 5_000, ""),           # nobody named: nothing
            ])
            session.commit()
        assert compute_day(sessions, DAY1).entries_written == 1
        assert _lines(sessions, DAY1) == {("ST-1", "SP-3PCT"): (1, 3_333, 99)}
        with sessions() as session:  # the next day a manager refunds in two parts, and a third part the day after
            session.add_all([_row("ref-1", "REFUND", DAY2, 1_111, "op-mgr", "sale-1"),
                             _row("ref-2", "REFUND", DAY2, 1_111, "op-mgr", "sale-1"),
                             _row("ref-3", "REFUND", DAY3, 1_111, "op-mgr", "sale-1")])
            session.commit()
        compute_day(sessions, DAY2)
        # floor(99 × 1111 / 3333) = 33, then floor(99 × 2222 / 3333) - 33 = 33: from who earned it.
        assert _lines(sessions, DAY2) == {("ST-1", "SP-3PCT"): (0, -2_222, -66)}
        assert compute_day(sessions, DAY2).already_run
        compute_day(sessions, DAY3)
        assert _lines(sessions, DAY3) == {("ST-1", "SP-3PCT"): (0, -1_111, -33)}
        with sessions() as session:  # all of it back, and each day written once
            assert session.execute(select(func.sum(CommissionEntry.commission_fen))).scalar_one() == 0
            assert session.execute(select(func.count()).select_from(CommissionEntry)).scalar_one() == 4
        settings = Settings(business_time_zone="Asia/Shanghai", business_day_cutoff="04:00")
        # 05:00 on Dec 4 in Shanghai: Dec 3 ended an hour ago (30 minutes' grace); Dec 1-3 are done.
        due = due_days(sessions, settings, datetime(2026, 12, 3, 21, 0, tzinfo=UTC))
        assert due[-1] == date(2026, 11, 30) and len(due) == 4
        # 04:10: Dec 3 not due yet (the grace).
        assert due_days(sessions, settings, datetime(2026, 12, 3, 20, 10, tzinfo=UTC))[-1] == date(2026, 11, 30)
    finally:
        engine.dispose()

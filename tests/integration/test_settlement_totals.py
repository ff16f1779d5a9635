"""Running totals (issue 5): intake keeps them in the transaction of each record, counting a
transaction once however often it is posted; and a run's aggregate read from them equals the sum
of the day's records up to its watermark — at every watermark, so records taken in while a run
begins are left to the next run."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.envelope import wrap
from settlement.clearing import ClearingIntake, record_posting
from settlement.models import (
    ClearingCompanyReceivable,
    ClearingCountUse,
    ClearingCoupon,
    ClearingRecord,
    ClearingTotal,
)
from settlement.runs import aggregate_groups
from tests.support.settlement import (
    COMPANY_DAY_ONE,
    COMPANY_DAY_TWO,
    COUNT_DAY_ONE,
    COUNT_DAY_TWO,
    COUPON_DAY_ONE,
    COUPON_DAY_TWO,
    COUPON_LATE,
    DAY,
    DAY_ONE,
    DAY_TWO,
    LATE,
    feed,
)

SUMMED = ("principal_delta_fen", "bonus_delta_fen", "points_delta", "count_uses_delta")


def _records(session) -> list[ClearingRecord]:  # type: ignore[no-untyped-def]
    return list(session.execute(select(ClearingRecord).order_by(ClearingRecord.sequence)).scalars())


def _by_flow(records, *, with_day: bool) -> dict[tuple, list[int]]:  # type: ignore[no-untyped-def, type-arg]
    """Straight from the records: a flow's types together, a reported type on its own."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # type: ignore[type-arg]
    for record in records:
        key = (record.issuing_franchisee_id, record.acquiring_franchisee_id, record.settling_store_id, record.flow_kind,
               record.transaction_type if record.flow_kind == "" else "")
        totals = sums[(record.business_date, *key) if with_day else key]
        totals[0] += 1
        for index, column in enumerate(SUMMED, start=1):
            totals[index] += getattr(record, column)
    return dict(sums)


def test_intake_totals_match_the_records_and_count_a_transaction_once(ledger):
    sessions, consumer, _runner, _statements_dir = ledger
    feed(consumer, [*DAY_ONE, LATE, *DAY_TWO])
    # The same transaction again in another event (another id): recorded once, counted once.
    with sessions() as session, session.begin():
        again = DAY_ONE[0]
        record_posting(session, wrap(again, producer="region-test", aggregate_id=again.transaction.card_number), again)

    with sessions() as session:
        records = _records(session)
        totals = {
            (row.business_date, row.issuing_franchisee_id, row.acquiring_franchisee_id, row.settling_store_id, row.flow_kind,
             row.reported_type): [row.transaction_count, row.principal_fen, row.bonus_fen, row.points, row.count_uses]
            for row in session.execute(select(ClearingTotal)).scalars()
        }
    assert len(records) == len(DAY_ONE) + 1 + len(DAY_TWO)
    assert totals == _by_flow(records, with_day=True)
    assert sum(count for count, *_ in totals.values()) == len(records)


def test_the_aggregate_from_totals_equals_the_records_up_to_any_watermark(ledger):
    sessions, consumer, _runner, _statements_dir = ledger
    feed(consumer, DAY_ONE)
    with sessions() as session:
        records = [record for record in _records(session) if record.business_date == DAY]
        for watermark in [0, *(record.sequence for record in records)]:
            taken = [record for record in records if record.sequence <= watermark
                     and record.issuing_franchisee_id != record.acquiring_franchisee_id]
            groups = aggregate_groups(session, DAY, watermark)
            got = {(g.issuing_franchisee_id, g.acquiring_franchisee_id, g.store_id, str(g.flow_kind), g.transaction_type):
                   [g.transaction_count, g.principal_fen, g.bonus_fen, g.points, g.count_uses] for g in groups}
            assert len(got) == len(groups) and all(g.original_business_date is None for g in groups)
            assert got == _by_flow(taken, with_day=False), watermark


def _ledger_rows(sessions) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def, type-arg]
    """Every intake table's rows, without the sequence and time of receipt (which depend on when)."""
    with sessions() as session:
        return {
            model.__tablename__: sorted(
                tuple(str(getattr(row, column.key)) for column in model.__table__.columns if column.key not in ("sequence", "received_at"))
                for row in session.execute(select(model)).scalars())
            for model in (ClearingRecord, ClearingTotal, ClearingCoupon, ClearingCountUse, ClearingCompanyReceivable)
        }


def test_a_whole_poll_in_one_batch_leaves_what_one_event_at_a_time_leaves(ledger, fresh_database):
    """The intake writes a poll's records, totals, coupons, count uses and receivables a statement
    per table (issue 17 item 2): a refund in the same batch as its sale still finds the sale, a
    transaction carried twice in one batch is recorded once, and a redelivered batch adds nothing."""
    one_at_a_time, consumer, _runner, _statements_dir = ledger
    events = [*DAY_ONE, LATE, *DAY_TWO, *COUPON_DAY_ONE, COUPON_LATE, *COUPON_DAY_TWO, *COUNT_DAY_ONE, *COUNT_DAY_TWO,
              *COMPANY_DAY_ONE, *COMPANY_DAY_TWO]
    assert any(event.transaction.original_transaction_id for event in events if hasattr(event, "transaction"))
    feed(consumer, events)

    url = fresh_database("settlement_batch")
    upgrade_to_head("settlement", url)
    engine = make_engine(url)
    batched = make_session_factory(engine)
    try:
        wrapped = [(wrap(event, producer="region-test", aggregate_id="k"), event) for event in events]
        carried_twice = (wrap(DAY_ONE[0], producer="region-test", aggregate_id="k"), DAY_ONE[0])
        for _ in range(2):  # the second time: redelivered, nothing more
            with batched() as session, session.begin():
                ClearingIntake().apply_batch(session, [*wrapped, carried_twice])
        assert _ledger_rows(batched) == _ledger_rows(one_at_a_time)
    finally:
        engine.dispose()

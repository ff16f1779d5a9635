"""Nightly settlement of one busy day, beside a bare SQL aggregate over the same rows, same run.

    .venv/bin/python bench/settlement.py [--pg DSN] [--records 1000000] [--franchisees 50] [--repeat 5] [--no-files]

What it does, in order (figures and how to read them: docs/BENCHMARKS.md, section Settlement):

1. A throw-away settlement database (Alembic head), filled by COPY with ``--records`` clearing
   records of one business day: ``--franchisees`` franchisees (the first company-owned) with
   ``--stores`` stores each; 70 % spends, 18 % recharges, 5 % refunds, 3 % offline advices,
   2 % card closures, 2 % points adjustments; issuer and store drawn uniformly (so ~98 %
   cross-franchise). The running totals are then built from them by the statement intake runs
   for each record it inserts (``settlement.clearing.add_to_totals``: INSERT … SELECT … GROUP BY
   … ON CONFLICT DO UPDATE), here once for all the copied records, and timed. Then VACUUM
   ANALYZE, so both contenders read the same warm, visible rows.
2. Baseline: the bare aggregate a settlement would need at the very least without the totals,
   ``SELECT issuer, acquirer, type, count(*), sum(principal), sum(bonus) … WHERE business_date = D
   GROUP BY 1, 2, 3``.
3. Settlement: ``SettlementRunner.run(D)`` without files (watermark, late-record marking, the
   aggregate, the rules, statements and the signed manifest stored and manifest.json written),
   deleting the run before each repetition. Baseline and run alternate ``--repeat`` times, so both
   see the same load from other processes; the run's median is divided by the baseline's: the aim
   is ≤ 3×.
4. Once more with the files (CSV, XLSX, PDF of every statement), reported on its own (not with
   ``--no-files``).
5. What intake pays for the totals: ``--intake`` postings of the next day taken in one transaction
   each through the real intake (``ClearingIntake``), record and totals upsert included;
   then as many again in batches of ``--intake-batch`` as the consumer takes a poll (``apply_batch``).
6. Drops the database, always.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import PoolProxiedConnection, delete, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from chaincard.db.engine import make_engine, make_session_factory  # noqa: E402
from chaincard.db.migrate import upgrade_to_head  # noqa: E402
from chaincard.events.envelope import wrap  # noqa: E402
from chaincard.local.postgres import PostgresServer  # noqa: E402
from chaincard.security.tokens import SigningKeyStore  # noqa: E402
from chaincard.v1 import common_pb2, directory_pb2, events_pb2, program_config_pb2  # noqa: E402
from settlement import clearing  # noqa: E402
from settlement.hq import StaticConfigSource  # noqa: E402
from settlement.models import ClearingRecord, SettlementRun, Statement, StatementFile  # noqa: E402
from settlement.runs import SettlementRunner  # noqa: E402

if TYPE_CHECKING:
    import psycopg2.extensions

DAY = date(2026, 11, 20)
MIX = [("SPEND", "SPEND", 70), ("RECHARGE", "RECHARGE", 18), ("REFUND", "SPEND", 5), ("OFFLINE_ADVICE", "SPEND", 3),
       ("CARD_CLOSURE", "", 2), ("POINTS_ADJUSTMENT", "", 2)]
COLUMNS = ("transaction_id", "transaction_type", "card_number", "home_region", "issuing_franchisee_id", "acquiring_franchisee_id",
           "acquiring_store_id", "settling_store_id", "business_date", "flow_kind", "amount_fen", "principal_delta_fen",
           "bonus_delta_fen", "points_delta", "count_uses_delta", "received_at")
BARE_AGGREGATE = text(
    "SELECT issuing_franchisee_id, acquiring_franchisee_id, transaction_type, count(*), sum(principal_delta_fen), "
    "sum(bonus_delta_fen) FROM clearing_records WHERE business_date = :day GROUP BY 1, 2, 3")


def snapshot(franchisees: list[str], stores: dict[str, str]) -> program_config_pb2.ConfigSnapshot:
    return program_config_pb2.ConfigSnapshot(
        franchisees=[directory_pb2.Franchisee(franchisee_id=f, name=f"Franchisee {f}", company_owned=i == 0)
                     for i, f in enumerate(franchisees)],
        stores=[directory_pb2.Store(store_id=s, name=f"Store {s}", franchisee_id=f) for s, f in stores.items()],
        fee_schedules=[program_config_pb2.FeeSchedule(effective_from_business_date="2026-01-01", interchange_bp=150,
                                                      collection_fee_bp=50, platform_fee_bp=20)],
    )


def load(raw_connection: PoolProxiedConnection, records: int, franchisees: list[str], stores: dict[str, str], seed: int) -> None:
    rng = random.Random(seed)
    kinds = [(kind, flow) for kind, flow, weight in MIX for _ in range(weight)]
    store_ids = list(stores)
    received = datetime(2026, 11, 20, 12, tzinfo=UTC).isoformat()
    cursor = cast("psycopg2.extensions.cursor", raw_connection.cursor())  # PostgreSQL: COPY
    batch = 100_000
    for start in range(0, records, batch):
        buffer = io.StringIO()
        for index in range(start, min(start + batch, records)):
            kind, flow = kinds[rng.randrange(len(kinds))]
            issuer = franchisees[rng.randrange(len(franchisees))]
            store = store_ids[rng.randrange(len(store_ids))]
            principal = rng.randrange(100, 200_000)
            bonus = rng.randrange(0, principal // 5 + 1)
            sign = {"SPEND": -1, "OFFLINE_ADVICE": -1, "RECHARGE": 1, "REFUND": 1, "CARD_CLOSURE": -1}.get(kind, 0)
            buffer.write(f"T{index:09d}\t{kind}\t88110{index:010d}\tE\t{issuer}\t{stores[store]}\t{store}\t{store}\t"
                         f"{DAY.isoformat()}\t{flow}\t{principal + bonus}\t{sign * principal}\t{sign * bonus}\t"
                         f"{rng.randrange(0, 300) if kind == 'SPEND' else 0}\t0\t{received}\n")
        buffer.seek(0)
        cursor.copy_expert(f"COPY clearing_records ({', '.join(COLUMNS)}) FROM STDIN", buffer)
    raw_connection.commit()


def bare_aggregate(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.execute(BARE_AGGREGATE, {"day": DAY}).all()


def fill_totals(sessions: sessionmaker[Session]) -> None:
    """The running totals of the copied records, by the statement intake runs for each record."""
    with sessions() as session, session.begin():
        clearing.add_to_totals(session, ClearingRecord.business_date == DAY)


def intake_cost(sessions: sessionmaker[Session], postings: int, franchisees: list[str], stores: dict[str, str]) -> float:
    """Seconds per posting taken in one transaction each (a redelivered event is applied alone)."""
    intake = clearing.ClearingIntake()
    store_ids = list(stores)
    started = time.perf_counter()
    for index in range(postings):
        event = next_day_posting(index, "I", franchisees, stores, store_ids)
        with sessions() as session, session.begin():
            intake(session, wrap(event, producer="bench", aggregate_id=event.transaction.card_number), event)
    return (time.perf_counter() - started) / postings


def next_day_posting(index: int, prefix: str, franchisees: list[str], stores: dict[str, str],
                     store_ids: list[str]) -> events_pb2.TransactionPosted:
    """A ¥10 spend of the day after the settled one, at a store picked round robin."""
    store = store_ids[index % len(store_ids)]
    return events_pb2.TransactionPosted(
        transaction=common_pb2.Transaction(
            transaction_id=f"{prefix}{index:09d}", type=common_pb2.TRANSACTION_TYPE_SPEND, card_number=f"88120{index:010d}",
            store_id=store, amount_fen=1_000, principal_delta_fen=-1_000, business_date=(DAY + timedelta(days=1)).isoformat(),
            home_region="E"),
        issuing_franchisee_id=franchisees[index % len(franchisees)], acquiring_store_id=store,
        acquiring_franchisee_id=stores[store])


def batch_intake_cost(sessions: sessionmaker[Session], postings: int, batch: int, franchisees: list[str],
                      stores: dict[str, str]) -> float:
    """Seconds per posting taken in as settlement's consumer takes a poll: ``batch`` postings per
    transaction through ``ClearingIntake.apply_batch`` (issue 17 item 2)."""
    intake = clearing.ClearingIntake()
    store_ids = list(stores)
    events = []
    for index in range(postings):
        event = next_day_posting(index, "B", franchisees, stores, store_ids)
        events.append((wrap(event, producer="bench", aggregate_id=event.transaction.card_number), event))
    started = time.perf_counter()
    for first in range(0, postings, batch):
        with sessions() as session, session.begin():
            intake.apply_batch(session, events[first:first + batch])
    return (time.perf_counter() - started) / postings


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def forget_run(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        session.execute(delete(StatementFile).where(StatementFile.business_date == DAY))
        session.execute(delete(Statement).where(Statement.business_date == DAY))
        session.execute(delete(SettlementRun).where(SettlementRun.business_date == DAY))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("CHAINCARD_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--franchisees", type=int, default=50)
    parser.add_argument("--stores", type=int, default=4, help="stores per franchisee")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--no-files", action="store_true", help="skip the run with CSV, XLSX and PDF files (~1 min)")
    parser.add_argument("--intake", type=int, default=2_000, help="postings taken in to time intake (0: skip)")
    parser.add_argument("--intake-batch", type=int, default=500, help="postings per transaction of the batched intake")
    args = parser.parse_args()

    franchisees = [f"F-{index:03d}" for index in range(args.franchisees)]
    stores = {f"S-{f[2:]}-{s}": f for f in franchisees for s in range(args.stores)}
    server = PostgresServer(args.pg)
    name = f"ccbench_settlement_{uuid.uuid4().hex[:8]}"
    url = server.url_for(name)
    engine = make_engine(url)
    try:
        upgrade_to_head("settlement", url)
        started = time.perf_counter()
        raw = engine.raw_connection()
        load(raw, args.records, franchisees, stores, args.seed)
        raw.close()
        sessions = make_session_factory(engine)
        totals_seconds = timed(lambda: fill_totals(sessions))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE clearing_records"))
            connection.execute(text("VACUUM ANALYZE clearing_totals"))
            total_rows = connection.execute(text("SELECT count(*) FROM clearing_totals")).scalar_one()
        print(f"loaded {args.records:,} clearing records of {DAY}, {len(franchisees)} franchisees, {len(stores)} stores "
              f"in {time.perf_counter() - started:.1f} s; running totals built in {totals_seconds:.2f} s ({total_rows:,} rows)")

        bare_aggregate(sessions)  # warm the cache for both contenders

        config = StaticConfigSource(snapshot(franchisees, stores))
        with tempfile.TemporaryDirectory() as folder:
            runner = SettlementRunner(sessions, config, statements_dir=Path(folder, "statements"), render_files=False,
                                      clock=lambda: datetime(2026, 11, 21, 21, tzinfo=UTC),
                                      signing_keys=SigningKeyStore(Path(folder, "keys")))
            bare, runs, phases = [], [], []
            for _ in range(args.repeat):
                bare.append(timed(lambda: bare_aggregate(sessions)))
                forget_run(sessions)
                runs.append(timed(lambda: runner.run(DAY)))
                phases.append(runner.timings)
            if not args.no_files:
                forget_run(sessions)
                runner.render_files = True
                with_files = timed(lambda: runner.run(DAY))
                files_phase = runner.timings
            run = runner.run(DAY)
            written = sum(1 for _ in runner.day_dir(DAY).iterdir())
        per_posting = intake_cost(sessions, args.intake, franchisees, stores) if args.intake else 0.0
        per_batched = (batch_intake_cost(sessions, args.intake, args.intake_batch, franchisees, stores)
                       if args.intake else 0.0)

        with sessions() as session:
            records = session.execute(text("SELECT count(*) FROM clearing_records WHERE business_date = :day"), {"day": DAY}).scalar_one()
            cross = session.execute(text("SELECT count(*) FROM clearing_records WHERE issuing_franchisee_id <> "
                                         "acquiring_franchisee_id AND business_date = :day"), {"day": DAY}).scalar_one()
            line_count = session.execute(text("SELECT sum(line_count) FROM statements")).scalar_one()
            memo_count = session.execute(text("SELECT sum(json_array_length(memo -> 'rows')) FROM statements")).scalar_one()
        bare_median, run_median = statistics.median(bare), statistics.median(runs)
        middle = phases[len(phases) // 2]
        print(f"\n{'':<38}{'median s':>10}   runs")
        print(f"{'bare SQL GROUP BY (baseline)':<38}{bare_median:>10.3f}   " + " ".join(f"{t:.3f}" for t in bare))
        print(f"{'settlement run, statements stored':<38}{run_median:>10.3f}   " + " ".join(f"{t:.3f}" for t in runs))
        print(f"{'ratio settlement / bare aggregate':<38}{run_median / bare_median:>10.2f}×  (aim ≤ 3×)")
        print(f"  phases of a run: watermark {middle.watermark:.3f}  aggregate {middle.aggregate:.3f}  rules {middle.rules:.3f}  "
              f"store {middle.store:.3f}  manifest written {middle.write:.3f}")
        if not args.no_files:
            print(f"{'settlement run with CSV, XLSX, PDF':<38}{with_files:>10.3f}   (rendering {files_phase.files:.2f} s, "
                  f"writing {files_phase.write:.2f} s; {written} files)")
        if args.intake:
            print(f"{'intake, per posting (own transaction)':<38}{per_posting * 1000:>10.3f}   ms ({args.intake:,} postings)")
            print(f"{'intake, per posting (batches)':<38}{per_batched * 1000:>10.3f}   ms, {args.intake_batch} postings per "
                  f"transaction: {per_posting / per_batched:.1f}× the one-at-a-time rate")
        print(f"\n{records:,} records ({cross:,} cross-franchise), {run.statement_count} statements, {line_count:,} lines, "
              f"{memo_count:,} memo items; nets sum to {run.manifest.net_total_fen}; manifest signed by key "
              f"{run.manifest.signing_key_id}")
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
              f"PostgreSQL {sessions().execute(text('SHOW server_version')).scalar_one()}")
    finally:
        engine.dispose()
        server.drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

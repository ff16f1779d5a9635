"""Sizing a saved segment over 1,000,000 members, beside a bare SQL count over the same table.

    .venv/bin/python bench/segments.py [--pg DSN] [--members 1000000] [--rounds 3] [--keep]

What it does, in order (docs/BENCHMARKS.md, "Segments", has the figures and how to read them):

1. An HQ database of its own on the server (``--pg`` or $CHAINCARD_TEST_PG_DSN), migrated to head
   by HQ's own migrations (every index HQ's member search relies on is there).
2. ``--members`` members written straight into HQ's read-model tables in bulk, one
   ``INSERT … SELECT FROM generate_series`` per table (what HQ's event consumers would have written
   for them): ``member_views`` (half homed in each region, the demo chain's four stores, birthdays
   spread over the months), one card each in ``card_views`` (two in three SV, one in three GOLD;
   balances and points varied), and ``member_daily_figures`` (four in five members visited: three in
   five within the last 60 days, one in five 100–400 days ago; one in five never), then ANALYZE. The
   card type SV is dormant after 90 days (a ``config_items`` row, as HQ's program service keeps it).
3. Two saved segments (``segments`` rows) sized by HQ's own sizing code,
   ``hq_service.segment_service.count_now`` (what ``GetSegmentSize``, ``chaincard segment size``
   and the nightly refresh run: one SQL statement from ``hq_service.member_search``):
   - ``dormant-SV``: members holding an SV card with no visit in the last 90 days (the wake-up
     campaign's segment: an EXISTS and a NOT EXISTS per member);
   - ``east-gold-spring``: homed in region E, a GOLD card, born in March–May, at least 500 points
     over their cards (a correlated sum per member).
4. Baseline: ``SELECT count(*) FROM member_views`` (the bare count over the same table), in the same
   run, rounds alternating with the sizings; medians. The ratio is sizing time / bare count time.
5. Drops the database (unless ``--keep``). Results: bench/results/segments-latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.local.postgres import PostgresServer
from chaincard.v1 import common_pb2, member_view_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service.models import ConfigItem
from hq_service.segment_models import SavedSegment
from hq_service.segment_service import count_now

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
RESULTS = Path(__file__).resolve().parent / "results"
DORMANT_DAYS = 90

SEGMENTS = {
    "dormant-SV": member_view_pb2.MemberCriteria(dormant_card_type_codes=["SV"]),
    "east-gold-spring": member_view_pb2.MemberCriteria(home_regions=["E"], card_type_codes=["GOLD"],
                                                       birthday_months=[3, 4, 5], min_points=500),
}

MEMBERS_SQL = """
INSERT INTO member_views (member_id, phone_hmac, member, home_region, registered_store_id, registered_business_date,
                          birth_month, updated_at)
SELECT 'bench-' || lpad(g::text, 10, '0'), md5(g::text), ''::bytea, CASE WHEN g % 2 = 0 THEN 'E' ELSE 'W' END,
       (ARRAY['S-E-001', 'S-W-001', 'S-E-002', 'S-W-002'])[g % 4 + 1], DATE '2025-01-01' + (g % 600),
       CASE WHEN g % 7 = 0 THEN NULL ELSE 1 + (g / 5) % 12 END, now()
FROM generate_series(1, :n) AS g
"""
CARDS_SQL = """
INSERT INTO card_views (card_number, member_id, card_type_code, state, home_region, issuing_franchisee_id, principal_fen,
                        bonus_fen, points, owed_fen, points_owed, points_expiring_30_days, points_expiring_90_days,
                        issuing_store_id, level_code, form, opened_operator_id, opened_business_date)
SELECT lpad(g::text, 15, '0'), 'bench-' || lpad(g::text, 10, '0'), CASE WHEN g % 3 = 0 THEN 'GOLD' ELSE 'SV' END, :active,
       CASE WHEN g % 2 = 0 THEN 'E' ELSE 'W' END, (ARRAY['F-HQ', 'F-HQ', 'F-AURORA', 'F-BAMBOO'])[g % 4 + 1],
       (g * 7) % 100000, (g % 50) * 100, g % 1000, 0, 0, 0, 0,
       (ARRAY['S-E-001', 'S-W-001', 'S-E-002', 'S-W-002'])[g % 4 + 1], CASE WHEN g % 3 = 0 THEN 'GOLD' ELSE 'NORMAL' END,
       0, '', DATE '2025-01-01' + (g % 600)
FROM generate_series(1, :n) AS g
"""
# Four in five members visited: g % 5 in (1, 2, 3) within the last 60 days, g % 5 = 4 100-400 days
# ago (dormant for SV), g % 5 = 0 never; every second visitor on two days.
FIGURES_SQL = """
INSERT INTO member_daily_figures (business_date, member_id, store_id, spend_fen, recharge_fen, visit_count, points_earned)
SELECT CAST(:today AS date) - CASE WHEN g % 5 = 4 THEN 100 + g % 300 ELSE g % 60 END - d * 7,
       'bench-' || lpad(g::text, 10, '0'), (ARRAY['S-E-001', 'S-W-001', 'S-E-002', 'S-W-002'])[g % 4 + 1],
       1000 + g % 9000, 0, 1, 10 + g % 90
FROM generate_series(1, :n) AS g CROSS JOIN generate_series(0, 1) AS d
WHERE g % 5 <> 0 AND (d = 0 OR g % 2 = 0)
"""


def _populate(session_factory: Any, members: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    today = business_date(utc_now())
    with session_factory.begin() as session:
        session.add(ConfigItem(kind="card_type", item_key="SV", definition=pc.CardType(
            code="SV", name="储值卡", stored_value=True, points=True, active=True,
            dormant_after_days=DORMANT_DAYS).SerializeToString()))
        session.add(ConfigItem(kind="card_type", item_key="GOLD", definition=pc.CardType(
            code="GOLD", name="金卡", stored_value=True, points=True, active=True).SerializeToString()))
    for table, statement, params in (
        ("member_views", MEMBERS_SQL, {"n": members}),
        ("card_views", CARDS_SQL, {"n": members, "active": int(common_pb2.CARD_STATE_ACTIVE)}),
        ("member_daily_figures", FIGURES_SQL, {"n": members, "today": today}),
    ):
        started = time.perf_counter()
        with session_factory.begin() as session:
            session.execute(text(statement), params)
        timings[table] = time.perf_counter() - started
        print(f"  {table:<22} written in {timings[table]:7.1f} s", flush=True)
    started = time.perf_counter()
    with session_factory.begin() as session:  # ANALYZE may run in a transaction (VACUUM may not)
        session.execute(text("ANALYZE member_views, card_views, member_daily_figures"))
    timings["analyze"] = time.perf_counter() - started
    return timings


def _save_segments(session_factory: Any) -> None:
    with session_factory.begin() as session:
        for name, criteria in SEGMENTS.items():
            session.add(SavedSegment(name=name, version=1, description="bench", criteria=criteria.SerializeToString(),
                                     scope_region="", scope_franchisee_id="", scope_store_id="", size=0,
                                     saved_by="bench", saved_at=utc_now()))


def _size(session_factory: Any, name: str) -> tuple[float, int]:
    """Seconds and answer of HQ's sizing (count_now, as GetSegmentSize runs it), committed."""
    with session_factory() as session:
        assert isinstance(session, Session)
        row = session.get(SavedSegment, (name, 1))
        assert row is not None
        started = time.perf_counter()
        size = count_now(session, row)
        session.commit()
        return time.perf_counter() - started, size


def _bare_count(session_factory: Any) -> tuple[float, int]:
    with session_factory() as session:
        started = time.perf_counter()
        total = int(session.execute(text("SELECT count(*) FROM member_views")).scalar_one())
        return time.perf_counter() - started, total


def _expected(members: int) -> dict[str, int]:
    """The segments' sizes by the population's construction (checked against HQ's answers)."""
    dormant = sum(1 for g in range(1, members + 1) if g % 3 != 0 and g % 5 in (0, 4))
    spring = sum(1 for g in range(1, members + 1)
                 if g % 2 == 0 and g % 3 == 0 and g % 7 != 0 and 1 + (g // 5) % 12 in (3, 4, 5) and g % 1000 >= 500)
    return {"dormant-SV": dormant, "east-gold-spring": spring}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get(PG_DSN_VARIABLE), help=f"PostgreSQL admin DSN (default ${PG_DSN_VARIABLE})")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not args.pg:
        print(f"give --pg DSN or set {PG_DSN_VARIABLE}", file=sys.stderr)
        return 2
    server = PostgresServer(args.pg)
    database = f"bench_segments_{uuid.uuid4().hex[:8]}"
    url = server.url_for(database)
    engine = make_engine(url)
    try:
        print(f"HQ database {database}: migrating to head…", flush=True)
        upgrade_to_head("hq_service", url)
        session_factory = make_session_factory(engine)
        print(f"Writing {args.members:,} members into HQ's read-model tables…", flush=True)
        populate = _populate(session_factory, args.members)
        _save_segments(session_factory)
        expected = _expected(args.members)
        sizing: dict[str, list[float]] = {name: [] for name in SEGMENTS}
        sizes: dict[str, int] = {}
        bare: list[float] = []
        total = 0
        for round_number in range(1, args.rounds + 1):
            seconds, total = _bare_count(session_factory)
            bare.append(seconds)
            line = [f"round {round_number}: bare count(*) {seconds * 1000:8.1f} ms ({total:,} rows)"]
            for name in SEGMENTS:
                seconds, sizes[name] = _size(session_factory, name)
                sizing[name].append(seconds)
                line.append(f"{name} {seconds * 1000:8.1f} ms ({sizes[name]:,})")
            print("  " + "; ".join(line), flush=True)
        assert total == args.members, (total, args.members)
        assert sizes == expected, (sizes, expected)
        bare_median = statistics.median(bare)
        print(f"\nbare SELECT count(*) FROM member_views: median {bare_median * 1000:.1f} ms over {args.members:,} members")
        figures: dict[str, Any] = {}
        for name, times in sizing.items():
            median = statistics.median(times)
            figures[name] = {"size": sizes[name], "median_seconds": round(median, 4),
                             "rounds_seconds": [round(t, 4) for t in times], "ratio_to_bare_count": round(median / bare_median, 1)}
            print(f"segment {name:<18} size {sizes[name]:>9,}: median {median * 1000:8.1f} ms = "
                  f"{median / bare_median:5.1f} × the bare count")
        RESULTS.mkdir(exist_ok=True)
        result = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "members": args.members, "rounds": args.rounds,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "load_average": list(os.getloadavg())},
            "populate_seconds": {key: round(value, 1) for key, value in populate.items()},
            "bare_count": {"median_seconds": round(bare_median, 4), "rounds_seconds": [round(t, 4) for t in bare]},
            "segments": figures,
            "command": " ".join(["bench/segments.py", *sys.argv[1:]]),
        }
        (RESULTS / "segments-latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {RESULTS / 'segments-latest.json'}")
        return 0
    finally:
        engine.dispose()
        if not args.keep:
            server.drop_database(database)


if __name__ == "__main__":
    sys.exit(main())

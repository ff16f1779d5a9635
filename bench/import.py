"""Importing a legacy file of members with cards and balances, beside PostgreSQL COPY of the same rows.

    .venv/bin/python bench/import.py [--pg DSN] [--rows 1000000] [--chunk-rows 1000] [--rerun] [--profile SECONDS]

What it does, in order (docs/BENCHMARKS.md, "Import", has the figures and how to read them):

1. A whole chain as real processes (``chaincard.local.chain.Chain``: HQ, regions E and W, their
   relays, settlement, the local broker) on throw-away databases, plaintext (this measures the
   import, not TLS).
2. A cards file of ``--rows`` rows (UTF-8 CSV, the headers an old system exports): one member and
   card per row, every row with a principal, three in four with a bonus, points on all; the
   demo chain's four stores in turn, so half the rows are homed in each region.
3. Baseline: ``COPY`` of the file into a bare table of its ten columns (no index, no key) in a
   database of its own on the same server.
4. The import as an operator runs it: ``chaincard import cards FILE --chunk-rows N`` (the CLI reads
   the file and streams it to HQ; HQ validates it, claims the phones, registers the card numbers and
   sends each region its chunks, claiming a region's next chunk while the region writes the current
   one). Rows per second = file rows / wall seconds of the command. With
   ``--profile S``, py-spy samples HQ and region E (``--gil``) for S seconds of it.
5. The COPY baseline again (the machine is shared: the two baselines bracket the import's load);
   the ratio is the import's rate to the mean COPY rate.
6. Checks every row was imported once (members, cards, opening balances and their sums, per region),
   and with ``--rerun`` times running the file again (it imports nothing).
7. Stops everything and drops the databases, always. Results: bench/results/import-latest.json.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy import create_engine, text

from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.chain import Chain
from chaincard.local.postgres import PostgresServer

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
RESULTS = Path(__file__).resolve().parent / "results"
HEADERS = ["会员姓名", "手机号", "卡号", "卡类型", "本金余额", "赠送余额", "积分", "开卡门店", "生日", "性别"]
STORES = ["S-E-001", "S-W-001", "S-E-002", "S-W-002"]
PHONE_BASE = 13_000_000_000
CARD_BASE = 6_500_000_000_000
BARE_TABLE = ("CREATE TABLE legacy_rows (name text, phone text, card_number text, card_type text, principal numeric, "
              "bonus numeric, points bigint, store text, birthday text, gender text)")


def write_file(path: Path, count: int) -> dict[str, int]:
    """The legacy file; answers its totals (fen, points)."""
    totals = {"principal_fen": 0, "bonus_fen": 0, "points": 0}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADERS)
        for index in range(count):
            principal = 1000 + index * 7 % 100_000
            bonus = (index % 50) * 100 + (index % 10) * 10 if index % 4 else 0
            points = index % 1000 + 1
            totals["principal_fen"] += principal
            totals["bonus_fen"] += bonus
            totals["points"] += points
            writer.writerow([f"会员{index}", str(PHONE_BASE + index), str(CARD_BASE + index), "SV" if index % 3 else "GOLD",
                             f"{principal // 100}.{principal % 100:02d}", f"{bonus // 100}.{bonus % 100:02d}" if bonus else "",
                             str(points), STORES[index % len(STORES)], "1990-01-02" if index % 5 == 0 else "",
                             "女" if index % 2 else "男"])
    return totals


def copy_baseline(dsn: str, path: Path) -> float:
    """Seconds to COPY the file into a fresh bare table (created and dropped outside the timing)."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS legacy_rows")
            cursor.execute(BARE_TABLE)
            connection.commit()
            started = time.perf_counter()
            with path.open(encoding="utf-8") as handle:
                cursor.copy_expert("COPY legacy_rows FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
            connection.commit()
            seconds = time.perf_counter() - started
            cursor.execute("DROP TABLE legacy_rows")
            connection.commit()
        return seconds
    finally:
        connection.close()


def run_import(hq_endpoint: str, path: Path, chunk_rows: int) -> tuple[float, str, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "chaincard.cli", "import", "cards", str(path), "--hq", hq_endpoint,
                           "--chunk-rows", str(chunk_rows)], capture_output=True, text=True,
                          env={**os.environ, "CHAINCARD_INSECURE": "1"}, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr, done.returncode


def count_of(out: str, label: str) -> int:
    match = re.search(rf"{label} (\d+)", out)
    return int(match.group(1)) if match else -1


def held(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            members, cards = connection.execute(text(
                "SELECT (SELECT COUNT(*) FROM members WHERE channel = 'BATCH_IMPORT'), "
                "(SELECT COUNT(*) FROM cards WHERE form = 'PHYSICAL')")).one()
            openings, distinct, principal, bonus, points = connection.execute(text(
                "SELECT COUNT(*), COUNT(DISTINCT card_number), COALESCE(SUM(principal_delta_fen), 0), "
                "COALESCE(SUM(bonus_delta_fen), 0), COALESCE(SUM(points_delta), 0) FROM ledger_transactions "
                "WHERE type = 'OPENING_BALANCE'")).one()
    finally:
        engine.dispose()
    return {"members": members, "cards": cards, "openings": openings, "distinct_cards_opened": distinct,
            "principal_fen": int(principal), "bonus_fen": int(bonus), "points": int(points)}


# ---- profile -------------------------------------------------------------------------------------
def start_profiles(pids: dict[str, int], seconds: int, out_dir: Path) -> list[tuple[str, Path, subprocess.Popen[bytes]]]:
    py_spy = Path(sys.executable).parent / "py-spy"
    binary = str(py_spy) if py_spy.exists() else shutil.which("py-spy")
    if binary is None:
        print("no py-spy (.venv/bin/pip install py-spy): no profile", flush=True)
        return []
    started = []
    for name, pid in pids.items():
        raw = out_dir / f"{name}.raw"
        started.append((name, raw, subprocess.Popen(
            [binary, "record", "--gil", "--rate", "100", "--format", "raw", "--nonblocking", "-d", str(seconds), "-p", str(pid),
             "-o", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    return started


def summarise(raw: Path, top: int = 25) -> list[tuple[str, float, float]]:
    """(function, self %, inclusive %) of the busiest functions in py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r" \((?:.*/)?(?:site-packages/|work/wt/[^/]+/)?([^()]*)\)$", r" (\1)", frame.strip())
                  for frame in stack.split(";") if frame.strip()]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return [(name, round(100 * own[name] / total, 1), round(100 * inclusive[name] / total, 1))
            for name, _ in (inclusive + own).most_common(top)] if total else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get(PG_DSN_VARIABLE), help="PostgreSQL admin DSN (default: embedded)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=1000)
    parser.add_argument("--rerun", action="store_true", help="also time running the file again (imports nothing)")
    parser.add_argument("--profile", type=int, default=0, metavar="SECONDS", help="py-spy HQ and region E for this long")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    postgres = PostgresServer(args.pg) if args.pg else PostgresServer.embedded(data_dir / "pg")
    broker = LocalBroker(free_port(), data_dir / "broker.log")
    broker.start()
    prefix = f"ccbench_import_{uuid.uuid4().hex[:8]}"
    chain = Chain(data_dir / "chain", pg_dsn=postgres.admin_dsn, kafka_bootstrap=broker.bootstrap, base_port=0,
                  database_prefix=prefix, insecure=True)
    baseline_db = f"{prefix}_copy"
    state = None
    results: dict[str, Any] = {}
    ok = False
    try:
        path = data_dir / "legacy.csv"
        totals = write_file(path, args.rows)
        print(f"{args.rows:,} rows written to {path} ({path.stat().st_size / 1e6:.1f} MB); starting a chain…", flush=True)
        state = chain.start()
        postgres.create_database(baseline_db)
        baseline_dsn = postgres.url_for(baseline_db).replace("postgresql+psycopg2://", "postgresql://")
        copy_before = copy_baseline(baseline_dsn, path)
        print(f"COPY baseline: {copy_before:.2f} s ({args.rows / copy_before:,.0f} rows/s); importing…", flush=True)
        profiles = start_profiles({"hq": chain.children["hq"].pid, "region-E": chain.children["region-E"].pid},
                                  args.profile, data_dir) if args.profile else []
        seconds, out, status = run_import(state.hq_endpoint, path, args.chunk_rows)
        for _, _, process in profiles:
            process.wait()
        copy_after = copy_baseline(baseline_dsn, path)
        copy_seconds = (copy_before + copy_after) / 2
        regions = {code: held(state.database_urls[f"region_{code}"]) for code in ("E", "W")}
        imported = {key: sum(region[key] for region in regions.values()) for key in regions["E"]}
        rerun: dict[str, Any] = {}
        if args.rerun:
            again, again_out, again_status = run_import(state.hq_endpoint, path, args.chunk_rows)
            rerun = {"seconds": round(again, 2), "exit_status": again_status, "imported": count_of(again_out, "imported"),
                     "already_imported": count_of(again_out, "already imported")}
        ok = (status == 0 and imported["cards"] == imported["members"] == imported["openings"] == args.rows
              and imported["distinct_cards_opened"] == args.rows
              and all(imported[key] == totals[key] for key in totals)
              and (not rerun or (rerun["imported"], rerun["already_imported"]) == (0, args.rows)))
        results = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
            "parameters": {"rows": args.rows, "chunk_rows": args.chunk_rows},
            "copy_baseline": {"seconds_before": round(copy_before, 2), "seconds_after": round(copy_after, 2),
                              "rows_per_second": round(args.rows / copy_seconds)},
            "import": {"seconds": round(seconds, 2), "rows_per_second": round(args.rows / seconds, 1), "exit_status": status,
                       "imported": count_of(out, "imported"), "output_tail": out[-600:]},
            "ratio_to_copy": round(copy_seconds / seconds, 4),
            "held": {"file": totals, "regions": regions},
            "rerun": rerun,
            "every_row_once": ok,
            "profile": {name: summarise(raw) for name, raw, _ in profiles},
        }
    finally:
        chain.stop()
        broker.stop()
        if state is not None:
            for name in state.database_urls:
                postgres.drop_database(f"{prefix}_{name.lower()}")
        postgres.drop_database(baseline_db)
        if not args.pg:
            postgres.stop()

    print()
    print(f"{'':<40} {'seconds':>9} {'rows/s':>10}")
    print(f"{'COPY into a bare table (baseline)':<40} {copy_seconds:>9.2f} {results['copy_baseline']['rows_per_second']:>10,}")
    print(f"{'chaincard import cards':<40} {seconds:>9.2f} {results['import']['rows_per_second']:>10,.1f}")
    print(f"import / COPY: {100 * results['ratio_to_copy']:.2f} % (aim: 25 %); every row once: {ok}; "
          f"load average {results['machine']['load_average']}")
    if rerun:
        print(f"re-run: {rerun['seconds']} s, imported {rerun['imported']}, already imported {rerun['already_imported']}")
    for name, lines in results["profile"].items():
        print(f"\n{name}: function, self %, inclusive %")
        for function, own, inclusive in lines:
            print(f"  {own:5.1f} {inclusive:5.1f}  {function}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import-latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {RESULTS / 'import-latest.json'}")
    if not ok:
        print(out[-2000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

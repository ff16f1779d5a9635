"""The profile of region E: the SQL statements it sends per checkout (strace), where its Python
spends CPU (py-spy --gil) and what its database connections wait on (pg_stat_activity), written
as a summary beside the results."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2

from bench.baselines import admin_connection, connection_params
from bench.measure import Window

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "checkout-latest.json"
PROFILE_FILE = BENCH_DIR / "results" / "checkout-profile-region-E.txt"


def find_py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _frame_key(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip(), ""
    path = match.group("file")
    for marker in ("site-packages/", "lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "lib/python3.":
                path = "stdlib/" + path.split("/", 1)[-1]
            break
    else:
        path = path.split("/work/main/", 1)[-1]
    return match.group("function"), path


def _package(path: str) -> str:
    if path.startswith("stdlib/"):
        parts = path.split("/")
        return "stdlib " + (parts[1].removesuffix(".py") if len(parts) > 1 else "")
    top = path.split("/", 1)[0].removesuffix(".py")
    return top or "?"


def summarise_profile(collapsed: str, top: int = 40) -> dict[str, Any]:
    """Self and inclusive shares by function, and self share by package, from py-spy's raw output."""
    total = 0
    self_counts: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_key(frame) for frame in stack.split(";") if frame.strip()]
        if not frames:
            continue
        total += count
        leaf_function, leaf_path = frames[-1]
        self_counts[f"{leaf_function} ({leaf_path})"] += count
        packages[_package(leaf_path)] += count
        for label in {f"{function} ({path})" for function, path in frames}:
            inclusive[label] += count

    def shares(counter: collections.Counter[str]) -> list[list[Any]]:
        return [[label, round(100.0 * n / total, 1)] for label, n in counter.most_common(top)] if total else []

    return {"samples": total, "self_pct": shares(self_counts), "inclusive_pct": shares(inclusive), "package_self_pct": shares(packages)}


PROFILE_MODES = {
    # --gil: only the thread holding the GIL is sampled: where the region's Python burns CPU.
    # (py-spy's default mode, every non-idle thread, was tried: at this load it costs the region
    # ~4x its throughput and only restates what pg_stat_activity shows: threads waiting in psycopg2.)
    "gil": ["--gil", "--rate", "200"],
}
PROFILE_TITLES = {
    "gil": "py-spy --gil --rate 200: the thread holding the GIL (where the region's Python spends CPU)",
}


class ActivitySampler:
    """Samples pg_stat_activity of one database: what the region's connections are doing.

    ``active`` = a statement runs (or waits: wait_event tells on what); ``idle in transaction`` =
    the transaction is open while the region's Python works between statements (locks stay held).
    """

    def __init__(self, admin_dsn: str, database: str, interval: float = 0.01) -> None:
        self.admin_dsn, self.database, self.interval = admin_dsn, database, interval
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.waiting_on: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pg-activity")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        connection = admin_connection(self.admin_dsn)
        try:
            with connection.cursor() as cursor:
                while not self._stop.is_set():
                    cursor.execute(
                        "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU'), query FROM pg_stat_activity "
                        "WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                        (self.database,),
                    )
                    self.samples += 1
                    for state, wait, query in cursor.fetchall():
                        if state == "idle":
                            continue
                        self.counts[(state, wait if state == "active" else "-")] += 1
                        if state == "active" and wait != "CPU":
                            self.waiting_on[f"{wait}  {_normalise_sql(query)}"] += 1
                    time.sleep(self.interval)
        finally:
            connection.close()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(10)
        samples = max(1, self.samples)
        return {
            "interval_s": self.interval,
            "samples": self.samples,
            "mean_connections": [[f"{state} / {wait}", round(n / samples, 2)] for (state, wait), n in self.counts.most_common()],
            "waiting_statements": [[label, round(n / samples, 2)] for label, n in self.waiting_on.most_common(8)],
        }


DATABASE_COUNTERS = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated",
                     "tup_deleted", "blks_hit", "blks_read", "deadlocks")


def database_counters(admin_dsn: str, database: str) -> dict[str, int]:
    """pg_stat_database counters of one database (flushed by backends about once a second)."""
    connection = admin_connection(admin_dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(DATABASE_COUNTERS)} FROM pg_stat_database WHERE datname = %s", (database,))
            row = cursor.fetchone()
            return dict(zip(DATABASE_COUNTERS, row, strict=True)) if row else {}
    finally:
        connection.close()


def spend_count(admin_dsn: str, database: str) -> int:
    """SPEND transactions committed in a region's database."""
    params = connection_params(admin_dsn)
    connection = psycopg2.connect(dbname=database, user=params["PGUSER"], password=params.get("PGPASSWORD"),
                                  host=params.get("PGHOST"), port=params.get("PGPORT"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM ledger_transactions WHERE type = 'SPEND'")
            row = cursor.fetchone()
            assert row is not None  # count(*) answers one row
            return int(row[0])
    finally:
        connection.close()


_STATEMENT = re.compile(r'^(?P<tid>\d+)\s+sendto\(\d+, "Q.{0,24}?(?P<sql>(?:SELECT|INSERT|UPDATE|DELETE|WITH|BEGIN|COMMIT|ROLLBACK|SHOW|select|show)[^"]*)')
RELAY_MARKERS = ("outbox.position", "pg_try_advisory", "UPDATE outbox")


def count_statements(strace: str, pid: int, one_call: Callable[[], None], calls: int = 50) -> dict[str, Any]:
    """SQL statements a process sends per call: strace its libpq sends (simple-query 'Q' messages).

    Threads that run the outbox relay (they send its publishing statements) are left out, so what
    remains is what the calls themselves send: every statement is one round trip to PostgreSQL.
    """
    with tempfile.TemporaryDirectory() as scratch:
        trace = Path(scratch) / "strace.txt"
        process = subprocess.Popen([strace, "-f", "-qq", "-s", "160", "-e", "trace=sendto", "-o", str(trace), "-p", str(pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # attach to every thread
        for _ in range(calls):
            one_call()
        time.sleep(0.3)
        process.terminate()
        process.wait(10)
        text = trace.read_text(errors="replace") if trace.exists() else ""
    by_thread: dict[str, list[str]] = collections.defaultdict(list)
    for line in text.splitlines():
        match = _STATEMENT.match(line)
        if match:
            by_thread[match.group("tid")].append(_normalise_sql(match.group("sql").replace("\\n", " ").replace("\\0", "")))
    kinds: collections.Counter[str] = collections.Counter()
    for statements in by_thread.values():
        if any(marker in statement for statement in statements for marker in RELAY_MARKERS):
            continue
        kinds.update(" ".join(statement.split()[:5]) for statement in statements)
    total = sum(kinds.values())
    if not total:
        return {"error": "strace saw no statements (is ptrace allowed?)"}
    return {
        "calls": calls, "per_call": round(total / calls, 1),
        "transactions_per_call": round((kinds["BEGIN"]) / calls, 2),
        "by_statement": [[label, round(n / calls, 2)] for label, n in kinds.most_common()],
    }


def _normalise_sql(query: str) -> str:
    text = re.sub(r"'[^']*'", "?", " ".join(query.split()))
    text = re.sub(r"-?\b\d+\b", "?", text)
    return text[:110]


def profile_file_for(output: Path) -> Path:
    """Where the profile summary goes: beside the JSON results, so a trial run with its own
    ``--output`` leaves the published profile alone."""
    if output == RESULTS_FILE:
        return PROFILE_FILE
    return output.with_name(f"{output.stem}-profile-region-E.txt")


def profile_region(
    py_spy: str, pid: int, mode: str, seconds: float, run: Callable[[Callable[[], None]], Window],
    also_start: Callable[[], None] | None = None, profile_file: Path = PROFILE_FILE,
) -> tuple[dict[str, Any], Window]:
    """py-spy record (raw collapsed stacks, 100 Hz) on ``pid`` during ``run``; see PROFILE_MODES."""
    raw_path = profile_file.with_name(f"{profile_file.stem}-{mode}.collapsed")
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    holder: dict[str, subprocess.Popen[bytes]] = {}

    def start_profiler() -> None:
        holder["process"] = subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--format", "raw", "--output", str(raw_path), *PROFILE_MODES[mode]],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        if also_start is not None:
            also_start()

    window = run(start_profiler)
    process = holder["process"]
    try:
        _, stderr = process.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    if process.returncode != 0 or not raw_path.exists():
        return {"error": f"py-spy failed ({process.returncode}): {stderr.decode(errors='replace')[-500:]}"}, window
    summary = summarise_profile(raw_path.read_text())
    summary["raw"] = str(raw_path.relative_to(BENCH_DIR.parent)) if raw_path.is_relative_to(BENCH_DIR.parent) else str(raw_path)
    return summary, window



def write_profile_text(profile: dict[str, Any], profile_file: Path = PROFILE_FILE) -> None:
    lines = [f"region-E process during scenario region-E at {profile['clients']} clients, {profile['seconds']:g} s per mode", ""]
    statements = profile.get("statements", {})
    if "per_call" in statements:
        lines += [f"== SQL statements region-E sends per checkout (strace of libpq sends, 1 client, {statements['calls']} checkouts, "
                  f"outbox relay thread left out): {statements['per_call']} in {statements['transactions_per_call']} transactions",
                  *[f"  {n:5.2f}  {label}" for label, n in statements["by_statement"]], ""]
    elif statements:
        lines += [f"== SQL statements: {statements.get('error')}", ""]
    for mode, what in PROFILE_TITLES.items():
        found = profile.get(mode, {})
        if "self_pct" not in found:
            lines += [f"== {mode}: {found.get('error', 'not run')}", ""]
            continue
        lines += [f"== {what}; {found['samples']} samples; raw stacks: {found['raw']}", ""]
        for title, key in (("self time by package", "package_self_pct"), ("self time by function", "self_pct"),
                           ("inclusive time by function", "inclusive_pct")):
            lines += [title, *[f"  {share:5.1f} %  {label}" for label, share in found[key]], ""]
        if "under_profiler" in found:
            run = found["under_profiler"]
            lines += [f"load while profiling: {run['per_second']} checkouts/s, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms",
                      "CPU ms per checkout by process: " + ", ".join(f"{k} {v}" for k, v in run["cpu_ms_per_call"].items()), ""]
        if found.get("pg_stat_database_per_checkout"):
            lines += ["pg_stat_database of region E per checkout: "
                      + ", ".join(f"{k} {v}" for k, v in found["pg_stat_database_per_checkout"].items()), ""]
        if "pg_activity" in found:
            activity = found["pg_activity"]
            lines += [f"pg_stat_activity of region E's database, {activity['samples']} samples: mean connections by state / wait",
                      *[f"  {n:6.2f}  {label}" for label, n in activity["mean_connections"]], "",
                      "statements seen waiting (mean connections)",
                      *[f"  {n:6.2f}  {label}" for label, n in activity["waiting_statements"]], ""]
    profile_file.parent.mkdir(parents=True, exist_ok=True)
    profile_file.write_text("\n".join(lines))

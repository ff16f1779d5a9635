"""bench/measure.py: nearest-rank percentiles and the CPU account by role (pure parts)."""

from __future__ import annotations

import math

import pytest

from bench.measure import ROLES, Window, cpu_by_role, percentile, pgbench_cpu_by_role, role_of


def test_percentile_is_the_nearest_rank():
    values = [float(n) for n in range(100, 0, -1)]  # 1..100, out of order
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.999) == 100.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0


def test_percentile_of_few_values_and_of_none():
    assert percentile([7.0], 0.999) == 7.0
    assert percentile([3.0, 1.0], 0.5) == 1.0
    assert math.isnan(percentile([], 0.5))


def test_window_reports_p99_9():
    window = Window(name="w", clients=1, seconds=2.0, calls=1000, latencies_ms=[float(n) for n in range(1, 1001)])
    summary = window.summary()
    assert (summary["p50_ms"], summary["p99_ms"], summary["p99_9_ms"]) == (500.0, 990.0, 999.0)
    assert summary["per_second"] == 500.0


@pytest.mark.parametrize(("label", "role"), [
    ("region-E", "region"), ("region-E.2", "region"), ("region-W", "region"), ("relay-E", "relay"),
    ("store-S-E-001", "store agents"), ("postgres", "PostgreSQL"), ("postgres (background)", "PostgreSQL"),
    ("other:postgres", "other load"), ("other:python3", "other load"), ("hq", "HQ"), ("settlement", "settlement"),
    ("kafka broker", "broker"), ("bench clients", "clients"), ("echo server", "echo server"),
    ("pgbench client", "pgbench client"), ("py-spy", "profiler"), ("kernel", "kernel"),
])
def test_every_process_label_has_its_role(label, role):
    assert role_of(label) == role
    assert role in ROLES


def test_cpu_by_role_sums_processes_per_call_and_leaves_other_load_out_of_the_total():
    used = {"region-E": 1.0, "region-E.2": 0.5, "relay-E": 0.2, "postgres": 0.8, "postgres (background)": 0.1,
            "bench clients": 0.3, "other:python3": 2.0, "other:make": 0.0}
    account = cpu_by_role(used, calls=1000)  # seconds → ms per call: × 1000 / 1000
    assert account == {"region": 1.5, "PostgreSQL": 0.9, "relay": 0.2, "clients": 0.3, "other load": 2.0, "total": 2.9}
    assert list(account) == ["region", "PostgreSQL", "relay", "clients", "other load", "total"]  # the printed order
    assert cpu_by_role(used, calls=0) == {}


def test_pgbench_cpu_puts_what_no_process_seen_accounts_for_down_to_postgresql():
    # pgbench and its backends lived only inside the window: the sampler saw the server's background
    # processes and someone else's load; the client's CPU comes from our children's account.
    used = {"postgres (background)": 0.2, "other:python3": 0.5, "kernel": 0.1}
    account = pgbench_cpu_by_role(used, busy=3.0, client_seconds=0.4, transactions=2000)
    # unseen = 3.0 - (0.2 + 0.5 + 0.1 + 0.4) = 1.8 s → PostgreSQL 2.0 s over 2000 transactions = 1.0 ms
    assert account["PostgreSQL"] == pytest.approx(1.0)
    assert account["pgbench client"] == pytest.approx(0.2)
    assert account["other load"] == pytest.approx(0.25)
    assert account["total"] == pytest.approx(1.25)


def test_pgbench_cpu_never_puts_a_negative_share_on_postgresql():
    account = pgbench_cpu_by_role({"other:python3": 2.0}, busy=1.0, client_seconds=0.5, transactions=100)
    assert "PostgreSQL" not in account

"""What the benchmarks measure and how: latency percentiles, and the CPU every process on the
machine used during a window, by process and by role (region, PostgreSQL, relay, HQ, settlement,
broker, store agents, clients, other load), per call."""

from __future__ import annotations

import collections
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

NOISY_CORES = 0.1  # other processes' CPU during a window above which its figures are flagged


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (``fraction`` 0.99 for p99): the smallest value at
    least that fraction of the values do not exceed; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


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
    # The same CPU grouped by role (region, PostgreSQL, relay, HQ …: ``cpu_by_role``), ms per call.
    cpu_ms_per_call_by_role: dict[str, float] = field(default_factory=dict)
    machine_busy_pct: float = 0.0
    machine_cpu_ms_per_call: float = 0.0
    interference_cores: float = 0.0
    interference: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)

    def summary(self) -> dict[str, Any]:
        return {
            "calls": self.calls, "per_second": round(self.rate, 1), "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2), "p99_9_ms": round(self.percentile(0.999), 2),
            "mean_ms": round(sum(self.latencies_ms) / len(self.latencies_ms), 2) if self.latencies_ms else None,
            "errors": self.errors, "error_samples": self.error_samples,
            "cpu_ms_per_call": self.cpu_ms_per_call, "cpu_ms_per_call_by_role": self.cpu_ms_per_call_by_role,
            "machine_busy_pct": round(self.machine_busy_pct, 1),
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


# ---- the CPU account: CPU per call by role ------------------------------------------------------------
# The columns of the account, in the order they are printed. "PostgreSQL" is the server's backends of
# this run's databases and its shared background processes; "clients" is this benchmark's own process
# (its client threads); "other load" is everything that is not this run's (someone else's tests).
ROLES = ("region", "PostgreSQL", "relay", "HQ", "settlement", "broker", "store agents", "clients", "echo server",
         "pgbench client", "profiler", "kernel", "other load")


def role_of(label: str) -> str:
    """The role of a process label of :class:`CpuSampler` (a chain child's name, or one of its own)."""
    if label.startswith("region-"):  # every replica of every region: region-E, region-E.2, region-W
        return "region"
    if label.startswith("relay-"):
        return "relay"
    if label.startswith("store-"):
        return "store agents"
    if label.startswith("postgres"):  # "postgres" (our databases' backends), "postgres (background)"
        return "PostgreSQL"
    if label.startswith("other"):
        return "other load"
    return {"hq": "HQ", "settlement": "settlement", "kafka broker": "broker", "bench clients": "clients",
            "echo server": "echo server", "pgbench client": "pgbench client", "py-spy": "profiler",
            "kernel": "kernel"}.get(label, label)


def cpu_by_role(used: dict[str, float], calls: int) -> dict[str, float]:
    """ms of CPU per call by role (:data:`ROLES`), from CPU seconds by process label; "total" is this
    run's processes, "other load" left out of it. Roles that used nothing are left out."""
    if not calls:
        return {}
    roles: dict[str, float] = collections.defaultdict(float)
    for label, seconds in used.items():
        roles[role_of(label)] += 1000.0 * seconds / calls
    roles["total"] = sum(value for role, value in roles.items() if role != "other load")
    order = {role: index for index, role in enumerate((*ROLES, "total"))}
    return {role: round(value, 3) for role, value in sorted(roles.items(), key=lambda kv: order.get(kv[0], len(order)))
            if value >= 0.0005}


def pgbench_cpu_by_role(used: dict[str, float], busy: float, client_seconds: float, transactions: int) -> dict[str, float]:
    """ms of CPU per pgbench transaction by role. pgbench and its server backends start and exit
    inside the window, so the sampler (which sees processes alive at both ends) misses them: the
    client's CPU comes from the operating system's account of our finished children
    (``client_seconds``), and what the machine was busy beyond every process seen and the client
    is put down to PostgreSQL (its backends of the run)."""
    if not transactions:
        return {}
    seen = dict(used)
    seen["pgbench client"] = seen.get("pgbench client", 0.0) + client_seconds
    unseen = max(0.0, busy - sum(seen.values()))
    seen["postgres"] = seen.get("postgres", 0.0) + unseen
    return cpu_by_role(seen, transactions)


def children_cpu_seconds() -> float:
    """CPU seconds used so far by this process's finished (waited-for) children."""
    times = os.times()
    return times.children_user + times.children_system


def account_window(window: Window, used: dict[str, float], busy: float, elapsed: float) -> None:
    """Fill ``window``'s CPU figures from what a :class:`CpuSampler` measured around it."""
    window.cpu_ms_per_call = cpu_per_call(used, window.calls)
    window.cpu_ms_per_call_by_role = cpu_by_role(used, window.calls)
    window.machine_busy_pct = 100.0 * busy / (elapsed * (psutil.cpu_count() or 1))
    window.machine_cpu_ms_per_call = 1000.0 * busy / window.calls if window.calls else 0.0
    window.interference_cores = interference_cores(used, elapsed)
    window.interference = interference_by_process(used, elapsed)

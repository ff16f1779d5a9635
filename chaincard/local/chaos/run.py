"""One chaos run: start a chain with a LinkProxy on every link, open and fund cards, let the tills
sell while the nemesis plays the seed's schedule, heal, wait for quiescence, check the invariants,
and report (a failing run prints its seed and its schedule: ``chaincard chaos --seed N`` replays it)."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaincard.chain_state import ChainState
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.accounts import operator_token
from chaincard.local.chain import Chain
from chaincard.local.chaos import invariants
from chaincard.local.chaos.invariants import Check
from chaincard.local.chaos.nemesis import Nemesis
from chaincard.local.chaos.schedule import FAULT_SECONDS, MEAN_GAP, Fault, plan
from chaincard.local.chaos.workload import Pool, Request, Tills, open_cards
from chaincard.local.postgres import PostgresServer
from chaincard.rpc.channels import call
from chaincard.security.identity import Role, Scope
from chaincard.settlement_client import CLOSE_EARLY_METADATA
from chaincard.v1 import settlement_pb2, settlement_pb2_grpc, store_agent_pb2, store_agent_pb2_grpc

log = logging.getLogger(__name__)

# The processes the nemesis may kill or freeze (the broker has its own fault kinds).
PROCESSES = ("hq", "region-E", "region-W", "relay-E", "relay-W", "settlement",
             *(f"store-{store.store_id}" for store in demo_data.STORES))
LINKS = ("link-region-E", "link-region-W", *(f"link-store-{store.store_id}" for store in demo_data.STORES))


@dataclass
class Report:
    seed: int
    duration: float
    schedule: list[Fault]
    options: str = ""  # the schedule's options other than the seed and duration, as command-line arguments
    injected: Counter[str] = field(default_factory=Counter)
    requests: list[Request] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # faults not played, till bugs, a chain that would not heal
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks) and not self.problems

    def summary(self) -> str:
        lines = [f"chaos run, seed {self.seed}: {'PASSED' if self.ok else 'FAILED'} "
                 f"({self.duration:.0f} s of faults and load, {self.wall_seconds:.0f} s in all)", "",
                 "faults injected by kind"]
        lines += [f"  {kind:<24} {count:>6}" for kind, count in sorted(self.injected.items())] or ["  (none)"]
        lines += ["", "requests by kind and outcome", f"  {'kind':<12} {'OK':>7} {'offline':>8} {'ERROR':>7} {'LOST':>7}"]
        by_kind: dict[str, Counter[str]] = {}
        for request in self.requests:
            counts = by_kind.setdefault(request.kind, Counter())
            counts[request.outcome] += 1
            counts["offline"] += request.offline
        for kind, counts in sorted(by_kind.items()):
            lines.append(f"  {kind:<12} {counts['OK']:>7} {counts['offline']:>8} {counts['ERROR']:>7} {counts['LOST']:>7}")
        errors = Counter(request.code for request in self.requests if request.outcome != "OK")
        if errors:
            lines.append("  refusals and losses by status: " + ", ".join(f"{code} {count}" for code, count in errors.most_common()))
        reasons = Counter(f"{request.kind} {request.code}: {re.sub(r'[0-9]+', '#', request.detail)[:90]}"
                          for request in self.requests if request.outcome != "OK")
        lines += [f"    {count:>5} × {reason}" for reason, count in reasons.most_common(6)]
        lines += ["", "invariants checked"]
        lines += [f"  {'ok  ' if check.ok else 'FAIL'} {check.name} ({check.checked} checked){': ' + check.detail if check.detail else ''}"
                  for check in self.checks]
        if self.problems:
            lines += ["", "problems"] + [f"  {problem}" for problem in self.problems]
        if not self.ok:
            lines += ["", f"replay with: chaincard chaos --seed {self.seed} --duration {self.duration:.0f}{self.options}",
                      "fault schedule:"]
            lines += [f"  {fault.describe()}" for fault in self.schedule]
        return "\n".join(lines)


def run_chaos(seed: int, duration: float, data_dir: Path, *, pg_dsn: str | None = None, database_prefix: str = "chaos",
              cards_per_store: int = 3, tills_per_store: int = 2, quiet_timeout: float = 180.0,
              keep_databases: bool = False, mean_gap: float = MEAN_GAP,
              fault_seconds: tuple[float, float] = FAULT_SECONDS) -> Report:
    """One run of ``duration`` seconds of load with faults; the chain is stopped when it returns. On
    a server of ``pg_dsn``, its databases are dropped unless the run failed (kept for a post-mortem)
    or ``keep_databases``. ``mean_gap`` and ``fault_seconds``: the schedule's pace
    (chaincard.local.chaos.schedule.plan)."""
    began = time.monotonic()
    schedule = plan(seed, duration, PROCESSES, LINKS, mean_gap=mean_gap, fault_seconds=fault_seconds)
    options = "" if (mean_gap, fault_seconds) == (MEAN_GAP, FAULT_SECONDS) else \
        f" --mean-gap {mean_gap:g} --fault-seconds {fault_seconds[0]:g}-{fault_seconds[1]:g}"
    report = Report(seed, duration, schedule, options)
    chain = Chain(data_dir, pg_dsn=pg_dsn, base_port=0, database_prefix=database_prefix, stores=demo_data.STORES,
                  link_proxies=True)
    state = chain.start()
    try:
        stores = [store.store_id for store in demo_data.STORES]
        pool = open_cards(state, stores, cards_per_store)
        since = datetime.now(UTC) - timedelta(seconds=5)
        managers = {store: operator_token(state, f"chaos-manager-{store}", Role.STORE_MANAGER, Scope.store(store)) for store in stores}
        tills = Tills(state, stores, pool, seed, per_store=tills_per_store, manager_tokens=managers).start()
        nemesis = Nemesis(chain, schedule).start()
        time.sleep(duration)
        nemesis.wait_done(timeout=duration)  # every fault of the schedule played, however slow the restarts
        nemesis.heal()
        tills.stop()
        report.injected, report.requests = nemesis.injected, tills.requests
        _save_requests(data_dir / "requests.jsonl", [*pool.setup, *tills.requests])
        report.problems += nemesis.failures + tills.errors[:20]
        _quiesce(state, stores, replay_since=since if nemesis.broker_emptied else None, timeout=quiet_timeout, problems=report.problems)
        report.checks = check_all(state, pool, [*pool.setup, *report.requests], stores, timeout=quiet_timeout)
    finally:
        chain.stop()
        if pg_dsn and report.ok and not keep_databases:
            server = PostgresServer(pg_dsn)
            for name in state.database_urls:
                server.drop_database(f"{database_prefix}_{name.lower()}")
        report.wall_seconds = time.monotonic() - began
    return report


def _save_requests(path: Path, requests: list[Request]) -> None:
    """Every request a till made and what it was told, one JSON object a line: for a post-mortem."""
    with path.open("w") as lines:
        for request in requests:
            lines.write(json.dumps(asdict(request), ensure_ascii=False) + "\n")


def _quiesce(state: ChainState, stores: list[str], *, replay_since: datetime | None, timeout: float, problems: list[str]) -> None:
    """Every store online with an empty offline queue, every outbox published; after a broker that
    restarted empty, the outboxes replayed from the run's start (the operator's remedy, docs/adr/0005)."""
    deadline = time.monotonic() + timeout
    for store in stores:
        with state.channel(f"store-{store}") as channel:
            agent = store_agent_pb2_grpc.StoreAgentServiceStub(channel)
            while True:
                try:
                    status = agent.GetStoreStatus(store_agent_pb2.GetStoreStatusRequest(), timeout=10)
                    if status.online and status.offline_queue_depth == 0:
                        break
                except Exception as error:  # noqa: BLE001 - a store still coming back; polled again
                    status = error
                if time.monotonic() > deadline:
                    problems.append(f"{store} did not drain its offline queue: {status}")
                    break
                time.sleep(0.5)
    for code in ("E", "W"):
        url = state.database_urls[f"region_{code}"]
        while invariants.rows(url, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")[0][0]:
            if time.monotonic() > deadline:
                problems.append(f"region {code}'s relay did not publish its outbox")
                break
            time.sleep(0.5)
    if replay_since is not None:
        done = subprocess.run([sys.executable, "-m", "chaincard.cli", "events", "replay", "--since", replay_since.isoformat(),
                               "--data-dir", state.data_dir], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            problems.append(f"events replay failed: {done.stdout[-500:]}{done.stderr[-500:]}")


def check_all(state: ChainState, pool: Pool, requests: list[Request], stores: list[str], *, timeout: float) -> list[Check]:
    checks = [invariants.money_conserved(state), invariants.never_below_zero(state)]
    checks += invariants.requests_posted(state, requests, pool, stores)
    checks.append(invariants.hq_equals_regions(state, pool, timeout=timeout, settled=45.0))
    checks.append(invariants.clearing_complete(state, timeout=timeout, settled=45.0))
    token = operator_token(state, "chaos-finance", Role.HQ_FINANCE, Scope.chain())

    def settle(day: str) -> None:
        with state.channel("settlement", token=token) as channel:
            call(settlement_pb2_grpc.SettlementServiceStub(channel).RunSettlement,
                 settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=day), deadline=120,
                 metadata=[(CLOSE_EARLY_METADATA, "1")])

    checks.append(invariants.nets_sum_to_zero(state, settle))
    return checks

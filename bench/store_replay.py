"""Offline queue replay rate of a store agent, beside its online checkout rate in the same run.

    .venv/bin/python bench/store_replay.py [--pg DSN] [--sales 10000] [--online-sales 2000] [--clients 4]

What it does, in order (docs/BENCHMARKS.md, "Store agent", has the figures and how to read them):

1. A whole chain as real processes (``chaincard.local.chain.Chain``) on throw-away databases, plus
   one store agent process of its own for store S-E-001 (the same code as the chain's agents; its
   configuration poll is 1 s instead of 15 s so the raised limits below arrive without a wait).
2. Raises the chain's offline limits at HQ (a per-card floor and store exposure large enough for
   ten thousand ¥1 sales), opens ``--cards`` stored-value cards through the agent and recharges them.
3. Baseline, same agent, same run: ``--online-sales`` ¥1 checkouts through the agent to region E
   from ``--clients`` client threads (each its own channel): sales per second, p50 / p99.
4. Cuts the link for real: region E's process is stopped (SIGSTOP). ``--sales`` ¥1 checkouts through
   the agent are approved offline (the offline approval rate is reported too).
5. Resumes region E (SIGCONT) and times the queue to empty: the replay rate is sales / seconds from
   the moment the agent saw the region again (its link probe runs every second) to an empty queue;
   the time from SIGCONT is reported beside it. Then checks the region posted each advice once.
6. Stops everything and drops the databases, always. Results: bench/results/store-replay-latest.json.

Nothing here asserts a timing; other work on the same machine shows in the load average printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.chain import Chain
from chaincard.local.postgres import PostgresServer
from chaincard.rpc.channels import check_health, open_channel
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "store-replay-latest.json"
STORE = "S-E-001"
RAISED_LIMITS = program_config_pb2.OfflineLimits(
    card_daily_limit_fen=1_000_000_000, store_exposure_limit_fen=10_000_000_000, pinless_limit_fen=1_000_000,
)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def sale(card: str) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), card_number=card,
        lines=[transactions_pb2.BasketLine(sku="WATER-1", name="Mineral water", category="drinks", quantity=1, unit_price_fen=100)],
    )


def run_sales(endpoint: str, cards: list[str], count: int, clients: int, *, expect_offline: bool) -> dict[str, Any]:
    """``count`` checkouts from ``clients`` threads, cards round-robin; rate and latencies."""
    latencies: list[float] = []
    errors: list[str | None] = []  # gRPC details, when the status carried any
    lock = threading.Lock()
    next_index = iter(range(count))

    def client() -> None:
        with open_channel(endpoint) as channel:
            till = transactions_pb2_grpc.TransactionServiceStub(channel)
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                started = time.perf_counter()
                try:
                    answer = till.Checkout(sale(cards[index % len(cards)]), timeout=30)
                    if answer.offline != expect_offline:
                        raise RuntimeError(f"offline={answer.offline}")
                except (grpc.RpcError, RuntimeError) as error:
                    message = error.details() if isinstance(error, grpc.RpcError) else str(error)
                    with lock:
                        errors.append(message)
                    continue
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"sales": len(latencies), "seconds": round(seconds, 2), "per_second": round(len(latencies) / seconds, 1),
            "p50_ms": round(percentile(latencies, 0.5), 2), "p99_ms": round(percentile(latencies, 0.99), 2),
            "errors": len(errors), "error_samples": errors[:3]}


class AgentProcess:
    def __init__(self, region_endpoint: str, data_dir: Path) -> None:
        self.endpoint = f"127.0.0.1:{free_port()}"
        self.log = data_dir / "bench-agent.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chaincard.cli", "store", "--id", STORE, "--region", region_endpoint,
                 "--database-url", f"sqlite:///{data_dir / 'bench-agent.sqlite'}", "--listen", self.endpoint, "--insecure"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "CHAINCARD_STORE_CONFIG_POLL_SECONDS": "1", "CHAINCARD_LOG_LEVEL": "WARNING"},
            )
        deadline = time.monotonic() + 60
        while check_health(self.endpoint, deadline=1.0) != "SERVING":
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bench agent did not start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        self.channel = open_channel(self.endpoint)
        self.agent = store_agent_pb2_grpc.StoreAgentServiceStub(self.channel)

    def status(self) -> store_agent_pb2.GetStoreStatusResponse:
        return self.agent.GetStoreStatus(store_agent_pb2.GetStoreStatusRequest(), timeout=10)

    def wait(self, predicate: Callable[[store_agent_pb2.GetStoreStatusResponse], bool], timeout: float,
             poll: float = 0.05) -> store_agent_pb2.GetStoreStatusResponse:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"agent status never matched: {status}")
            time.sleep(poll)

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def open_cards(endpoint: str, count: int) -> list[str]:
    cards = []
    with open_channel(endpoint) as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        card_service = cards_pb2_grpc.CardServiceStub(channel)
        till = transactions_pb2_grpc.TransactionServiceStub(channel)
        for index in range(count):
            member = members.RegisterMember(members_pb2.RegisterMemberRequest(
                request_id=new_id(), name=f"Bench {index}", phone=f"133{uuid.uuid4().int % 10**8:08d}"), timeout=30).member
            card = card_service.OpenCard(cards_pb2.OpenCardRequest(
                request_id=new_id(), member_id=member.member_id, card_type_code="SV"), timeout=30).card.card_number
            till.RechargeCard(transactions_pb2.RechargeCardRequest(
                request_id=new_id(), card_number=card, amount_fen=500_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=30)  # ¥5,000: the named-card cap (V9)
            card_service.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=30)
            cards.append(card)
    return cards


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get(PG_DSN_VARIABLE), help="PostgreSQL admin DSN (default: embedded)")
    parser.add_argument("--sales", type=int, default=10_000, help="offline sales to queue and replay")
    parser.add_argument("--online-sales", type=int, default=2_000, help="online checkouts of the baseline")
    parser.add_argument("--clients", type=int, default=4, help="client threads selling through the agent")
    parser.add_argument("--cards", type=int, default=100)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="store-replay-"))
    postgres = PostgresServer(args.pg) if args.pg else PostgresServer.embedded(data_dir / "pg")
    broker = LocalBroker(free_port(), data_dir / "broker.log")
    broker.start()
    prefix = f"ccbench_store_{uuid.uuid4().hex[:8]}"
    # Plaintext (--insecure): this measures the agent's queue, not TLS; the bench agent and its
    # clients below speak plaintext too.
    chain = Chain(data_dir / "chain", pg_dsn=postgres.admin_dsn, kafka_bootstrap=broker.bootstrap, base_port=0,
                  database_prefix=prefix, insecure=True)
    agent: AgentProcess | None = None
    state = None
    results: dict[str, Any] = {}
    try:
        print("starting a chain (PostgreSQL, broker, HQ, 2 regions, 4 stores, settlement) and a bench agent…", flush=True)
        state = chain.start()
        with open_channel(state.hq_endpoint) as channel:
            program_config_pb2_grpc.ProgramConfigServiceStub(channel).SetOfflineLimits(
                program_config_pb2.SetOfflineLimitsRequest(request_id=new_id(), limits=RAISED_LIMITS), timeout=10)
        agent = AgentProcess(state.endpoint_of("region-E"), data_dir)
        cards = open_cards(agent.endpoint, args.cards)
        agent.wait(lambda s: s.offline_exposure_limit_fen == RAISED_LIMITS.store_exposure_limit_fen, timeout=60, poll=0.5)

        print(f"online baseline: {args.online_sales} checkouts through the agent, {args.clients} clients…", flush=True)
        online = run_sales(agent.endpoint, cards, args.online_sales, args.clients, expect_offline=False)

        region = chain.children["region-E"]
        os.kill(region.pid, signal.SIGSTOP)
        try:
            agent.wait(lambda s: not s.online, timeout=30)
            print(f"region E stopped; {args.sales} sales offline…", flush=True)
            offline = run_sales(agent.endpoint, cards, args.sales, args.clients, expect_offline=True)
            queued = agent.status().offline_queue_depth
        finally:
            os.kill(region.pid, signal.SIGCONT)
        resumed = time.perf_counter()
        agent.wait(lambda s: s.online, timeout=60, poll=0.01)
        online_again = time.perf_counter()
        agent.wait(lambda s: s.offline_queue_depth == 0, timeout=3600, poll=0.05)
        drained = time.perf_counter()

        engine = create_engine(state.database_urls["region_E"])
        with engine.connect() as connection:
            posted, distinct = connection.execute(text(
                "SELECT COUNT(*), COUNT(DISTINCT advice_id) FROM offline_advices WHERE store_id = :store"), {"store": STORE}).one()
        engine.dispose()
        replay_seconds = drained - online_again
        results = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
            "parameters": {"sales": args.sales, "online_sales": args.online_sales, "clients": args.clients, "cards": args.cards},
            "online_checkout": online,
            "offline_approval": offline,
            "replay": {
                "queued": queued, "posted_at_region": posted, "distinct_advices": distinct,
                "seconds_from_link_back": round(replay_seconds, 2), "seconds_from_sigcont": round(drained - resumed, 2),
                "per_second": round(queued / replay_seconds, 1) if replay_seconds else None,
            },
        }
    finally:
        if agent is not None:
            agent.stop()
        chain.stop()
        broker.stop()
        if state is not None:
            for name in state.database_urls:
                postgres.drop_database(f"{prefix}_{name.lower()}")
        if not args.pg:
            postgres.stop()

    replay = results["replay"]
    print()
    print(f"{'store agent S-E-001':<34} {'sales':>7} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, key in (("online checkout (baseline)", "online_checkout"), ("offline approval", "offline_approval")):
        row = results[key]
        print(f"{name:<34} {row['sales']:>7} {row['per_second']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8}")
    print(f"{'offline queue replay':<34} {replay['queued']:>7} {replay['per_second']:>8}      "
          f"({replay['seconds_from_link_back']} s from link back, {replay['seconds_from_sigcont']} s from SIGCONT)")
    print(f"posted at region E: {replay['posted_at_region']} ({replay['distinct_advices']} distinct); "
          f"load average {results['machine']['load_average']}")
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS_FILE}")
    return 0 if replay["posted_at_region"] == replay["queued"] == replay["distinct_advices"] else 1


if __name__ == "__main__":
    sys.exit(main())

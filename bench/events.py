"""Events: how soon a committed checkout shows in HQ's read model, and the outbox relay's throughput
beside a bare kafka-python producer, both measured in the same run.

    .venv/bin/python bench/events.py [--pg DSN] [--rate 100] [--seconds 20] [--relay-events 20000] [--rounds 3]

1. Latency. A whole chain as real processes (``chaincard.local.chain.Chain``: HQ, regions E and W,
   one store agent, settlement, the local broker) on throw-away databases. Cards are opened and
   recharged in both regions, then checkouts go straight to the regions at a steady ``--rate`` per
   second (half E, half W cards, each to its home region) for ``--seconds``. For every checkout,
   latency = the moment HQ's read-model consumer applied it (``transaction_views.applied_at``)
   − the moment the region wrote it (``Transaction.occurred_at``, stamped inside the checkout's
   database transaction just before its commit, so the figure slightly overstates the real one).
   Both clocks are this machine's. The path measured: region commit → the outbox's NOTIFY wakes
   the relay (docs/adr/0057; it polled every ``outbox_poll_seconds``, 0.2 s, before) → broker →
   HQ consumer poll → HQ's database commit.
2. Throughput, on a fresh broker with the chain stopped: ``--relay-events`` TransactionPosted
   envelopes of the size the regions write, to a 6-partition topic, keyed by card number with
   the event id as a header:
   (a) bare: ``make_producer`` (idempotent, acks=all) sends them from memory, then flush;
   (b) relay: the same envelopes as outbox rows in a region database; ``OutboxRelay.publish_batch``
       until drained (read rows in position order, send, wait for every ack, stamp published).
   Each is run ``--rounds`` times, alternating; the median events/s is reported.

Aims (issue 4): p99 < 1 s at 100 checkouts/s; relay ≥ 50 % of the bare producer. Reported, not enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chaincard.db.engine import make_engine, make_session_factory  # noqa: E402
from chaincard.db.migrate import upgrade_to_head  # noqa: E402
from chaincard.events.envelope import wrap  # noqa: E402
from chaincard.events.kafka import make_producer  # noqa: E402
from chaincard.events.relay import OutboxRelay  # noqa: E402
from chaincard.ids import new_id  # noqa: E402
from chaincard.local import demo_data  # noqa: E402
from chaincard.local.broker import LocalBroker, free_port  # noqa: E402
from chaincard.local.chain import Chain, ChainState  # noqa: E402
from chaincard.local.postgres import PostgresServer  # noqa: E402
from chaincard.v1 import (  # noqa: E402
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    events_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from region_service.models import OutboxMessage  # noqa: E402

PG_DSN_VARIABLE = "CHAINCARD_TEST_PG_DSN"
STORE_OF_REGION = {"E": "S-E-001", "W": "S-W-001"}
BENCH_TOPIC = "bench.relay.v1"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# ---- 1. latency ------------------------------------------------------------------------------------
def open_cards(state: ChainState, per_region: int) -> dict[str, list[str]]:
    cards: dict[str, list[str]] = {}
    for code, store in STORE_OF_REGION.items():
        with state.channel(f"region-{code}", as_store=store) as channel:
            members = members_pb2_grpc.MemberServiceStub(channel)
            card_service = cards_pb2_grpc.CardServiceStub(channel)
            till = transactions_pb2_grpc.TransactionServiceStub(channel)
            cards[code] = []
            for index in range(per_region):
                member = members.RegisterMember(members_pb2.RegisterMemberRequest(
                    request_id=new_id(), store_id=store, name=f"Bench {index}",
                    phone=f"133{uuid.uuid4().int % 100_000_000:08d}"), timeout=10).member
                card = card_service.OpenCard(cards_pb2.OpenCardRequest(
                    request_id=new_id(), store_id=store, member_id=member.member_id, card_type_code="SV"), timeout=10).card
                till.RechargeCard(transactions_pb2.RechargeCardRequest(
                    request_id=new_id(), store_id=store, card_number=card.card_number, amount_fen=500_000,  # ¥5,000: the named-card cap (V9)
                    tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
                cards[code].append(card.card_number)
            # One sale per region before the load, so no measured checkout is a region's very first.
            till.Checkout(transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store, card_number=cards[code][0],
                lines=[transactions_pb2.BasketLine(sku="TEA", name="tea", category="tea", quantity=1, unit_price_fen=1_200)]),
                timeout=10)
    return cards


def steady_checkouts(state: ChainState, cards: dict[str, list[str]], rate: float, seconds: float) -> tuple[list[str], float]:
    """Checkouts at ``rate`` per second; returns their transaction ids and the rate achieved."""
    total = int(rate * seconds)
    channels = {code: state.channel(f"region-{code}", as_store=store) for code, store in STORE_OF_REGION.items()}
    tills = {code: transactions_pb2_grpc.TransactionServiceStub(channel) for code, channel in channels.items()}
    ids: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        code = "E" if index % 2 == 0 else "W"
        card = cards[code][(index // 2) % len(cards[code])]
        request = transactions_pb2.CheckoutRequest(
            request_id=new_id(), store_id=STORE_OF_REGION[code], card_number=card,
            lines=[transactions_pb2.BasketLine(sku="TEA", name="tea", category="tea", quantity=1, unit_price_fen=1_200)])
        for _ in range(5):
            try:
                answer = tills[code].Checkout(request, timeout=10)
                break
            except grpc.RpcError as error:
                # Retried with the same request id: the region answers a repeat with the first answer.
                if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED, grpc.StatusCode.INTERNAL):
                    raise
        with lock:
            ids.append(answer.transaction.transaction_id)

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(32) as pool:
            futures = []
            for index in range(total):
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(one, index))
            for future in futures:
                future.result()
    finally:
        for channel in channels.values():
            channel.close()
    return ids, total / (time.monotonic() - started)


def hq_latencies(hq_url: str, transaction_ids: list[str], timeout: float = 120.0) -> list[float]:
    engine = create_engine(hq_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT transaction, applied_at FROM transaction_views WHERE transaction_id = ANY(:ids)"),
                    {"ids": transaction_ids}).all()
            if len(rows) == len(transaction_ids):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"HQ has {len(rows)} of {len(transaction_ids)} checkouts")
            time.sleep(0.5)
    finally:
        engine.dispose()
    latencies = []
    for blob, applied_at in rows:
        occurred = common_pb2.Transaction.FromString(blob).occurred_at.ToDatetime(tzinfo=UTC)
        latencies.append((applied_at - occurred).total_seconds())
    return latencies


def relay_latencies(state: ChainState, transaction_ids: list[str]) -> list[float]:
    """The relay's share: outbox row written → stamped published (broker acknowledged)."""
    wanted = set(transaction_ids)
    latencies = []
    for code in STORE_OF_REGION:
        engine = create_engine(state.database_urls[f"region_{code}"])
        try:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT envelope, created_at, published_at FROM outbox "
                    "WHERE event_type = 'chaincard.v1.TransactionPosted' AND published_at IS NOT NULL")).all()
        finally:
            engine.dispose()
        for blob, created_at, published_at in rows:
            envelope = events_pb2.EventEnvelope.FromString(blob)
            if events_pb2.TransactionPosted.FromString(envelope.payload).transaction.transaction_id in wanted:
                latencies.append((published_at - created_at).total_seconds())
    return latencies


def measure_latency(postgres: PostgresServer, data_dir: Path, rate: float, seconds: float, cards_per_region: int) -> dict[str, Any]:
    prefix = f"ccbenchev_{uuid.uuid4().hex[:8]}"
    chain = Chain(data_dir, pg_dsn=postgres.admin_dsn, base_port=0, database_prefix=prefix, stores=[demo_data.STORES[0]])
    try:
        state = chain.start()
        print(f"chain up ({len(state.processes)} processes); opening {2 * cards_per_region} cards…", flush=True)
        cards = open_cards(state, cards_per_region)
        time.sleep(3)  # let the set-up events drain before measuring
        print(f"checkouts at {rate:g}/s for {seconds:g} s…", flush=True)
        ids, achieved = steady_checkouts(state, cards, rate, seconds)
        latencies = hq_latencies(state.database_urls["hq"], ids)
        relay_part = relay_latencies(state, ids)
    finally:
        chain.stop()
        for name in ("hq", "settlement", "region_E", "region_W"):
            postgres.drop_database(f"{prefix}_{name.lower()}")
    return {
        "checkouts": len(ids), "rate_achieved_per_s": round(achieved, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1), "p90_ms": round(percentile(latencies, 0.90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
        "relay_part_p50_ms": round(percentile(relay_part, 0.50) * 1000, 1),
        "relay_part_p99_ms": round(percentile(relay_part, 0.99) * 1000, 1),
    }


# ---- 2. throughput ---------------------------------------------------------------------------------
def sample_envelopes(count: int) -> list[tuple[str, str, bytes]]:
    """(event id, card number, serialized envelope) like a region's TransactionPosted of a checkout."""
    envelopes = []
    for index in range(count):
        card = f"8811{index % 1000:011d}"
        transaction = common_pb2.Transaction(
            transaction_id=new_id(), type=common_pb2.TRANSACTION_TYPE_SPEND, card_number=card, store_id="S-E-001",
            amount_fen=1_200, principal_delta_fen=-1_200, points_delta=12, business_date="2026-11-25", home_region="E",
            balances_after=common_pb2.Balances(principal_fen=4_988_800, points=1_212), request_id=new_id(),
        )
        transaction.occurred_at.GetCurrentTime()
        posted = events_pb2.TransactionPosted(
            transaction=transaction, member_id=new_id(), issuing_franchisee_id="F-HQ", issuing_store_id="S-E-001",
            acquiring_store_id="S-E-001", acquiring_franchisee_id="F-HQ", points_earned=12,
            postings=[
                common_pb2.Posting(account_id=new_id(), asset=common_pb2.ASSET_STORED_VALUE_PRINCIPAL,
                                   direction=common_pb2.POSTING_DIRECTION_DEBIT, amount=1_200),
                common_pb2.Posting(account_id=new_id(), asset=common_pb2.ASSET_STORED_VALUE_PRINCIPAL,
                                   direction=common_pb2.POSTING_DIRECTION_CREDIT, amount=1_200),
            ],
            tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=1_200, principal_fen=1_200)],
        )
        envelope = wrap(posted, producer="region_service:E", aggregate_id=card)
        envelopes.append((envelope.event_id, card, envelope.SerializeToString()))
    return envelopes


def bare_producer_rate(bootstrap: str, envelopes: list[tuple[str, str, bytes]]) -> float:
    producer = make_producer(bootstrap)
    try:
        producer.send(BENCH_TOPIC, key=b"warm-up", value=b"x").get(timeout=10)
        started = time.monotonic()
        futures = [
            producer.send(BENCH_TOPIC, key=card.encode(), value=envelope,
                          headers=[("event_id", event_id.encode()), ("type", b"chaincard.v1.TransactionPosted")])
            for event_id, card, envelope in envelopes
        ]
        producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=10)
        return len(envelopes) / (time.monotonic() - started)
    finally:
        producer.close(timeout=5)


def relay_rate(bootstrap: str, sessions: sessionmaker[Session], envelopes: list[tuple[str, str, bytes]]) -> float:
    with sessions.begin() as session:
        session.execute(delete(OutboxMessage))
        session.execute(insert(OutboxMessage), [
            {"event_id": event_id, "topic": BENCH_TOPIC, "message_key": card, "event_type": "chaincard.v1.TransactionPosted",
             "envelope": envelope, "created_at": datetime.now(UTC)}
            for event_id, card, envelope in envelopes
        ])
    relay = OutboxRelay(sessions, OutboxMessage, bootstrap, name="bench")
    relay._get_producer().send(BENCH_TOPIC, key=b"warm-up", value=b"x").get(timeout=10)  # noqa: SLF001 - same warm-up as the bare producer
    try:
        started = time.monotonic()
        published = 0
        while (batch := relay.publish_batch()) > 0:
            published += batch
        elapsed = time.monotonic() - started
    finally:
        relay.stop()
    assert published == len(envelopes), (published, len(envelopes))
    return published / elapsed


def measure_throughput(postgres: PostgresServer, data_dir: Path, count: int, rounds: int) -> dict[str, Any]:
    broker = LocalBroker(free_port(), data_dir / "throughput-broker.log")
    broker.start()
    database = f"ccbenchev_relay_{uuid.uuid4().hex[:8]}"
    url = postgres.url_for(database)
    engine = None
    try:
        admin = KafkaAdminClient(bootstrap_servers=[broker.bootstrap])
        try:
            admin.create_topics([NewTopic(BENCH_TOPIC, num_partitions=6, replication_factor=1)])
        except TopicAlreadyExistsError:
            pass
        admin.close()
        upgrade_to_head("region_service", url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        envelopes = sample_envelopes(count)
        bare, relayed = [], []
        for round_number in range(1, rounds + 1):
            bare.append(bare_producer_rate(broker.bootstrap, envelopes))
            relayed.append(relay_rate(broker.bootstrap, sessions, envelopes))
            print(f"  round {round_number}: bare {bare[-1]:,.0f} events/s, relay {relayed[-1]:,.0f} events/s", flush=True)
    finally:
        if engine is not None:
            engine.dispose()
        broker.stop()
        postgres.drop_database(database)
    envelope_bytes = statistics.mean(len(envelope) for _, _, envelope in envelopes)
    return {
        "events": count, "rounds": rounds, "envelope_bytes": round(envelope_bytes),
        "bare_producer_events_per_s": round(statistics.median(bare)), "relay_events_per_s": round(statistics.median(relayed)),
        "relay_share_of_bare": round(statistics.median(relayed) / statistics.median(bare), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help=f"admin DSN of the PostgreSQL server (else ${PG_DSN_VARIABLE}, else embedded)")
    parser.add_argument("--rate", type=float, default=100.0, help="checkouts per second (default 100)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of steady checkouts (default 20)")
    parser.add_argument("--cards", type=int, default=50, help="cards per region (default 50)")
    parser.add_argument("--relay-events", type=int, default=20_000, help="events per throughput round (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    parser.add_argument("--no-throughput", action="store_true", help="measure the latency only")
    args = parser.parse_args()
    dsn = args.pg or os.environ.get(PG_DSN_VARIABLE)
    temp_dir = Path(tempfile.mkdtemp(prefix="ccbench-events-"))
    postgres = PostgresServer(dsn) if dsn else PostgresServer.embedded(temp_dir / "pg" / "data")
    results: dict[str, Any] = {"command": "python bench/events.py " + " ".join(sys.argv[1:]), "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "nproc": os.cpu_count()}
    try:
        print("1. checkout → HQ read model latency", flush=True)
        results["latency"] = measure_latency(postgres, temp_dir / "chain", args.rate, args.seconds, args.cards)
        if not args.no_throughput:
            print("2. relay throughput beside a bare producer", flush=True)
            results["throughput"] = measure_throughput(postgres, temp_dir, args.relay_events, args.rounds)
    finally:
        if not dsn:
            postgres.stop()
    latency, throughput = results["latency"], results.get("throughput")
    print()
    print(f"checkout → HQ read model, {latency['checkouts']} checkouts at {latency['rate_achieved_per_s']}/s: "
          f"p50 {latency['p50_ms']} ms, p90 {latency['p90_ms']} ms, p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms "
          f"(aim: p99 < 1000 ms); of which region outbox → broker ack: p50 {latency['relay_part_p50_ms']} ms, "
          f"p99 {latency['relay_part_p99_ms']} ms")
    if throughput:
        print(f"relay {throughput['relay_events_per_s']:,} events/s beside bare producer {throughput['bare_producer_events_per_s']:,} "
              f"events/s = {throughput['relay_share_of_bare']:.0%} (aim: ≥ 50 %), {throughput['envelope_bytes']} B envelopes")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

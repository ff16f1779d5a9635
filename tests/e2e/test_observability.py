"""Metrics and traces of a running chain (issue 18 items 5 and 6): a cross-region checkout at a till
moves the store's checkout counter and latency histogram on its /metrics, the consumers' lag returns
to zero, and one trace holds the spans of the till, the store agent, both regions, the relay and
HQ's consumers."""

from __future__ import annotations

import os
import random
import re
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chaincard.ids import new_id
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

pytestmark = pytest.mark.e2e

CHECKOUT = "/chaincard.v1.TransactionService/Checkout"
SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER = 2, 3, 4, 5


def scrape(chain, process_name: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a process's /metrics, by (sample name, labels)."""
    address = chain.process(process_name).metrics
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def group_values(samples, name: str) -> dict[str, float]:
    return {dict(labels)["group"]: figure for (sample, labels), figure in samples.items() if sample == name}


@pytest.fixture(scope="module")
def cross_region_sale(chain, otlp):
    """A West card sold at an Eastern till (``chaincard pos sell``, tracing to ``otlp``, inside a
    trace of the test's own given as TRACEPARENT); with the store's and HQ's figures before it."""
    before = {"store": scrape(chain, "store-S-E-002"), "hq": scrape(chain, "hq")}
    phone = f"137{random.randint(0, 99_999_999):08d}"
    with chain.channel("store-S-W-002") as west:
        member = members_pb2_grpc.MemberServiceStub(west).RegisterMember(
            members_pb2.RegisterMemberRequest(request_id=new_id(), name="Trace 会员", phone=phone), timeout=10).member
        card = cards_pb2_grpc.CardServiceStub(west).OpenCard(
            cards_pb2.OpenCardRequest(request_id=new_id(), member_id=member.member_id, card_type_code="SV"), timeout=10).card
        assert card.home_region == "W"
        transactions_pb2_grpc.TransactionServiceStub(west).RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=20_000, tender=common_pb2.TENDER_TYPE_CASH), timeout=10)
    trace_id = secrets.token_hex(16)
    till = [sys.executable, "-m", "chaincard.cli", "pos", "--store", chain.endpoint_of("store-S-E-002"), "--data-dir", chain.data_dir]
    sold = subprocess.run([*till, "sell", "--card", card.card_number, "--item", "A:tea:tea:1:30.00"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "CHAINCARD_OTLP_ENDPOINT": otlp.endpoint,
                                            "TRACEPARENT": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert sold.returncode == 0 and "PAID" in sold.stdout, sold.stdout + sold.stderr
    total = re.search(r"total ¥([\d,]+)\.(\d\d)", sold.stdout)
    assert total, sold.stdout
    return {"before": before, "trace_id": trace_id, "total_due_fen": int(total[1].replace(",", "")) * 100 + int(total[2])}


def test_a_checkout_moves_the_stores_metrics_and_the_consumers_catch_up(chain, cross_region_sale):
    before, after = cross_region_sale["before"]["store"], scrape(chain, "store-S-E-002")
    store = {"store": "S-E-002", "mode": "online"}
    assert value(after, "chaincard_checkouts_total", **store) == value(before, "chaincard_checkouts_total", **store) + 1
    assert (value(after, "chaincard_checkout_amount_fen_total", **store)
            == value(before, "chaincard_checkout_amount_fen_total", **store) + cross_region_sale["total_due_fen"])
    latency = "chaincard_rpc_server_handling_seconds"
    assert value(after, f"{latency}_count", method=CHECKOUT) == value(before, f"{latency}_count", method=CHECKOUT) + 1
    assert value(after, f"{latency}_bucket", method=CHECKOUT, le="+Inf") == value(after, f"{latency}_count", method=CHECKOUT)
    assert value(after, "chaincard_rpc_server_handled_total", method=CHECKOUT, code="OK") >= 1
    assert value(after, "chaincard_store_offline", store="S-E-002") == 0

    # HQ applies the sale's events (its applied counter moves), then every group's lag is back at zero.
    applied_before = sum(group_values(cross_region_sale["before"]["hq"], "chaincard_consumer_applied_events_total").values())
    deadline = time.monotonic() + 90
    while True:
        hq, settlement = scrape(chain, "hq"), scrape(chain, "settlement")
        lag = group_values(hq, "chaincard_consumer_lag_records") | group_values(settlement, "chaincard_consumer_lag_records")
        applied = sum(group_values(hq, "chaincard_consumer_applied_events_total").values())
        if applied > applied_before and lag and not any(lag.values()):
            break
        assert time.monotonic() < deadline, f"consumer lag {lag}, HQ applied {applied_before} → {applied}"
        time.sleep(0.5)
    assert {group.rsplit(".", 1)[-1] for group in lag} >= {"hq-read-models", "hq-notifications", "hq-audit", "settlement-clearing"}
    # The relay published the region's events: nothing waits in the West's outbox for long.
    relay = scrape(chain, "relay-W")
    assert value(relay, "chaincard_outbox_published_total", outbox="outbox") >= 1


def test_one_trace_spans_the_till_the_store_agent_both_regions_the_relay_and_hqs_consumers(otlp, cross_region_sale):
    trace_id = cross_region_sale["trace_id"]
    wanted = {"cli", "store-S-E-002", "region-E", "region-W", "relay-W", "hq"}
    spans = otlp.wait_for(trace_id, wanted, timeout=90)
    by_instance = {span.instance for span in spans}
    assert wanted <= by_instance, f"spans from {sorted(by_instance)} only"
    by_id = {span.span_id: span for span in spans}

    def chain_of(span):
        """The span's ancestors within the trace, nearest first, as (instance, kind)."""
        ancestors = []
        while span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            ancestors.append((span.instance, span.kind))
        return ancestors

    store_span = next(s for s in spans if s.instance == "store-S-E-002" and s.name.endswith("TransactionService/Checkout"))
    assert store_span.kind == SPAN_KIND_SERVER and store_span.service == "store_agent"
    assert chain_of(store_span) == [("cli", SPAN_KIND_CLIENT)]  # the till's command, child of the test's TRACEPARENT
    west = next(s for s in spans if s.instance == "region-W" and s.kind == SPAN_KIND_SERVER)
    assert ("region-E", SPAN_KIND_SERVER) in chain_of(west) and ("store-S-E-002", SPAN_KIND_SERVER) in chain_of(west)
    consumed = [s for s in spans if s.instance == "hq" and s.kind == SPAN_KIND_CONSUMER]
    assert consumed, "no span of HQ's consumers"
    for span in consumed:  # HQ ← Kafka ← the relay's publish ← the West's posting ← the East ← the store
        path = chain_of(span)
        assert path[0] == ("relay-W", SPAN_KIND_PRODUCER)
        assert ("region-W", SPAN_KIND_SERVER) in path and ("store-S-E-002", SPAN_KIND_SERVER) in path

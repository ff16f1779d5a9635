"""``chaincard status``'s headline figures, summed over real /metrics endpoints, and where the local
chain says each process serves them (docs/adr/0051)."""

from __future__ import annotations

import pytest

from chaincard import cli
from chaincard.chain_state import ChainState, ProcessInfo
from chaincard.local.broker import free_port
from chaincard.observability import metrics
from chaincard.observability.headline import Headline, headline

EXPOSITION = """\
# TYPE chaincard_checkouts counter
chaincard_checkouts_total{store="S-E-001",mode="online"} 3.0
chaincard_checkouts_total{store="S-E-001",mode="offline"} 2.0
# TYPE chaincard_checkout_amount_fen counter
chaincard_checkout_amount_fen_total{store="S-E-001",mode="online"} 123456.0
# TYPE chaincard_rpc_server_handled counter
chaincard_rpc_server_handled_total{method="/m",code="OK"} 10.0
chaincard_rpc_server_handled_total{method="/m",code="INTERNAL"} 1.0
chaincard_rpc_server_handled_total{method="/m",code="INVALID_ARGUMENT"} 4.0
# TYPE chaincard_store_queued_sales gauge
chaincard_store_queued_sales{store="S-E-001"} NaN
# TYPE chaincard_consumer_lag_records gauge
chaincard_consumer_lag_records{group="d.hq-audit"} 7.0
"""


def test_figures_add_up_across_processes_and_a_bad_request_is_no_server_error():
    figures = Headline()
    figures.add(EXPOSITION)
    figures.add(EXPOSITION)
    assert (figures.checkouts, figures.offline_checkouts, figures.checkout_fen) == (10, 4, 246_912)
    assert (figures.rpcs, figures.server_errors, figures.consumer_lag) == (30, 2, 14)
    assert figures.queued_sales == 0  # a gauge that could not be read (NaN) adds nothing
    assert "checkouts 10 (offline 4), ¥2,469.12 due" in figures.lines()[0]


def test_a_live_endpoint_is_scraped_and_a_silent_one_named():
    port = metrics.serve_metrics("127.0.0.1:0")
    metrics.record_checkout("S-UNIT-1", 1_500, offline=False)
    figures = headline([("store-S-UNIT-1", f"127.0.0.1:{port}"), ("gone", f"127.0.0.1:{free_port()}")], timeout=2)
    assert figures.checkouts >= 1 and figures.checkout_fen >= 1_500
    assert figures.unreachable == ["gone"]


def test_a_metrics_address_must_be_host_and_port():
    with pytest.raises(SystemExit, match="host:port"):
        metrics.serve_metrics("9464")


def test_the_chain_prints_where_each_process_serves_its_metrics(capsys):
    state = ChainState(data_dir="/tmp/x", kafka_bootstrap="127.0.0.1:9092", hq_endpoint="127.0.0.1:1", database_urls={},
                       processes=[ProcessInfo("hq", "hq", "127.0.0.1:1", "/tmp/x/hq.log", metrics="127.0.0.1:9464")],
                       insecure=True)
    cli._print_chain(state)
    assert "hq" in (out := capsys.readouterr().out) and "http://127.0.0.1:9464/metrics" in out

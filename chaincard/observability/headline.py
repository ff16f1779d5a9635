"""The headline figures of a running chain, summed over every process's ``/metrics``
(``chaincard status``): what an operator looks at first, without Prometheus."""

from __future__ import annotations

import math
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

# gRPC codes that are the server's fault (alerted on), as opposed to a caller's refused request.
SERVER_ERROR_CODES = frozenset({"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "DATA_LOSS", "UNIMPLEMENTED"})


@dataclass
class Headline:
    rpcs: float = 0.0
    server_errors: float = 0.0
    denied: float = 0.0
    checkouts: float = 0.0
    checkout_fen: float = 0.0
    offline_checkouts: float = 0.0
    outbox_pending: float = 0.0
    outbox_lag_seconds: float = 0.0
    consumer_lag: float = 0.0
    offline_stores: float = 0.0
    queued_sales: float = 0.0
    settlements_completed: float = 0.0
    settlements_failed: float = 0.0
    pin_lockouts: float = 0.0
    unreachable: list[str] = field(default_factory=list)

    def add(self, exposition: str) -> None:
        """Add one process's figures (Prometheus text format)."""
        for family in text_string_to_metric_families(exposition):
            for sample in family.samples:
                value = sample.value
                if math.isnan(value):
                    continue
                labels = sample.labels
                name = sample.name
                if name == "chaincard_rpc_server_handled_total":
                    self.rpcs += value
                    if labels.get("code") in SERVER_ERROR_CODES:
                        self.server_errors += value
                elif name == "chaincard_rpc_denied_total":
                    self.denied += value
                elif name == "chaincard_checkouts_total":
                    self.checkouts += value
                    if labels.get("mode") == "offline":
                        self.offline_checkouts += value
                elif name == "chaincard_checkout_amount_fen_total":
                    self.checkout_fen += value
                elif name == "chaincard_outbox_pending_rows":
                    self.outbox_pending += value
                elif name == "chaincard_outbox_relay_lag_seconds":
                    self.outbox_lag_seconds = max(self.outbox_lag_seconds, value)
                elif name == "chaincard_consumer_lag_records":
                    self.consumer_lag += value
                elif name == "chaincard_store_offline":
                    self.offline_stores += value
                elif name == "chaincard_store_queued_sales":
                    self.queued_sales += value
                elif name == "chaincard_settlement_runs_total":
                    if labels.get("result") == "completed":
                        self.settlements_completed += value
                    else:
                        self.settlements_failed += value
                elif name == "chaincard_pin_lockouts_total":
                    self.pin_lockouts += value

    def lines(self) -> list[str]:
        yuan = int(self.checkout_fen) // 100
        fen = int(self.checkout_fen) % 100
        return [
            f"checkouts {int(self.checkouts)} (offline {int(self.offline_checkouts)}), ¥{yuan:,}.{fen:02d} due",
            f"RPCs {int(self.rpcs)}: server errors {int(self.server_errors)}, denied {int(self.denied)}",
            f"outbox {int(self.outbox_pending)} rows unpublished (oldest {self.outbox_lag_seconds:.1f} s); "
            f"consumers {int(self.consumer_lag)} records behind",
            f"stores offline {int(self.offline_stores)}, offline sales queued {int(self.queued_sales)}",
            f"settlement runs completed {int(self.settlements_completed)}, failed {int(self.settlements_failed)}; "
            f"PIN lockouts {int(self.pin_lockouts)}",
        ]


def scrape(address: str, timeout: float = 2.0) -> str:
    """The text of ``http://<address>/metrics``."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=timeout) as answer:  # noqa: S310 - our own endpoint
        text: str = answer.read().decode("utf-8")
        return text


def headline(addresses: Iterable[tuple[str, str]], timeout: float = 2.0) -> Headline:
    """Sum the figures of (process name, metrics address) pairs; the ones not answering are listed."""
    figures = Headline()
    for name, address in addresses:
        try:
            figures.add(scrape(address, timeout))
        except OSError:
            figures.unreachable.append(name)
    return figures

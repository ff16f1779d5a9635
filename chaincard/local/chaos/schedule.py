"""The fault schedule of a chaos run: drawn from its seed alone, so ``chaincard chaos --seed N``
replays the same faults at the same offsets (pure: no process, no clock)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

# Fault kinds (docs/reliability.md, the fault model).
KILL = "kill"            # SIGKILL a process, start it again with the same command after `seconds`
FREEZE = "freeze"        # SIGSTOP a process, SIGCONT after `seconds`
BROKER_EMPTY = "broker-restarted-empty"  # the broker loses everything; healed by replaying the outboxes
CUT = "link-cut"         # a store's or a region's link refuses and resets every connection for `seconds`
DELAY = "link-delay"     # each chunk through the link waits `amount` ms, for `seconds`
LOSSY = "link-lossy"     # each chunk through the link resets its connection with probability `amount`/100
SKEW = "clock-skew"      # a store agent restarted with its wall clock `amount` seconds off, for `seconds`
KINDS = (KILL, FREEZE, BROKER_EMPTY, CUT, DELAY, LOSSY, SKEW)
# How often each kind is drawn, relative to the others.
WEIGHTS = {KILL: 4, FREEZE: 3, BROKER_EMPTY: 1, CUT: 3, DELAY: 2, LOSSY: 2, SKEW: 1}


@dataclass(frozen=True)
class Fault:
    at: float        # seconds after the workload started
    kind: str
    target: str      # a process name (region-E, relay-W, hq, settlement, store-S-E-001, broker) or a link
    seconds: float   # how long until it is healed
    amount: int = 0  # DELAY: milliseconds; LOSSY: percent; SKEW: seconds (negative: behind)

    def describe(self) -> str:
        extra = {DELAY: f" {self.amount} ms", LOSSY: f" {self.amount}%", SKEW: f" {self.amount:+d} s"}.get(self.kind, "")
        return f"t+{self.at:6.1f}s {self.kind:<22} {self.target:<22} for {self.seconds:4.1f}s{extra}"


MEAN_GAP = 8.0  # seconds, on average, between a fault healed and the next
FAULT_SECONDS = (2.0, 10.0)  # how long a fault lasts before it is healed, drawn uniformly


def plan(seed: int, duration: float, processes: Sequence[str], links: Sequence[str], *, mean_gap: float = MEAN_GAP,
         fault_seconds: tuple[float, float] = FAULT_SECONDS) -> list[Fault]:
    """Faults at random offsets in ``[0, duration * 0.8)`` (the last fifth runs fault-free so the
    workload sees the chain heal), at most one at a time: each starts after the previous healed,
    ``mean_gap`` seconds later on average, and lasts ``fault_seconds`` (a range). The same seed and
    options give the same schedule."""
    rng = random.Random(seed)
    faults: list[Fault] = []
    shortest, longest = fault_seconds
    at = rng.uniform(min(2.0, mean_gap), max(2.0, mean_gap))
    kinds = list(WEIGHTS)
    while at < duration * 0.8:
        kind = rng.choices(kinds, weights=[WEIGHTS[name] for name in kinds])[0]
        seconds = round(rng.uniform(shortest, longest), 1)
        amount = 0
        if kind in (KILL, FREEZE):
            target = rng.choice(list(processes))
        elif kind == BROKER_EMPTY:
            target, seconds = "broker", 0.0
        elif kind == SKEW:
            target = rng.choice([name for name in processes if name.startswith("store-")])
            # Behind by at most 4 minutes: the chain's certificates are backdated 5 minutes
            # (chaincard/security/certs.py), and a fresh chain's are minutes old, so an agent further
            # behind sees them "not yet valid" and cannot connect at all (docs/reliability.md).
            amount = rng.randint(-240, -30) if rng.random() < 0.5 else rng.randint(30, 900)
        else:
            target = rng.choice(list(links))
            amount = rng.randint(50, 400) if kind == DELAY else rng.randint(2, 20) if kind == LOSSY else 0
        faults.append(Fault(round(at, 1), kind, target, seconds, amount))
        at += seconds + rng.expovariate(1.0 / mean_gap)
    return faults

"""The open loop: requests arrive at a fixed rate whatever the answers do, as customers reach tills.

Arrivals follow a Poisson process (exponential gaps from a seeded ``random.Random``, so a run can be
repeated). A dispatcher hands each arrival, at its time, to a pool of worker threads large enough
that a slow answer does not hold up the next arrival; each request's latency runs from its
*scheduled* arrival, so time an arrival spent waiting for a free worker counts against it. That
avoids coordinated omission: a closed-loop client that waits for its answer before sending the next
request stops arriving exactly when the system is slow, and so under-reports the slow tail.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from bench.closed_loop import ClientFactory
from bench.measure import CpuSampler, CpuSnapshot, Window, account_window
from chaincard.rpc.channels import DEFAULT_DEADLINE_SECONDS

LATE_START_MS = 1.0  # an arrival a worker picked up later than this after its time waited in the client
MIN_WORKERS = 32
WORKERS_PER_CLIENT = 4


def poisson_schedule(rate: float, duration: float, rng: random.Random) -> list[float]:
    """Arrival times in seconds from 0, in order, of a Poisson process of ``rate`` arrivals per
    second over [0, ``duration``): the gaps between arrivals are exponential with mean 1/rate."""
    if rate <= 0 or duration <= 0:
        return []
    arrivals: list[float] = []
    moment = rng.expovariate(rate)
    while moment < duration:
        arrivals.append(moment)
        moment += rng.expovariate(rate)
    return arrivals


def workers_for(clients: int) -> int:
    """Worker threads of an open-loop run over ``clients`` clients (cards and channels)."""
    return max(MIN_WORKERS, WORKERS_PER_CLIENT * clients)


@dataclass
class OpenLoopRun:
    """What an open-loop run measured. ``window.calls`` counts the OK answers completed inside the
    measured window (the achieved rate and the CPU per call); ``window.latencies_ms`` and
    ``window.errors`` are those of the requests *scheduled* inside it, each waited for to the end."""

    window: Window
    fraction: float  # of the peak
    peak_per_s: float
    offered_per_s: float  # the rate asked for
    scheduled: int = 0  # arrivals the schedule put inside the window (offered_per_s × seconds, give or take)
    late_starts: int = 0  # of those, how many waited in the client for a free worker (counted in their latency)
    workers: int = 0
    most_in_flight: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def achieved_per_s(self) -> float:
        return self.window.rate

    def summary(self) -> dict[str, Any]:
        window = self.window
        return {
            "fraction": self.fraction, "peak_per_s": round(self.peak_per_s, 1), "offered_per_s": round(self.offered_per_s, 1),
            "scheduled_per_s": round(self.scheduled / window.seconds, 1) if window.seconds else 0.0,
            "achieved_per_s": round(self.achieved_per_s, 1), "scheduled": self.scheduled,
            "p50_ms": round(window.percentile(0.50), 2), "p99_ms": round(window.percentile(0.99), 2),
            "p99_9_ms": round(window.percentile(0.999), 2), "errors": window.errors, "error_samples": window.error_samples,
            "late_starts": self.late_starts, "workers": self.workers, "most_in_flight": self.most_in_flight,
            "cpu_ms_per_call": window.cpu_ms_per_call, "cpu_ms_per_call_by_role": window.cpu_ms_per_call_by_role,
            "machine_busy_pct": round(window.machine_busy_pct, 1), "machine_cpu_ms_per_call": round(window.machine_cpu_ms_per_call, 3),
            "interference_cores": round(window.interference_cores, 2), "interference": window.interference, **self.extra,
        }


def run_open_loop(
    name: str,
    make_client: ClientFactory,
    *,
    clients: int,
    peak_per_s: float,
    fraction: float,
    warmup: float,
    seconds: float,
    seed: int = 0,
    sampler: CpuSampler | None = None,
) -> OpenLoopRun:
    """Poisson arrivals at ``fraction`` × ``peak_per_s`` for warmup + seconds over ``clients``
    clients (``make_client(i)``: one card and one channel each; arrival k uses client k mod
    ``clients``), sent by :func:`workers_for` worker threads."""
    rate = fraction * peak_per_s
    workers = workers_for(clients)
    run = OpenLoopRun(Window(name=name, clients=clients, seconds=seconds), fraction=fraction, peak_per_s=peak_per_s,
                      offered_per_s=rate, workers=workers)
    made = [make_client(index) for index in range(clients)]
    lock = threading.Lock()
    failures: list[BaseException] = []
    arrivals: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
    in_flight = [0]
    try:
        for one_call, _close in made:
            one_call()  # connect every channel before the clock starts
        schedule = poisson_schedule(rate, warmup + seconds, random.Random(seed))
        origin = time.perf_counter() + 0.2
        start, end = origin + warmup, origin + warmup + seconds

        def worker() -> None:
            while (arrival := arrivals.get()) is not None:
                index, due = arrival
                picked = time.perf_counter()
                with lock:
                    in_flight[0] += 1
                    run.most_in_flight = max(run.most_in_flight, in_flight[0])
                failed = None
                try:
                    made[index % clients][0]()
                except grpc.RpcError as error:
                    failed = f"{error.code().name}: {error.details()}"
                except BaseException as error:  # noqa: BLE001 - reported after the run
                    failures.append(error)
                    failed = repr(error)
                done = time.perf_counter()
                with lock:
                    in_flight[0] -= 1
                    if failed is None and start <= done <= end:
                        run.window.calls += 1
                    if start <= due < end:
                        run.scheduled += 1
                        run.late_starts += (picked - due) * 1000.0 > LATE_START_MS
                        if failed is None:
                            run.window.latencies_ms.append((done - due) * 1000.0)
                        else:
                            run.window.errors += 1
                            if len(run.window.error_samples) < 3:
                                run.window.error_samples.append(failed)

        snapshots: list[CpuSnapshot] = []

        def sample_cpu() -> None:  # on a thread of its own: a snapshot must not delay the dispatcher
            for moment in (start, end):
                time.sleep(max(0.0, moment - time.perf_counter()))
                if sampler is not None:
                    snapshots.append(sampler.snapshot())

        threads = [threading.Thread(target=worker, daemon=True, name=f"open-loop-{i}") for i in range(workers)]
        threads.append(threading.Thread(target=sample_cpu, daemon=True, name="open-loop-cpu"))
        for thread in threads:
            thread.start()
        for index, offset in enumerate(schedule):
            due = origin + offset
            time.sleep(max(0.0, due - time.perf_counter()))
            arrivals.put((index, due))
        for _ in range(workers):
            arrivals.put(None)
        for thread in threads:
            thread.join(timeout=max(0.0, end - time.perf_counter()) + DEFAULT_DEADLINE_SECONDS + 30)
    finally:
        for _one_call, close in made:
            close()
    if failures:
        raise RuntimeError(f"{name}: a request failed: {failures[0]!r}") from failures[0]
    if sampler is not None and len(snapshots) == 2:
        account_window(run.window, *sampler.difference(snapshots[0], snapshots[1]))
    return run

"""bench/open_loop.py: the Poisson arrival schedule, and latency measured from the scheduled arrival."""

from __future__ import annotations

import random
import statistics
import threading
import time

from bench.open_loop import poisson_schedule, run_open_loop, workers_for


def test_the_schedule_is_repeatable_from_its_seed_and_ordered_within_the_duration():
    first = poisson_schedule(200.0, 10.0, random.Random(7))
    assert first == poisson_schedule(200.0, 10.0, random.Random(7))
    assert first != poisson_schedule(200.0, 10.0, random.Random(8))
    assert first == sorted(first)
    assert 0.0 < first[0] and first[-1] < 10.0


def test_the_schedule_has_the_asked_rate_and_exponential_gaps():
    arrivals = poisson_schedule(500.0, 40.0, random.Random(1))
    assert abs(len(arrivals) / 40.0 - 500.0) < 500.0 * 0.03  # 20,000 expected; sd ≈ 141
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    mean = statistics.fmean(gaps)
    assert abs(mean - 1 / 500.0) < 0.03 / 500.0
    # Exponential: the standard deviation equals the mean, and P(gap > mean) = e^-1 ≈ 0.368.
    assert abs(statistics.pstdev(gaps) / mean - 1.0) < 0.05
    assert abs(sum(gap > mean for gap in gaps) / len(gaps) - 0.368) < 0.02


def test_no_rate_or_no_time_schedules_nothing():
    assert poisson_schedule(0.0, 10.0, random.Random(1)) == []
    assert poisson_schedule(10.0, 0.0, random.Random(1)) == []


def test_a_slow_answer_does_not_hold_up_the_next_arrivals_and_latency_runs_from_the_schedule():
    """One client whose every call takes 50 ms, at 100 arrivals/s: a closed loop would send 20/s; the
    open loop keeps sending at 100/s on its workers, and each latency is at least the call's 50 ms."""
    calls = []
    lock = threading.Lock()

    def make(_index: int):  # type: ignore[no-untyped-def]
        def one_call() -> None:
            time.sleep(0.05)
            with lock:
                calls.append(time.perf_counter())

        return one_call, lambda: None

    run = run_open_loop("slow", make, clients=1, peak_per_s=200.0, fraction=0.5, warmup=0.2, seconds=1.5, seed=3)
    assert run.offered_per_s == 100.0 and run.workers == workers_for(1)
    assert 100 <= run.scheduled <= 200  # 150 expected
    assert run.window.errors == 0 and len(run.window.latencies_ms) == run.scheduled
    assert min(run.window.latencies_ms) >= 50.0
    assert run.achieved_per_s > 60.0  # far above the 20/s one waiting client could send
    assert run.most_in_flight >= 3  # several calls overlapped

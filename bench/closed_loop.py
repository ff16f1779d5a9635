"""The closed loop: a fixed number of clients, each sending its next call as soon as the last one
is answered. Its rate at the most clients is the peak a scenario reaches; its latency at that load
is mostly queueing (see bench/open_loop.py for latency at a fixed arrival rate)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc

from bench.measure import CpuSampler, Window, account_window
from chaincard.rpc.channels import DEFAULT_DEADLINE_SECONDS

# make_client(i) -> (one_call, close): client i's call (raises grpc.RpcError on a refusal) and how to close it.
ClientFactory = Callable[[int], tuple[Callable[[], None], Callable[[], None]]]


def run_load(
    name: str,
    clients: int,
    make_client: ClientFactory,
    *,
    warmup: float,
    seconds: float,
    sampler: CpuSampler | None = None,
    during: Callable[[], None] | None = None,
) -> Window:
    """``clients`` threads, each with its own client, call in a closed loop for warmup + seconds.

    ``make_client(i)`` returns (one_call, close). Only calls that complete inside the window count.
    ``during`` (optional) runs on the main thread once the window has started (e.g. a profiler).
    """
    window = Window(name=name, clients=clients, seconds=seconds)
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    bounds = {"start": 0.0, "end": 0.0}
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        latencies: list[float] = []
        calls = errors = 0
        samples: list[str] = []
        try:
            one_call, close = make_client(index)
        except BaseException as error:  # noqa: BLE001 - reported after the run
            failures.append(error)
            ready.abort()
            return
        try:
            one_call()  # connect the channel before the clock starts
            ready.wait()
            go.wait()
            start, end = bounds["start"], bounds["end"]
            while True:
                began = time.perf_counter()
                if began >= end:
                    break
                failed = None
                try:
                    one_call()
                except grpc.RpcError as error:
                    failed = f"{error.code().name}: {error.details()}"
                done = time.perf_counter()
                if start <= done <= end:
                    if failed is None:
                        calls += 1
                        latencies.append((done - began) * 1000.0)
                    else:
                        errors += 1
                        if len(samples) < 3:
                            samples.append(failed)
        except threading.BrokenBarrierError:
            return
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
            ready.abort()
        finally:
            close()
            with lock:
                window.calls += calls
                window.errors += errors
                window.latencies_ms += latencies
                window.error_samples += samples[: max(0, 3 - len(window.error_samples))]

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=60)
    except threading.BrokenBarrierError:
        raise RuntimeError(f"{name}: a client could not start: {failures[:1]!r}") from (failures[0] if failures else None)
    now = time.perf_counter()
    bounds["start"] = now + warmup
    bounds["end"] = now + warmup + seconds
    go.set()
    time.sleep(max(0.0, bounds["start"] - time.perf_counter()))
    before = sampler.snapshot() if sampler else None
    if during is not None:
        during()
    time.sleep(max(0.0, bounds["end"] - time.perf_counter()))
    after = sampler.snapshot() if sampler else None
    for thread in threads:
        thread.join(timeout=DEFAULT_DEADLINE_SECONDS + 5)
    if failures:
        raise RuntimeError(f"{name}: a client failed: {failures[0]!r}") from failures[0]
    if sampler and before and after:
        account_window(window, *sampler.difference(before, after))
    return window

"""The background-worker base (chaincard.workers) on real threads.

No test measures time: each waits for what the worker did (with a generous limit that only a hung
worker reaches) and asserts on that — the back-off that grows and resets, a stop that ends a long
pause at once, a step that fails without ending the loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from chaincard.workers import Backoff, PeriodicJob, RetryLater, Worker

LONG = 3600.0  # a pause no test may sit through: only a stop or a wake ends it
PATIENCE = 30.0  # how long a test waits for something a healthy worker does at once
NO_BACKOFF = Backoff(0.0, 0.0)


class ScriptedWorker(Worker):
    """Runs ``script`` one entry per step: an exception to raise, or whether more work is waiting."""

    def __init__(self, script: list[BaseException | bool], *, idle_seconds: float = 0.0,
                 backoff: Backoff = NO_BACKOFF, pause_first: bool = False) -> None:
        super().__init__("scripted", idle_seconds=idle_seconds, backoff=backoff, pause_first=pause_first)
        self.script = list(script)
        self.failures_seen: list[int] = []  # ``failures`` as each step began
        self.releases = 0
        self.steps = 0
        self.script_done = threading.Event()
        self.stepped = threading.Event()

    def step(self) -> bool:
        self.failures_seen.append(self.failures)
        self.steps += 1
        self.stepped.set()
        if not self.script:
            self.script_done.set()
            return False
        entry = self.script.pop(0)
        if isinstance(entry, BaseException):
            raise entry
        return entry

    def release(self) -> None:
        self.releases += 1


def wait_for(condition: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(int(PATIENCE / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the worker did not get there")


def test_backoff_doubles_from_initial_up_to_the_cap() -> None:
    backoff = Backoff(0.2, 5.0)
    assert [backoff.delay(n) for n in range(1, 9)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert Backoff(1.0, 1.0).delay(50) == 1.0  # a fixed pause
    assert Backoff(7.0, 5.0).delay(1) == 7.0  # the first pause is the initial one even above the cap
    assert Backoff(0.1, 3.2).delay(10_000) == 3.2  # no overflow after a long outage


def test_failures_count_up_then_reset_after_a_step_that_succeeds() -> None:
    script: list[BaseException | bool] = [ValueError("1"), ValueError("2"), ValueError("3"), True, OSError("4")]
    worker = ScriptedWorker(script, idle_seconds=LONG, backoff=Backoff(0.001, 0.004))
    worker.start()
    try:
        assert worker.script_done.wait(PATIENCE)
    finally:
        worker.stop(PATIENCE)
    assert worker.failures_seen == [0, 1, 2, 3, 0, 1]
    # The pause after each failure: it grew up to the cap over three failures, then started over.
    assert [worker.backoff.delay(n) for n in worker.failures_seen if n] == [0.001, 0.002, 0.004, 0.001]
    assert worker.failures == 0
    assert worker.last_error == repr(OSError("4"))
    assert worker.releases == 4 + 1  # after each failure, and once when the loop ended


def test_a_failing_step_does_not_end_the_loop() -> None:
    worker = ScriptedWorker([RuntimeError("database restarting")] * 5, idle_seconds=LONG)
    worker.start()
    try:
        assert worker.script_done.wait(PATIENCE)
        assert worker.running
        wait_for(lambda: worker.last_success_at > 0)
        assert worker.healthy
        assert worker.steps == 6
        assert "database restarting" in (worker.last_error or "")
    finally:
        worker.stop(PATIENCE)
    assert not worker.running


def test_health_shows_a_worker_that_keeps_failing() -> None:
    worker = ScriptedWorker([RuntimeError("broken")] * 3, backoff=Backoff(LONG, LONG))
    worker.start()
    try:
        assert worker.stepped.wait(PATIENCE)
        wait_for(lambda: worker.failures == 1)
        assert worker.running and not worker.healthy
    finally:
        worker.stop(PATIENCE)  # ends the back-off pause too
    assert not worker.running and worker.steps == 1


def test_stop_ends_a_long_pause_at_once() -> None:
    worker = ScriptedWorker([], idle_seconds=LONG)
    worker.start()
    assert worker.stepped.wait(PATIENCE)  # the first step ran; the worker now pauses an hour
    worker.stop(PATIENCE)
    assert not worker.running
    assert worker.steps == 1
    assert worker.releases == 1


def test_a_stop_requested_of_several_workers_ends_their_pauses_together() -> None:
    workers = [ScriptedWorker([], idle_seconds=LONG) for _ in range(3)]
    for worker in workers:
        worker.start()
        assert worker.stepped.wait(PATIENCE)  # each pauses an hour now
    for worker in workers:
        worker.request_stop()  # returns without waiting
    wait_for(lambda: not any(worker.running for worker in workers))  # all ended: no join was needed
    assert [(worker.steps, worker.releases) for worker in workers] == [(1, 1)] * 3
    for worker in workers:
        worker.stop(PATIENCE)  # the stop that follows finds the loop over
    assert [worker.releases for worker in workers] == [1, 1, 1]


def test_wake_ends_a_pause_early() -> None:
    worker = ScriptedWorker([False, False], idle_seconds=LONG)
    worker.start()
    try:
        assert worker.stepped.wait(PATIENCE)
        worker.stepped.clear()
        worker.wake()
        assert worker.stepped.wait(PATIENCE)
        assert worker.steps == 2
    finally:
        worker.stop(PATIENCE)


def test_more_work_waiting_means_no_pause() -> None:
    worker = ScriptedWorker([True, True, True], idle_seconds=LONG)
    worker.start()
    try:
        assert worker.script_done.wait(PATIENCE)  # four steps, not one step and an hour's pause
    finally:
        worker.stop(PATIENCE)
    assert worker.steps == 4


def test_only_a_step_that_found_nothing_waits_for_work() -> None:
    class Listening(ScriptedWorker):
        """Waits for work its own way (as the outbox relay waits on LISTEN); records each wait."""

        def __init__(self, script: list[BaseException | bool]) -> None:
            super().__init__(script, idle_seconds=7.0, backoff=NO_BACKOFF)
            self.waits: list[tuple[int, float]] = []  # (steps so far, seconds asked)

        def wait_for_work(self, seconds: float) -> None:
            self.waits.append((self.steps, seconds))

    worker = Listening([True, RuntimeError("broker away"), False, True])
    worker.start()
    try:
        assert worker.script_done.wait(PATIENCE)
    finally:
        worker.stop(PATIENCE)
    # Not after more work (step 1) nor after a failure (step 2, a back-off): after steps 3 and 5 on.
    assert worker.waits[:2] == [(3, 7.0), (5, 7.0)]


def test_stopping_a_worker_never_started_releases_its_connections() -> None:
    worker = ScriptedWorker([])
    worker.stop()
    assert worker.releases == 1
    assert not worker.running and not worker.healthy


def test_failures_are_logged_by_kind(caplog: pytest.LogCaptureFixture) -> None:
    class Flaky(ScriptedWorker):
        transient_errors = (ConnectionError,)

    worker = Flaky([RetryLater("said why already"), ConnectionError("broker away"), KeyError("bug")], idle_seconds=LONG)
    with caplog.at_level(logging.DEBUG, logger="chaincard.workers"):
        worker.start()
        try:
            assert worker.script_done.wait(PATIENCE)
        finally:
            worker.stop(PATIENCE)
    records = [record for record in caplog.records if record.name == "chaincard.workers"]
    assert [(record.levelno, record.exc_info is not None) for record in records] == [
        (logging.WARNING, False),  # transient: one line, no traceback
        (logging.ERROR, True),  # anything else: with its traceback
    ]
    assert all(record.fields["worker"] == "scripted" for record in records)  # type: ignore[attr-defined]


def test_a_periodic_job_waits_its_interval_first_and_survives_a_failed_run() -> None:
    runs: list[int] = []
    ran_twice = threading.Event()

    def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("first run fails")
        ran_twice.set()

    never = PeriodicJob("never", LONG, job).start()
    never.stop(PATIENCE)
    assert runs == [] and not never.running  # stopped during its first interval: the job never ran

    often = PeriodicJob("often", 0.001, job).start()
    try:
        assert ran_twice.wait(PATIENCE)
        assert often.running
    finally:
        often.stop(PATIENCE)
    assert not often.running

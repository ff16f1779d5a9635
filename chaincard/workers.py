"""The one background-worker base: a thread that calls ``step()`` until it is stopped.

Every loop of a service process is one of these: the outbox relay, the Kafka consumers, HQ's notice
dispatcher, the store agent's advice forwarder and the periodic jobs (``PeriodicJob``). The base owns
what they all need and used to write out each for itself:

- ``start()`` / ``stop()`` / ``join()``: a daemon thread; ``stop()`` sets an Event, so a worker
  waiting between steps stops at once instead of finishing its pause, then joins the thread.
- The loop: ``step()`` returns True when more work is waiting (called again at once) or False when
  there is nothing to do (the worker pauses ``idle_seconds`` in ``wait_for_work()``, which a worker
  told of new work another way overrides: the outbox relay waits on PostgreSQL's LISTEN).
  ``wake()`` ends a pause early.
- Failures: a step that raises is logged (a warning without traceback for the errors the worker
  calls ``transient_errors``, a traceback otherwise; nothing for ``RetryLater``, whose step said
  why already), ``release()`` lets go of connections, and the worker pauses by an exponential
  back-off with a cap; the first step that succeeds resets it. No failure ends the loop.
- Health: ``healthy`` (running, last step did not fail), ``failures`` in a row, ``last_error``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Self

log = logging.getLogger(__name__)

DEFAULT_JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class Backoff:
    """How long to pause after the n-th failure in a row: ``initial``, then times ``factor`` each
    further failure, never more than ``cap`` (``initial == cap`` is a fixed pause)."""

    initial: float
    cap: float
    factor: float = 2.0

    def delay(self, failures: int) -> float:
        if failures <= 1:
            return self.initial
        return min(self.initial * self.factor ** min(failures - 1, 64), self.cap)


class RetryLater(Exception):  # noqa: N818 - it names what the loop does next, not an error kind
    """Raised by a step that could not finish and has logged why itself: the worker backs off
    without writing another log line."""


class Worker:
    """A background loop; subclasses write ``step()`` (and ``release()`` if they hold connections)."""

    # Failures expected in normal operation (a broker away): logged as a warning, without a traceback.
    transient_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(
        self,
        name: str,
        *,
        idle_seconds: float,
        backoff: Backoff,
        pause_first: bool = False,
        join_seconds: float = DEFAULT_JOIN_SECONDS,
    ) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self.backoff = backoff
        # True: wait ``idle_seconds`` before the first step (a periodic job runs after its interval).
        self.pause_first = pause_first
        self.join_seconds = join_seconds
        self.failures = 0
        self.last_error: str | None = None
        # time.time() of the last step that did not raise (0.0: none yet).
        self.last_success_at = 0.0
        self._stop = threading.Event()
        # Set by wake() and by stop(): it ends a pause early.
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- what a subclass writes ------------------------------------------------------------------
    def step(self) -> bool:
        """One round of work; True when more is waiting (no pause before the next round)."""
        raise NotImplementedError

    def wait_for_work(self, seconds: float) -> None:
        """The pause after a step that found nothing to do: ``seconds`` unless woken or stopped."""
        self._pause(seconds)

    def release(self) -> None:
        """Let go of connections (a producer, a consumer): after a failed step and when the loop
        ends, on the worker's thread; by ``stop()`` for a worker whose steps were called directly."""

    # ---- life cycle --------------------------------------------------------------------------------
    def start(self) -> Self:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the loop to end without waiting for it: a process stopping several workers asks them
        all first, so they wind down (a Kafka consumer leaving its group) at the same time."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the loop to end, wait for it (``join_seconds`` at most unless told), release."""
        self.request_stop()
        if self._thread is None:
            self.release()  # never started: its steps ran on the caller's thread
            return
        self.join(self.join_seconds if timeout is None else timeout)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """End the current pause: there is work (the region is back, a row was queued)."""
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def healthy(self) -> bool:
        """Running, and its last step did not fail."""
        return self.running and not self.stopping and self.failures == 0

    # ---- the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            if self.pause_first:
                self._pause(self.idle_seconds)
            while not self._stop.is_set():
                delay = self._round()
                if delay is None:
                    self.wait_for_work(self.idle_seconds)
                else:
                    self._pause(delay)
        finally:
            self.release()

    def _round(self) -> float | None:
        """One step with its bookkeeping; returns how long to pause before the next (None: the
        step found nothing to do, so wait for work)."""
        try:
            more = self.step()
        except Exception as error:  # noqa: BLE001 - a worker outlives any one failed step
            self.failures += 1
            self.last_error = repr(error)
            delay = self.backoff.delay(self.failures)
            self._log_failure(error, delay)
            self._release_quietly()
            return delay
        self.failures = 0
        self.last_success_at = time.time()
        return 0.0 if more else None

    def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` unless woken or stopped; a wake during a step shortens the next pause."""
        if seconds <= 0 or self._stop.is_set():
            return
        self._wake.wait(seconds)
        if not self._stop.is_set():
            self._wake.clear()

    def _log_failure(self, error: Exception, retry_in: float) -> None:
        if isinstance(error, RetryLater):
            return
        fields = {"worker": self.name, "failures": self.failures, "retry_in_seconds": retry_in}
        if isinstance(error, self.transient_errors):
            log.warning("background worker cannot reach a dependency; retrying",
                        extra={"fields": {**fields, "error": repr(error)}})
        else:
            log.exception("background worker step failed; retrying", extra={"fields": fields})

    def _release_quietly(self) -> None:
        try:
            self.release()
        except Exception:  # noqa: BLE001 - the connection is being thrown away anyway
            log.debug("releasing a worker's connections failed", exc_info=True)


class PeriodicJob(Worker):
    """Calls ``job`` every ``interval_seconds`` (the first time one interval after the start); a run
    that fails is logged and the job is tried again one interval later."""

    def __init__(self, name: str, interval_seconds: float, job: Callable[[], object]) -> None:
        super().__init__(name, idle_seconds=interval_seconds, backoff=Backoff(interval_seconds, interval_seconds),
                         pause_first=True)
        self.job = job

    def step(self) -> bool:
        self.job()
        return False

"""The process's clock: what ``utc_now()`` reads and what a retry's pause waits on.

Production uses the system clock. The deterministic simulation of the store agent and its region
(``simulation/``, docs/adr/0048) installs a virtual one, so the very same code runs on time that a
seeded scheduler moves: a pause advances it instead of sleeping, and a replay sees the same times.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Pause the caller ``seconds``."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM = SystemClock()
_current: Clock = SYSTEM


def current() -> Clock:
    return _current


@contextmanager
def installed(clock: Clock) -> Iterator[Clock]:
    """``clock`` is the process's clock inside the block (the simulation's; never in a service)."""
    global _current
    before, _current = _current, clock
    try:
        yield clock
    finally:
        _current = before

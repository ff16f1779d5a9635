"""The clock seam: utc_now() and the retry pause read the installed clock, the system's otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chaincard import clock
from chaincard.db.base import utc_now


class Stopped:
    def __init__(self, at: datetime) -> None:
        self.at = at
        self.slept = 0.0

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.at += timedelta(seconds=seconds)


def test_utc_now_reads_the_installed_clock_and_the_system_one_again_after() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    stopped = Stopped(moment)
    with clock.installed(stopped):
        assert utc_now() == moment
        clock.current().sleep(2.5)
        assert utc_now() == moment + timedelta(seconds=2.5)
    assert stopped.slept == 2.5
    assert clock.current() is clock.SYSTEM
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=5)

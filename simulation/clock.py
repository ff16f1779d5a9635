"""Virtual time for the simulation: installed as ``chaincard.clock``'s clock, moved only by the
scheduler and by the production code's own pauses (a pause advances it, nothing sleeps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A weekday morning in the stores' time zone (Asia/Shanghai, 10:00): inside a business day.
EPOCH = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


class VirtualClock:
    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start
        # Every read moves time on by a microsecond: two events are never at the same instant
        # (the stand-in compares a balance's "as of" with when advices were forwarded).
        self._tick = timedelta(microseconds=1)

    def now(self) -> datetime:
        self._now += self._tick
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

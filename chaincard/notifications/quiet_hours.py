"""Quiet hours (N5): notices raised inside the window wait until it ends, in the chain's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    time_zone: str

    @classmethod
    def parse(cls, text: str, time_zone: str) -> QuietHours | None:
        """``"22:00-08:00"`` → the window (it may cross midnight); ``""`` → None (no quiet hours)."""
        text = text.strip()
        if not text:
            return None
        try:
            start_text, end_text = text.split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError as error:
            raise ValueError(f"quiet hours must look like 22:00-08:00, not {text!r}") from error
        if start == end:
            raise ValueError("quiet hours must not start and end at the same time")
        return cls(start, end, time_zone)

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_time(self, moment: datetime) -> datetime:
        """``moment`` if it is outside the window, else the window's end (same zone as ``moment``)."""
        zone = ZoneInfo(self.time_zone)
        local = moment.astimezone(zone)
        if not self.contains(local.time().replace(tzinfo=None)):
            return moment
        release = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if release <= local:
            release += timedelta(days=1)
        return release.astimezone(moment.tzinfo)

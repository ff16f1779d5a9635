"""The nightly run inside the settlement process (F2).

At ``nightly_at`` (local time in the chain's time zone; it must fall after the cut-off) the day that
closed at the cut-off is settled. Checked every minute, so a process that was down catches up as
soon as it is back: every day of the last ``catch_up_days`` that has clearing records but no
completed run is settled too, oldest first (the late records of each then flow into the next).

Configured by ``settlement_nightly_at`` ("HH:MM", or "off") and ``settlement_catch_up_days`` in the
settings file, or the environment variables CHAINCARD_SETTLEMENT_NIGHTLY_AT and
CHAINCARD_SETTLEMENT_CATCH_UP_DAYS. Default: 30 minutes after the cut-off (04:30 with 04:00).
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chaincard.config import Settings
from chaincard.workers import PeriodicJob
from settlement.models import ClearingRecord, SettlementRun
from settlement.runs import SettlementRunner
from settlement.statements import COMPLETED

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 60.0


def setting(settings: Settings, name: str, default: str) -> str:
    """A settlement setting: the environment (CHAINCARD_<NAME>) over the settings file's extra table."""
    value = os.environ.get("CHAINCARD_" + name.upper())
    if value:
        return value.strip()
    return str(settings.extra.get(name, default)).strip()


def default_nightly_at(cutoff: str) -> str:
    hours, minutes = (int(part) for part in cutoff.split(":"))
    later = datetime.combine(date(2000, 1, 1), time(hours, minutes)) + timedelta(minutes=30)
    return later.strftime("%H:%M")


def due_business_day(now: datetime, nightly_at: str, time_zone: str) -> date:
    """The latest business day whose nightly run time has come: day D is due at D+1 ``nightly_at``."""
    hours, minutes = (int(part) for part in nightly_at.split(":"))
    local = now.astimezone(ZoneInfo(time_zone)) - timedelta(hours=hours, minutes=minutes)
    return local.date() - timedelta(days=1)


class NightlySettlement(PeriodicJob):
    """Checks every ``check_every_seconds`` whether a business day is due, and settles it."""

    def __init__(self, runner: SettlementRunner, *, nightly_at: str, catch_up_days: int = 7,
                 check_every_seconds: float = CHECK_EVERY_SECONDS) -> None:
        super().__init__("nightly-settlement", check_every_seconds, self.run_due)
        self.runner = runner
        self.nightly_at = nightly_at
        self.catch_up_days = catch_up_days

    @classmethod
    def from_settings(cls, runner: SettlementRunner, settings: Settings) -> NightlySettlement | None:
        nightly_at = setting(settings, "settlement_nightly_at", default_nightly_at(runner.cutoff))
        if nightly_at.lower() in ("off", "never", "none"):
            return None
        datetime.strptime(nightly_at, "%H:%M")  # a bad value stops the process at start, not at night
        catch_up = int(setting(settings, "settlement_catch_up_days", "7"))
        return cls(runner, nightly_at=nightly_at, catch_up_days=catch_up)

    def days_to_settle(self) -> list[date]:
        due = due_business_day(self.runner.clock(), self.nightly_at, self.runner.time_zone)
        first = due - timedelta(days=self.catch_up_days)
        with self.runner.session_factory() as session:
            settled = set(session.execute(
                select(SettlementRun.business_date).where(SettlementRun.business_date >= first,
                                                          SettlementRun.state == COMPLETED)).scalars())
            waiting = set(session.execute(
                select(ClearingRecord.business_date).where(ClearingRecord.business_date >= first,
                                                           ClearingRecord.business_date < due).distinct()).scalars())
        return sorted((waiting | {due}) - settled)

    def run_due(self) -> list[date]:
        done: list[date] = []
        for day in self.days_to_settle():
            self.runner.run(day)
            done.append(day)
        if done:
            log.info("nightly settlement ran", extra={"fields": {"business_dates": [d.isoformat() for d in done]}})
        return done

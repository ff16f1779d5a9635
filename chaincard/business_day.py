"""The business day a moment belongs to: local date in the chain's time zone, shifted by the cut-off.

With the default cut-off 04:00, a sale at 01:30 on the 22nd belongs to the business day of the 21st.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def business_date(moment: datetime, time_zone: str = "Asia/Shanghai", cutoff: str = "04:00") -> date:
    if moment.tzinfo is None:
        raise ValueError("business_date needs an aware datetime")
    hours, minutes = (int(part) for part in cutoff.split(":"))
    local = moment.astimezone(ZoneInfo(time_zone))
    shifted = local - timedelta(hours=hours, minutes=minutes)
    return shifted.date()


def cutoff_time(cutoff: str) -> time:
    hours, minutes = (int(part) for part in cutoff.split(":"))
    return time(hours, minutes)

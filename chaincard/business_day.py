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


def store_business_date(moment: datetime, store_time_zone: str, *, chain_time_zone: str, cutoff: str) -> date:
    """The business day of a moment at a store: the store's own time zone when it has one, else the
    chain's, with the chain's cut-off. The one rule for online sales, offline stand-ins and their
    advices, and lifecycle transactions alike."""
    return business_date(moment, store_time_zone or chain_time_zone, cutoff)

"""How the console writes figures: money as ¥1,234.56 (chaincard.money), points and counts with
thousands separators, instants in the chain's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.money import format_fen

__all__ = ["format_fen", "format_count", "format_timestamp", "format_bp", "CHAIN_TIME_ZONE"]

# The demo chain's stores all keep China Standard Time; pages show instants in it.
CHAIN_TIME_ZONE = timezone(timedelta(hours=8), "CST")


def format_count(value: int) -> str:
    """12345 → "12,345" (points, uses, members)."""
    return f"{value:,}"


def format_bp(value: int) -> str:
    """Basis points as a percentage: 1250 → "12.5%"."""
    whole, rest = divmod(abs(value), 100)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}%" if rest == 0 else f"{sign}{whole}.{rest:02d}".rstrip("0") + "%"


def format_timestamp(value: Timestamp | datetime | None) -> str:
    """"2026-12-05 20:41" in chain time; "" for an unset timestamp."""
    if value is None:
        return ""
    if isinstance(value, Timestamp):
        if value.seconds == 0 and value.nanos == 0:
            return ""
        value = datetime.fromtimestamp(value.seconds, UTC)
    return value.astimezone(CHAIN_TIME_ZONE).strftime("%Y-%m-%d %H:%M")

"""Money is an integer number of fen (1/100 CNY). Rates are integer basis points (1 bp = 0.01%).

The only rounding in the system happens in ``apply_rate`` and ``split_proportionally``: half-up to
the fen, once, with Decimal kept inside the function.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

BASIS_POINTS = 10_000


def format_fen(amount_fen: int) -> str:
    """¥ amount for people: 12345 -> '¥123.45', -5 -> '-¥0.05'."""
    if not isinstance(amount_fen, int):
        raise TypeError("money must be an int number of fen")
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def apply_rate(amount: int, rate_bp: int) -> int:
    """amount × rate_bp / 10000, rounded half-up to a whole unit."""
    exact = Decimal(amount) * Decimal(rate_bp) / Decimal(BASIS_POINTS)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_proportionally(amount: int, part: int, whole: int) -> int:
    """The share of ``amount`` that ``part`` is of ``whole``, rounded half-up; the caller gives the rest to
    the other side so the two shares always add up to ``amount`` exactly."""
    if whole <= 0:
        return 0
    exact = Decimal(amount) * Decimal(part) / Decimal(whole)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

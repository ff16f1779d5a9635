"""Splitting an integer amount over parts so the shares add up exactly.

Every rounding here goes through ``chaincard.money.split_proportionally`` (half-up, Decimal inside);
the fen or points a rounding gains or loses are then handed out by a stated rule, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from chaincard.money import split_proportionally


def spread_to_largest(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion, each share never above its weight.

    Rounding: each share is ``split_proportionally(total, weight, sum)`` (half-up); what the
    roundings gained or lost is taken from or given to the largest weight (ties: the first). When
    that share would leave [0, weight] — only with tiny lines — the rest moves on to the next
    largest, so the shares always add up to ``total``. Needs 0 <= total <= sum(weights).
    """
    whole = sum(weights)
    if not 0 <= total <= whole:
        raise ValueError(f"cannot spread {total} over weights summing to {whole}")
    shares = [split_proportionally(total, weight, whole) for weight in weights]
    remainder = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        if remainder == 0:
            break
        if remainder > 0:
            moved = min(remainder, weights[index] - shares[index])
        else:
            moved = -min(-remainder, shares[index])
        shares[index] += moved
        remainder -= moved
    return shares


def cumulative_shares(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` (any size) over ``weights`` in proportion by cumulative targets.

    Rounding: share i = round_half_up(total × W_i / W) − round_half_up(total × W_(i−1) / W), where
    W_i is the running sum of the weights up to i. Shares are never negative, a zero weight gets 0,
    and they add up to ``total`` exactly.
    """
    whole = sum(weights)
    shares: list[int] = []
    running = 0
    previous_target = 0
    for weight in weights:
        running += weight
        target = split_proportionally(total, running, whole)
        shares.append(target - previous_target)
        previous_target = target
    return shares


def apportion(count: int, sizes: Sequence[int]) -> list[int]:
    """How much of each part a cumulative ``count`` out of ``sum(sizes)`` stands for.

    This is Webster (Sainte-Laguë) apportionment with ties to the earlier part: it starts from
    round_half_up(size × count / total) per part (``split_proportionally``) and moves single units,
    by exact comparison of size / (units + ½), until the parts add up to ``count``. Unlike rounding
    each part on its own it always adds up, and unlike a running-sum split it is monotone: raising
    ``count`` never lowers a part; ``count == sum(sizes)`` gives ``sizes`` back exactly.
    """
    whole = sum(sizes)
    if not 0 <= count <= whole:
        raise ValueError(f"cannot apportion {count} of {whole}")
    if whole == 0:
        return [0] * len(sizes)
    units = [split_proportionally(count, size, whole) for size in sizes]

    def next_unit(index: int) -> tuple[Fraction, int]:
        return Fraction(2 * sizes[index], 2 * units[index] + 1), -index

    def last_unit(index: int) -> tuple[Fraction, int]:
        return Fraction(2 * sizes[index], 2 * units[index] - 1), -index

    while sum(units) < count:
        units[max((i for i in range(len(sizes)) if units[i] < sizes[i]), key=next_unit)] += 1
    while sum(units) > count:
        units[min((i for i in range(len(sizes)) if units[i] > 0), key=last_unit)] -= 1
    return units

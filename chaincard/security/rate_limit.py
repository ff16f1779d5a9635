"""Rate limits on PIN and look-up attempts, per card and per store (DESIGN §7).

A token bucket per key: ``capacity`` attempts at once, refilled at ``refill_per_second``. An
attempt is allowed only when both its card's and its store's buckets have a token, and then takes
one from each, so a store hammering many cards and many stores hammering one card are both slowed.
In-process and thread-safe; each region keeps its own (the card's home region sees every attempt
on that card, since PINs are only ever checked there). This throttles guessing; the PIN lock
after 5 failures (chaincard.pins, the region's handlers) is what stops it.

Refusals are RESOURCE_EXHAUSTED, saying which limit and when to try again.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from chaincard.errors import ChainCardError


class RateLimited(ChainCardError):
    """Too many attempts: wait ``retry_after_seconds`` (maps to RESOURCE_EXHAUSTED)."""

    status_name = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class BucketPolicy:
    capacity: float
    refill_per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.refill_per_second <= 0:
            raise ValueError("a bucket holds at least one token and refills")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets by key, for one policy. Full buckets are forgotten first when ``max_keys``
    is reached (a forgotten bucket is a full one, so forgetting never loosens a limit in force
    except for the oldest keys under memory pressure)."""

    def __init__(self, policy: BucketPolicy, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.policy = policy
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return self.policy.capacity
        return min(self.policy.capacity, bucket.tokens + (now - bucket.updated) * self.policy.refill_per_second)

    def wait_seconds(self, key: str, cost: float = 1.0, now: float | None = None) -> float:
        """0 when ``cost`` tokens are available now; else how long until they are (lock held by caller)."""
        level = self._level(key, self._clock() if now is None else now)
        return 0.0 if level >= cost else (cost - level) / self.policy.refill_per_second

    def take(self, key: str, cost: float = 1.0, now: float | None = None) -> None:
        """Remove ``cost`` tokens (lock held by caller; check wait_seconds first)."""
        moment = self._clock() if now is None else now
        level = self._level(key, moment)
        self._buckets[key] = _Bucket(tokens=level - cost, updated=moment)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self._max_keys:
            self._prune(moment)

    def _prune(self, now: float) -> None:
        for key in [key for key in self._buckets if self._level(key, now) >= self.policy.capacity]:
            del self._buckets[key]
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

    def try_acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens if there are enough: 0.0; else the seconds to wait (nothing taken)."""
        with self.lock:
            now = self._clock()
            wait = self.wait_seconds(key, cost, now)
            if wait == 0.0:
                self.take(key, cost, now)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


# Defaults: a card may be tried 10 times in a burst, then once every 6 s (10 a minute); a store
# 60 attempts in a burst, then one a second.
DEFAULT_PER_CARD = BucketPolicy(capacity=10, refill_per_second=1 / 6)
DEFAULT_PER_STORE = BucketPolicy(capacity=60, refill_per_second=1.0)


def _masked_card(card_number: str) -> str:
    return "card …" + card_number[-4:] if len(card_number) > 4 else "card"


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


class AttemptLimiter:
    """PIN or look-up attempts per card and per store. One instance per kind of attempt (e.g. one
    for PIN checks, one for member look-ups), shared by all threads of the region."""

    def __init__(
        self,
        *,
        per_card: BucketPolicy = DEFAULT_PER_CARD,
        per_store: BucketPolicy = DEFAULT_PER_STORE,
        what: str = "attempts",
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.what = what
        self._clock = clock
        self.cards = TokenBuckets(per_card, clock=clock, max_keys=max_keys)
        self.stores = TokenBuckets(per_store, clock=clock, max_keys=max_keys)
        self._lock = threading.Lock()

    def check(self, *, card_number: str = "", store_id: str = "") -> None:
        """Count one attempt on ``card_number`` from ``store_id`` (either may be empty), or raise
        RateLimited (RESOURCE_EXHAUSTED) and count nothing."""
        with self._lock:
            now = self._clock()
            card_wait = self.cards.wait_seconds(card_number, now=now) if card_number else 0.0
            store_wait = self.stores.wait_seconds(store_id, now=now) if store_id else 0.0
            if card_wait > 0:
                raise RateLimited(
                    f"too many {self.what} for {_masked_card(card_number)}; try again in {_seconds(card_wait)} s",
                    card_wait,
                )
            if store_wait > 0:
                raise RateLimited(
                    f"too many {self.what} from store {store_id}; try again in {_seconds(store_wait)} s", store_wait
                )
            if card_number:
                self.cards.take(card_number, now=now)
            if store_id:
                self.stores.take(store_id, now=now)

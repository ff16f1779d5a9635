"""PIN and look-up attempts per card and per store (chaincard.security.rate_limit)."""

from __future__ import annotations

import threading

import grpc
import pytest

from chaincard.security.rate_limit import AttemptLimiter, BucketPolicy, RateLimited, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_card_gets_its_burst_then_one_attempt_per_refill_interval() -> None:
    clock = Clock()
    limiter = AttemptLimiter(per_card=BucketPolicy(capacity=3, refill_per_second=0.1), what="PIN attempts", clock=clock)
    for _ in range(3):
        limiter.check(card_number="881100000000017", store_id="S-E-001")
    with pytest.raises(RateLimited) as refused:
        limiter.check(card_number="881100000000017", store_id="S-E-002")  # another store changes nothing
    assert str(refused.value) == "too many PIN attempts for card …0017; try again in 10 s"
    assert refused.value.status_name == "RESOURCE_EXHAUSTED"
    assert grpc.StatusCode[refused.value.status_name] is grpc.StatusCode.RESOURCE_EXHAUSTED
    limiter.check(card_number="881100000000025", store_id="S-E-001")  # other cards are not affected
    clock.now += 10
    limiter.check(card_number="881100000000017")
    with pytest.raises(RateLimited):
        limiter.check(card_number="881100000000017")


def test_a_store_is_limited_across_cards_and_a_refusal_counts_nothing() -> None:
    clock = Clock()
    limiter = AttemptLimiter(per_card=BucketPolicy(capacity=2, refill_per_second=1),
                             per_store=BucketPolicy(capacity=5, refill_per_second=0.5), what="look-ups", clock=clock)
    for index in range(5):
        limiter.check(card_number=f"card-{index}", store_id="S-E-001")
    with pytest.raises(RateLimited, match="too many look-ups from store S-E-001; try again in 2 s"):
        limiter.check(card_number="card-new", store_id="S-E-001")
    # The refused attempt took nothing from the new card's bucket.
    limiter.check(card_number="card-new", store_id="S-E-002")
    limiter.check(card_number="card-new", store_id="S-E-002")
    with pytest.raises(RateLimited, match="card"):
        limiter.check(card_number="card-new", store_id="S-E-002")


def test_concurrent_attempts_never_exceed_the_burst() -> None:
    limiter = AttemptLimiter(per_card=BucketPolicy(capacity=25, refill_per_second=1e-6),
                             per_store=BucketPolicy(capacity=1000, refill_per_second=1e-6))
    allowed = []
    barrier = threading.Barrier(50)

    def attempt() -> None:
        barrier.wait()
        for _ in range(4):
            try:
                limiter.check(card_number="881100000000017", store_id="S-E-001")
                allowed.append(1)
            except RateLimited:
                pass

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 25


def test_buckets_forget_full_keys_first_under_memory_pressure() -> None:
    clock = Clock()
    buckets = TokenBuckets(BucketPolicy(capacity=2, refill_per_second=1), clock=clock, max_keys=10)
    for index in range(10):
        assert buckets.try_acquire(f"old-{index}") == 0.0
    clock.now += 5  # all refilled: forgetting them loosens nothing
    buckets.try_acquire("hot")
    buckets.try_acquire("hot")
    assert buckets.try_acquire("hot") > 0
    assert len(buckets) <= 10
    assert buckets.try_acquire("hot") > 0  # the busy key was kept


def test_a_policy_must_allow_something() -> None:
    with pytest.raises(ValueError):
        BucketPolicy(capacity=0, refill_per_second=1)
    with pytest.raises(ValueError):
        BucketPolicy(capacity=1, refill_per_second=0)

"""The stall watch of a consumer loop: a member is declared stuck only once records have waited for
the whole stall time, asking the broker at most once per check interval."""

from __future__ import annotations

from chaincard.events.positions import StallWatch


def watch() -> StallWatch:
    stalled = StallWatch(stall_seconds=30.0, check_seconds=5.0)
    stalled.reset(now=0.0)
    return stalled


def test_records_waiting_for_the_whole_stall_time_mean_stuck():
    stalled = watch()
    answers = [stalled.stuck(lambda: True, now=t) for t in (5.0, 10.0, 20.0, 30.0, 35.0)]
    assert answers == [False, False, False, False, True]


def test_nothing_waiting_is_never_stuck():
    stalled = watch()
    assert not any(stalled.stuck(lambda: False, now=float(t)) for t in range(5, 300, 5))


def test_a_check_without_records_waiting_starts_the_count_again():
    stalled = watch()
    assert not stalled.stuck(lambda: True, now=5.0)
    assert not stalled.stuck(lambda: False, now=20.0)
    assert not stalled.stuck(lambda: True, now=30.0)
    assert not stalled.stuck(lambda: True, now=55.0)
    assert stalled.stuck(lambda: True, now=60.0)


def test_records_read_reset_the_watch():
    stalled = watch()
    assert not stalled.stuck(lambda: True, now=5.0)
    stalled.reset(now=30.0)
    assert not stalled.stuck(lambda: True, now=36.0)
    assert stalled.stuck(lambda: True, now=66.0)


def test_the_broker_is_asked_at_most_once_per_check_interval():
    stalled = watch()
    asked = []

    def waiting() -> bool:
        asked.append(1)
        return True

    for tenth in range(50, 200):
        stalled.stuck(waiting, now=tenth / 10)
    assert len(asked) == 3  # at 5, 10 and 15 s

"""The chaos runs' fault schedule is the seed's alone (docs/adr/0049)."""

from __future__ import annotations

from chaincard.local.chaos.schedule import BROKER_EMPTY, KINDS, SKEW, plan

PROCESSES = ("hq", "region-E", "relay-E", "store-S-E-001")
LINKS = ("link-region-E", "link-store-S-E-001")


def test_a_seed_names_one_schedule():
    assert plan(16, 300, PROCESSES, LINKS) == plan(16, 300, PROCESSES, LINKS)
    assert plan(16, 300, PROCESSES, LINKS) != plan(17, 300, PROCESSES, LINKS)


def test_faults_come_one_at_a_time_and_spare_the_last_fifth():
    for seed in range(50):
        faults = plan(seed, 300, PROCESSES, LINKS)
        assert faults, seed
        for before, after in zip(faults, faults[1:], strict=False):
            assert after.at >= before.at + before.seconds, (seed, before, after)
        assert all(fault.at < 240 for fault in faults), seed


def test_targets_fit_their_kind():
    faults = [fault for seed in range(50) for fault in plan(seed, 300, PROCESSES, LINKS)]
    assert {fault.kind for fault in faults} == set(KINDS)
    for fault in faults:
        if fault.kind == BROKER_EMPTY:
            assert fault.target == "broker"
        elif fault.kind == SKEW:
            # A store agent, never further behind than the certificates' 5-minute backdating tolerates.
            assert fault.target.startswith("store-") and -240 <= fault.amount <= 900 and fault.amount != 0
        elif fault.kind.startswith("link-"):
            assert fault.target in LINKS
        else:
            assert fault.target in PROCESSES


def test_the_pace_options_shape_the_schedule():
    """`make chaos`: --mean-gap 0.8 --fault-seconds 1-3 plays many short faults; the defaults are unchanged."""
    fast = plan(16, 900, PROCESSES, LINKS, mean_gap=0.8, fault_seconds=(1.0, 3.0))
    assert all(1.0 <= fault.seconds <= 3.0 for fault in fast if fault.kind != BROKER_EMPTY)
    assert len(fast) >= 200
    assert plan(16, 900, PROCESSES, LINKS, mean_gap=0.8, fault_seconds=(1.0, 3.0)) == fast
    assert plan(16, 300, PROCESSES, LINKS) == plan(16, 300, PROCESSES, LINKS, mean_gap=8.0, fault_seconds=(2.0, 10.0))

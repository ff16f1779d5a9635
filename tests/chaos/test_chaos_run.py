"""The short chaos run of `make test` (issue 20, docs/reliability.md): a whole chain with a proxy on
every link, tills at its four stores, and a fault schedule drawn from a fixed seed — processes
killed and frozen, links cut, delayed and made lossy — then healed; every invariant must hold.
`chaincard chaos --seed 16 --duration 90` replays the same schedule; `make chaos` runs a long one.

It runs in the session chain's e2e group (tests/conftest.py, ``_group``; docs/adr/0042), one test after
another with the e2e tests on one worker, never alongside them: two whole chains at once on two
cores starve both."""

from __future__ import annotations

import uuid

import pytest

from chaincard.local.chaos.run import LINKS, PROCESSES, run_chaos
from chaincard.local.chaos.schedule import KILL, plan

pytestmark = pytest.mark.e2e

SEED = 16  # found finding 6 (docs/reliability.md): HQ's owed view diverging from the region's ledger
DURATION = 90.0  # seconds of load and faults; with start-up, quiescence and checks about three minutes


@pytest.mark.timeout(900)  # about three minutes on a quiet machine; a loaded one slows every restart and the replay
def test_a_short_seeded_chaos_run_keeps_every_invariant(tmp_path, postgres):
    schedule = plan(SEED, DURATION, PROCESSES, LINKS)
    assert any(fault.kind == KILL for fault in schedule), "the fixed seed must kill something"
    prefix = f"ccchaos_{uuid.uuid4().hex[:8]}"
    try:
        report = run_chaos(SEED, DURATION, tmp_path / "chain", pg_dsn=postgres.admin_dsn, database_prefix=prefix)
    finally:  # a failed run keeps its databases for a post-mortem; the test suite does not
        for name in ("hq", "settlement", "region_e", "region_w"):
            postgres.drop_database(f"{prefix}_{name}")
    print(report.summary())
    assert report.ok, report.summary()
    # The faults did bite and the workload saw them: faults were played, money moved, and every
    # kind of request was answered OK at least once.
    assert sum(report.injected.values()) == len(schedule)
    answered = {request.kind for request in report.requests if request.outcome == "OK"}
    assert {"recharge", "checkout", "refund", "void"} <= answered, answered
    # Region W's link is cut for 7.6 s (t+54 s): its stores stand in for sales, posted once afterwards.
    assert any(request.offline for request in report.requests), "no store stood in offline"

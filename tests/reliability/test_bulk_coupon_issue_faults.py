"""A bulk issue of 100,000 coupons (issue 13's check) runs to the end through HQ and region
processes that are killed mid-way, with no card getting two coupons.

The cards are written straight into the regions' databases (set-up only); the issue itself goes
through the real services: ``chaincard coupon bulk-issue`` streams the card file to HQ's
BulkCouponIssueService, HQ's worker sends the cards in chunks to CouponBatchService in each home
region. Faults, for real:

- region E is frozen (SIGSTOP) while HQ waits on a chunk, HQ is SIGKILLed, E thawed: E commits a
  chunk whose answer HQ never recorded; the restarted HQ sends that chunk again from its cursor;
- later region W is SIGKILLed while HQ sends it chunks (HQ sends E's and W's chunks side by
  side), and restarted.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from chaincard.local.faults import freeze, kill_process, restart_process, start_process, thaw
from chaincard.v1 import coupon_issue_pb2, coupon_issue_pb2_grpc
from tests.support.bulk_issue import copy_cards, set_coupon_template, wait_for_job
from tests.support.sql import rows, scalar

pytestmark = pytest.mark.e2e

TEMPLATE = "BULK-FAULTS"
CARDS = {"E": ("11", "S-E-001", 60_000), "W": ("21", "S-W-001", 40_000)}
TOTAL = sum(count for _, _, count in CARDS.values())


def _cli(state, *arguments: str) -> str:  # type: ignore[no-untyped-def]
    """``chaincard coupon …`` against the chain, as its admin; its output (the test fails if it fails)."""
    done = subprocess.run([sys.executable, "-m", "chaincard.cli", "coupon", *arguments, "--data-dir", state.data_dir],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _done(state, job_id: str, region: str) -> int:  # type: ignore[no-untyped-def]
    """Cards of ``region`` HQ has recorded an answer for, read from HQ's database (HQ itself may be down)."""
    return int(scalar(state.database_urls["hq"], "SELECT COUNT(*) FROM bulk_issue_cards WHERE job_id = :job "
                                                 "AND region_code = :region AND outcome <> ''", job=job_id, region=region))


def _wait_done(state, job_id: str, region: str, count: int, timeout: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while _done(state, job_id, region) < count:
        assert time.monotonic() < deadline, f"bulk issue stuck at {_done(state, job_id, region)} cards of region {region}"
        time.sleep(0.2)


# The chain's start, 100,000 cards written, streamed and issued on a loaded 2-core machine: more than
# the suite's default 300 s.
@pytest.mark.timeout(900)
def test_bulk_issue_of_100000_coupons_survives_killed_processes(chain, tmp_path):  # type: ignore[no-untyped-def]
    state = chain.state
    cards = {code: copy_cards(state.database_urls[f"region_{code}"], prefix, count, store_id=store)
             for code, (prefix, store, count) in CARDS.items()}
    card_file = tmp_path / "cards.txt"
    card_file.write_text("# the whole chain's test cards\n" + "\n".join(
        card for numbers in cards.values() for card in reversed(numbers)) + "\n")  # HQ sorts them itself
    with state.channel("hq") as channel:
        set_coupon_template(channel, TEMPLATE)
    # As an operator would, through the CLI (mTLS, the admin's token), streamed to HQ.
    started = _cli(state, "bulk-issue", TEMPLATE, "--cards", str(card_file), "--reason", "reliability: 100k")
    job_id = re.search(r"bulk issue (\S+): RUNNING", started).group(1)  # type: ignore[union-attr]
    with state.channel("hq") as channel:
        job = coupon_issue_pb2_grpc.BulkCouponIssueServiceStub(channel).GetBulkIssue(
            coupon_issue_pb2.GetBulkIssueRequest(job_id=job_id), timeout=30).job
    assert job.cards_total == TOTAL

    _wait_done(state, job.job_id, "E", 15_000)
    freeze(chain.children["region-E"])
    try:
        time.sleep(1.0)  # HQ's worker is now waiting on a chunk E has received
        hq_command = kill_process(chain, "hq")
    finally:
        thaw(chain.children["region-E"])
    start_process(chain, "hq", *hq_command)

    _wait_done(state, job.job_id, "W", 15_000)
    restart_process(chain, "region-W")

    with state.channel("hq") as channel:
        finished = wait_for_job(coupon_issue_pb2_grpc.BulkCouponIssueServiceStub(channel), job.job_id, timeout=300)
    assert finished.state == coupon_issue_pb2.BULK_ISSUE_STATE_COMPLETED, finished.last_error
    assert (finished.cards_total, finished.cards_done, finished.cards_issued, finished.cards_skipped) == (TOTAL, TOTAL, TOTAL, 0)
    assert f"COMPLETED, template {TEMPLATE}, {TOTAL}/{TOTAL} cards done: {TOTAL} issued, 0 skipped" in _cli(
        state, "bulk-status", job.job_id)

    recorded = dict(rows(state.database_urls["hq"], "SELECT card_number, coupon_code FROM bulk_issue_cards "
                                                    "WHERE job_id = :job AND outcome = 'ISSUED'", job=job.job_id))
    assert len(recorded) == TOTAL
    for code, numbers in cards.items():
        region = state.database_urls[f"region_{code}"]
        held = rows(region, "SELECT card_number, coupon_code FROM coupons WHERE issue_key LIKE :key", key=f"bulk:{job.job_id}:%")
        assert len(held) == len(numbers)  # exactly one coupon per card: the card set below is as large
        assert {card for card, _ in held} == set(numbers)
        # HQ's record of each card is the very coupon the region holds (a chunk sent again answered
        # the coupons of its first send).
        assert all(recorded[card] == coupon for card, coupon in held)
        events = scalar(region, "SELECT COUNT(*) FROM outbox WHERE event_type LIKE '%CouponIssued'")
        assert events == len(numbers)  # one CouponIssued per coupon, none twice

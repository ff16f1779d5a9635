"""Members as the tests see them: row counts of a region's member tables, and HQ's view of a member
(the member index fed by the region's events), waited for until it matches."""

from __future__ import annotations

import time
from collections.abc import Callable

from chaincard.v1 import common_pb2
from tests.support.regions import RunningRegions
from tests.support.sql import rows


def table_counts(url: str) -> dict[str, int]:
    """Rows in each table a member change may write to (members, audit, outbox, keys, ledger)."""
    return {table: rows(url, f"SELECT COUNT(*) FROM {table}")[0][0]
            for table in ("members", "audit_log", "outbox", "idempotency_keys", "ledger_transactions")}


def hq_member(regions: RunningRegions, member_id: str) -> tuple[common_pb2.Member, str] | None:
    """HQ's view of the member and its phone HMAC, or None while HQ has not seen the member."""
    found = rows(regions.database_urls["hq"], "SELECT member, phone_hmac FROM member_views WHERE member_id = :id", id=member_id)
    return (common_pb2.Member.FromString(found[0][0]), found[0][1]) if found else None


def wait_for_hq_member(regions: RunningRegions, member_id: str, predicate: Callable[[common_pb2.Member, str], object],
                       timeout: float = 60.0) -> common_pb2.Member:
    deadline = time.monotonic() + timeout
    while True:
        seen = hq_member(regions, member_id)
        if seen is not None and predicate(*seen):
            return seen[0]
        assert time.monotonic() < deadline, f"HQ's view of member {member_id} never matched: {seen}"
        time.sleep(0.2)

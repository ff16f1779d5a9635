"""The invariants a chaos run ends with, checked on the healed, quiet chain (docs/reliability.md):
each returns a Check, never raises on a violation, so a run reports all of them at once."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from chaincard.chain_state import ChainState
from chaincard.local.chaos.workload import ERROR, LOST, MONEY_KINDS, OK, Pool, Request


@dataclass
class Check:
    name: str
    ok: bool
    checked: int
    detail: str = ""


def rows(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def _regions(state: ChainState) -> dict[str, str]:
    return {name.removeprefix("region_"): url for name, url in state.database_urls.items() if name.startswith("region_")}


def _check(name: str, violations: Sequence[object], checked: int) -> Check:
    return Check(name, not violations, checked, f"{len(violations)} violations, e.g. {list(violations)[:3]}" if violations else "")


# ---- money -----------------------------------------------------------------------------------------
def money_conserved(state: ChainState) -> Check:
    """Per region and asset, every posting's credits equal its debits (the sum of every account is
    zero), each transaction balances, and each card account's balance is the sum of its postings."""
    violations: list[object] = []
    checked = 0
    for code, url in _regions(state).items():
        violations += [(code, "asset", *row) for row in rows(url, """
            SELECT asset, SUM(CASE WHEN direction = 'CREDIT' THEN amount ELSE -amount END) FROM postings
            GROUP BY asset HAVING SUM(CASE WHEN direction = 'CREDIT' THEN amount ELSE -amount END) <> 0""")]
        violations += [(code, "unbalanced", *row) for row in rows(url, """
            SELECT transaction_id, asset FROM postings GROUP BY transaction_id, asset
            HAVING SUM(CASE WHEN direction = 'CREDIT' THEN amount ELSE -amount END) <> 0""")]
        violations += [(code, "drifted", *row) for row in rows(url, """
            SELECT a.account_id, a.balance FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id
            WHERE a.purpose IN ('CARD', 'RECEIVABLE') GROUP BY a.account_id, a.balance
            HAVING a.balance <> COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0)""")]
        checked += rows(url, "SELECT COUNT(*) FROM ledger_transactions")[0][0]
    return _check("money conserved per asset; balances = sum of postings", violations, checked)


def never_below_zero(state: ChainState) -> Check:
    """No card balance was ever negative: not now, and not after any transaction (an overdrawn
    offline sale leaves a receivable instead, docs/adr/0018)."""
    violations: list[object] = []
    checked = 0
    for code, url in _regions(state).items():
        violations += [(code, *row) for row in rows(url, """
            SELECT transaction_id, principal_after_fen, bonus_after_fen, points_after FROM ledger_transactions
            WHERE principal_after_fen < 0 OR bonus_after_fen < 0 OR points_after < 0""")]
        violations += [(code, *row) for row in rows(url, """
            SELECT account_id, asset, balance FROM ledger_accounts WHERE purpose = 'CARD' AND balance < 0""")]
        checked += rows(url, "SELECT COUNT(*) FROM ledger_transactions")[0][0]
    return _check("no card balance ever below zero", violations, checked)


# ---- requests --------------------------------------------------------------------------------------
def posted_counts(state: ChainState, ids: list[str]) -> dict[str, Counter[str]]:
    """Per request id: how many ledger transactions carry it, per region."""
    found: dict[str, Counter[str]] = {}
    for code, url in _regions(state).items():
        for request_id, count in rows(url, "SELECT request_id, COUNT(*) FROM ledger_transactions WHERE request_id = ANY(:ids) "
                                           "GROUP BY request_id", ids=ids):
            found.setdefault(request_id, Counter())[code] += int(count)
    return found


def rejected_advices(state: ChainState, stores: list[str]) -> set[str]:
    """Offline sales a store's queue holds as REJECTED: flagged for the store to settle by hand."""
    flagged: set[str] = set()
    for store in stores:
        path = Path(state.data_dir) / "stores" / f"{store}.sqlite"
        with sqlite3.connect(path) as connection:
            flagged |= {advice_id for (advice_id,) in connection.execute("SELECT advice_id FROM offline_advices WHERE state = 'REJECTED'")}
    return flagged


def requests_posted(state: ChainState, requests: list[Request], pool: Pool, stores: list[str]) -> list[Check]:
    money = [request for request in requests if request.kind in MONEY_KINDS]
    found = posted_counts(state, [request.request_id for request in money])
    flagged = rejected_advices(state, stores)

    def total(request: Request) -> int:
        return sum(found.get(request.request_id, Counter()).values())

    def wrong_home(request: Request) -> bool:
        return any(code != pool.home(request.card) for code in found.get(request.request_id, Counter()))

    online_ok = [request for request in money if request.outcome == OK and not request.offline]
    offline_ok = [request for request in money if request.outcome == OK and request.offline]
    errors = [request for request in money if request.outcome == ERROR]
    lost = [request for request in money if request.outcome == LOST]

    def describe(request: Request) -> tuple[str, ...]:
        return (request.kind, request.store_id, request.card, request.request_id, request.code, request.detail,
                str(dict(found.get(request.request_id, {}))))

    return [
        _check("every OK answer posted exactly once, in the card's home region",
               [describe(r) for r in online_ok if total(r) != 1 or wrong_home(r)], len(online_ok)),
        _check("every offline sale posted once or flagged",
               [describe(r) for r in offline_ok if not ((total(r) == 1 and not wrong_home(r)) or (total(r) == 0 and r.request_id in flagged))],
               len(offline_ok)),
        _check("every error answer posted nothing", [describe(r) for r in errors if total(r) != 0], len(errors)),
        _check("every lost answer posted at most once (found by its request id)",
               [describe(r) for r in lost if total(r) > 1 or wrong_home(r)], len(lost)),
    ]


# ---- views -----------------------------------------------------------------------------------------
def region_balances(state: ChainState, pool: Pool) -> dict[str, tuple[int, ...]]:
    """Per card, from its home region: (transactions, principal, bonus, points, owed fen, points owed)."""
    truth: dict[str, tuple[int, ...]] = {}
    for code, url in _regions(state).items():
        cards = pool.cards.get(code, [])
        counts = dict(rows(url, "SELECT card_number, COUNT(*) FROM ledger_transactions WHERE card_number = ANY(:cards) "
                                "GROUP BY card_number", cards=cards))
        held = {(card, purpose, asset): int(balance) for card, purpose, asset, balance in rows(
            url, "SELECT card_number, purpose, asset, balance FROM ledger_accounts WHERE card_number = ANY(:cards) "
                 "AND purpose IN ('CARD', 'RECEIVABLE')", cards=cards)}
        for card in cards:
            truth[card] = (int(counts.get(card, 0)), held.get((card, "CARD", "STORED_VALUE_PRINCIPAL"), 0),
                           held.get((card, "CARD", "STORED_VALUE_BONUS"), 0), held.get((card, "CARD", "POINTS"), 0),
                           -held.get((card, "RECEIVABLE", "STORED_VALUE_PRINCIPAL"), 0), -held.get((card, "RECEIVABLE", "POINTS"), 0))
    return truth


def hq_balances(state: ChainState, pool: Pool) -> dict[str, tuple[int, ...]]:
    found = rows(state.database_urls["hq"], "SELECT card_number, transaction_count, principal_fen, bonus_fen, points, owed_fen, "
                                             "points_owed FROM card_views WHERE card_number = ANY(:cards)", cards=pool.all())
    return {row[0]: tuple(int(value) for value in row[1:]) for row in found}


def clearing_differences(state: ChainState) -> tuple[int, list[object]]:
    """Region transactions missing from settlement's clearing ledger, and clearing records no region has."""
    posted: set[str] = set()
    for url in _regions(state).values():
        posted |= {transaction_id for (transaction_id,) in rows(url, "SELECT transaction_id FROM ledger_transactions")}
    cleared = {transaction_id for (transaction_id,) in rows(state.database_urls["settlement"], "SELECT transaction_id FROM clearing_records")}
    return len(posted), [("missing", t) for t in sorted(posted - cleared)] + [("phantom", t) for t in sorted(cleared - posted)]


def wait_until_equal(read: Callable[[], tuple[int, list[object]]], timeout: float, settled: float) -> tuple[int, list[object]]:
    """Poll ``read`` until it finds no difference, or until ``timeout``, or until it has not changed
    for ``settled`` seconds (the consumers have applied all they will)."""
    deadline = time.monotonic() + timeout
    last: list[object] | None = None
    moved_at = time.monotonic()
    while True:
        checked, differences = read()
        if not differences or time.monotonic() > deadline or (differences == last and time.monotonic() - moved_at > settled):
            return checked, differences
        if differences != last:
            last, moved_at = differences, time.monotonic()
        time.sleep(1.0)


def hq_equals_regions(state: ChainState, pool: Pool, timeout: float, settled: float) -> Check:
    def read() -> tuple[int, list[object]]:
        truth, seen = region_balances(state, pool), hq_balances(state, pool)
        return len(truth), [(card, truth[card], seen.get(card)) for card in truth if truth[card] != seen.get(card)]
    checked, differences = wait_until_equal(read, timeout, settled)
    return _check("HQ's card views equal the home regions' ledgers", differences, checked)


def clearing_complete(state: ChainState, timeout: float, settled: float) -> Check:
    checked, differences = wait_until_equal(lambda: clearing_differences(state), timeout, settled)
    return _check("settlement's clearing ledger has every posting once", differences, checked)


def nets_sum_to_zero(state: ChainState, run_day: Callable[[str], None]) -> Check:
    """Settle every business day the clearing ledger holds (``run_day``), then each day's
    statements' net figures sum to zero."""
    settlement = state.database_urls["settlement"]
    days = [str(day) for (day,) in rows(settlement, "SELECT DISTINCT business_date FROM clearing_records ORDER BY 1")]
    for day in days:
        run_day(day)
    nets = rows(settlement, "SELECT business_date, SUM(net_fen), COUNT(*) FROM statements GROUP BY business_date")
    return _check("each settled day's net figures sum to zero", [(str(day), int(net)) for day, net, _ in nets if int(net) != 0],
                  sum(int(count) for _, _, count in nets))

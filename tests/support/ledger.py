"""Checks every test of the money path ends with: each ledger transaction balances per asset, each
card account's cached balance equals the sum of its postings (STYLE rule 5), and system accounts
carry no cached balance at all (theirs is the sum of their postings: docs/adr/0007), each card's
points lots hold exactly its POINTS balance (docs/adr/0022), and each card's count-use packs of an
item hold exactly its COUNT_USES:<item> balance (docs/adr/0029)."""

from __future__ import annotations

from sqlalchemy import Connection, create_engine, text


def assert_ledger_consistent(database_url: str) -> int:
    """Raise AssertionError on any violation; returns how many ledger transactions were checked."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            unbalanced = connection.execute(text(
                """
                SELECT transaction_id, asset,
                       SUM(CASE WHEN direction = 'CREDIT' THEN amount ELSE -amount END) AS net
                FROM postings GROUP BY transaction_id, asset
                HAVING SUM(CASE WHEN direction = 'CREDIT' THEN amount ELSE -amount END) <> 0
                """
            )).all()
            assert not unbalanced, f"unbalanced ledger transactions: {unbalanced}"
            drifted = connection.execute(text(
                """
                SELECT a.account_id, a.balance, COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0)
                FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id
                WHERE a.purpose IN ('CARD', 'RECEIVABLE')
                GROUP BY a.account_id, a.balance
                HAVING a.balance <> COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0)
                """
            )).all()
            assert not drifted, f"balances that differ from their postings: {drifted}"
            cached_system = connection.execute(text(
                "SELECT account_id FROM ledger_accounts WHERE purpose NOT IN ('CARD', 'RECEIVABLE') "
                "AND (balance <> 0 OR debits_posted <> 0 OR credits_posted <> 0)"
            )).all()
            assert not cached_system, f"system accounts with a cached balance: {cached_system}"
            without_postings = connection.execute(text(
                "SELECT t.transaction_id FROM ledger_transactions t LEFT JOIN postings p ON p.transaction_id = t.transaction_id "
                # A time pass bought for cash, or used, moves nothing: its row alone (docs/adr/0030).
                "GROUP BY t.transaction_id HAVING COUNT(p.posting_id) < 2 AND NOT (COUNT(p.posting_id) = 0 "
                "AND (bool_or(t.details -> 'time_pass_uses' IS NOT NULL) OR bool_or(t.details -> 'time_pass_days' IS NOT NULL)))"
            )).all()
            assert not without_postings, f"transactions with fewer than two postings: {without_postings}"
            assert not lots_differing_from_points(connection), "points lots that differ from their cards' POINTS balances"
            assert not packs_differing_from_uses(connection), "count-use packs that differ from their cards' COUNT_USES balances"
            return connection.execute(text("SELECT COUNT(*) FROM ledger_transactions")).scalar_one()
    finally:
        engine.dispose()


def lots_differing_from_points(connection: Connection) -> list[tuple[str, int, int]]:
    """(card, POINTS balance, points its lots hold) of every card whose lots do not hold its balance."""
    return [tuple(row) for row in connection.execute(text(
        """
        SELECT a.card_number, a.balance, COALESCE(l.remaining, 0)
        FROM ledger_accounts a
        LEFT JOIN (SELECT card_number, SUM(points_remaining) AS remaining FROM points_lots GROUP BY card_number) l
               ON l.card_number = a.card_number
        WHERE a.purpose = 'CARD' AND a.asset = 'POINTS' AND a.balance <> COALESCE(l.remaining, 0)
        """
    )).all()]


def packs_differing_from_uses(connection: Connection) -> list[tuple[str, str, int, int]]:
    """(card, asset, balance, uses its packs hold) of every count-use account its packs do not hold."""
    return [tuple(row) for row in connection.execute(text(
        """
        SELECT a.card_number, a.asset, a.balance, COALESCE(p.left_, 0)
        FROM ledger_accounts a
        LEFT JOIN (SELECT card_number, 'COUNT_USES:' || item_code AS asset, SUM(uses_left) AS left_
                   FROM count_use_packs GROUP BY card_number, item_code) p
               ON p.card_number = a.card_number AND p.asset = a.asset
        WHERE a.purpose = 'CARD' AND a.asset LIKE 'COUNT\\_USES:%' AND a.balance <> COALESCE(p.left_, 0)
        """
    )).all()]

"""What must hold after every seed, read from the regions' PostgreSQL and the store's SQLite:

- money is conserved per asset: each ledger transaction of the seed's cards balances per asset, and
  each card account's balance is the sum of its postings;
- no card balance below zero (an offline overdraft is a receivable, never a negative balance);
- every request the till was answered OK is posted exactly once (by its request id, at the card's
  home region), with the answer's transaction (an offline sale: posted once, or flagged REJECTED);
- every request answered with an error posted nothing;
- lost answers: the till retried by request id until answered, so each is one of the above, and
  none is left unanswered; no advice is left queued and no journal entry PENDING;
- each card holds what the till was told: what it was recharged less what it was charged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from simulation.run import World

_UNBALANCED = text("""
    SELECT p.transaction_id, p.asset FROM postings p
    WHERE p.transaction_id IN (SELECT t.transaction_id FROM ledger_transactions t WHERE t.card_number = ANY(:cards))
    GROUP BY p.transaction_id, p.asset
    HAVING SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END) <> 0""")
_DRIFTED = text("""
    SELECT a.card_number, a.purpose, a.asset, a.balance,
           COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0)
    FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id
    WHERE a.card_number = ANY(:cards)
    GROUP BY a.account_id, a.card_number, a.purpose, a.asset, a.balance
    HAVING a.balance <> COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0)""")
_NEGATIVE = text("""
    SELECT card_number, asset, balance FROM ledger_accounts
    WHERE card_number = ANY(:cards) AND purpose = 'CARD' AND balance < 0""")
# What a card is worth to its holder: its stored value less what it owes (credit-normal balances).
_VALUE = text("""
    SELECT card_number, SUM(balance) FROM ledger_accounts
    WHERE card_number = ANY(:cards) AND asset IN ('STORED_VALUE_PRINCIPAL', 'STORED_VALUE_BONUS')
      AND purpose IN ('CARD', 'RECEIVABLE')
    GROUP BY card_number""")
_POSTED = text("SELECT request_id, transaction_id FROM ledger_transactions WHERE request_id = ANY(:ids)")


def check(world: World) -> list[str]:
    found = list(world.errors)
    by_region: dict[str, list[str]] = {}
    for card, region in world.cards.items():
        by_region.setdefault(region, []).append(card)
    posted: dict[str, list[str]] = {}
    value: dict[str, int] = {}
    ids = [till.request_id for till in world.requests]
    for code, cards in sorted(by_region.items()):
        with world.regions[code].engine.connect() as connection:
            found += [f"region {code}: transaction {row[0]} does not balance in {row[1]}"
                      for row in connection.execute(_UNBALANCED, {"cards": cards})]
            found += [f"region {code}: card ...{row[0][-4:]} {row[1]} {row[2]} balance {row[3]} but its postings sum to {row[4]}"
                      for row in connection.execute(_DRIFTED, {"cards": cards})]
            found += [f"region {code}: card ...{row[0][-4:]} {row[1]} below zero: {row[2]}"
                      for row in connection.execute(_NEGATIVE, {"cards": cards})]
            value.update({row[0]: int(row[1]) for row in connection.execute(_VALUE, {"cards": cards})})
            for request_id, transaction_id in connection.execute(_POSTED, {"ids": ids}):
                posted.setdefault(request_id, []).append(f"{code}:{transaction_id}")
    other_region = {card: ("W" if region == "E" else "E") for card, region in world.cards.items()}
    expected = dict(world.setup_value)
    for till in world.requests:
        where = f"{till.kind} {till.request_id[:8]} ({', '.join(till.answers)})"
        at = posted.get(till.request_id, [])
        if any(entry.startswith(other_region[till.card_number] + ":") for entry in at):
            found.append(f"{where}: posted at a region that is not the card's home: {at}")
        if not till.final:
            found.append(f"{where}: never answered, even once every fault healed")
            continue
        if till.error:
            if at:
                found.append(f"{where}: answered {till.error}, yet posted {at}")
            continue
        if len(at) != 1:
            if not (till.offline and _flagged(world, till.request_id)):
                found.append(f"{where}: answered OK{' offline' if till.offline else ''}, posted {len(at)} times {at}")
            continue
        answer = till.answer
        transaction = getattr(answer, "transaction", None)
        if transaction is None:
            continue
        if not till.offline and not at[0].endswith(":" + transaction.transaction_id):
            found.append(f"{where}: answered with transaction {transaction.transaction_id}, posted as {at[0]}")
        expected[till.card_number] = expected.get(till.card_number, 0) + transaction.principal_delta_fen + transaction.bonus_delta_fen
    for card, want in sorted(expected.items()):
        if value.get(card, 0) != want:
            found.append(f"card ...{card[-4:]} holds {value.get(card, 0)} fen; the tills were told it would hold {want}")
    found += _store_left_over(world)
    return found


def _flagged(world: World, advice_id: str) -> bool:
    with world.store.session_factory() as session:
        state = session.execute(text("SELECT state FROM offline_advices WHERE advice_id = :id"), {"id": advice_id}).scalar()
    return state == "REJECTED"


def _store_left_over(world: World) -> list[str]:
    with world.store.session_factory() as session:
        queued = session.execute(text("SELECT advice_id FROM offline_advices WHERE state = 'QUEUED'")).scalars().all()
        pending = session.execute(text("SELECT request_id FROM outgoing_requests WHERE state = 'PENDING'")).scalars().all()
    return ([f"advice {advice[:8]} still queued after every fault healed" for advice in queued]
            + [f"request {request[:8]} still PENDING in the store's journal" for request in pending])

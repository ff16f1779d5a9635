"""The common checkout's writes in one round trip (issue 17, docs/adr/0052): a sale paid from the
presented card's own stored value has its posting, balances after, receipt, TransactionPosted
event and remembered answer written by one call of the database function ``post_checkout``
(region migration 0029), instead of three statements.

Python still does everything that needs Python: pricing (pure), the balances after (the cards'
accounts are locked, so they are known), the receipt text and the event and answer bytes
(protobuf). The function checks and writes under the accounts' row locks, and answers a refusal
as an ``outcome`` row, never as an error to parse. Any other sale takes the usual path unchanged:
:func:`qualifies` is the dispatch rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, LargeBinary, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from chaincard.commands import UnitOfWork
from chaincard.db.base import UtcTimestamp
from chaincard.errors import AlreadyExists, FailedPrecondition
from chaincard.pricing import CheckoutPlan, TenderKind
from chaincard.v1 import program_config_pb2, transactions_pb2
from region_service.ledger_store import expire_loaded_accounts
from region_service.levels import rules_above
from region_service.posting import PendingWrites
from region_service.referral_awards import DETAILS_KEY as REFERRAL_AWARD
from region_service.repository import LockedAccounts, LockedCard

# The function's outcomes (see the migration): only POSTED and REPLAY answer the sale.
POSTED, REPLAY, KEY_REUSED = "POSTED", "REPLAY", "KEY_REUSED"

_TRANSACTION_COLUMNS = (
    ("transaction_id", String), ("request_id", String), ("type", String), ("card_number", String), ("store_id", String),
    ("acquiring_franchisee_id", String), ("business_date", Date), ("amount_fen", BigInteger),
    ("principal_delta_fen", BigInteger), ("bonus_delta_fen", BigInteger), ("points_delta", BigInteger),
    ("principal_after_fen", BigInteger), ("bonus_after_fen", BigInteger), ("points_after", BigInteger),
    ("original_transaction_id", String), ("details", JSON), ("created_at", UtcTimestamp),
)
_ARRAYS = (
    ("moved_ids", "text", String), ("moved_balances", "bigint", BigInteger), ("moved_debits", "bigint", BigInteger),
    ("moved_credits", "bigint", BigInteger), ("expected_balances", "bigint", BigInteger),
    ("posting_accounts", "text", String), ("posting_assets", "text", String), ("posting_directions", "text", String),
    ("posting_amounts", "bigint", BigInteger), ("lot_ids", "text", String), ("lot_cards", "text", String),
    ("lot_earned", "timestamptz", UtcTimestamp), ("lot_expires", "timestamptz", UtcTimestamp),
    ("lot_points", "bigint", BigInteger), ("lot_sources", "text", String),
)
_SCALARS_AFTER = (
    ("receipt_lines", LargeBinary), ("event_id", String), ("topic", String), ("message_key", String),
    ("event_type", String), ("envelope", LargeBinary), ("event_created_at", UtcTimestamp),
    ("key_operation", String), ("key_payload_sha256", String), ("key_response", LargeBinary),
)


def _call_statement() -> Any:
    """``SELECT outcome, kept_response FROM post_checkout(…)``, built and compiled once (a text
    statement: SQLAlchemy caches its compiled form, and psycopg2 sends it as one simple query)."""
    arguments = [
        *(f":{name}" for name, _ in _TRANSACTION_COLUMNS),
        *(f"CAST(:{name} AS {sql}[])" for name, sql, _ in _ARRAYS),
        *(f":{name}" for name, _ in _SCALARS_AFTER),
    ]
    types = [
        *(bindparam(name, type_=kind) for name, kind in _TRANSACTION_COLUMNS),
        *(bindparam(name, type_=ARRAY(kind)) for name, _, kind in _ARRAYS),
        *(bindparam(name, type_=kind) for name, kind in _SCALARS_AFTER),
    ]
    sql = f"SELECT outcome, kept_response FROM post_checkout({', '.join(arguments)})"
    return text(sql).bindparams(*types)


_CALL = _call_statement()


@dataclass(frozen=True)
class Outcome:
    """The function's answer: ``outcome`` (POSTED, REPLAY, KEY_REUSED, UNKNOWN_ACCOUNT, INSUFFICIENT,
    STALE) and, on REPLAY, the answer a twin request kept."""

    outcome: str
    kept_response: bytes | None


def qualifies(session: Session, snapshot: program_config_pb2.ConfigSnapshot, *, card: LockedCard, cards: dict[str, LockedCard],
              locked: LockedAccounts, plan: CheckoutPlan, by_member_code: bool, count_uses: bool, details: dict[str, Any]) -> bool:
    """The dispatch rule (docs/adr/0052): the sale takes one round trip when it is paid from the
    presented card's own stored value alone (points earned allowed), on that one card (no second
    card, not a linked card), with no coupon, no count use or time pass, no points redeemed (taking
    points reads their lots), no member code, no referral award, nothing owed on the card, and no
    level rule that could move the card up (the rules read the card). Everything here is already
    in memory: the check sends nothing. The function is PostgreSQL's: on another database (a
    SQLite dev region) no sale qualifies."""
    if not _on_postgresql(session):
        return False
    if by_member_code or count_uses or len(cards) != 1 or card.main_card_number is not None:
        return False
    if plan.applied_coupons or plan.points_redeemed or any(t.kind is not TenderKind.STORED_VALUE for t in plan.tenders):
        return False
    balances = locked.balances(card.card_number)
    if balances.owed_fen or balances.points_owed or REFERRAL_AWARD in details:
        return False
    return not rules_above(snapshot, card.level_code)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def parameters(pending: PendingWrites, key_row: dict[str, Any]) -> dict[str, Any]:
    """The function's arguments: the posting statement's parameters (region_service.ledger_store),
    each moved account's expected balance after, the receipt, the outbox row and the answer's key."""
    post = pending.post.parameters
    values = {name: post["transaction_" + name] for name, _ in _TRANSACTION_COLUMNS}
    values.update({name: post[name] for name, _, _ in _ARRAYS if name in post})
    values["expected_balances"] = [pending.post.expected[account_id] for account_id in post["moved_ids"]]
    outbox = pending.outbox
    values.update(receipt_lines=pending.receipt_lines, event_id=outbox["event_id"], topic=outbox["topic"],
                  message_key=outbox["message_key"], event_type=outbox["event_type"], envelope=outbox["envelope"],
                  event_created_at=outbox["created_at"], key_operation=key_row["operation"],
                  key_payload_sha256=key_row["payload_sha256"], key_response=key_row["response"])
    return values


def call(session: Session, values: dict[str, Any]) -> Outcome:
    """One call of ``post_checkout``: one statement, in the session's transaction."""
    row = session.execute(_CALL, values).one()
    kept = row.kept_response  # psycopg2 returns bytea as a memoryview
    return Outcome(row.outcome, bytes(kept) if kept is not None else None)


def finish(uow: UnitOfWork, pending: PendingWrites, response: transactions_pb2.CheckoutResponse) -> transactions_pb2.CheckoutResponse:
    """Write the sale and its remembered answer in one round trip; the answer to give. A twin
    request that committed first is answered with its answer; a refusal writes nothing."""
    session = uow.session
    session.flush()  # anything the ORM holds (a PIN check's count) goes first, as it would have
    outcome = call(session, parameters(pending, uow.answer_row(response)))
    if outcome.outcome == POSTED:
        expire_loaded_accounts(session, pending.post.expected)
        uow.answer_kept = True
        return response
    if outcome.outcome == REPLAY and outcome.kept_response is not None:
        uow.answer_kept = True
        return transactions_pb2.CheckoutResponse.FromString(outcome.kept_response)
    if outcome.outcome == KEY_REUSED:
        raise AlreadyExists(f"request_id {pending.post.parameters['transaction_request_id']!r} was already used for a "
                            "different request; use a new request_id for a new operation")
    # The accounts are locked and priced on by this very transaction: INSUFFICIENT, STALE and
    # UNKNOWN_ACCOUNT mean a writer bypassed the card's lock. Nothing was written; refuse the sale.
    raise FailedPrecondition(f"the card's balances changed while the sale was priced ({outcome.outcome}); try again")

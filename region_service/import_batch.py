"""One import chunk written as a batch (docs/adr/0040-import.md, "A chunk is written as a batch").

Writing a chunk row by row (a savepoint, the ORM's unit of work and some twenty statements per
card) ran at about 9 rows/s; a chunk is now planned in Python from four reads and written with one
multi-row statement per table, whatever its size:

1. Read what the chunk's keys already hold: members by id and by phone, cards (locked), the cards'
   opening balances, the accounts of existing cards that get one (locked).
2. Plan each row in file order (:func:`_plan`): what to write, or why it is refused. A refused row
   writes nothing: it is decided before anything is written, which is what the row's savepoint gave.
3. Write (chaincard.db.bulk, one statement a table): members, cards, their three accounts (a new
   card's accounts are inserted holding their opening balance, which is what posting would leave),
   the OPENING_BALANCE transactions and their postings against the issuer's MIGRATION_OPENING
   accounts, points lots, receipts, audit entries, and the outbox events HQ and settlement read, in
   the order the row-by-row path wrote them.

Import chunks in one region take a transaction-level advisory lock: two runs of one file at once
wait for each other, so "read, then insert" cannot write a key twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from chaincard.checkout.receipt import card_footer
from chaincard.db.base import table_of, utc_now
from chaincard.db.bulk import insert_rows
from chaincard.db.outbox import outbox_row
from chaincard.errors import ChainCardError
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, check_balanced, transfer
from chaincard.phones import mask_email, mask_phone, phone_hmac
from chaincard.points.lots import lot_expiry
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import events_pb2, imports_pb2
from region_service import audit, card_states
from region_service.context import RegionContext
from region_service.ledger_store import CARD_ASSETS, POSTED_AT, system_account_id
from region_service.models import (
    AuditLogEntry,
    Card,
    LedgerAccount,
    LedgerTransaction,
    Member,
    OutboxMessage,
    PointsLot,
    PostingRecord,
    ReceiptRecord,
)
from region_service.points_lots import expiry_policy
from region_service.posting import posting_message, receipt_document
from region_service.repository import CARD_PURPOSE, CardBalances
from region_service.translate import card_message, member_message, transaction_message

R = imports_pb2
T = TypeVar("T")
OPENING_BALANCE = "OPENING_BALANCE"
RECEIPT_TITLE = "OPENING BALANCE (migration)"
# Any fixed key: import chunks of one region wait for each other, nothing else takes it.
_IMPORT_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('chaincard.import'))")

_members, _cards, _accounts = table_of(Member), table_of(Card), table_of(LedgerAccount)
_transactions, _postings, _lots = table_of(LedgerTransaction), table_of(PostingRecord), table_of(PointsLot)
_receipts, _outbox = table_of(ReceiptRecord), table_of(OutboxMessage)


def opening_request_id(card_number: str) -> str:
    """The ledger request id of a card's opening balance: at most one per card, ever."""
    return f"opening:{card_number}"


class Refused(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


@dataclass
class Wrote:
    member: bool = False
    card: bool = False
    opening: bool = False


@dataclass(frozen=True)
class _HeldCard:
    member_id: str | None
    card_type_code: str
    issuing_franchisee_id: str
    issuing_store_id: str


@dataclass
class _Held:
    """What the chunk's keys hold before it is written, and what rows planned so far add."""

    members: dict[str, tuple[str, datetime | None]]  # member id -> (phone HMAC, erased at)
    phone_holders: dict[str, str]  # phone HMAC -> member id
    cards: dict[str, _HeldCard]
    openings: set[str]  # card numbers with an opening balance


@dataclass
class _Writes:
    members: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    openings: list[tuple[imports_pb2.ImportChunkRow, str]] = field(default_factory=list)  # (row, card number)
    events: list[dict[str, Any]] = field(default_factory=list)  # outbox rows, in the order written


def write_chunk(ctx: RegionContext, session: Session, request: imports_pb2.ImportChunkRequest
                ) -> list[Wrote | Refused]:
    """Write the chunk's rows; per row (in order) what it wrote, or why it was refused."""
    session.execute(_IMPORT_LOCK)
    key = ctx.settings.phone_hmac_key
    hmacs = {row.phone: phone_hmac(row.phone, key) for row in request.rows if row.phone}
    held = _read_held(session, request.rows, hmacs)
    writes = _Writes()
    outcomes: list[Wrote | Refused] = []
    for row in request.rows:
        try:
            outcomes.append(_plan(ctx, request.kind, row, hmacs.get(row.phone, ""), held, writes))
        except Refused as refused:
            outcomes.append(refused)
        except ChainCardError as error:  # the program's own refusals (unknown store or card type …)
            column, _, problem = str(error).partition(": ")
            outcomes.append(Refused(column if problem else "", problem or str(error)))
    _write(ctx, session, request.request_id, writes, held.cards)
    return outcomes


def _read_held(session: Session, rows: Sequence[imports_pb2.ImportChunkRow], hmacs: dict[str, str]) -> _Held:
    member_ids = [row.member_id for row in rows if row.member_id]
    numbers = [row.card_number for row in rows if row.card_number]
    members = {member_id: (hmac_hex, erased) for member_id, hmac_hex, erased in session.execute(
        select(_members.c.member_id, _members.c.phone_hmac, _members.c.erased_at).where(_members.c.member_id.in_(member_ids)))}
    holders = {hmac_hex: member_id for hmac_hex, member_id in session.execute(
        select(_members.c.phone_hmac, _members.c.member_id).where(_members.c.phone_hmac.in_(list(hmacs.values()))))}
    cards = {number: _HeldCard(member_id, type_code, franchisee, store) for number, member_id, type_code, franchisee, store in
             session.execute(select(_cards.c.card_number, _cards.c.member_id, _cards.c.card_type_code,
                                    _cards.c.issuing_franchisee_id, _cards.c.issuing_store_id)
                             .where(_cards.c.card_number.in_(numbers)).with_for_update())}
    openings = {request_id.removeprefix("opening:") for request_id in session.execute(
        select(_transactions.c.request_id).where(_transactions.c.request_id.in_([opening_request_id(n) for n in numbers])))
        .scalars()}
    return _Held(members, holders, cards, openings)


def _plan(ctx: RegionContext, kind: int, row: imports_pb2.ImportChunkRow, hmac_hex: str, held: _Held,
          writes: _Writes) -> Wrote:
    """Decide the row against what is held (including rows planned before it); add its writes only
    once nothing in it is refused."""
    wrote = Wrote()
    member_id = ""
    new_member: dict[str, Any] | None = None
    if kind == R.IMPORT_KIND_BALANCES:
        card = held.cards.get(row.card_number)
        if card is None:
            raise Refused("card_number", f"no card {row.card_number} in region {ctx.region_code}")
    else:
        store = ctx.program.store(row.store_id, field="store")
        if store.region_code != ctx.region_code:
            raise Refused("store", f"store {store.store_id} belongs to region {store.region_code}, not {ctx.region_code}")
        member = held.members.get(row.member_id)
        if member is None:
            holder = held.phone_holders.get(hmac_hex)
            if holder is not None:
                raise Refused("phone", f"registered here to member {holder}, not to the member HQ's phone index names")
            new_member = _member_values(row, hmac_hex)
        elif member[1] is not None:
            raise Refused("phone", f"member {row.member_id} was erased at their request (M7)")
        elif member[0] != hmac_hex:
            raise Refused("phone", f"member {row.member_id} has another phone now")
        member_id = row.member_id
        if kind == R.IMPORT_KIND_MEMBERS:
            _add_member(ctx, held, writes, new_member, wrote)
            return wrote
        card = held.cards.get(row.card_number)
        if card is not None and card.member_id != member_id:
            raise Refused("card_number", f"card {row.card_number} is already issued to another holder")
    new_card = None
    if card is None:
        new_card = _card_values(ctx, row, member_id)
        card = _HeldCard(member_id, new_card["card_type_code"], new_card["issuing_franchisee_id"], new_card["issuing_store_id"])
    opening = bool(row.principal_fen or row.bonus_fen or row.points) and row.card_number not in held.openings
    if opening:
        card_type = ctx.program.card_type(card.card_type_code)
        if (row.principal_fen or row.bonus_fen) and not card_type.stored_value:
            raise Refused("principal" if row.principal_fen else "bonus", f"card type {card_type.code} holds no stored value")
        if row.points and not card_type.points:
            raise Refused("points", f"card type {card_type.code} holds no points")
        ctx.program.store(card.issuing_store_id, field="store")
    # Nothing refused: the row's writes, in the order the row-by-row path made them.
    _add_member(ctx, held, writes, new_member, wrote)
    if new_card is not None:
        held.cards[row.card_number] = card
        writes.cards.append(new_card)
        wrote.card = True
    if opening:
        held.openings.add(row.card_number)
        writes.openings.append((row, row.card_number))
        wrote.opening = True
    return wrote


def _add_member(ctx: RegionContext, held: _Held, writes: _Writes, values: dict[str, Any] | None, wrote: Wrote) -> None:
    if values is None:
        return
    held.members[values["member_id"]] = (values["phone_hmac"], None)
    held.phone_holders[values["phone_hmac"]] = values["member_id"]
    writes.members.append(values)
    wrote.member = True


def _member_values(row: imports_pb2.ImportChunkRow, hmac_hex: str) -> dict[str, Any]:
    return {
        "member_id": row.member_id, "phone_hmac": hmac_hex, "phone": row.phone, "phone_masked": mask_phone(row.phone),
        "name": row.name, "birthday": date.fromisoformat(row.birthday) if row.birthday else None,
        "gender": row.gender or "UNSPECIFIED", "email": row.email, "custom_fields": {}, "tags": [], "channel": "BATCH_IMPORT",
        "registered_store_id": row.store_id, "registered_at": utc_now(), "erased_at": None, "referral_code": None,
        "referrer_member_id": None, "referrer_home_region": None,
    }


def _card_values(ctx: RegionContext, row: imports_pb2.ImportChunkRow, member_id: str) -> dict[str, Any]:
    store = ctx.program.store(row.store_id, field="store")
    card_type = ctx.program.card_type(row.card_type_code)
    level = ctx.program.level(card_type.default_level_code) if card_type.default_level_code else ctx.program.entry_level()
    now = utc_now()
    return {
        "card_number": row.card_number, "member_id": member_id, "card_type_code": card_type.code,
        "form": "PHYSICAL",  # a number from the old system, registered in HQ's card directory by the import
        "state": card_states.ACTIVE, "level_code": level.code if level is not None else "", "level_since": None,
        "level_paid_until": None, "issuing_franchisee_id": store.franchisee_id, "issuing_store_id": store.store_id,
        "opened_at": now, "expires_at": now + timedelta(days=card_type.validity_days) if card_type.validity_days > 0 else None,
        "pin_hash": None, "failed_pin_attempts": 0, "pin_locked_until": None, "replaced_by_card_number": None,
        "replaces_card_number": None,
    }


# ---- writing ----------------------------------------------------------------------------------------
def _row_as(model: type[T], values: dict[str, Any]) -> T:
    """A row's values with attribute access, as the translators and the audit read a model: building
    thousands of ORM instances (their instrumentation) cost more than a chunk's statements."""
    return cast(T, SimpleNamespace(**values))


def _event(ctx: RegionContext, topic: str, key: str, payload: Any) -> dict[str, Any]:
    return outbox_row(wrap(payload, producer=ctx.producer_name, aggregate_id=key), topic=topic, key=key)


def _write(ctx: RegionContext, session: Session, chunk_request_id: str, writes: _Writes, cards: dict[str, _HeldCard]) -> None:
    events: list[dict[str, Any]] = []
    for values in writes.members:
        published = member_message(_row_as(Member, values), ctx.region_code)
        published.email = mask_email(published.email)  # events carry no contact details in clear (M7)
        events.append(_event(ctx, topics.MEMBERS, values["member_id"],
                             events_pb2.MemberRegistered(member=published, phone_hmac=values["phone_hmac"])))
    if writes.members:
        insert_rows(session, _members, writes.members)
    # A new card's accounts: ids now, balances as its opening balance (if any) leaves them.
    opening_of = {number: row for row, number in writes.openings}
    accounts: dict[str, dict[str, str]] = {}
    account_rows = []
    for values in writes.cards:
        number = values["card_number"]
        accounts[number] = {}
        row = opening_of.get(number)
        for asset, amount in zip(CARD_ASSETS, _amounts(row), strict=True):
            account_id = new_id()
            accounts[number][asset] = account_id
            account_rows.append({"account_id": account_id, "purpose": CARD_PURPOSE, "card_number": number, "franchisee_id": "",
                                 "asset": asset, "balance": amount, "debits_posted": 0, "credits_posted": amount})
        events.append(_event(ctx, topics.CARDS, number, events_pb2.CardOpened(
            card=card_message(_row_as(Card, values), ctx.region_code, CardBalances(0, 0, 0)), imported=True)))
    if writes.cards:
        insert_rows(session, _cards, writes.cards)
        insert_rows(session, _accounts, account_rows)
    if writes.openings:
        events += _post_openings(ctx, session, chunk_request_id, writes.openings, accounts, cards)
    if events:
        insert_rows(session, _outbox, events)


def _amounts(row: imports_pb2.ImportChunkRow | None) -> tuple[int, int, int]:
    """(principal fen, bonus fen, points) in CARD_ASSETS' order."""
    return (row.principal_fen, row.bonus_fen, row.points) if row is not None else (0, 0, 0)


def _lock_existing(session: Session, numbers: list[str]) -> dict[str, dict[str, tuple[str, int]]]:
    """Card number -> asset -> (account id, balance) of existing cards' own accounts, locked."""
    held: dict[str, dict[str, tuple[str, int]]] = {number: {} for number in numbers}
    for account_id, number, asset, balance in session.execute(
        select(_accounts.c.account_id, _accounts.c.card_number, _accounts.c.asset, _accounts.c.balance)
        .where(_accounts.c.card_number.in_(numbers), _accounts.c.purpose == CARD_PURPOSE)
        .order_by(_accounts.c.account_id).with_for_update()
    ):
        held[number][asset] = (account_id, balance)
    return held


_CREDIT_EXISTING = text(
    "UPDATE ledger_accounts AS a SET balance = a.balance + m.amount, credits_posted = a.credits_posted + m.amount "
    "FROM unnest(CAST(:ids AS varchar[]), CAST(:amounts AS bigint[])) AS m(account_id, amount) "
    "WHERE a.account_id = m.account_id")


def _post_openings(ctx: RegionContext, session: Session, chunk_request_id: str,
                   openings: list[tuple[imports_pb2.ImportChunkRow, str]], new_accounts: dict[str, dict[str, str]],
                   cards: dict[str, _HeldCard]) -> list[dict[str, Any]]:
    """The OPENING_BALANCE transactions of the chunk: rows, postings, balances, lots, receipts, audit
    entries; answers their outbox rows (TransactionPosted, AuditEntryRecorded)."""
    existing = _lock_existing(session, [number for _, number in openings if number not in new_accounts])
    policy = expiry_policy(ctx.program.snapshot().points_expiry)
    zone = ctx.settings.business_time_zone
    days: dict[str, date] = {}
    migration: dict[tuple[str, str], str] = {}
    transactions, postings, lots, receipts, audits, events = [], [], [], [], [], []
    credit_ids: list[str] = []
    credit_amounts: list[int] = []
    now = utc_now()
    for row, number in openings:
        card = cards[number]
        issuer, store_id = card.issuing_franchisee_id, card.issuing_store_id
        if store_id not in days:
            days[store_id] = ctx.store_business_day(ctx.program.store(store_id, field="store").time_zone)
        amounts: dict[str, int] = dict(zip(CARD_ASSETS, _amounts(row), strict=True))
        before: dict[str, int] = {asset: 0 for asset in CARD_ASSETS}
        if number in new_accounts:
            ids = new_accounts[number]
        else:
            ids = {asset: account_id for asset, (account_id, _) in existing[number].items()}
            before = {asset: balance for asset, (_, balance) in existing[number].items()}
            for asset, amount in amounts.items():
                if amount:
                    credit_ids.append(ids[asset])
                    credit_amounts.append(amount)
        moves: list[Posting] = []
        for asset, amount in amounts.items():
            if amount:
                key = (issuer, asset)
                if key not in migration:
                    migration[key] = system_account_id(session, issuer, SystemAccount.MIGRATION_OPENING, asset)
                moves += transfer(asset, amount, debit=migration[key], credit=ids[asset])
        check_balanced(moves)
        after = {asset: before[asset] + amounts[asset] for asset in CARD_ASSETS}
        transaction = _row_as(LedgerTransaction, dict(
            transaction_id=new_id(), request_id=opening_request_id(number), type=OPENING_BALANCE, card_number=number,
            store_id=store_id, acquiring_franchisee_id=issuer, business_date=days[store_id], amount_fen=row.principal_fen,
            principal_delta_fen=row.principal_fen, bonus_delta_fen=row.bonus_fen, points_delta=row.points,
            principal_after_fen=after[Asset.STORED_VALUE_PRINCIPAL], bonus_after_fen=after[Asset.STORED_VALUE_BONUS],
            points_after=after[Asset.POINTS], original_transaction_id=None, created_at=now,
            details={"import_chunk": chunk_request_id, "file_row": row.row, POSTED_AT: now.isoformat()},
        ))
        transactions.append(vars(transaction))
        postings += [{"transaction_id": transaction.transaction_id, "account_id": p.account_id, "asset": p.asset,
                      "direction": p.direction.value, "amount": p.amount} for p in moves]
        if row.points:
            lots.append({"lot_id": new_id(), "card_number": number, "earned_at": now, "expires_at": lot_expiry(policy, now, zone),
                         "points_earned": row.points, "points_remaining": row.points,
                         "source_transaction_id": transaction.transaction_id})
        items = [amount_row("Opening principal", row.principal_fen), amount_row("Opening bonus", row.bonus_fen),
                 ReceiptItem(f"Opening points {row.points}"),
                 *card_footer(principal_fen=transaction.principal_after_fen, bonus_fen=transaction.bonus_after_fen,
                              points=transaction.points_after, card_number=number, business_date=transaction.business_date,
                              transaction_id=transaction.transaction_id)]
        receipts.append({"transaction_id": transaction.transaction_id, "lines": receipt_document(RECEIPT_TITLE, items)})
        published = transaction_message(transaction, ctx.region_code)
        published.request_id = transaction.request_id
        events.append(_event(ctx, topics.POSTINGS, number, events_pb2.TransactionPosted(
            transaction=published, member_id=card.member_id or "", issuing_franchisee_id=issuer, issuing_store_id=store_id,
            acquiring_store_id=store_id, acquiring_franchisee_id=issuer, postings=[posting_message(p) for p in moves])))
        audits.append(_row_as(AuditLogEntry, dict(
            id=new_id(), occurred_at=now, actor="import", store_id=store_id, franchisee_id=issuer,
            action="card.opening_balance", target_type="card", target_id=number, reason=f"import row {row.row}", before=None,
            after={"principal_fen": row.principal_fen, "bonus_fen": row.bonus_fen, "points": row.points,
                   "transaction_id": transaction.transaction_id},
            amount_fen=row.principal_fen, outcome="OK", request_id=chunk_request_id)))
    if credit_ids:
        session.execute(_CREDIT_EXISTING, {"ids": credit_ids, "amounts": credit_amounts})
    insert_rows(session, _transactions, transactions)
    insert_rows(session, _postings, postings)
    if lots:
        insert_rows(session, _lots, lots)
    insert_rows(session, _receipts, receipts)
    return events + audit.record_many(session, ctx, audits)

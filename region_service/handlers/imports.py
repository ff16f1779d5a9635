"""One chunk of an import from the chain's old system (M4, V8; docs/adr/0040-import.md), in the
home region: members registered, cards opened under their old numbers, opening balances posted as
TRANSACTION_TYPE_OPENING_BALANCE against the issuer's MIGRATION_OPENING account. Never a
recharge: no promotion, no points earned, no level rule, no registration coupon, no notice.

Idempotent by the rows' own keys: a member is found by the member id HQ's phone index holds for
the phone, a card by its number, a card's opening balance by its ledger request id
``opening:<card number>`` (unique), so a chunk sent again, cut differently or from a re-run of the
file writes nothing twice. Each row is written under a savepoint: a refused row leaves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import validation
from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError, InvalidArgument
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import new_id
from chaincard.imports.rows import MAX_AMOUNT_FEN, MAX_POINTS
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.phones import mask_email, mask_phone, normalise_phone, phone_hmac
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import events_pb2, imports_pb2
from region_service import audit, card_states
from region_service.context import RegionContext
from region_service.ledger_store import card_account_ids, card_balances, open_card_accounts, system_account_id
from region_service.models import Card, LedgerTransaction, Member, OutboxMessage
from region_service.posting import record_transaction
from region_service.translate import card_message, member_message
from region_service.unit_of_work import RegionUnitOfWork

OPENING_BALANCE = "OPENING_BALANCE"
MAX_ROWS = 1000
_KINDS = {imports_pb2.IMPORT_KIND_MEMBERS, imports_pb2.IMPORT_KIND_CARDS, imports_pb2.IMPORT_KIND_BALANCES}
_GENDERS = {"MALE", "FEMALE", "OTHER", "UNSPECIFIED"}
R = imports_pb2


def opening_request_id(card_number: str) -> str:
    """The ledger request id of a card's opening balance: at most one per card, ever."""
    return f"opening:{card_number}"


class _Refused(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


@dataclass
class _Wrote:
    member: bool = False
    card: bool = False
    opening: bool = False


def _check_request(request: imports_pb2.ImportChunkRequest) -> None:
    """Every field of every row, before anything is written: INVALID_ARGUMENT naming ``rows[i].<field>``.
    HQ sends only rows it validated; this guards the region from any other caller's."""
    if request.kind not in _KINDS:
        raise InvalidArgument("kind", "must be IMPORT_KIND_MEMBERS, IMPORT_KIND_CARDS or IMPORT_KIND_BALANCES")
    if not request.rows:
        raise InvalidArgument("rows", "needs at least one row")
    if len(request.rows) > MAX_ROWS:
        raise InvalidArgument("rows", f"at most {MAX_ROWS} rows per chunk")
    for index, row in enumerate(request.rows):
        _check_row(request.kind, f"rows[{index}]", row)


def _check_row(kind: int, where: str, row: imports_pb2.ImportChunkRow) -> None:
    if row.row < 1:
        raise InvalidArgument(f"{where}.row", "must be the row's number in the file")
    for name, amount, limit in (("principal_fen", row.principal_fen, MAX_AMOUNT_FEN), ("bonus_fen", row.bonus_fen, MAX_AMOUNT_FEN),
                                ("points", row.points, MAX_POINTS)):
        if not 0 <= amount <= limit:
            raise InvalidArgument(f"{where}.{name}", f"must be between 0 and {limit}")
    if kind != imports_pb2.IMPORT_KIND_BALANCES:
        validation.require_text(f"{where}.member_id", row.member_id, max_length=36)
        validation.require_text(f"{where}.name", row.name)
        if normalise_phone(row.phone) != row.phone:
            raise InvalidArgument(f"{where}.phone", "must be a normalised 11-digit mainland mobile number")
        validation.require_text(f"{where}.store_id", row.store_id, max_length=32)
        validation.optional_text(f"{where}.email", row.email, max_length=254)
        if row.gender and row.gender not in _GENDERS:
            raise InvalidArgument(f"{where}.gender", "must be MALE, FEMALE, OTHER or UNSPECIFIED")
        if row.birthday:
            try:
                date.fromisoformat(row.birthday)
            except ValueError as error:
                raise InvalidArgument(f"{where}.birthday", "must be a date YYYY-MM-DD") from error
    if kind != imports_pb2.IMPORT_KIND_MEMBERS:
        validation.card_number(row.card_number, f"{where}.card_number")
    if kind == imports_pb2.IMPORT_KIND_CARDS:
        validation.require_text(f"{where}.card_type_code", row.card_type_code, max_length=32)


def import_chunk(uow: RegionUnitOfWork, request: imports_pb2.ImportChunkRequest) -> imports_pb2.ImportChunkResponse:
    """A command handler (the region's command pipeline: the same request id replays the answer)."""
    _check_request(request)
    ctx, session = uow.region, uow.session
    results = []
    for row in request.rows:
        if request.reconcile_only:
            results.append(_read_back(session, row)[0])
            continue
        try:
            with session.begin_nested():
                wrote = _import_row(ctx, session, request, row)
        except _Refused as refused:
            results.append(R.ImportChunkResult(row=row.row, outcome=R.IMPORT_ROW_OUTCOME_REFUSED,
                                               column=refused.column, problem=refused.problem))
            continue
        result, opened_by = _read_back(session, row)
        # An earlier attempt of this very send (a transport retry of a call that had committed) wrote
        # the opening balance: the row was imported by this send all the same.
        written = wrote.member or wrote.card or wrote.opening or opened_by == request.request_id
        result.outcome = R.IMPORT_ROW_OUTCOME_IMPORTED if written else R.IMPORT_ROW_OUTCOME_ALREADY_IMPORTED
        results.append(result)
    return R.ImportChunkResponse(results=results)


def _read_back(session: Session, row: imports_pb2.ImportChunkRow) -> tuple[imports_pb2.ImportChunkResult, str]:
    """What the region holds for the row (member, card, the card's opening balance as posted), and
    the request id of the chunk that posted the opening balance ("" if none)."""
    result = R.ImportChunkResult(row=row.row, outcome=R.IMPORT_ROW_OUTCOME_READ)
    result.member_exists = bool(row.member_id) and session.get(Member, row.member_id) is not None
    if not row.card_number:
        return result, ""
    card = session.get(Card, row.card_number)
    if card is None:
        return result, ""
    result.card_exists = True
    result.franchisee_id = card.issuing_franchisee_id
    if not row.member_id and card.member_id:
        result.member_exists = True
    opening = session.execute(
        select(LedgerTransaction.principal_delta_fen, LedgerTransaction.bonus_delta_fen, LedgerTransaction.points_delta,
               LedgerTransaction.details)
        .where(LedgerTransaction.request_id == opening_request_id(card.card_number))
    ).first()
    if opening is None:
        return result, ""
    result.principal_fen, result.bonus_fen, result.points = opening[0], opening[1], opening[2]
    return result, str((opening[3] or {}).get("import_chunk", ""))


def _import_row(ctx: RegionContext, session: Session, request: imports_pb2.ImportChunkRequest,
                row: imports_pb2.ImportChunkRow) -> _Wrote:
    wrote = _Wrote()
    try:
        if request.kind == R.IMPORT_KIND_BALANCES:
            card = session.get(Card, row.card_number, with_for_update=True)
            if card is None:
                raise _Refused("card_number", f"no card {row.card_number} in region {ctx.region_code}")
        else:
            member, wrote.member = _ensure_member(ctx, session, row)
            if request.kind == R.IMPORT_KIND_MEMBERS:
                return wrote
            card, wrote.card = _ensure_card(ctx, session, row, member)
        wrote.opening = _ensure_opening(ctx, session, request.request_id, row, card)
    except ChainCardError as error:  # the program's own refusals (unknown store or card type …)
        column, _, problem = str(error).partition(": ")
        raise _Refused(column if problem else "", problem or str(error)) from error
    return wrote


def _ensure_member(ctx: RegionContext, session: Session, row: imports_pb2.ImportChunkRow) -> tuple[Member, bool]:
    store = ctx.program.store(row.store_id, field="store")
    if store.region_code != ctx.region_code:
        raise _Refused("store", f"store {store.store_id} belongs to region {store.region_code}, not {ctx.region_code}")
    hmac_hex = phone_hmac(row.phone, ctx.settings.phone_hmac_key)
    member = session.get(Member, row.member_id)
    if member is None:
        holder = session.execute(select(Member.member_id).where(Member.phone_hmac == hmac_hex)).scalar_one_or_none()
        if holder is not None:
            raise _Refused("phone", f"registered here to member {holder}, not to the member HQ's phone index names")
    elif member.erased_at is not None:
        raise _Refused("phone", f"member {member.member_id} was erased at their request (M7)")
    elif member.phone_hmac != hmac_hex:
        raise _Refused("phone", f"member {member.member_id} has another phone now")
    if member is not None:
        return member, False
    member = Member(
        member_id=row.member_id, phone_hmac=hmac_hex, phone=row.phone, phone_masked=mask_phone(row.phone), name=row.name,
        birthday=date.fromisoformat(row.birthday) if row.birthday else None, gender=row.gender or "UNSPECIFIED",
        email=row.email, tags=[], custom_fields={}, channel="BATCH_IMPORT", registered_store_id=store.store_id,
    )
    session.add(member)
    session.flush()
    published = member_message(member, ctx.region_code)
    published.email = mask_email(published.email)  # events carry no contact details in clear (M7)
    add_event(session, OutboxMessage, topic=topics.MEMBERS, key=member.member_id, producer=ctx.producer_name,
              payload=events_pb2.MemberRegistered(member=published, phone_hmac=hmac_hex))
    return member, True


def _ensure_card(ctx: RegionContext, session: Session, row: imports_pb2.ImportChunkRow, member: Member) -> tuple[Card, bool]:
    card = session.get(Card, row.card_number, with_for_update=True)
    if card is not None:
        if card.member_id != member.member_id:
            raise _Refused("card_number", f"card {row.card_number} is already issued to another holder")
        return card, False
    store = ctx.program.store(row.store_id, field="store")
    card_type = ctx.program.card_type(row.card_type_code)
    level = ctx.program.level(card_type.default_level_code) if card_type.default_level_code else ctx.program.entry_level()
    now = utc_now()
    card = Card(
        card_number=row.card_number, member_id=member.member_id, card_type_code=card_type.code,
        form="PHYSICAL",  # a number from the old system, registered in HQ's card directory by the import
        state=card_states.ACTIVE, level_code=level.code if level is not None else "",
        issuing_franchisee_id=store.franchisee_id, issuing_store_id=store.store_id, opened_at=now,
        expires_at=now + timedelta(days=card_type.validity_days) if card_type.validity_days > 0 else None,
        failed_pin_attempts=0, pin_hash=None,
    )
    session.add(card)
    open_card_accounts(session, card.card_number)
    session.flush()
    add_event(session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
              payload=events_pb2.CardOpened(card=card_message(card, ctx.region_code, card_balances(session, card.card_number))))
    return card, True


def _ensure_opening(ctx: RegionContext, session: Session, chunk_request_id: str, row: imports_pb2.ImportChunkRow,
                    card: Card) -> bool:
    """Post the card's opening balance unless it has one (or the row gives none)."""
    key = opening_request_id(card.card_number)
    if not (row.principal_fen or row.bonus_fen or row.points):
        return False
    if session.execute(select(LedgerTransaction.transaction_id).where(LedgerTransaction.request_id == key)).first():
        return False
    card_type = ctx.program.card_type(card.card_type_code)
    if (row.principal_fen or row.bonus_fen) and not card_type.stored_value:
        raise _Refused("principal" if row.principal_fen else "bonus", f"card type {card_type.code} holds no stored value")
    if row.points and not card_type.points:
        raise _Refused("points", f"card type {card_type.code} holds no points")
    issuer = card.issuing_franchisee_id
    accounts = card_account_ids(session, card.card_number)
    postings = []
    for asset, amount in ((Asset.STORED_VALUE_PRINCIPAL, row.principal_fen), (Asset.STORED_VALUE_BONUS, row.bonus_fen),
                          (Asset.POINTS, row.points)):
        if amount:
            postings += transfer(asset, amount, debit=system_account_id(session, issuer, SystemAccount.MIGRATION_OPENING, asset),
                                 credit=accounts[asset])
    store = ctx.program.store(card.issuing_store_id, field="store")
    transaction = LedgerTransaction(
        transaction_id=new_id(), request_id=key, type=OPENING_BALANCE, card_number=card.card_number,
        store_id=store.store_id, acquiring_franchisee_id=issuer, business_date=ctx.store_business_day(store.time_zone),
        amount_fen=row.principal_fen, principal_delta_fen=row.principal_fen, bonus_delta_fen=row.bonus_fen,
        points_delta=row.points, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
        details={"import_chunk": chunk_request_id, "file_row": row.row},
    )
    items: list[ReceiptItem] = [amount_row("Opening principal", row.principal_fen), amount_row("Opening bonus", row.bonus_fen),
                                ReceiptItem(f"Opening points {row.points}")]
    record_transaction(ctx, session, row=transaction, postings=postings, card=card, acquiring_franchisee_id=issuer,
                       receipt_title="OPENING BALANCE (migration)", receipt_items=items, request_id=key)
    audit.record(
        session, ctx, action="card.opening_balance", target_type="card", target_id=card.card_number, actor="import",
        store_id=store.store_id, franchisee_id=issuer, request_id=chunk_request_id, reason=f"import row {row.row}",
        after={"principal_fen": row.principal_fen, "bonus_fen": row.bonus_fen, "points": row.points,
               "transaction_id": transaction.transaction_id},
        amount_fen=row.principal_fen,
    )
    return True


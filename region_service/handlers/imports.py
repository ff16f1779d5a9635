"""One chunk of an import from the chain's old system (M4, V8; docs/adr/0040-import.md), in the
home region: members registered, cards opened under their old numbers, opening balances posted as
TRANSACTION_TYPE_OPENING_BALANCE against the issuer's MIGRATION_OPENING account. Never a
recharge: no promotion, no points earned, no level rule, no registration coupon, no notice.

Idempotent by the rows' own keys: a member is found by the member id HQ's phone index holds for
the phone, a card by its number, a card's opening balance by its ledger request id
``opening:<card number>`` (unique), so a chunk sent again, cut differently or from a re-run of the
file writes nothing twice. A chunk is written as a batch (region_service.import_batch): a refused
row leaves nothing, the others are written with a few multi-row statements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import validation
from chaincard.errors import InvalidArgument
from chaincard.imports.rows import MAX_AMOUNT_FEN, MAX_POINTS
from chaincard.phones import normalise_phone
from chaincard.v1 import imports_pb2
from region_service.import_batch import Refused, opening_request_id, write_chunk
from region_service.models import Card, LedgerTransaction, Member
from region_service.unit_of_work import RegionUnitOfWork

MAX_ROWS = 1000
_KINDS = {imports_pb2.IMPORT_KIND_MEMBERS, imports_pb2.IMPORT_KIND_CARDS, imports_pb2.IMPORT_KIND_BALANCES}
_GENDERS = {"MALE", "FEMALE", "OTHER", "UNSPECIFIED"}
R = imports_pb2


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
    session = uow.session
    if request.reconcile_only:
        return R.ImportChunkResponse(results=[result for result, _ in _read_back(session, request.rows)])
    outcomes = write_chunk(uow.region, session, request)
    results = []
    for row, outcome, (result, opened_by) in zip(request.rows, outcomes, _read_back(session, request.rows), strict=True):
        if isinstance(outcome, Refused):
            results.append(R.ImportChunkResult(row=row.row, outcome=R.IMPORT_ROW_OUTCOME_REFUSED,
                                               column=outcome.column, problem=outcome.problem))
            continue
        # An earlier attempt of this very send (a transport retry of a call that had committed) wrote
        # the opening balance: the row was imported by this send all the same.
        written = outcome.member or outcome.card or outcome.opening or opened_by == request.request_id
        result.outcome = R.IMPORT_ROW_OUTCOME_IMPORTED if written else R.IMPORT_ROW_OUTCOME_ALREADY_IMPORTED
        results.append(result)
    return R.ImportChunkResponse(results=results)


def _read_back(session: Session, rows: Sequence[imports_pb2.ImportChunkRow]) -> list[tuple[imports_pb2.ImportChunkResult, str]]:
    """Per row, what the region holds for it (member, card, the card's opening balance as posted),
    and the request id of the chunk that posted the opening balance ("" if none): three reads a chunk."""
    member_ids = [row.member_id for row in rows if row.member_id]
    numbers = [row.card_number for row in rows if row.card_number]
    members = set(session.execute(select(Member.member_id).where(Member.member_id.in_(member_ids))).scalars())
    cards = {number: (franchisee, member_id) for number, franchisee, member_id in session.execute(
        select(Card.card_number, Card.issuing_franchisee_id, Card.member_id).where(Card.card_number.in_(numbers)))}
    openings = {request_id: (principal, bonus, points, str((details or {}).get("import_chunk", "")))
                for request_id, principal, bonus, points, details in session.execute(
                    select(LedgerTransaction.request_id, LedgerTransaction.principal_delta_fen, LedgerTransaction.bonus_delta_fen,
                           LedgerTransaction.points_delta, LedgerTransaction.details)
                    .where(LedgerTransaction.request_id.in_([opening_request_id(number) for number in numbers])))}
    answers = []
    for row in rows:
        result = R.ImportChunkResult(row=row.row, outcome=R.IMPORT_ROW_OUTCOME_READ)
        result.member_exists = row.member_id in members
        card = cards.get(row.card_number) if row.card_number else None
        opened_by = ""
        if card is not None:
            result.card_exists = True
            result.franchisee_id = card[0]
            if not row.member_id and card[1]:
                result.member_exists = True
            opening = openings.get(opening_request_id(row.card_number))
            if opening is not None:
                result.principal_fen, result.bonus_fen, result.points, opened_by = opening
        answers.append((result, opened_by))
    return answers

"""A company's bulk purchase and recharge by invoice (C6, docs/adr/0045): BulkRecharge records a job,
GetBulkRecharge reads it, ListCompanyCards shows the company's cards from HQ's read models.

BulkRecharge checks every line as the order file reader does (hq_service.company_orders: each
refusal names ``lines[i].<field>``), the company, the store (the company's franchisee's, in its home
region) and the new cards' type, then stores the job, its lines (each with its home region: a new
card's is the company's home region) and one chunk row per region, in one transaction.
hq_service.company_recharge_worker sends the chunks. The job's request id is unique: a retry answers
the job as it is now; the same request id asking anything else is ALREADY_EXISTS.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.idempotency import validate_request_id
from chaincard.errors import AlreadyExists, InvalidArgument, NotFound
from chaincard.ids import new_id
from chaincard.money import format_fen
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import companies_pb2
from chaincard.v1 import program_config_pb2 as pc
from chaincard.validation import require_text
from hq_service import audit_log
from hq_service.company_card_usage import REVERSALS, SALES, HistoryRow, Usage, usage
from hq_service.company_models import (
    CompanyCard,
    CompanyCreditNoteRow,
    CompanyRechargeJobRow,
    CompanyRechargeLine,
    CompanyRechargeRegion,
    CompanyRow,
)
from hq_service.company_orders import OrderLine, check_lines
from hq_service.handlers.bulk_issue import home_regions
from hq_service.handlers.companies import company_id, company_message
from hq_service.models import CardView, ConfigItem, Store, TransactionView

SERVICE = "CompanyService"
# One chunk per home region, posted in one region transaction: an order's lines are bounded so a
# chunk stays well under the region's deadline.
MAX_LINES = 1000
POSTED, REFUSED = "POSTED", "REFUSED"
# ListCompanyCards pages.
DEFAULT_CARDS_PAGE, MAX_CARDS_PAGE = 100, 500
_STATES = {"RUNNING": companies_pb2.COMPANY_RECHARGE_STATE_RUNNING,
           "COMPLETED": companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED,
           "FAILED": companies_pb2.COMPANY_RECHARGE_STATE_FAILED}


def _lines(request: companies_pb2.BulkRechargeRequest) -> list[OrderLine]:
    """The request's lines through the order file's own checks (amounts given in fen here)."""
    if len(request.lines) > MAX_LINES:
        raise InvalidArgument("lines", f"at most {MAX_LINES} lines per call (this one has {len(request.lines)})")
    rows = [{"card_number": line.card_number, "holder_name": line.holder_name, "holder_phone": line.holder_phone,
             "amount": "1"} for line in request.lines]
    checked = check_lines(rows)  # every field but the amount, and duplicates
    lines = []
    for line, asked in zip(checked, request.lines, strict=True):
        if asked.amount_fen <= 0 or asked.amount_fen > 5_000_000:
            raise InvalidArgument(f"lines[{line.index}].amount_fen", "must be more than 0 and at most 5000000 fen (¥50,000)")
        lines.append(OrderLine(line.index, line.card_number, line.holder_name, line.holder_phone, asked.amount_fen))
    return lines


def _fingerprint(request: companies_pb2.BulkRechargeRequest, lines: Sequence[OrderLine]) -> str:
    asked = [request.company_id, request.store_id, request.card_type_code,
             [[line.card_number, line.holder_name, line.holder_phone, line.amount_fen] for line in lines]]
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode()).hexdigest()


def bulk_recharge(session_factory: sessionmaker[Session],
                  request: companies_pb2.BulkRechargeRequest) -> companies_pb2.BulkRechargeResponse:
    validate_request_id(request.request_id)
    lines = _lines(request)
    fingerprint = _fingerprint(request, lines)
    for _ in range(2):  # a twin call with the same request id may commit first: then answer its job
        with session_factory() as session:
            known = session.execute(select(CompanyRechargeJobRow)
                                    .where(CompanyRechargeJobRow.request_id == request.request_id)).scalar_one_or_none()
            if known is not None:
                if known.fingerprint != fingerprint:
                    raise AlreadyExists(f"request_id {request.request_id!r} already placed bulk recharge {known.job_id} "
                                        "with other lines, store or card type")
                return companies_pb2.BulkRechargeResponse(job=job_message(session, known))
        try:
            with session_factory.begin() as session:
                job = _store_job(session, request, lines, fingerprint)
                return companies_pb2.BulkRechargeResponse(job=job_message(session, job))
        except IntegrityError:
            continue
    raise AssertionError("unreachable: the request id's job exists after a unique-key conflict")


def _store_job(session: Session, request: companies_pb2.BulkRechargeRequest, lines: list[OrderLine],
               fingerprint: str) -> CompanyRechargeJobRow:
    company = session.get(CompanyRow, company_id(request.company_id))
    if company is None:
        raise NotFound(f"company_id: no company {request.company_id!r}")
    store = session.get(Store, request.store_id) if request.store_id else None
    if store is None:
        raise InvalidArgument("store_id", f"unknown store {request.store_id!r}")
    if store.franchisee_id != company.franchisee_id or store.region_code != company.home_region:
        raise InvalidArgument("store_id", f"store {store.store_id} is not one of franchisee {company.franchisee_id}'s "
                                          f"stores in region {company.home_region}, where company {company.company_id} buys")
    if any(line.new_card for line in lines):
        _require_card_type(session, request.card_type_code)
    homes = home_regions(session, [line.card_number for line in lines if not line.new_card])
    for line in lines:
        if not line.new_card and line.card_number not in homes:
            raise InvalidArgument(f"lines[{line.index}].card_number", f"card {line.card_number} has no home region in the chain")
    principal = current_principal()
    job = CompanyRechargeJobRow(
        job_id=new_id(), request_id=request.request_id, fingerprint=fingerprint, company_id=company.company_id,
        store_id=store.store_id, card_type_code=request.card_type_code, state="RUNNING",
        operator_id=principal.operator_id if principal is not None else "", lines_total=len(lines),
        amount_total_fen=sum(line.amount_fen for line in lines), last_error="", created_at=utc_now())
    session.add(job)
    session.flush()  # the request id's unique key: a twin call's job is found before the lines are written
    for line in lines:
        session.add(CompanyRechargeLine(
            job_id=job.job_id, line_index=line.index, region_code=company.home_region if line.new_card else homes[line.card_number],
            card_number=line.card_number, holder_name=line.holder_name, holder_phone=line.holder_phone,
            amount_fen=line.amount_fen, outcome="", transaction_id="", detail=""))
    regions = sorted({company.home_region if line.new_card else homes[line.card_number] for line in lines})
    for code in regions:
        session.add(CompanyRechargeRegion(job_id=job.job_id, region_code=code, done=False))
    audit_log.record(session, action=audit_log.rpc(SERVICE, "BulkRecharge"), target_type="company_recharge",
                     target_id=job.job_id, place=Place(region=company.home_region, franchisee=company.franchisee_id),
                     request_id=request.request_id, amount_fen=job.amount_total_fen,
                     after={"company_id": company.company_id, "store_id": store.store_id, "lines": len(lines),
                            "new_cards": sum(1 for line in lines if line.new_card), "regions": regions,
                            "amount_total": format_fen(job.amount_total_fen)})
    session.flush()
    return job


def _require_card_type(session: Session, code: str) -> None:
    require_text("card_type_code", code, max_length=32)
    item = session.get(ConfigItem, ("card_type", code))
    if item is None:
        raise InvalidArgument("card_type_code", f"unknown card type {code!r} (new cards need one)")
    card_type = pc.CardType.FromString(item.definition)
    if card_type.anonymous:
        raise InvalidArgument("card_type_code", f"card type {code} is a bearer type: a company's new cards are named")


# ---- reading ----------------------------------------------------------------------------------------
def job_message(session: Session, row: CompanyRechargeJobRow) -> companies_pb2.CompanyRechargeJob:
    lines = session.execute(select(CompanyRechargeLine).where(CompanyRechargeLine.job_id == row.job_id)
                            .order_by(CompanyRechargeLine.line_index)).scalars().all()
    posted = [line for line in lines if line.outcome == POSTED]
    job = companies_pb2.CompanyRechargeJob(
        job_id=row.job_id, company_id=row.company_id, store_id=row.store_id, state=_STATES[row.state],
        lines_total=row.lines_total, lines_posted=len(posted), amount_total_fen=row.amount_total_fen,
        amount_posted_fen=sum(line.amount_fen for line in posted), last_error=row.last_error,
        lines=[companies_pb2.CompanyRechargeLineResult(
            line_index=line.line_index, card_number=line.card_number, region_code=line.region_code,
            amount_fen=line.amount_fen, transaction_id=line.transaction_id, outcome=line.outcome, detail=line.detail)
            for line in lines],
    )
    job.created_at.FromDatetime(row.created_at)
    if row.finished_at is not None:
        job.finished_at.FromDatetime(row.finished_at)
    return job


def get_bulk_recharge(session: Session, request: companies_pb2.GetBulkRechargeRequest) -> companies_pb2.GetBulkRechargeResponse:
    job_id = require_text("job_id", request.job_id, max_length=36)
    row = session.get(CompanyRechargeJobRow, job_id)
    if row is None:
        raise NotFound(f"no bulk recharge {job_id!r}")
    company = session.get(CompanyRow, row.company_id)
    assert company is not None  # a foreign key
    return companies_pb2.GetBulkRechargeResponse(job=job_message(session, row), company=company_message(company))


def list_company_cards(session: Session, request: companies_pb2.ListCompanyCardsRequest) -> companies_pb2.ListCompanyCardsResponse:
    company = session.get(CompanyRow, company_id(request.company_id))
    if company is None:
        raise NotFound(f"no company {request.company_id!r}")
    if not 0 <= request.page_size <= MAX_CARDS_PAGE:
        raise InvalidArgument("page_size", f"must be between 1 and {MAX_CARDS_PAGE} (0 for {DEFAULT_CARDS_PAGE})")
    size = request.page_size or DEFAULT_CARDS_PAGE
    statement = (select(CompanyCard.card_number, CardView)
                 .outerjoin(CardView, CardView.card_number == CompanyCard.card_number)
                 .where(CompanyCard.company_id == company.company_id))
    after = _after_card(request.page_token)
    if after:
        statement = statement.where(CompanyCard.card_number > after)
    rows = session.execute(statement.order_by(CompanyCard.card_number).limit(size + 1)).all()
    page = rows[:size]
    numbers = [number for number, _ in page]
    bought: dict[str, int] = {number: int(total or 0) for number, total in session.execute(
        select(CompanyRechargeLine.card_number, func.sum(CompanyRechargeLine.amount_fen))
        .join(CompanyRechargeJobRow, CompanyRechargeJobRow.job_id == CompanyRechargeLine.job_id)
        .where(CompanyRechargeJobRow.company_id == company.company_id, CompanyRechargeLine.outcome == POSTED,
               CompanyRechargeLine.card_number.in_(numbers))
        .group_by(CompanyRechargeLine.card_number)).all()}
    for number, total in session.execute(  # less its credit notes, whole or partial
            select(CompanyCreditNoteRow.card_number, func.sum(CompanyCreditNoteRow.amount_fen))
            .where(CompanyCreditNoteRow.company_id == company.company_id, CompanyCreditNoteRow.card_number.in_(numbers))
            .group_by(CompanyCreditNoteRow.card_number)).all():
        bought[number] = bought.get(number, 0) - int(total or 0)
    usages = _usages(session, numbers)
    cards = []
    for number, view in page:
        card = companies_pb2.CompanyCard(card_number=number, bought_fen=bought.get(number, 0))
        if view is not None:  # else: the card's events have not reached HQ yet
            card.home_region, card.member_id = view.home_region, view.member_id
            card.principal_fen, card.bonus_fen, card.points = view.principal_fen, view.bonus_fen, view.points
            card.transaction_count = view.transaction_count
            if view.last_transaction_at is not None:
                card.last_transaction_at.FromDatetime(view.last_transaction_at)
        spent = usages.get(number)
        if spent is not None:
            card.spent_fen, card.spend_count = spent.spent_fen, spent.spend_count
            if spent.last_spent_at is not None:
                card.last_spent_at.FromDatetime(spent.last_spent_at)
            card.spent_at.extend(companies_pb2.CompanyCardSpend(franchisee_id=franchisee, spent_fen=fen, spend_count=count)
                                 for franchisee, (fen, count) in sorted(spent.by_franchisee.items()))
        cards.append(card)
    token = _card_token(page[-1][0]) if len(rows) > size else ""
    return companies_pb2.ListCompanyCardsResponse(company=company_message(company), cards=cards, next_page_token=token)


def _usages(session: Session, numbers: list[str]) -> dict[str, Usage]:
    """Each card's usage from HQ's transaction history (only the types usage reads)."""
    history: dict[str, list[HistoryRow]] = {}
    for number, kind, franchisee, occurred_at, payload in session.execute(
            select(TransactionView.card_number, TransactionView.transaction_type, TransactionView.acquiring_franchisee_id,
                   TransactionView.occurred_at, TransactionView.transaction)
            .where(TransactionView.card_number.in_(numbers),
                   TransactionView.transaction_type.in_(sorted(SALES | REVERSALS)))).all():
        history.setdefault(number, []).append(HistoryRow(kind, franchisee, occurred_at, payload))
    return {number: usage(rows) for number, rows in history.items()}


def _card_token(card_number: str) -> str:
    return base64.urlsafe_b64encode(card_number.encode()).decode()


def _after_card(page_token: str) -> str:
    if not page_token:
        return ""
    try:
        return base64.b64decode(page_token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "is not a token this service issued") from None

"""HQ's bulk coupon issue (Q2, docs/adr/0024): starting a job, reading it back, saved member filters.

``start_bulk_issue`` reads the whole request stream, checks it, and stores the job, its cards (each
with its home region) and a cursor per home region in one transaction: a stream that fails half-way
stores nothing, and a job once stored is complete. hq_service.bulk_issue_worker then sends the cards
to their regions. The job's request id is its idempotency key (a unique column): a repeat with the
same payload answers the same job, with another payload ALREADY_EXISTS.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.coupons.templates import issuable_template
from chaincard.db.base import table_of, utc_now
from chaincard.db.idempotency import validate_request_id
from chaincard.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from chaincard.ids import new_id, region_prefix_of
from chaincard.security.identity import Place, ScopeLevel, current_principal
from chaincard.v1 import common_pb2, coupon_issue_pb2
from chaincard.v1 import program_config_pb2 as pc
from chaincard.validation import card_number, optional_text, require_text
from hq_service import audit_log
from hq_service.bulk_issue_models import BulkIssueCard, BulkIssueCursor, BulkIssueJobRow, MemberFilter
from hq_service.models import CardView, ConfigItem, PhysicalCard, Region
from hq_service.unit_of_work import HqUnitOfWork

SERVICE = "BulkCouponIssueService"
MAX_CARDS_PER_MESSAGE = 1000
# A job's cards are stored in one transaction; a bigger issue is several jobs.
MAX_CARDS_PER_JOB = 1_000_000
# The coupons' issued_reason is 128 characters at the regions.
MAX_REASON = 128
DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT = 50, 500
_FILTER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# BulkIssueCard.outcome values besides "" (unanswered).
ISSUED = "ISSUED"
UNKNOWN_CARD = "UNKNOWN_CARD"
CARD_NOT_ACTIVE = "CARD_NOT_ACTIVE"
SKIP_OUTCOMES = {coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_UNKNOWN_CARD: UNKNOWN_CARD,
                 coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_CARD_NOT_ACTIVE: CARD_NOT_ACTIVE}
_STATES = {"RUNNING": coupon_issue_pb2.BULK_ISSUE_STATE_RUNNING, "COMPLETED": coupon_issue_pb2.BULK_ISSUE_STATE_COMPLETED,
           "FAILED": coupon_issue_pb2.BULK_ISSUE_STATE_FAILED}


# ---- reading the request stream --------------------------------------------------------------------
@dataclass(frozen=True)
class BulkIssueAsk:
    """What a StartBulkIssue stream asks, checked field by field."""

    request_id: str
    template_code: str
    reason: str
    filter_name: str
    cards: tuple[str, ...] = field(default=())  # distinct, in card-number order

    def fingerprint(self) -> str:
        text = json.dumps([self.template_code, self.reason, self.filter_name, list(self.cards)], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def read_stream(messages: Iterable[coupon_issue_pb2.StartBulkIssueRequest]) -> BulkIssueAsk:
    """The stream as one ask; INVALID_ARGUMENT naming ``stream[n].<field>`` for the first bad field."""
    stream: Iterator[coupon_issue_pb2.StartBulkIssueRequest] = iter(messages)
    first = next(stream, None)
    if first is None:
        raise InvalidArgument("stream", "is empty")
    validate_request_id(first.request_id)
    if not first.HasField("start"):
        raise InvalidArgument("stream[0].start", "is required on the first message")
    start = first.start
    template = require_text("stream[0].start.template_code", start.template_code)
    reason = require_text("stream[0].start.reason", start.reason, max_length=MAX_REASON)
    filter_name = optional_text("stream[0].start.filter_name", start.filter_name)
    cards: set[str] = set()
    for index, message in enumerate([first], start=0):
        _add_cards(cards, index, message)
    for index, message in enumerate(stream, start=1):
        if message.request_id and message.request_id != first.request_id:
            raise InvalidArgument(f"stream[{index}].request_id", "must be empty or the first message's")
        if message.HasField("start"):
            raise InvalidArgument(f"stream[{index}].start", "is allowed on the first message only")
        _add_cards(cards, index, message)
    if filter_name and cards:
        raise InvalidArgument("stream[0].start.filter_name", "a bulk issue targets a filter or streamed cards, not both")
    if not filter_name and not cards:
        raise InvalidArgument("card_numbers", "no card given (stream card numbers, or name a saved member filter)")
    return BulkIssueAsk(first.request_id, template, reason, filter_name, tuple(sorted(cards)))


def _add_cards(cards: set[str], index: int, message: coupon_issue_pb2.StartBulkIssueRequest) -> None:
    if len(message.card_numbers) > MAX_CARDS_PER_MESSAGE:
        raise InvalidArgument(f"stream[{index}].card_numbers", f"at most {MAX_CARDS_PER_MESSAGE} per message")
    for position, text in enumerate(message.card_numbers):
        cards.add(card_number(text, f"stream[{index}].card_numbers[{position}]"))
    if len(cards) > MAX_CARDS_PER_JOB:
        raise InvalidArgument("card_numbers", f"at most {MAX_CARDS_PER_JOB} cards per bulk issue")


# ---- who may issue to which cards --------------------------------------------------------------------
def caller_region() -> str:
    """"" for a chain-wide caller; the region of a region-scoped one; PERMISSION_DENIED for narrower scopes."""
    principal = current_principal()
    scope = principal.scope if principal is not None else None
    if scope is None or scope.level is ScopeLevel.CHAIN:
        return ""
    if scope.level is ScopeLevel.REGION:
        return scope.id
    raise PermissionDenied(f"a bulk coupon issue cannot be limited to {scope.level.label} scope ({scope})")


def _operator_id() -> str:
    principal = current_principal()
    return principal.operator_id if principal is not None else ""


# ---- starting a job ------------------------------------------------------------------------------------
def start_bulk_issue(session_factory: sessionmaker[Session],
                     messages: Iterable[coupon_issue_pb2.StartBulkIssueRequest]) -> coupon_issue_pb2.StartBulkIssueResponse:
    ask = read_stream(messages)
    region = caller_region()
    for _ in range(2):  # a twin stream with the same request id may commit first: then answer its job
        with session_factory() as session:
            known = _job_of_request(session, ask)
            if known is not None:
                return coupon_issue_pb2.StartBulkIssueResponse(job=known)
        try:
            with session_factory.begin() as session:
                job = _store_job(session, ask, region)
                return coupon_issue_pb2.StartBulkIssueResponse(job=job_message(job))
        except IntegrityError:
            continue
    raise AssertionError("unreachable: the request id's job exists after a unique-key conflict")


def _job_of_request(session: Session, ask: BulkIssueAsk) -> coupon_issue_pb2.BulkIssueJob | None:
    row = session.execute(select(BulkIssueJobRow).where(BulkIssueJobRow.request_id == ask.request_id)).scalar_one_or_none()
    if row is None:
        return None
    if row.fingerprint != ask.fingerprint():
        raise AlreadyExists(f"request_id {ask.request_id!r} already started bulk issue {row.job_id} with other "
                            "template, reason, filter or cards")
    return job_message(row)


def _check_template(session: Session, code: str) -> None:
    item = session.get(ConfigItem, ("coupon_template", code))
    templates = [pc.CouponTemplate.FromString(item.definition)] if item is not None else []
    issuable_template(pc.ConfigSnapshot(coupon_templates=templates), code, "stream[0].start.template_code")


def _store_job(session: Session, ask: BulkIssueAsk, region: str) -> BulkIssueJobRow:
    _check_template(session, ask.template_code)
    homes = home_regions(session, ask.cards) if ask.cards else {}
    cards = list(ask.cards) if ask.cards else _filter_cards(session, ask.filter_name, region, homes)
    if region:
        outside = next((card for card in cards if homes.get(card) != region), None)
        if outside is not None:
            raise PermissionDenied(f"card_numbers: card {outside} is not homed in your region {region}")
    job_id = new_id()
    unknown = [card for card in cards if not homes.get(card)]
    job = BulkIssueJobRow(
        job_id=job_id, request_id=ask.request_id, fingerprint=ask.fingerprint(), template_code=ask.template_code,
        reason=ask.reason, filter_name=ask.filter_name, state="RUNNING", operator_id=_operator_id(), region_code=region,
        cards_total=len(cards), cards_issued=0, cards_skipped_unknown=len(unknown), cards_skipped_not_active=0,
        last_error="", created_at=utc_now(),
    )
    session.add(job)
    session.flush()  # the request id's unique key: a twin stream's job is found before the cards are written
    rows = [{"job_id": job_id, "card_number": card, "region_code": homes.get(card, ""),
             "outcome": "" if homes.get(card) else UNKNOWN_CARD, "coupon_code": "",
             "detail": "" if homes.get(card) else "no region of the chain is its home"} for card in cards]
    for start in range(0, len(rows), 10_000):  # Core executemany: no ORM bookkeeping per card
        session.execute(insert(table_of(BulkIssueCard)), rows[start:start + 10_000])
    regions = sorted({homes[card] for card in cards if homes.get(card)})
    for code in regions:
        session.add(BulkIssueCursor(job_id=job_id, region_code=code, last_card_number="", done=False))
    if not regions:
        job.state, job.finished_at = "COMPLETED", utc_now()
    audit_log.record(session, action=audit_log.rpc(SERVICE, "StartBulkIssue"), target_type="bulk_coupon_issue",
                     target_id=job_id, place=Place(region=region), request_id=ask.request_id, reason=ask.reason,
                     after={"template_code": ask.template_code, "filter_name": ask.filter_name, "cards_total": len(cards),
                            "regions": regions, "cards_of_no_region": len(unknown)})
    return job


def home_regions(session: Session, cards: Iterable[str]) -> dict[str, str]:
    """Card number → home region code: virtual numbers by their prefix, physical ones by HQ's card
    directory. A card of no known home is left out."""
    by_prefix = {prefix: code for code, prefix in session.execute(select(Region.code, Region.card_prefix)).all()}
    homes: dict[str, str] = {}
    physical = []
    for card in cards:
        prefix = region_prefix_of(card)
        if prefix is not None:
            if prefix in by_prefix:
                homes[card] = by_prefix[prefix]
        else:
            physical.append(card)
    for start in range(0, len(physical), 10_000):
        found = session.execute(select(PhysicalCard.card_number, PhysicalCard.home_region)
                                .where(PhysicalCard.card_number.in_(physical[start:start + 10_000]))).all()
        homes.update({card: region for card, region in found})
    return homes


def _filter_cards(session: Session, name: str, region: str, homes: dict[str, str]) -> list[str]:
    """The ACTIVE cards of HQ's card view that the filter selects (in ``region`` only, when set);
    fills ``homes`` from the view."""
    saved = session.get(MemberFilter, name)
    if saved is None:
        raise NotFound(f"stream[0].start.filter_name: no saved member filter {name!r}")
    query = select(CardView.card_number, CardView.home_region).where(CardView.state == common_pb2.CARD_STATE_ACTIVE)
    for column, value in ((CardView.level_code, saved.level_code), (CardView.card_type_code, saved.card_type_code),
                          (CardView.home_region, saved.home_region), (CardView.issuing_franchisee_id, saved.issuing_franchisee_id),
                          (CardView.issuing_store_id, saved.issuing_store_id), (CardView.home_region, region)):
        if value:
            query = query.where(column == value)
    found = {card: region for card, region in session.execute(query.order_by(CardView.card_number)).all()}
    if not found:
        raise FailedPrecondition(f"stream[0].start.filter_name: filter {name!r} selects no active card"
                                 + (f" in region {region}" if region else ""))
    if len(found) > MAX_CARDS_PER_JOB:
        raise FailedPrecondition(f"stream[0].start.filter_name: filter {name!r} selects {len(found)} cards; "
                                 f"at most {MAX_CARDS_PER_JOB} per bulk issue")
    homes.update(found)
    return sorted(found)


# ---- reading jobs ----------------------------------------------------------------------------------------
def job_message(row: BulkIssueJobRow) -> coupon_issue_pb2.BulkIssueJob:
    skipped = row.cards_skipped_unknown + row.cards_skipped_not_active
    job = coupon_issue_pb2.BulkIssueJob(
        job_id=row.job_id, request_id=row.request_id, template_code=row.template_code, reason=row.reason,
        filter_name=row.filter_name, state=_STATES[row.state], cards_total=row.cards_total,
        cards_done=row.cards_issued + skipped, cards_issued=row.cards_issued, cards_skipped=skipped,
        operator_id=row.operator_id, region_code=row.region_code, last_error=row.last_error,
    )
    for reason, count in ((coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_UNKNOWN_CARD, row.cards_skipped_unknown),
                          (coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_CARD_NOT_ACTIVE, row.cards_skipped_not_active)):
        if count:
            job.skipped_by_reason.add(reason=reason, count=count)
    job.created_at.FromDatetime(row.created_at)
    if row.finished_at is not None:
        job.finished_at.FromDatetime(row.finished_at)
    return job


def get_bulk_issue(session: Session, request: coupon_issue_pb2.GetBulkIssueRequest) -> coupon_issue_pb2.GetBulkIssueResponse:
    job_id = require_text("job_id", request.job_id, max_length=36)
    row = session.get(BulkIssueJobRow, job_id)
    if row is None:
        raise NotFound(f"no bulk issue {job_id}")
    return coupon_issue_pb2.GetBulkIssueResponse(job=job_message(row))


def list_bulk_issues(session: Session, request: coupon_issue_pb2.ListBulkIssuesRequest) -> coupon_issue_pb2.ListBulkIssuesResponse:
    if request.limit < 0 or request.limit > MAX_LIST_LIMIT:
        raise InvalidArgument("limit", f"must be 0 (default {DEFAULT_LIST_LIMIT}) to {MAX_LIST_LIMIT}")
    query = select(BulkIssueJobRow).order_by(BulkIssueJobRow.created_at.desc(), BulkIssueJobRow.job_id.desc())
    if request.region_code:
        query = query.where(BulkIssueJobRow.region_code == request.region_code)
    rows = session.execute(query.limit(request.limit or DEFAULT_LIST_LIMIT)).scalars()
    return coupon_issue_pb2.ListBulkIssuesResponse(jobs=[job_message(row) for row in rows])


# ---- saved member filters ------------------------------------------------------------------------------
def filter_message(row: MemberFilter) -> coupon_issue_pb2.MemberFilter:
    message = coupon_issue_pb2.MemberFilter(
        name=row.name, description=row.description, level_code=row.level_code, card_type_code=row.card_type_code,
        home_region=row.home_region, issuing_franchisee_id=row.issuing_franchisee_id, issuing_store_id=row.issuing_store_id,
    )
    message.updated_at.FromDatetime(row.updated_at)
    return message


def upsert_member_filter(uow: HqUnitOfWork, request: coupon_issue_pb2.UpsertMemberFilterRequest) -> coupon_issue_pb2.UpsertMemberFilterResponse:
    wanted = request.filter
    if not _FILTER_NAME.match(wanted.name):
        raise InvalidArgument("filter.name", "must be 1 to 64 letters, digits, '-' or '_'")
    values = {
        "description": optional_text("filter.description", wanted.description, max_length=500),
        "level_code": optional_text("filter.level_code", wanted.level_code, max_length=32),
        "card_type_code": optional_text("filter.card_type_code", wanted.card_type_code, max_length=32),
        "home_region": optional_text("filter.home_region", wanted.home_region, max_length=8),
        "issuing_franchisee_id": optional_text("filter.issuing_franchisee_id", wanted.issuing_franchisee_id, max_length=32),
        "issuing_store_id": optional_text("filter.issuing_store_id", wanted.issuing_store_id, max_length=32),
    }
    session = uow.session
    if values["home_region"] and session.get(Region, values["home_region"]) is None:
        raise InvalidArgument("filter.home_region", f"no region {values['home_region']!r}")
    row = session.get(MemberFilter, wanted.name)
    before = filter_message(row) if row is not None else None
    if row is None:
        row = MemberFilter(name=wanted.name)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utc_now()
    session.flush()
    after = filter_message(row)
    audit_log.record(session, action=audit_log.rpc(SERVICE, "UpsertMemberFilter"), target_type="member_filter",
                     target_id=row.name, before=before, after=after, request_id=request.request_id)
    return coupon_issue_pb2.UpsertMemberFilterResponse(filter=after)


def list_member_filters(session: Session) -> coupon_issue_pb2.ListMemberFiltersResponse:
    rows = session.execute(select(MemberFilter).order_by(MemberFilter.name)).scalars()
    return coupon_issue_pb2.ListMemberFiltersResponse(filters=[filter_message(row) for row in rows])

"""Staff commission at HQ (C7, S2; docs/adr/0043): the nightly run and the two staff reports.

HQ runs it because HQ holds everything it needs: every transaction of every region
(``transaction_views``, from TransactionPosted), who opened each card (``card_views``, from
CardOpened), the staff of every store and the commission plans. A day is computed once: its
``commission_runs`` row makes a rerun write nothing, and ``commission_entries`` is keyed by event
and plan, so even two runs racing cannot pay an event twice (the loser's commit fails).

Who earned it: the transaction's ``operator_id`` (a till names the staff member's staff id or login,
checked by the store agent and the region), resolved to the store's staff member; an operator HQ
lists nobody for is paid under its own id by plans without a role filter. A refund or void claws
back, on its own business day, from the staff member who earned the original commission, in
proportion to what it gives back (chaincard.commission.clawback_fen).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.business_day import business_date
from chaincard.commission import CommissionEventFacts, clawback_fen, earned
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.v1 import commission_pb2, common_pb2, directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service import report_export
from hq_service.models import (
    CardView,
    CommissionEntry,
    CommissionRun,
    ConfigItem,
    StaffMember,
    TransactionView,
)
from hq_service.report_tables import Fen, Table

log = logging.getLogger(__name__)

SALES = ("SPEND", "OFFLINE_ADVICE")
CORRECTIONS = ("REFUND", "VOID")
EVENT_OF_TYPE = {"SPEND": pc.COMMISSION_EVENT_SPEND, "OFFLINE_ADVICE": pc.COMMISSION_EVENT_SPEND,
                 "RECHARGE": pc.COMMISSION_EVENT_RECHARGE}
# A second card's own SPEND paying part of another card's sale (组合支付, C5): its request id
# (region_service.handlers.payments). The sale on the first card carries the whole checkout.
LINKED_REQUEST_PREFIX = "linked:"
# The nightly job: how often it looks, how long after the cut-off it waits for late events, and
# how many past days it catches up when HQ was down.
CHECK_EVERY_SECONDS = 60.0
GRACE = timedelta(minutes=30)
CATCH_UP_DAYS = 7


def parse_day(field: str, value: str) -> date:
    try:
        if len(value) != len("YYYY-MM-DD") or not value.isascii():
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidArgument(field, "must be a business date YYYY-MM-DD") from error


# ---- who ------------------------------------------------------------------------------------------
_ROLES = {"CASHIER": directory_pb2.STAFF_ROLE_CASHIER, "STORE_MANAGER": directory_pb2.STAFF_ROLE_STORE_MANAGER}

@dataclass(frozen=True)
class Person:
    staff_id: str
    name: str
    role: int


class StaffBook:
    """(store, operator id or staff id) → the store's staff member; the operator itself otherwise."""

    def __init__(self, session: Session) -> None:
        self._by_key: dict[tuple[str, str], Person] = {}
        self._names: dict[str, str] = {}
        for staff in session.execute(select(StaffMember)).scalars():
            role = _ROLES.get(staff.role, 0)  # an unknown role matches only plans without a role filter
            person = Person(staff.staff_id, staff.name, role)
            self._names[staff.staff_id] = staff.name
            for key in (staff.staff_id, staff.operator_id):
                if key:
                    self._by_key[(staff.store_id, key)] = person

    def who(self, store_id: str, operator_id: str) -> Person:
        return self._by_key.get((store_id, operator_id)) or Person(operator_id, "", 0)

    def name_of(self, staff_id: str) -> str:
        return self._names.get(staff_id, "")


def _plans(session: Session) -> list[pc.CommissionPlan]:
    rows = session.execute(select(ConfigItem.definition).where(ConfigItem.kind == "commission_plan")
                           .order_by(ConfigItem.item_key)).scalars()
    return [pc.CommissionPlan.FromString(row) for row in rows]


@dataclass(frozen=True)
class _Posted:
    """One transaction of the day, as the run needs it."""

    transaction_id: str
    kind: str
    card_number: str
    store_id: str
    amount_fen: int
    operator_id: str
    original_id: str
    linked: bool


def _posted(row: TransactionView) -> _Posted:
    transaction = common_pb2.Transaction.FromString(row.transaction)
    return _Posted(row.transaction_id, row.transaction_type, row.card_number, row.store_id, row.amount_fen,
                   transaction.operator_id, transaction.original_transaction_id,
                   transaction.request_id.startswith(LINKED_REQUEST_PREFIX))


def day_transactions(session: Session, day: date, types: Iterable[str], store_id: str = "") -> list[_Posted]:
    query = (select(TransactionView).where(TransactionView.business_date == day,
                                           TransactionView.transaction_type.in_(list(types)))
             .order_by(TransactionView.occurred_at, TransactionView.transaction_id))
    if store_id:
        query = query.where(TransactionView.store_id == store_id)
    return [_posted(row) for row in session.execute(query).scalars()]


def _openings(session: Session, day: date, store_id: str = "") -> list[CardView]:
    query = select(CardView).where(CardView.opened_business_date == day).order_by(CardView.card_number)
    if store_id:
        query = query.where(CardView.issuing_store_id == store_id)
    return list(session.execute(query).scalars())


# ---- the run --------------------------------------------------------------------------------------
def _entries_of_day(session: Session, day: date) -> list[CommissionEntry]:
    plans = _plans(session)
    staff = StaffBook(session)
    transactions = day_transactions(session, day, (*SALES, "RECHARGE", *CORRECTIONS))
    cards = {number for number in (t.card_number for t in transactions)}
    levels = dict(session.execute(select(CardView.card_number, CardView.level_code)
                                  .where(CardView.card_number.in_(cards))).all()) if cards else {}
    entries: list[CommissionEntry] = []

    def pay(source_id: str, store_id: str, operator_id: str, event: int, amount: int, level: str) -> None:
        if not operator_id:
            return  # nobody named: nobody to pay
        person = staff.who(store_id, operator_id)
        facts = CommissionEventFacts(event, amount, day, level, person.role)
        for plan_code, commission in earned(plans, facts).items():
            entries.append(CommissionEntry(source_id=source_id, plan_code=plan_code, business_date=day, store_id=store_id,
                                           staff_id=person.staff_id, event=event, event_count=1, basis_fen=amount,
                                           commission_fen=commission, original_source_id=""))

    for card in _openings(session, day):
        pay(f"card:{card.card_number}", card.issuing_store_id, card.opened_operator_id,
            pc.COMMISSION_EVENT_CARD_OPENING, 0, card.level_code)
    for posted in transactions:
        if posted.kind in EVENT_OF_TYPE and not posted.linked:
            pay(posted.transaction_id, posted.store_id, posted.operator_id, EVENT_OF_TYPE[posted.kind],
                posted.amount_fen, levels.get(posted.card_number, ""))
    entries.extend(_clawbacks(session, day, [t for t in transactions if t.kind in CORRECTIONS and t.original_id], entries))
    return entries


def _clawbacks(session: Session, day: date, corrections: list[_Posted], today: list[CommissionEntry]) -> list[CommissionEntry]:
    """What each refund or void takes back of its original's commission, in the order they happened."""
    if not corrections:
        return []
    originals = {posted.original_id for posted in corrections}
    earned_by: dict[str, list[CommissionEntry]] = defaultdict(list)
    for entry in [*session.execute(select(CommissionEntry).where(CommissionEntry.source_id.in_(originals))).scalars(), *today]:
        if entry.source_id in originals:
            earned_by[entry.source_id].append(entry)
    amounts = dict(session.execute(select(TransactionView.transaction_id, TransactionView.amount_fen)
                                   .where(TransactionView.transaction_id.in_(originals))).all())
    # Refunded before this day, per original and plan: what earlier clawbacks gave back.
    refunded: dict[tuple[str, str], int] = defaultdict(int)
    for source, plan, basis in session.execute(
            select(CommissionEntry.original_source_id, CommissionEntry.plan_code, func.sum(CommissionEntry.basis_fen))
            .where(CommissionEntry.original_source_id.in_(originals))
            .group_by(CommissionEntry.original_source_id, CommissionEntry.plan_code)):
        refunded[(source, plan)] = -int(basis or 0)
    out: list[CommissionEntry] = []
    for posted in corrections:
        original_amount = amounts.get(posted.original_id, 0)
        for entry in earned_by.get(posted.original_id, []):
            key = (posted.original_id, entry.plan_code)
            given = min(max(posted.amount_fen, 0), max(original_amount - refunded[key], 0))
            back = clawback_fen(entry.commission_fen, original_amount, refunded[key], given)
            refunded[key] += given
            out.append(CommissionEntry(source_id=posted.transaction_id, plan_code=entry.plan_code, business_date=day,
                                       store_id=entry.store_id, staff_id=entry.staff_id, event=entry.event, event_count=0,
                                       basis_fen=-given, commission_fen=back, original_source_id=posted.original_id))
    return out


def today(settings: Settings, now: datetime | None = None) -> date:
    return business_date(now or utc_now(), settings.business_time_zone, settings.business_day_cutoff)


def run_commission(session_factory: sessionmaker[Session], settings: Settings,
                   request: commission_pb2.RunCommissionRequest) -> commission_pb2.RunCommissionResponse:
    """Compute one business day, exactly once (see the module's docstring)."""
    day = parse_day("business_date", request.business_date)
    current = today(settings)
    if day > current or (day == current and not request.close_early):
        raise FailedPrecondition(f"business day {day} has not ended (close_early computes today's)")
    return compute_day(session_factory, day)


def compute_day(session_factory: sessionmaker[Session], day: date) -> commission_pb2.RunCommissionResponse:
    answer = commission_pb2.RunCommissionResponse(business_date=day.isoformat(), already_run=True)
    with session_factory() as session:
        if session.get(CommissionRun, day) is not None:
            return answer
        entries = _entries_of_day(session, day)
        session.add_all(entries)
        session.add(CommissionRun(business_date=day, ran_at=utc_now(), entries_written=len(entries)))
        try:
            session.commit()
        except IntegrityError:  # another run of the same day committed first: it wrote the day
            session.rollback()
            return answer
    log.info("commission computed", extra={"fields": {"business_date": day.isoformat(), "entries": len(entries)}})
    return commission_pb2.RunCommissionResponse(business_date=day.isoformat(), entries_written=len(entries))


def due_days(session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> list[date]:
    """The ended business days (a grace period after the cut-off for late events) of the last
    CATCH_UP_DAYS not computed yet, oldest first."""
    last = today(settings, (now or utc_now()) - GRACE) - timedelta(days=1)
    first = last - timedelta(days=CATCH_UP_DAYS - 1)
    with session_factory() as session:
        done = set(session.execute(select(CommissionRun.business_date).where(CommissionRun.business_date >= first)).scalars())
    return [first + timedelta(days=n) for n in range(CATCH_UP_DAYS) if first + timedelta(days=n) not in done]


def run_due(session_factory: sessionmaker[Session], settings: Settings) -> None:
    """The nightly job's step (a PeriodicJob in HQ's process)."""
    for day in due_days(session_factory, settings):
        compute_day(session_factory, day)


# ---- reports --------------------------------------------------------------------------------------
def commission_report(session: Session, request: commission_pb2.GetCommissionReportRequest) -> commission_pb2.GetCommissionReportResponse:
    day = parse_day("business_date", request.business_date)
    query = (select(CommissionEntry.store_id, CommissionEntry.staff_id, CommissionEntry.plan_code, CommissionEntry.event,
                    func.sum(CommissionEntry.event_count), func.sum(CommissionEntry.basis_fen),
                    func.sum(CommissionEntry.commission_fen))
             .where(CommissionEntry.business_date == day)
             .group_by(CommissionEntry.store_id, CommissionEntry.staff_id, CommissionEntry.plan_code, CommissionEntry.event)
             .order_by(CommissionEntry.store_id, CommissionEntry.staff_id, CommissionEntry.plan_code))
    if request.store_id:
        query = query.where(CommissionEntry.store_id == request.store_id)
    staff = StaffBook(session)
    lines = [commission_pb2.CommissionLine(
        business_date=day.isoformat(), store_id=store_id, staff_id=staff_id, staff_name=staff.name_of(staff_id),
        plan_code=plan_code, event=cast(pc.CommissionEvent, event), event_count=int(count or 0),
        basis_fen=int(basis or 0), commission_fen=int(commission or 0))
        for store_id, staff_id, plan_code, event, count, basis, commission in session.execute(query)]
    computed = session.get(CommissionRun, day) is not None
    return commission_pb2.GetCommissionReportResponse(lines=lines, computed=computed)


def staff_sales(session: Session, request: commission_pb2.GetStaffSalesReportRequest) -> commission_pb2.GetStaffSalesReportResponse:
    """Sales per staff member: a refund or void of a sale counts against whoever made the sale."""
    day = parse_day("business_date", request.business_date)
    staff = StaffBook(session)
    rows: dict[tuple[str, str], commission_pb2.StaffSalesRow] = {}

    def row(store_id: str, operator_id: str) -> commission_pb2.StaffSalesRow:
        person = staff.who(store_id, operator_id)
        key = (store_id, person.staff_id)
        if key not in rows:
            rows[key] = commission_pb2.StaffSalesRow(business_date=day.isoformat(), store_id=store_id,
                                                     staff_id=person.staff_id, staff_name=person.name)
        return rows[key]

    transactions = day_transactions(session, day, (*SALES, "RECHARGE", *CORRECTIONS), request.store_id)
    originals = {t.original_id for t in transactions if t.kind in CORRECTIONS and t.original_id}
    sold = {t.transaction_id: t for t in _by_ids(session, originals) if t.kind in SALES and not t.linked}
    for posted in transactions:
        if posted.linked:
            continue
        if posted.kind in SALES:
            target = row(posted.store_id, posted.operator_id)
            target.sales_count += 1
            target.sales_net_fen += posted.amount_fen
        elif posted.kind == "RECHARGE":
            target = row(posted.store_id, posted.operator_id)
            target.recharge_count += 1
            target.recharge_fen += posted.amount_fen
        elif posted.original_id in sold:
            original = sold[posted.original_id]
            row(original.store_id, original.operator_id).sales_net_fen -= posted.amount_fen
    for card in _openings(session, day, request.store_id):
        row(card.issuing_store_id, card.opened_operator_id).cards_opened += 1
    return commission_pb2.GetStaffSalesReportResponse(rows=[rows[key] for key in sorted(rows)])


def _by_ids(session: Session, ids: set[str]) -> Iterator[_Posted]:
    if ids:
        for row in session.execute(select(TransactionView).where(TransactionView.transaction_id.in_(ids))).scalars():
            yield _posted(row)


def commission_table(response: commission_pb2.GetCommissionReportResponse) -> Table:
    table = Table("Commission", ["business date", "store", "staff", "name", "plan", "event", "events", "basis", "commission"])
    for line in response.lines:
        table.rows.append([line.business_date, line.store_id, line.staff_id, line.staff_name, line.plan_code,
                           pc.CommissionEvent.Name(line.event).removeprefix("COMMISSION_EVENT_").lower(),
                           line.event_count, Fen(line.basis_fen), Fen(line.commission_fen)])
    return table


def staff_sales_table(response: commission_pb2.GetStaffSalesReportResponse) -> Table:
    table = Table("Sales per staff", ["business date", "store", "staff", "name", "sales", "sales net", "recharges",
                                      "recharged", "cards opened"])
    for item in response.rows:
        table.rows.append([item.business_date, item.store_id, item.staff_id, item.staff_name, item.sales_count,
                           Fen(item.sales_net_fen), item.recharge_count, Fen(item.recharge_fen), item.cards_opened])
    return table


def export_staff_report(session: Session, request: commission_pb2.ExportStaffReportRequest) -> Iterator[common_pb2.ExportChunk]:
    if request.format not in (common_pb2.EXPORT_FORMAT_CSV, common_pb2.EXPORT_FORMAT_XLSX):
        raise InvalidArgument("format", "staff reports export to CSV or XLSX")
    if request.report == commission_pb2.STAFF_REPORT_KIND_COMMISSION:
        table = commission_table(commission_report(session, commission_pb2.GetCommissionReportRequest(
            business_date=request.business_date, store_id=request.store_id)))
        name = "commission"
    elif request.report == commission_pb2.STAFF_REPORT_KIND_SALES:
        table = staff_sales_table(staff_sales(session, commission_pb2.GetStaffSalesReportRequest(
            business_date=request.business_date, store_id=request.store_id)))
        name = "staff-sales"
    else:
        raise InvalidArgument("report", "must be COMMISSION or SALES")
    data, extension, content_type = report_export.render(table, request.format)
    suffix = f"-{request.store_id}" if request.store_id else ""
    yield from report_export.chunks(data, f"{name}-{request.business_date}{suffix}.{extension}", content_type)

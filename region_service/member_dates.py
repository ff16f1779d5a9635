"""A member's other dates (N2, M6, docs/adr/0056): wedding anniversary, children's birthdays.

Personal data: kept only at the member's home region (``member_dates``), never published nor sent
to HQ; the greeting job (region_service.greetings) reads them here. ``set_member_dates`` replaces a
member's dates in one transaction, checked in full first: a bad one changes nothing. The audit
entry names the kinds and labels, never the dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument, NotFound
from chaincard.v1 import members_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import audit, validation
from region_service.handlers.members import MemberNotHere
from region_service.models import Member, MemberDateRow
from region_service.unit_of_work import RegionUnitOfWork

MAX_DATES = 10
MAX_LABEL = 32
# The kinds SetMemberDates keeps; the birthday is the profile's (UpdateMember).
SETTABLE_KINDS = {
    pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY: "WEDDING_ANNIVERSARY",
    pc.MEMBER_DATE_KIND_CHILD_BIRTHDAY: "CHILD_BIRTHDAY",
}


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int
    year: int | None


def parse_member_date(field: str, text: str, *, today: date) -> MonthDay:
    """"YYYY-MM-DD" (a real date, not in the future, not before 1900) or "--MM-DD" (a real month and
    day; 29 February allowed)."""
    if text.startswith("--") and len(text) == len("--MM-DD"):
        try:
            parsed = date.fromisoformat("2000" + text[1:])  # a leap year: 29 February is a real day
        except ValueError as error:
            raise InvalidArgument(field, "must be a date YYYY-MM-DD or --MM-DD") from error
        return MonthDay(parsed.month, parsed.day, None)
    if len(text) != len("YYYY-MM-DD"):
        raise InvalidArgument(field, "must be a date YYYY-MM-DD or --MM-DD")
    try:
        parsed = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidArgument(field, "must be a date YYYY-MM-DD or --MM-DD") from error
    if parsed > today or parsed.year < 1900:
        raise InvalidArgument(field, "must be a real date in the past")
    return MonthDay(parsed.month, parsed.day, parsed.year)


def date_text(row: MemberDateRow) -> str:
    if row.year is None:
        return f"--{row.month:02d}-{row.day:02d}"
    return f"{row.year:04d}-{row.month:02d}-{row.day:02d}"


def _message(row: MemberDateRow) -> members_pb2.MemberDate:
    kind = pc.MemberDateKind.Value(f"MEMBER_DATE_KIND_{row.kind}")
    return members_pb2.MemberDate(kind=kind, date=date_text(row), label=row.label)  # type: ignore[arg-type]


def member_dates(session: Session, member_id: str) -> list[members_pb2.MemberDate]:
    rows = session.execute(select(MemberDateRow).where(MemberDateRow.member_id == member_id)
                           .order_by(MemberDateRow.kind, MemberDateRow.label)).scalars()
    return [_message(row) for row in rows]


def _checked(dates: list[members_pb2.MemberDate], today: date) -> dict[tuple[str, str], MonthDay]:
    if len(dates) > MAX_DATES:
        raise InvalidArgument("dates", f"a member holds at most {MAX_DATES} dates")
    checked: dict[tuple[str, str], MonthDay] = {}
    for index, item in enumerate(dates):
        kind = validation.enum_choice(f"dates[{index}].kind", item.kind, SETTABLE_KINDS)
        label = validation.optional_text(f"dates[{index}].label", item.label, max_length=MAX_LABEL)
        if (kind, label) in checked:
            raise InvalidArgument(f"dates[{index}].label", f"another {kind} date has the label {label!r}")
        checked[(kind, label)] = parse_member_date(f"dates[{index}].date", item.date, today=today)
    return checked


def set_member_dates(uow: RegionUnitOfWork, request: members_pb2.SetMemberDatesRequest) -> members_pb2.SetMemberDatesResponse:
    """Replace the member's dates (idempotent through the command runner); the rule is in members.proto."""
    ctx, session = uow.region, uow.session
    member_id = validation.require_text("member_id", request.member_id, max_length=36)
    operator_id = validation.optional_text("operator_id", request.operator_id, max_length=64)
    store_id = ctx.program.store(request.store_id).store_id if request.store_id else ""
    wanted = _checked(list(request.dates), ctx.store_business_day(ctx.settings.business_time_zone, utc_now()))
    member = session.get(Member, member_id, with_for_update=True)
    if member is None:
        raise MemberNotHere(f"no member {member_id} in region {ctx.region_code}")  # the servicer asks the others
    if member.erased_at is not None:
        raise NotFound(f"member {member_id} was erased")
    held = {(row.kind, row.label): row for row in session.execute(
        select(MemberDateRow).where(MemberDateRow.member_id == member_id)).scalars()}
    before = {key: MonthDay(row.month, row.day, row.year) for key, row in held.items()}
    if before != wanted:
        session.execute(delete(MemberDateRow).where(MemberDateRow.member_id == member_id))
        session.flush()
        now = utc_now()
        for (kind, label), value in sorted(wanted.items()):
            session.add(MemberDateRow(member_id=member_id, kind=kind, label=label, month=value.month, day=value.day,
                                      year=value.year, updated_at=now))
        session.flush()
        audit.record(
            session, ctx, action="member.dates", target_type="member", target_id=member_id,
            operator_id=operator_id, store_id=store_id, request_id=request.request_id,
            # Which dates, never when: the dates stay in member_dates.
            before={"dates": sorted(f"{kind}:{label}" for kind, label in before)},
            after={"dates": sorted(f"{kind}:{label}" for kind, label in wanted)},
        )
    return members_pb2.SetMemberDatesResponse(dates=member_dates(session, member_id), member_id=member_id)

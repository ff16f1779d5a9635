"""HQ's subcommands of the chaincard CLI: reports, the audit log, store staff, transaction notices,
and HQ's own set-up under ``chaincard hq`` (``chaincard hq bootstrap-admin``).

Reports go through HQ's ReportService over gRPC (a deadline on every call); exports are produced
by HQ (ExportReport) and written here. The audit log is read a page at a time over AuditService
(so an operator sees only its scope) and written with the reports' CSV/XLSX code. ``notices`` and
``hq bootstrap-admin`` work on HQ's database itself: the notice tables have no RPC of their own,
and the first admin exists before anyone can log in to call one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    import grpc

    from chaincard.chain_state import ChainState
    from chaincard.v1 import audit_pb2, audit_pb2_grpc, directory_pb2_grpc, reports_pb2, reports_pb2_grpc
    from hq_service.models import Notice

    # What a command does with its stub once the channel is open (see _run_with).
    ReportBody = Callable[[reports_pb2_grpc.ReportServiceStub, argparse.Namespace], None]
    AuditBody = Callable[[audit_pb2_grpc.AuditServiceStub, argparse.Namespace], None]
    StaffBody = Callable[[directory_pb2_grpc.DirectoryServiceStub, argparse.Namespace], None]

StubT = TypeVar("StubT")

DEFAULT_DATA_DIR = ".chaincard"
REPORT_DEADLINE_SECONDS = 60.0
GROUPINGS = {"store": 1, "franchisee": 2, "region": 3, "chain": 4}
PERIODS = {"day": 1, "month": 2, "year": 3, "range": 4}
TOP_ORDERS = {"spend": 1, "recharge": 2, "visits": 3, "points": 4}


# ---- finding the chain -----------------------------------------------------------------------------
def _chain_state(args: argparse.Namespace) -> ChainState | None:
    from chaincard.security.cli import chain_state

    return chain_state(args.data_dir)


def _today(args: argparse.Namespace) -> str:
    from chaincard.business_day import business_date
    from chaincard.config import load_settings

    settings = load_settings(args.config)
    return business_date(datetime.now(UTC), settings.business_time_zone, settings.business_day_cutoff).isoformat()


# ---- reports ---------------------------------------------------------------------------------------
def _scope(args: argparse.Namespace) -> reports_pb2.ReportScope:
    from chaincard.v1 import reports_pb2

    return reports_pb2.ReportScope(region_code=args.region or "", franchisee_id=args.franchisee or "", store_id=args.store or "")


def _export(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace, report: reports_pb2.ExportReportRequest) -> None:
    """Export ``report`` (an ExportReportRequest naming its query) to the --csv and --xlsx files asked for."""
    from chaincard.v1 import common_pb2, reports_pb2
    from hq_service.report_export import assemble

    for path, export_format in ((args.csv, common_pb2.EXPORT_FORMAT_CSV), (args.xlsx, common_pb2.EXPORT_FORMAT_XLSX)):
        if not path:
            continue
        request = reports_pb2.ExportReportRequest()
        request.CopyFrom(report)
        request.format = export_format
        _, data = assemble(chunk.chunk for chunk in stub.ExportReport(request, timeout=REPORT_DEADLINE_SECONDS))
        Path(path).write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")


def _hq_channel(args: argparse.Namespace) -> grpc.Channel:
    """The channel every HQ command of this module uses: as the logged-in operator (``chaincard login``)."""
    from chaincard.security.cli import hq_endpoint, operator_channel

    return operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq")


def _run_with(stub_class: Callable[[grpc.Channel], StubT], args: argparse.Namespace,
              body: Callable[[StubT, argparse.Namespace], None]) -> int:
    """Run ``body(stub, args)`` on an HQ stub of ``stub_class``; a refusal prints its status and exits 1."""
    import grpc

    try:
        with _hq_channel(args) as channel:
            body(stub_class(channel), args)
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    return 0


def _run_report(args: argparse.Namespace, body: ReportBody) -> int:
    from chaincard.v1 import reports_pb2_grpc

    return _run_with(reports_pb2_grpc.ReportServiceStub, args, body)


def print_store_day(stub: reports_pb2_grpc.ReportServiceStub, store_id: str, day: str) -> None:
    from chaincard.v1 import reports_pb2
    from hq_service.report_tables import daily_table, render_text

    summary = stub.GetStoreDailySummary(
        reports_pb2.GetStoreDailySummaryRequest(query=reports_pb2.StoreDailyQuery(store_id=store_id, business_date=day)),
        timeout=REPORT_DEADLINE_SECONDS,
    )
    print(render_text(daily_table(summary)))


def _daily(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import reports_pb2

    day = args.date or _today(args)
    if args.store:
        print_store_day(stub, args.store, day)
        _export(stub, args, reports_pb2.ExportReportRequest(store_daily=reports_pb2.StoreDailyQuery(store_id=args.store, business_date=day)))
        return
    query = reports_pb2.SalesReportQuery(start_business_date=day, end_business_date=day, period=reports_pb2.REPORT_PERIOD_DAY,
                                         grouping=reports_pb2.REPORT_GROUPING_STORE, scope=_scope(args))
    rows = [item.row for item in stub.StreamSalesReport(reports_pb2.StreamSalesReportRequest(query=query), timeout=REPORT_DEADLINE_SECONDS)]
    if not rows:
        print(f"no activity on {day}")
    for row in rows:
        if row.group_key:  # activity outside any store (HQ actions) has no daily settlement
            print_store_day(stub, row.group_key, day)
            print()
    _export(stub, args, reports_pb2.ExportReportRequest(sales=query))


def _sales_query(args: argparse.Namespace, default_by: str = "chain") -> reports_pb2.SalesReportQuery:
    from chaincard.v1 import reports_pb2

    return reports_pb2.SalesReportQuery(
        start_business_date=args.date_from, end_business_date=args.date_to or args.date_from,
        period=cast(reports_pb2.ReportPeriod, PERIODS[args.period]),
        grouping=cast(reports_pb2.ReportGrouping, GROUPINGS[args.by or default_by]), scope=_scope(args),
    )


def _sales(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import reports_pb2
    from hq_service.report_tables import render_text, sales_table

    query = _sales_query(args)
    rows = [item.row for item in stub.StreamSalesReport(reports_pb2.StreamSalesReportRequest(query=query), timeout=REPORT_DEADLINE_SECONDS)]
    print(render_text(sales_table(rows, f"Sales {query.start_business_date}..{query.end_business_date} by {args.by or 'chain'}")))
    _export(stub, args, reports_pb2.ExportReportRequest(sales=query))


def _new_members(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import reports_pb2
    from hq_service.report_tables import new_members_table, render_text

    query = _sales_query(args, default_by="store")
    rows = [item.row for item in stub.StreamSalesReport(reports_pb2.StreamSalesReportRequest(query=query), timeout=REPORT_DEADLINE_SECONDS)]
    print(render_text(new_members_table(row for row in rows if row.figures.new_members or row.figures.new_cards)))
    _export(stub, args, reports_pb2.ExportReportRequest(sales=query))


def _top_members(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import reports_pb2
    from hq_service.report_tables import render_text, top_members_table

    query = reports_pb2.TopMembersQuery(start_business_date=args.date_from, end_business_date=args.date_to or args.date_from,
                                        order_by=cast(reports_pb2.TopMembersOrder, TOP_ORDERS[args.order]), limit=args.limit, scope=_scope(args))
    rows = [item.row for item in stub.StreamTopMembers(reports_pb2.StreamTopMembersRequest(query=query), timeout=REPORT_DEADLINE_SECONDS)]
    print(render_text(top_members_table(rows)))
    _export(stub, args, reports_pb2.ExportReportRequest(top_members=query))


def _liability(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import reports_pb2
    from hq_service.report_tables import liability_table, render_text

    query = reports_pb2.LiabilityQuery(as_of_business_date=args.as_of or "", grouping=cast(reports_pb2.ReportGrouping, GROUPINGS[args.by or "franchisee"]),
                                       scope=_scope(args))
    rows = [item.row for item in stub.StreamLiabilityReport(reports_pb2.StreamLiabilityReportRequest(query=query),
                                                             timeout=REPORT_DEADLINE_SECONDS)]
    print(render_text(liability_table(rows)))
    _export(stub, args, reports_pb2.ExportReportRequest(liability=query))


def _coupons(stub: reports_pb2_grpc.ReportServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import reports_pb2
    from hq_service.report_tables import coupon_table, render_text

    query = reports_pb2.CouponReportQuery(start_business_date=args.date_from, end_business_date=args.date_to or args.date_from,
                                          grouping=cast(reports_pb2.ReportGrouping, GROUPINGS[args.by]), scope=_scope(args),
                                          template_code=args.template or "")
    rows = [item.row for item in stub.StreamCouponReport(reports_pb2.StreamCouponReportRequest(query=query),
                                                          timeout=REPORT_DEADLINE_SECONDS)]
    print(render_text(coupon_table(rows)))
    _export(stub, args, reports_pb2.ExportReportRequest(coupons=query))


# ---- audit log -------------------------------------------------------------------------------------
AUDIT_PAGE_SIZE = 1000
AUDIT_FORMATS = ("csv", "xlsx")


def _chain_zone(args: argparse.Namespace) -> ZoneInfo:
    from zoneinfo import ZoneInfo

    from chaincard.config import load_settings

    return ZoneInfo(load_settings(args.config).business_time_zone)


def _audit_moment(text: str, zone: tzinfo, *, end: bool) -> datetime:
    """A date is a whole day in the chain's time zone (``--to`` includes it); a time without an
    offset is in that zone too."""
    from datetime import date, time, timedelta

    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=zone)


def _audit_request(args: argparse.Namespace, zone: tzinfo) -> audit_pb2.ListAuditEntriesRequest:
    from chaincard.v1 import audit_pb2

    request = audit_pb2.ListAuditEntriesRequest(
        operator_id=args.operator or "", action=args.action or "", target_type=args.target_type or "",
        target_id=args.target or "", store_id=args.store or "", franchisee_id=args.franchisee or "",
        region_code=args.region or "",
    )
    if args.date_from:
        request.start_time.FromDatetime(_audit_moment(args.date_from, zone, end=False))
    if args.date_to:
        request.end_time.FromDatetime(_audit_moment(args.date_to, zone, end=True))
    return request


def _audit_entries(stub: audit_pb2_grpc.AuditServiceStub, request: audit_pb2.ListAuditEntriesRequest,
                   limit: int | None = None) -> Iterator[audit_pb2.AuditEntry]:
    """Every matching entry, newest first, following the page tokens (at most ``limit``)."""
    while True:
        request.page_size = min(AUDIT_PAGE_SIZE, limit) if limit else AUDIT_PAGE_SIZE
        page = stub.ListAuditEntries(request, timeout=REPORT_DEADLINE_SECONDS)
        for entry in page.entries:
            yield entry
            if limit is not None:
                limit -= 1
                if limit == 0:
                    return
        if not page.next_page_token:
            return
        request.page_token = page.next_page_token


def _audit_list(stub: audit_pb2_grpc.AuditServiceStub, args: argparse.Namespace) -> None:
    from hq_service.audit_tables import screen_table
    from hq_service.report_tables import render_text

    zone = _chain_zone(args)
    print(render_text(screen_table(_audit_entries(stub, _audit_request(args, zone), args.limit), zone)))


def _audit_export(stub: audit_pb2_grpc.AuditServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import common_pb2
    from hq_service.audit_tables import export_table
    from hq_service.report_export import render

    zone = _chain_zone(args)
    table = export_table(_audit_entries(stub, _audit_request(args, zone)), zone)
    data, _, _ = render(table, common_pb2.ExportFormat.Value(f"EXPORT_FORMAT_{args.format.upper()}"))
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({len(table.rows)} entries, {len(data)} bytes)")


def _run_audit(args: argparse.Namespace, body: AuditBody) -> int:
    from chaincard.v1 import audit_pb2_grpc

    return _run_with(audit_pb2_grpc.AuditServiceStub, args, body)


def _moment_text(text: str) -> str:
    """Checks a --from / --to value when the arguments are parsed (the zone is applied later)."""
    try:
        _audit_moment(text, UTC, end=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a date YYYY-MM-DD nor an ISO time") from None
    return text


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _audit_flags(parser: argparse.ArgumentParser, *, range_required: bool) -> None:
    _target_flags(parser)
    when = "YYYY-MM-DD (a whole day) or an ISO time; the chain's time zone unless an offset is given"
    parser.add_argument("--from", dest="date_from", type=_moment_text, required=range_required, help=f"first moment: {when}")
    parser.add_argument("--to", dest="date_to", type=_moment_text, required=range_required,
                        help=f"last moment (a day is included): {when}")
    parser.add_argument("--operator", help="only this operator (or acting service, e.g. store:S-E-001)")
    parser.add_argument("--action", help="only this action, e.g. chaincard.v1.DirectoryService/UpsertStore or card.freeze")
    parser.add_argument("--target-type", help="only entries about this kind of thing, e.g. card, store, operator")
    parser.add_argument("--target", help="only entries about this thing (card number, store id, …)")
    parser.add_argument("--store", help="only this store")
    parser.add_argument("--franchisee", help="only this franchisee")
    parser.add_argument("--region", help="only this region")


# ---- notices ---------------------------------------------------------------------------------------
def _hq_database(args: argparse.Namespace) -> str | None:
    if args.database_url:
        return args.database_url
    state = _chain_state(args)
    return state.database_urls["hq"] if state is not None else None


def _notice_record(notice: Notice) -> dict[str, object]:
    """One notice for ``notices list --json`` (the demo reads these): the card by its last four digits only."""
    def moment(value: datetime) -> str:
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()

    return {"created_at": moment(notice.created_at), "send_after": moment(notice.send_after),
            "status": notice.status, "channel": notice.channel, "notification_event": notice.notification_event,
            "card_last4": notice.card_number[-4:], "rendered": notice.rendered or "", "last_error": notice.last_error or ""}


def run_notices_list(args: argparse.Namespace) -> int:
    from chaincard.db.engine import make_engine, make_session_factory
    from hq_service.notices import recent_notices

    url = _hq_database(args)
    if url is None:
        print("give --database-url (HQ's database), or run against a local chain (--data-dir)", file=sys.stderr)
        return 2
    engine = make_engine(url, pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            notices = recent_notices(session, limit=args.limit, status=args.status)
    finally:
        engine.dispose()
    if args.json:
        for notice in reversed(notices):
            print(json.dumps(_notice_record(notice), ensure_ascii=False))
        return 0
    for notice in reversed(notices):
        text = notice.rendered or f"({notice.last_error or 'waiting'})"
        print(f"{notice.created_at:%Y-%m-%d %H:%M:%S} {notice.status:<9} {notice.channel:<6} {notice.notification_event:<11} "
              f"card …{notice.card_number[-4:]}  {text}")
    return 0


def run_notices_opt_out(args: argparse.Namespace) -> int:
    from chaincard.db.engine import make_engine, make_session_factory
    from hq_service.notices import set_opt_out

    url = _hq_database(args)
    if url is None:
        print("give --database-url (HQ's database), or run against a local chain (--data-dir)", file=sys.stderr)
        return 2
    engine = make_engine(url, pool_size=1)
    try:
        with make_session_factory(engine).begin() as session:
            set_opt_out(session, args.member_id, not args.undo, args.note or "")
    finally:
        engine.dispose()
    print(f"member {args.member_id}: transaction notices {'on' if args.undo else 'off'}")
    return 0


# ---- store staff (S1) ----------------------------------------------------------------------------
STAFF_ROLES = {"cashier": "STAFF_ROLE_CASHIER", "manager": "STAFF_ROLE_STORE_MANAGER"}


def _staff_set(stub: directory_pb2_grpc.DirectoryServiceStub, args: argparse.Namespace) -> None:
    from chaincard.ids import new_id
    from chaincard.v1 import directory_pb2

    person = directory_pb2.Staff(
        staff_id=args.staff_id, store_id=args.store, name=args.name, role=cast(directory_pb2.StaffRole, directory_pb2.StaffRole.Value(STAFF_ROLES[args.role])),
        active=not args.left, employee_number=args.employee_number or "", operator_id=args.operator or "",
        email=args.email or "",
    )
    stored = stub.UpsertStaff(directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=person), timeout=10).staff
    print(f"{stored.staff_id} {stored.name}: {args.role} at {stored.store_id}, {'active' if stored.active else 'has left'}")


def _staff_list(stub: directory_pb2_grpc.DirectoryServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import directory_pb2
    from hq_service.report_tables import Table, render_text

    staff = stub.ListStaff(directory_pb2.ListStaffRequest(store_id=args.store, include_inactive=args.all), timeout=10).staff
    roles = {value: name for name, value in STAFF_ROLES.items()}
    rows = [[person.staff_id, person.name, roles.get(directory_pb2.StaffRole.Name(person.role), "?"), person.employee_number,
             person.operator_id, person.email, "yes" if person.active else "left"] for person in staff]
    print(render_text(Table(title=f"Staff of store {args.store}",
                            headers=["staff id", "name", "role", "employee no.", "operator", "e-mail", "active"], rows=rows)))


def _run_staff(args: argparse.Namespace, body: StaffBody) -> int:
    from chaincard.v1 import directory_pb2_grpc

    return _run_with(directory_pb2_grpc.DirectoryServiceStub, args, body)


# ---- argument parsing ------------------------------------------------------------------------------
def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the local chain's data directory")
    parser.add_argument("--config", help="TOML settings file")


def _report_flags(parser: argparse.ArgumentParser) -> None:
    _target_flags(parser)
    parser.add_argument("--region", help="only this region (acquiring side for sales, issuing side for liability)")
    parser.add_argument("--franchisee", help="only this franchisee's stores")
    parser.add_argument("--store", help="only this store")
    parser.add_argument("--csv", metavar="FILE", help="also export to this CSV file")
    parser.add_argument("--xlsx", metavar="FILE", help="also export to this XLSX file")


def _range_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", required=True, help="first business day YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", help="last business day YYYY-MM-DD (default: --from)")


def _with_report(body: ReportBody) -> Callable[[argparse.Namespace], int]:
    return lambda args: _run_report(args, body)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001 - argparse has no public type for it
    """Add this package's subcommands to the ``chaincard`` command."""
    report = commands.add_parser("report", help="reports from HQ's chain-wide read models (R1, R2, V7), CSV/XLSX export")
    reports = report.add_subparsers(dest="report_command", required=True)

    daily = reports.add_parser("daily", help="daily settlement per store: sales, recharges, member spend, payments by tender")
    daily.add_argument("--date", help="business day YYYY-MM-DD (default: today)")
    _report_flags(daily)
    daily.set_defaults(handler=_with_report(_daily))

    sales = reports.add_parser("sales", help="sales, recharges and members by day/month/year/range and store/region/franchisee")
    _range_flags(sales)
    sales.add_argument("--by", choices=list(GROUPINGS), default="chain")
    sales.add_argument("--period", choices=list(PERIODS), default="day")
    _report_flags(sales)
    sales.set_defaults(handler=_with_report(_sales))

    new_members = reports.add_parser("new-members", help="members registered and cards opened")
    _range_flags(new_members)
    new_members.add_argument("--by", choices=list(GROUPINGS), default="store")
    new_members.add_argument("--period", choices=list(PERIODS), default="range")
    _report_flags(new_members)
    new_members.set_defaults(handler=_with_report(_new_members))

    top = reports.add_parser("top-members", help="the best members of a period")
    _range_flags(top)
    top.add_argument("--order", choices=list(TOP_ORDERS), default="spend")
    top.add_argument("--limit", type=int, default=20)
    _report_flags(top)
    top.set_defaults(handler=_with_report(_top_members))

    liability = reports.add_parser("liability", help="outstanding stored value and points per franchisee or store (V7)")
    liability.add_argument("--as-of", help="business day whose closing balances to use (default: now)")
    liability.add_argument("--by", choices=list(GROUPINGS), default="franchisee")
    _report_flags(liability)
    liability.set_defaults(handler=_with_report(_liability))

    coupons = reports.add_parser("coupons", help="coupons issued, redeemed, expired and the redemption rate per template "
                                                 "and store/franchisee/region (issued: the holder's side; redeemed: where used)")
    _range_flags(coupons)
    coupons.add_argument("--by", choices=list(GROUPINGS), default="franchisee")
    coupons.add_argument("--template", help="only this coupon template")
    _report_flags(coupons)
    coupons.set_defaults(handler=_with_report(_coupons))

    from hq_service.commission_cli import add_reports

    add_reports(reports, _target_flags, _hq_channel)

    audit = commands.add_parser("audit", help="the chain's audit log (H4): who did what, when, where, before and after")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_list = audit_commands.add_parser("list", help="the latest audit entries matching the filters, newest first")
    _audit_flags(audit_list, range_required=False)
    audit_list.add_argument("--limit", type=_positive, default=50, help="at most this many entries (default 50)")
    audit_list.set_defaults(handler=lambda args: _run_audit(args, _audit_list))
    audit_export = audit_commands.add_parser("export", help="every audit entry of a period to a CSV or XLSX file")
    _audit_flags(audit_export, range_required=True)
    audit_export.add_argument("--format", choices=AUDIT_FORMATS, default="csv")
    audit_export.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    audit_export.set_defaults(handler=lambda args: _run_audit(args, _audit_export))

    staff = commands.add_parser("staff", help="the people working in each store (S1); tills must name one of them")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    staff_set = staff_commands.add_parser("set", help="add a person to a store's staff, or change them (--left when they leave)")
    staff_set.add_argument("staff_id", help="unique chain-wide, e.g. ST-000123")
    staff_set.add_argument("--store", required=True)
    staff_set.add_argument("--name", required=True)
    staff_set.add_argument("--role", choices=list(STAFF_ROLES), default="cashier")
    staff_set.add_argument("--employee-number", help="the HR number printed on receipts")
    staff_set.add_argument("--operator", help="the operator account this person logs in with")
    staff_set.add_argument("--email", help="work e-mail: a store manager's morning digest goes there (docs/adr/0056)")
    staff_set.add_argument("--left", action="store_true", help="the person has left (kept for history)")
    staff_list = staff_commands.add_parser("list", help="a store's staff")
    staff_list.add_argument("--store", required=True)
    staff_list.add_argument("--all", action="store_true", help="also those who have left")
    for sub in (staff_set, staff_list):
        _target_flags(sub)
    staff_set.set_defaults(handler=lambda args: _run_staff(args, _staff_set))
    staff_list.set_defaults(handler=lambda args: _run_staff(args, _staff_list))

    notices = commands.add_parser("notices", help="transaction notices sent to members (N1), opt-out (N5)")
    notice_commands = notices.add_subparsers(dest="notices_command", required=True)
    listing = notice_commands.add_parser("list", help="the latest notices and their status")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--status", choices=["PENDING", "SENDING", "SENT", "OPTED_OUT", "FAILED"])
    opt_out = notice_commands.add_parser("opt-out", help="stop (or with --undo resume) a member's transaction notices")
    opt_out.add_argument("member_id")
    opt_out.add_argument("--undo", action="store_true", help="resume notices")
    opt_out.add_argument("--note", help="who asked, and how (kept with the choice)")
    listing.add_argument("--json", action="store_true", help="one JSON object per notice (for scripts)")
    for sub in (listing, opt_out):
        sub.add_argument("--database-url", help="HQ's database (default: the local chain's)")
        sub.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    listing.set_defaults(handler=run_notices_list)
    opt_out.set_defaults(handler=run_notices_opt_out)

    from hq_service import coupon_cli, program_cli

    coupon_cli.add_commands(commands)
    program_cli.add_commands(commands)  # chaincard program ENTITY set|list|show|diff

    from hq_service.bulk_issue_cli import add_bulk_commands

    add_bulk_commands(commands)  # chaincard coupon bulk-issue|bulk-status|bulk-list|filter

    from hq_service import company_cli

    company_cli.add_commands(commands)  # chaincard company create|list|show

    from hq_service import import_cli

    import_cli.add_commands(commands)  # chaincard import members|cards|balances|reconcile

    from hq_service import campaign_cli

    campaign_cli.add_commands(commands)  # chaincard campaign create|schedule|report|list|wake-up


# ---- HQ's own set-up (``chaincard hq …``) -----------------------------------------------------------
def run_bootstrap_admin(args: argparse.Namespace) -> int:
    """Create the first HQ admin (chain scope) in HQ's database if absent; with --reset-password an
    existing one gets the password given (the local chain supervisor, whose data directory holds it)."""
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.errors import ChainCardError
    from hq_service.operators import bootstrap_admin

    password = Path(args.password_file).read_text().strip() if args.password_file else None
    if not password:
        import getpass

        password = getpass.getpass("Password of the first HQ admin (hidden): ")
    engine = make_engine(args.database_url, pool_size=1)
    try:
        with make_session_factory(engine).begin() as session:
            admin = bootstrap_admin(session, args.operator_id, password, login_name=args.login_name,
                                    reset_password=args.reset_password)
    except ChainCardError as error:
        print(f"{getattr(error, 'status_name', type(error).__name__)}: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"HQ admin {admin.operator_id} (log in as {admin.login_name}) is there")
    return 0


def add_hq_commands(hq_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add HQ's own operations under ``chaincard hq`` (whose bare form runs the service)."""
    bootstrap = hq_commands.add_parser(
        "bootstrap-admin", help="create the first HQ admin in HQ's database (nobody can log in to create one before)")
    bootstrap.add_argument("--database-url", required=True, help="HQ's database")
    bootstrap.add_argument("--operator-id", default="admin", help="the admin's operator id (default admin)")
    bootstrap.add_argument("--login-name", help="the name it logs in with (default: the operator id)")
    bootstrap.add_argument("--password-file", help="a file holding the password (default: asked, hidden)")
    bootstrap.add_argument("--reset-password", action="store_true",
                           help="an existing admin gets this password (a database that outlived the password's file)")
    bootstrap.set_defaults(handler=run_bootstrap_admin)

"""``chaincard report commission|staff``: staff commission and sales per staff member (C7, S2;
docs/adr/0043) over HQ's CommissionService.

``report commission --day D`` prints the day's commission per store, staff member and plan
(``--run`` computes the day first, exactly once; ``--close-early`` lets it compute today's);
``report staff --day D`` prints each staff member's sales, recharges and cards opened. With
``--format csv|xlsx --out FILE`` either is written to a file exported by HQ.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.v1 import commission_pb2_grpc

DEADLINE_SECONDS = 60.0
FORMATS = {"csv": 1, "xlsx": 2}  # common.proto ExportFormat


def _export(stub: commission_pb2_grpc.CommissionServiceStub, args: argparse.Namespace, report: int) -> None:
    from chaincard.v1 import commission_pb2
    from hq_service.report_export import assemble

    request = commission_pb2.ExportStaffReportRequest(report=report, business_date=args.day, store_id=args.store or "",  # type: ignore[arg-type]
                                                      format=FORMATS[args.format])  # type: ignore[arg-type]
    name, data = assemble(item.chunk for item in stub.ExportStaffReport(request, timeout=DEADLINE_SECONDS))
    path = Path(args.out or name)
    path.write_bytes(data)
    print(f"wrote {path} ({len(data)} bytes)")


def _commission(stub: commission_pb2_grpc.CommissionServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import commission_pb2
    from hq_service.commission import commission_table
    from hq_service.report_tables import render_text

    if args.run:
        ran = stub.RunCommission(commission_pb2.RunCommissionRequest(business_date=args.day, close_early=args.close_early),
                                 timeout=DEADLINE_SECONDS)
        print(f"{ran.business_date}: already computed, nothing written" if ran.already_run
              else f"{ran.business_date}: computed, {ran.entries_written} entries")
    if args.format:
        _export(stub, args, commission_pb2.STAFF_REPORT_KIND_COMMISSION)
        return
    answer = stub.GetCommissionReport(commission_pb2.GetCommissionReportRequest(business_date=args.day, store_id=args.store or ""),
                                      timeout=DEADLINE_SECONDS)
    if not answer.computed:
        print(f"{args.day} is not computed yet (it runs nightly; --run computes it now)")
    print(render_text(commission_table(answer)))


def _staff(stub: commission_pb2_grpc.CommissionServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import commission_pb2
    from hq_service.commission import staff_sales_table
    from hq_service.report_tables import render_text

    if args.format:
        _export(stub, args, commission_pb2.STAFF_REPORT_KIND_SALES)
        return
    answer = stub.GetStaffSalesReport(commission_pb2.GetStaffSalesReportRequest(business_date=args.day, store_id=args.store or ""),
                                      timeout=DEADLINE_SECONDS)
    print(render_text(staff_sales_table(answer)))


Body = Callable[["commission_pb2_grpc.CommissionServiceStub", argparse.Namespace], None]


def runner(body: Body, channel_of: Callable[[argparse.Namespace], object]) -> Callable[[argparse.Namespace], int]:
    """The command's handler: ``body`` on a CommissionService stub; a refusal prints its status, exit 1."""

    def run(args: argparse.Namespace) -> int:
        import grpc

        from chaincard.v1 import commission_pb2_grpc

        try:
            with channel_of(args) as channel:  # type: ignore[attr-defined]  # a grpc.Channel
                body(commission_pb2_grpc.CommissionServiceStub(channel), args)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        return 0

    return run


def add_reports(reports: argparse._SubParsersAction[argparse.ArgumentParser],  # noqa: SLF001 - argparse has no public type for it
                target_flags: Callable[[argparse.ArgumentParser], None],
                channel_of: Callable[[argparse.Namespace], object]) -> None:
    """Add ``commission`` and ``staff`` to ``chaincard report``."""
    commission = reports.add_parser("commission", help="staff commission of a business day per store, staff and plan (C7, S2)")
    staff = reports.add_parser("staff", help="sales, recharges and cards opened per staff member of a business day (S2)")
    for parser in (commission, staff):
        target_flags(parser)
        parser.add_argument("--day", required=True, help="business day YYYY-MM-DD")
        parser.add_argument("--store", help="only this store")
        parser.add_argument("--format", choices=list(FORMATS), help="write a file instead of printing")
        parser.add_argument("--out", metavar="FILE", help="the file --format writes (default: the name HQ gives)")
    commission.add_argument("--run", action="store_true", help="compute the day first (exactly once; nightly anyway)")
    commission.add_argument("--close-early", action="store_true", help="with --run: compute today's business day now")
    commission.set_defaults(handler=runner(_commission, channel_of))
    staff.set_defaults(handler=runner(_staff, channel_of))

"""``chaincard company create|list|show``: HQ's company accounts (C6, docs/adr/0045) over
CompanyService, as the logged-in operator.

``create`` derives its request id from the company id unless ``--request-id`` is given: running
the same command again (after a broken connection, say) answers the company it created."""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.v1 import companies_pb2, companies_pb2_grpc

    Body = Callable[[companies_pb2_grpc.CompanyServiceStub, argparse.Namespace], None]

DEFAULT_DATA_DIR = ".chaincard"
DEADLINE_SECONDS = 30.0
_REQUEST_IDS = uuid.UUID("0c3f6a4e-2b8d-4f51-9e0a-636f6d70616e")


def print_company(company: companies_pb2.Company) -> None:
    print(f"{company.company_id}: {company.name}  tax id {company.tax_id}, contact {company.contact_name} "
          f"{company.contact_phone}, home region {company.home_region}, buys from {company.franchisee_id}")


def _create(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import companies_pb2

    wanted = companies_pb2.Company(company_id=args.company_id, name=args.name, tax_id=args.tax_id,
                                   contact_name=args.contact, contact_phone=args.phone, home_region=args.region,
                                   franchisee_id=args.franchisee)
    request_id = args.request_id or str(uuid.uuid5(_REQUEST_IDS, args.company_id))
    print_company(stub.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=request_id, company=wanted),
                                     timeout=DEADLINE_SECONDS).company)


def _list(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import companies_pb2

    request = companies_pb2.ListCompaniesRequest(home_region=args.region or "", franchisee_id=args.franchisee or "")
    for company in stub.ListCompanies(request, timeout=DEADLINE_SECONDS).companies:
        print_company(company)


def _show(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import companies_pb2

    print_company(stub.GetCompany(companies_pb2.GetCompanyRequest(company_id=args.company_id), timeout=DEADLINE_SECONDS).company)


def _run(body: Body) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import grpc

        from chaincard.security.cli import hq_endpoint, operator_channel
        from chaincard.v1 import companies_pb2_grpc

        try:
            with operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq") as channel:
                body(companies_pb2_grpc.CompanyServiceStub(channel), args)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        return 0

    return run


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    company = commands.add_parser("company", help="company accounts buying cards by invoice (C6, HQ)")
    sub = company.add_subparsers(dest="company_command", required=True)
    create = sub.add_parser("create", help="create a company account")
    create.add_argument("company_id", help="e.g. CO-ACME")
    create.add_argument("--name", required=True, help="legal name, as on its invoices")
    create.add_argument("--tax-id", required=True, help="unified social credit code (18 characters)")
    create.add_argument("--contact", required=True, help="contact person's name")
    create.add_argument("--phone", required=True, help="contact's mobile number")
    create.add_argument("--region", required=True, help="home region of its new cards, e.g. E")
    create.add_argument("--franchisee", required=True, help="the franchisee it buys from")
    create.add_argument("--request-id", help="idempotency key (default: derived from the company id)")
    listing = sub.add_parser("list", help="company accounts")
    listing.add_argument("--region", help="only those homed in this region")
    listing.add_argument("--franchisee", help="only those buying from this franchisee")
    show = sub.add_parser("show", help="one company account")
    show.add_argument("company_id")
    for parser, body in ((create, _create), (listing, _list), (show, _show)):
        parser.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
        parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the local chain's data directory")
        parser.add_argument("--config", help="TOML settings file")
        parser.set_defaults(handler=_run(body))

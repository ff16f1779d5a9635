"""``chaincard company create|list|show|recharge|cards|pay``: HQ's company accounts (C6,
docs/adr/0045) over CompanyService, as the logged-in operator.

``create`` derives its request id from the company id unless ``--request-id`` is given: running
the same command again (after a broken connection, say) answers the company it created. ``pay``
derives it from the company and the bank transfer's ``--reference`` (one transfer, one payment);
without a reference it makes a new one and prints it, for ``--request-id`` on a retry."""

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
    from chaincard.money import format_fen
    from chaincard.v1 import companies_pb2

    answer = stub.GetCompany(companies_pb2.GetCompanyRequest(company_id=args.company_id), timeout=DEADLINE_SECONDS)
    print_company(answer.company)
    print(f"  invoiced {format_fen(answer.invoiced_fen)}, paid {format_fen(answer.paid_fen)}, "
          f"outstanding {format_fen(answer.outstanding_fen)}")


def _yuan_to_fen(text: str) -> int:
    """A positive amount in yuan with at most two decimals (as on a bank statement), in fen."""
    from decimal import Decimal, InvalidOperation

    try:
        yuan = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise SystemExit(f"amount: {text!r} is not an amount in yuan (e.g. 1500.00)") from None
    if not yuan.is_finite() or yuan != yuan.quantize(Decimal("0.01")) or yuan <= 0:
        raise SystemExit(f"amount: {text!r} must be positive, with at most two decimals")
    return int(yuan * 100)


def _pay(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    """Record a company's payment (AMOUNT in yuan), wait for its regions to post it, print its parts."""
    import time

    from chaincard.money import format_fen
    from chaincard.v1 import companies_pb2

    amount_fen = _yuan_to_fen(args.amount)  # HQ checks the amount owed
    if args.request_id:
        request_id = args.request_id
    elif args.reference:
        request_id = str(uuid.uuid5(_REQUEST_IDS, f"pay:{args.company_id}:{args.reference}"))
    else:
        request_id = str(uuid.uuid4())
        print(f"request id {request_id} (give it as --request-id to retry this payment)")
    request = companies_pb2.RecordCompanyPaymentRequest(request_id=request_id, company_id=args.company_id,
                                                        amount_fen=amount_fen, reference=args.reference or "")
    answer = stub.RecordCompanyPayment(request, timeout=DEADLINE_SECONDS)
    deadline = time.monotonic() + args.wait
    while not answer.payment.posted and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = stub.RecordCompanyPayment(request, timeout=DEADLINE_SECONDS)  # the same id answers it as it is now
    payment = answer.payment
    print(f"payment {payment.payment_id} of {format_fen(payment.amount_fen)} from {payment.company_id}: "
          f"{'POSTED' if payment.posted else 'WAITING for a region'}; outstanding {format_fen(answer.outstanding_fen)}")
    for part in payment.parts:
        print(f"  region {part.region_code}: {format_fen(part.amount_fen)} {part.transaction_id or 'WAITING'}")


def _recharge(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    """Read and check the order file, send one BulkRecharge, wait for its regions, print each line.
    The request id is derived from the file's bytes, company and store: running it again posts nothing twice."""
    import hashlib
    import time
    from pathlib import Path

    from chaincard.errors import InvalidArgument
    from chaincard.v1 import companies_pb2
    from hq_service.company_orders import check_lines, read_rows

    try:
        lines = check_lines(read_rows(args.file))
    except InvalidArgument as error:
        raise SystemExit(f"{args.file}: {error.message}") from error
    digest = hashlib.sha256(Path(args.file).read_bytes()).hexdigest()
    request_id = args.request_id or str(uuid.uuid5(_REQUEST_IDS, f"recharge:{args.company_id}:{args.store}:{digest}"))
    request = companies_pb2.BulkRechargeRequest(
        request_id=request_id, company_id=args.company_id, store_id=args.store, card_type_code=args.card_type or "",
        lines=[companies_pb2.CompanyOrderLine(card_number=line.card_number, holder_name=line.holder_name,
                                              holder_phone=line.holder_phone, amount_fen=line.amount_fen) for line in lines])
    job = stub.BulkRecharge(request, timeout=DEADLINE_SECONDS).job
    deadline = time.monotonic() + args.wait
    while job.state == companies_pb2.COMPANY_RECHARGE_STATE_RUNNING and time.monotonic() < deadline:
        time.sleep(0.5)
        job = stub.GetBulkRecharge(companies_pb2.GetBulkRechargeRequest(job_id=job.job_id), timeout=DEADLINE_SECONDS).job
    print_job(job)


def print_job(job: companies_pb2.CompanyRechargeJob) -> None:
    from chaincard.money import format_fen
    from chaincard.v1 import companies_pb2

    state = companies_pb2.CompanyRechargeState.Name(job.state).removeprefix("COMPANY_RECHARGE_STATE_")
    print(f"bulk recharge {job.job_id} for {job.company_id} at {job.store_id}: {state}, {job.lines_posted}/{job.lines_total} "
          f"lines, {format_fen(job.amount_posted_fen)} of {format_fen(job.amount_total_fen)} invoiced")
    if job.last_error:
        print(f"  {job.last_error}")
    for line in job.lines:
        print(f"  line {line.line_index}: {line.card_number or '(new card)'} {format_fen(line.amount_fen)} "
              f"{line.outcome or 'WAITING'} {line.transaction_id}")


def _cards(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    from chaincard.money import format_fen
    from chaincard.v1 import companies_pb2

    cards: list[companies_pb2.CompanyCard] = []
    token = ""
    while True:  # every page, by card number
        answer = stub.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(company_id=args.company_id, page_token=token),
                                       timeout=DEADLINE_SECONDS)
        cards.extend(answer.cards)
        token = answer.next_page_token
        if not token:
            break
    print(f"{answer.company.company_id}: {len(cards)} cards")
    for card in cards:
        last = card.last_transaction_at.ToDatetime().isoformat(timespec="seconds") if card.HasField("last_transaction_at") else "-"
        where = ", ".join(f"{spend.franchisee_id} {format_fen(spend.spent_fen)}" for spend in card.spent_at)
        print(f"  {card.card_number} region {card.home_region or '?'}  principal {format_fen(card.principal_fen)}  "
              f"bonus {format_fen(card.bonus_fen)}  bought {format_fen(card.bought_fen)}  "
              f"spent {format_fen(card.spent_fen)} in {card.spend_count} sales{f' ({where})' if where else ''}  "
              f"{card.transaction_count} transactions, last {last}")


def _credit(stub: companies_pb2_grpc.CompanyServiceStub, args: argparse.Namespace) -> None:
    """A credit note on one posted line of a bulk recharge, all of its creditable part or ``--amount``
    yuan of it: that principal leaves its card and the company's invoice. The request id comes from
    the job, the line and the amount, so running it again credits nothing twice (a second credit of
    the same amount on the line needs its own ``--request-id``)."""
    from chaincard.money import format_fen
    from chaincard.v1 import companies_pb2

    amount_fen = _yuan_to_fen(args.amount) if getattr(args, "amount", None) else 0
    derived = f"credit:{args.job_id}:{args.line_index}" + (f":{amount_fen}" if amount_fen else "")
    request_id = args.request_id or str(uuid.uuid5(_REQUEST_IDS, derived))
    answer = stub.CreditCompanyLine(companies_pb2.CreditCompanyLineRequest(
        request_id=request_id, job_id=args.job_id, line_index=args.line_index, reason=args.reason or "",
        amount_fen=amount_fen), timeout=DEADLINE_SECONDS)
    print(f"credit note on line {args.line_index} of {args.job_id}: card {answer.card_number} "
          f"{format_fen(answer.amount_fen)} off the invoice (transaction {answer.transaction_id}); "
          f"outstanding {format_fen(answer.outstanding_fen)}; {format_fen(answer.line_left_fen)} of the line "
          "still creditable")


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
    recharge = sub.add_parser("recharge", help="buy and recharge a company's cards from an order file, paid by invoice")
    recharge.add_argument("company_id")
    recharge.add_argument("file", help="CSV or XLSX with columns card_number, holder_name, holder_phone, amount (yuan)")
    recharge.add_argument("--store", required=True, help="the selling franchisee's store placing the order")
    recharge.add_argument("--card-type", help="card type of the new cards (needed when a line opens one)")
    recharge.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the regions to post (default 60)")
    recharge.add_argument("--request-id", help="idempotency key (default: derived from the file, company and store)")
    cards = sub.add_parser("cards", help="a company's cards with their balances, usage and last use")
    cards.add_argument("company_id")
    pay = sub.add_parser("pay", help="record a company's payment of its invoices (split over the regions it owes)")
    pay.add_argument("company_id")
    pay.add_argument("amount", help="the amount received, in yuan (e.g. 1500.00)")
    pay.add_argument("--reference", help="the bank transfer's reference (also makes the request id)")
    pay.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the regions to post (default 30)")
    pay.add_argument("--request-id", help="idempotency key (default: derived from the company and the reference)")
    credit = sub.add_parser("credit", help="a credit note on one posted line of a bulk recharge, whole or partial "
                                           "(its unspent, unpaid part)")
    credit.add_argument("job_id", help="the bulk recharge's job id")
    credit.add_argument("line_index", type=int, help="the line (0-based, as `company recharge` prints it)")
    credit.add_argument("--amount", help="yuan to credit (e.g. 20.00; default: all the line's creditable part)")
    credit.add_argument("--reason", help="why (kept in the audit log)")
    credit.add_argument("--request-id", help="idempotency key (default: derived from the job, line and amount)")
    for parser, body in ((create, _create), (listing, _list), (show, _show), (recharge, _recharge), (cards, _cards),
                         (pay, _pay), (credit, _credit)):
        parser.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
        parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the local chain's data directory")
        parser.add_argument("--config", help="TOML settings file")
        parser.set_defaults(handler=_run(body))

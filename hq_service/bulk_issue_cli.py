"""``chaincard coupon bulk-issue|bulk-status|bulk-list`` and ``chaincard coupon filter set|list``: HQ's
bulk coupon issue (docs/adr/0024) over BulkCouponIssueService, as the logged-in operator.

``bulk-issue`` streams the card file to HQ in messages of 1000 numbers. Its request id is derived
from what it asks (template, reason, filter, the file's cards) unless ``--request-id`` is given, so
running the same command again (after a broken connection, say) finds the same job instead of
issuing a second coupon to every card.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chaincard.command_groups import command_group

if TYPE_CHECKING:
    from chaincard.v1 import coupon_issue_pb2, coupon_issue_pb2_grpc

    Body = Callable[[coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, argparse.Namespace], None]

DEFAULT_DATA_DIR = ".chaincard"
CARDS_PER_MESSAGE = 1000
# Storing a job of a million cards takes HQ a while; reads answer at once.
START_DEADLINE_SECONDS = 600.0
READ_DEADLINE_SECONDS = 30.0
_REQUEST_IDS = uuid.UUID("3f1f0a52-62d8-4d7e-9a53-62756c6b2d69")


def read_card_file(path: str) -> list[str]:
    """One card number per line; blank lines and lines starting with '#' are skipped."""
    lines = (line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def derived_request_id(template: str, reason: str, filter_name: str, cards: list[str]) -> str:
    text = "\n".join([template, reason, filter_name, *sorted(set(cards))])
    return str(uuid.uuid5(_REQUEST_IDS, text))


def stream_messages(request_id: str, template: str, reason: str, filter_name: str,
                    cards: list[str]) -> Iterator[coupon_issue_pb2.StartBulkIssueRequest]:
    from chaincard.v1 import coupon_issue_pb2

    start = coupon_issue_pb2.BulkIssueStart(template_code=template, reason=reason, filter_name=filter_name)
    yield coupon_issue_pb2.StartBulkIssueRequest(request_id=request_id, start=start, card_numbers=cards[:CARDS_PER_MESSAGE])
    for offset in range(CARDS_PER_MESSAGE, len(cards), CARDS_PER_MESSAGE):
        yield coupon_issue_pb2.StartBulkIssueRequest(card_numbers=cards[offset:offset + CARDS_PER_MESSAGE])


def print_job(job: coupon_issue_pb2.BulkIssueJob) -> None:
    from chaincard.v1 import coupon_issue_pb2

    state = coupon_issue_pb2.BulkIssueState.Name(job.state).removeprefix("BULK_ISSUE_STATE_")
    print(f"bulk issue {job.job_id}: {state}, template {job.template_code}, "
          f"{job.cards_done}/{job.cards_total} cards done: {job.cards_issued} issued, {job.cards_skipped} skipped")
    for skipped in job.skipped_by_reason:
        reason = coupon_issue_pb2.BulkIssueSkipReason.Name(skipped.reason).removeprefix("BULK_ISSUE_SKIP_REASON_")
        print(f"  skipped {reason.lower().replace('_', ' ')}: {skipped.count}")
    if job.last_error:
        print(f"  last error: {job.last_error}")


def _bulk_issue(stub: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, args: argparse.Namespace) -> None:
    cards = read_card_file(args.cards) if args.cards else []
    filter_name = args.filter or ""
    request_id = args.request_id or derived_request_id(args.template, args.reason, filter_name, cards)
    answer = stub.StartBulkIssue(stream_messages(request_id, args.template, args.reason, filter_name, cards),
                                 timeout=START_DEADLINE_SECONDS)
    print(f"request id {request_id}")
    print_job(answer.job)


def _bulk_status(stub: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import coupon_issue_pb2

    print_job(stub.GetBulkIssue(coupon_issue_pb2.GetBulkIssueRequest(job_id=args.job_id), timeout=READ_DEADLINE_SECONDS).job)


def _bulk_list(stub: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import coupon_issue_pb2

    answer = stub.ListBulkIssues(coupon_issue_pb2.ListBulkIssuesRequest(limit=args.limit), timeout=READ_DEADLINE_SECONDS)
    for job in answer.jobs:
        print_job(job)


def _filter_set(stub: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, args: argparse.Namespace) -> None:
    from chaincard.ids import new_id
    from chaincard.v1 import coupon_issue_pb2

    wanted = coupon_issue_pb2.MemberFilter(
        name=args.name, description=args.description or "", level_code=args.level or "", card_type_code=args.card_type or "",
        home_region=args.region or "", issuing_franchisee_id=args.franchisee or "", issuing_store_id=args.store or "")
    saved = stub.UpsertMemberFilter(coupon_issue_pb2.UpsertMemberFilterRequest(request_id=new_id(), filter=wanted),
                                    timeout=READ_DEADLINE_SECONDS).filter
    _print_filter(saved)


def _filter_list(stub: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, args: argparse.Namespace) -> None:
    from chaincard.v1 import coupon_issue_pb2

    for saved in stub.ListMemberFilters(coupon_issue_pb2.ListMemberFiltersRequest(), timeout=READ_DEADLINE_SECONDS).filters:
        _print_filter(saved)


def _print_filter(saved: coupon_issue_pb2.MemberFilter) -> None:
    parts = [f"{name}={value}" for name, value in (
        ("level", saved.level_code), ("card-type", saved.card_type_code), ("region", saved.home_region),
        ("franchisee", saved.issuing_franchisee_id), ("store", saved.issuing_store_id)) if value]
    print(f"{saved.name}: active cards with {', '.join(parts) or 'any'}" + (f"  ({saved.description})" if saved.description else ""))


def _run(body: Body) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import grpc

        from chaincard.security.cli import hq_endpoint, operator_channel
        from chaincard.v1 import coupon_issue_pb2_grpc

        try:
            with operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq") as channel:
                body(coupon_issue_pb2_grpc.BulkCouponIssueServiceStub(channel), args)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        return 0

    return run


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the local chain's data directory")
    parser.add_argument("--config", help="TOML settings file")


def add_bulk_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    coupon = command_group(commands, "coupon", "coupons (Q1–Q5): templates at HQ, coupons held on cards")
    bulk = coupon.add_parser("bulk-issue", help="issue one coupon of a template to each card of a file or a saved filter (HQ)")
    bulk.add_argument("template", help="coupon template code")
    targets = bulk.add_mutually_exclusive_group(required=True)
    targets.add_argument("--cards", metavar="FILE", help="card numbers, one per line ('#' comments allowed)")
    targets.add_argument("--filter", metavar="NAME", help="a saved member filter (`chaincard coupon filter list`)")
    bulk.add_argument("--reason", required=True, help="why (each coupon's reason, and the audit log's)")
    bulk.add_argument("--request-id", help="idempotency key (default: derived from template, reason and cards)")
    status = coupon.add_parser("bulk-status", help="a bulk issue's state and counters")
    status.add_argument("job_id")
    listing = coupon.add_parser("bulk-list", help="the latest bulk issues")
    listing.add_argument("--limit", type=int, default=20)
    filter_parser = coupon.add_parser("filter", help="saved member filters a bulk issue may target")
    filters = filter_parser.add_subparsers(dest="coupon_filter_command", required=True)
    filter_set = filters.add_parser("set", help="create or replace a filter: active cards matching every option given")
    filter_set.add_argument("name")
    filter_set.add_argument("--description")
    filter_set.add_argument("--level", help="card level code, e.g. GOLD")
    filter_set.add_argument("--card-type", help="card type code, e.g. SV")
    filter_set.add_argument("--region", help="home region code, e.g. E")
    filter_set.add_argument("--franchisee", help="issuing franchisee id")
    filter_set.add_argument("--store", help="issuing store id")
    filter_list = filters.add_parser("list", help="every saved filter")
    for sub, body in ((bulk, _bulk_issue), (status, _bulk_status), (listing, _bulk_list), (filter_set, _filter_set),
                      (filter_list, _filter_list)):
        _target_flags(sub)
        sub.set_defaults(handler=_run(body))

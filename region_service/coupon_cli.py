"""``chaincard coupon issue|list`` (a card's coupons, at its home region through any region, as the
logged-in operator) and ``chaincard region coupons expire|remind|birthdays|greetings|count-reminders`` (the region's coupon
jobs, run now)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import grpc

    from chaincard.v1 import common_pb2

DEFAULT_DATA_DIR = ".chaincard"


# ---- chaincard coupon issue | list ------------------------------------------------------------------
def region_channel(args: argparse.Namespace) -> grpc.Channel:
    """The logged-in operator's channel to ``--region`` (else region ``--code`` of the local chain);
    a region serves a card homed elsewhere by forwarding to its home."""
    from chaincard.security.cli import chain_state, operator_channel

    endpoint, code = args.region, args.code
    if not endpoint:
        state = chain_state(args.data_dir)
        if state is None:
            raise SystemExit("give --region host:port, or run against a local chain (--data-dir)")
        endpoint = state.endpoint_of(f"region-{code}")
    return operator_channel(endpoint, args.data_dir, expected_server=f"region:{code}" if code else None)


def _coupon_line(coupon: common_pb2.Coupon) -> str:
    from datetime import UTC

    from chaincard.v1 import common_pb2

    state = common_pb2.CouponState.Name(coupon.state).removeprefix("COUPON_STATE_")
    until = coupon.valid_until.ToDatetime(tzinfo=UTC).isoformat(timespec="minutes")
    return f"{coupon.coupon_code}  {coupon.template_code:<16} {state:<9} until {until}  {coupon.issued_reason}"


def run_coupon_issue(args: argparse.Namespace) -> int:
    import grpc

    from chaincard.ids import new_id
    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2, cards_pb2_grpc

    request = cards_pb2.IssueCouponRequest(
        request_id=args.request_id or new_id(), store_id=args.store or "", card_number=args.card,
        template_code=args.template, quantity=args.count, reason=args.reason, operator_id=args.operator or "")
    with region_channel(args) as channel:
        try:
            answer = call(cards_pb2_grpc.CardServiceStub(channel).IssueCoupon, request)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print(f"{len(answer.coupons)} coupon(s) issued to card {args.card} (request {request.request_id}):")
    for coupon in answer.coupons:
        print("  " + _coupon_line(coupon))
    return 0


def run_coupon_list(args: argparse.Namespace) -> int:
    import grpc

    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2, cards_pb2_grpc

    shown = 0
    token = ""
    with region_channel(args) as channel:
        stub = cards_pb2_grpc.CardServiceStub(channel)
        while True:
            try:
                page = call(stub.ListCardCoupons, cards_pb2.ListCardCouponsRequest(
                    card_number=args.card, include_inactive=args.all, page_token=token))
            except grpc.RpcError as error:
                print(f"{error.code().name}: {error.details()}", file=sys.stderr)
                return 1
            for coupon in page.coupons:
                print(_coupon_line(coupon))
            shown += len(page.coupons)
            token = page.next_page_token
            if not token:
                break
    if not shown:
        print(f"card {args.card} holds no {'' if args.all else 'usable '}coupons")
    return 0


def add_card_coupon_commands(coupon_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    """``issue`` and ``list`` under ``chaincard coupon``."""
    def connection(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--region", help="a region's endpoint host:port (default: region --code of the local chain)")
        parser.add_argument("--code", default="E", help="region code of the local chain to ask (default E); any region forwards "
                            "to the card's home")
        parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)

    issue = coupon_commands.add_parser("issue", help="issue coupons of a template to a card by hand (audited)")
    issue.add_argument("card", help="card number")
    issue.add_argument("template", help="coupon template code")
    issue.add_argument("--count", type=int, default=1, help="how many (1-100, default 1)")
    issue.add_argument("--reason", required=True, help="why (audited, kept on the coupons)")
    issue.add_argument("--store", help="the acting store (a store manager's)")
    issue.add_argument("--operator", help="operator id (default: the logged-in operator)")
    issue.add_argument("--request-id", help="reuse to retry safely (default: a new one)")
    connection(issue)
    issue.set_defaults(handler=run_coupon_issue)

    listing = coupon_commands.add_parser("list", help="a card's usable coupons, soonest expiry first (--all: used ones too)")
    listing.add_argument("card", help="card number")
    listing.add_argument("--all", action="store_true", help="also redeemed, expired and voided coupons")
    connection(listing)
    listing.set_defaults(handler=run_coupon_list)


# ---- chaincard region coupons expire | remind | birthdays | greetings | count-reminders -------------
def run_coupon_job(args: argparse.Namespace) -> int:
    """Run one of the region's coupon jobs now against its database, reading HQ's configuration."""
    from chaincard.config import load_settings
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.rpc.channels import open_channel
    from chaincard.security.cli import chain_state, operator_transport
    from chaincard.v1 import member_index_pb2_grpc, program_config_pb2_grpc
    from region_service import greetings
    from region_service.card_directory import CardDirectoryCache
    from region_service.context import RegionContext
    from region_service.coupons import jobs
    from region_service.program import ProgramCache

    code = getattr(args, "code", None) or "E"
    state = chain_state(args.data_dir)
    settings = load_settings(args.config).replace(region_code=code)
    url = args.database_url or (state.database_urls.get(f"region_{code}") if state else None) or settings.database_url
    hq = args.hq or (state.hq_endpoint if state else settings.hq_endpoint)
    if not url or not hq:
        print("give --database-url and --hq, or run against a local chain (--data-dir)", file=sys.stderr)
        return 2
    engine = make_engine(url, pool_size=2)
    channel = open_channel(hq, operator_transport(args.data_dir), expected_server="hq")
    try:
        ctx = RegionContext(
            settings=settings, session_factory=make_session_factory(engine),
            program=ProgramCache(program_config_pb2_grpc.ProgramConfigServiceStub(channel)),
            member_index=member_index_pb2_grpc.MemberIndexServiceStub(channel),
            card_directory=CardDirectoryCache(member_index_pb2_grpc.MemberIndexServiceStub(channel), 5.0),
        )
        if args.job == "expire":
            print(f"{jobs.expire_due_coupons(ctx)} coupon(s) expired in region {code}")
        elif args.job == "remind":
            print(f"{jobs.remind_expiring_coupons(ctx)} expiry reminder(s) sent from region {code}")
        elif args.job == "greetings":
            print(f"{greetings.send_member_date_greetings(ctx)} member-date greeting(s) sent from region {code}")
        elif args.job == "count-reminders":
            print(f"{greetings.send_count_use_reminders(ctx)} count-use reminder(s) sent from region {code}")
        else:
            print(f"{jobs.issue_birthday_coupons(ctx)} birthday coupon(s) issued in region {code}")
    finally:
        channel.close()
        engine.dispose()
    return 0


def add_region_coupon_commands(region_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    coupons = region_commands.add_parser(
        "coupons", help="run a coupon job now: expire (past validity), remind (expiring soon), birthdays (today's), "
                        "greetings (member dates, docs/adr/0056), count-reminders (count-use packs near expiry); "
                        "each is exactly once however often it runs")
    coupons.add_argument("job", choices=("expire", "remind", "birthdays", "greetings", "count-reminders"))
    coupons.add_argument("--code", default=argparse.SUPPRESS, help="region code, e.g. E (default E)")
    coupons.add_argument("--database-url", help="the region's database URL (default: the local chain's)")
    coupons.add_argument("--hq", help="HQ endpoint (default: the local chain's), for the coupon templates")
    coupons.add_argument("--config")
    coupons.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    coupons.set_defaults(handler=run_coupon_job)

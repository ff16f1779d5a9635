"""``chaincard card link|unlink|links`` (linked cards, C5; docs/adr/0032): at the main card's home
region through any region, as the logged-in operator."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from region_service.coupon_cli import DEFAULT_DATA_DIR, region_channel

if TYPE_CHECKING:
    from chaincard.v1 import cards_pb2


def link_line(link: cards_pb2.LinkedCard) -> str:
    from chaincard.money import format_fen

    return (f"{link.linked_card_number}  limit {format_fen(link.monthly_limit_fen)}/month  "
            f"spent {format_fen(link.spent_this_month_fen)} in {link.month}")


def _call(args: argparse.Namespace, method: str, request: Any) -> Any:
    """The answer, or None after printing the refusal."""
    import grpc

    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2_grpc

    with region_channel(args) as channel:
        try:
            return call(getattr(cards_pb2_grpc.CardServiceStub(channel), method), request)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return None


def run_link(args: argparse.Namespace) -> int:
    from chaincard.ids import new_id
    from chaincard.v1 import cards_pb2

    answer = _call(args, "LinkCard", cards_pb2.LinkCardRequest(
        request_id=args.request_id or new_id(), store_id=args.store or "", card_number=args.main, linked_card_number=args.card,
        monthly_limit_fen=args.limit_fen, operator_id=args.operator or "", reason=args.reason or ""))
    if answer is None:
        return 1
    print(f"card {args.card} linked to main card {args.main}: " + link_line(answer.link))
    return 0


def run_unlink(args: argparse.Namespace) -> int:
    from chaincard.ids import new_id
    from chaincard.v1 import cards_pb2

    answer = _call(args, "UnlinkCard", cards_pb2.UnlinkCardRequest(
        request_id=args.request_id or new_id(), store_id=args.store or "", card_number=args.main, linked_card_number=args.card,
        operator_id=args.operator or "", reason=args.reason or ""))
    if answer is None:
        return 1
    print(f"card {args.card} unlinked from main card {args.main} (nothing moved): " + link_line(answer.link))
    return 0


def run_links(args: argparse.Namespace) -> int:
    from chaincard.v1 import cards_pb2

    answer = _call(args, "ListLinkedCards", cards_pb2.ListLinkedCardsRequest(card_number=args.main))
    if answer is None:
        return 1
    if not answer.links:
        print(f"card {args.main} has no linked cards")
    for link in answer.links:
        print(link_line(link))
    return 0


def add_card_link_commands(card_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    """``link``, ``unlink`` and ``links`` under ``chaincard card``."""
    def connection(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--region", help="a region's endpoint host:port (default: region --code of the local chain)")
        parser.add_argument("--code", default="E", help="region code of the local chain to ask (default E); any region forwards "
                            "to the card's home")
        parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)

    def command(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("main", help="the main card's number")
        parser.add_argument("card", help="the linked card's number")
        parser.add_argument("--store", help="the acting store (a store manager's)")
        parser.add_argument("--operator", help="operator id (default: the logged-in operator)")
        parser.add_argument("--reason", help="why (audited)")
        parser.add_argument("--request-id", help="reuse to retry safely (default: a new one)")
        connection(parser)

    link = card_commands.add_parser("link", help="let a card spend a main card's stored value, up to a monthly limit")
    command(link)
    link.add_argument("--limit-fen", type=int, required=True, help="what the card may spend per calendar month, in fen")
    link.set_defaults(handler=run_link)
    unlink = card_commands.add_parser("unlink", help="end a link (nothing moves)")
    command(unlink)
    unlink.set_defaults(handler=run_unlink)
    links = card_commands.add_parser("links", help="a main card's linked cards, limits and this month's spending")
    links.add_argument("main", help="the main card's number")
    connection(links)
    links.set_defaults(handler=run_links)

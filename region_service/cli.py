"""A region's own operations on its database, as subcommands of ``chaincard region``:

    chaincard region replay --since 2026-11-25T08:00:00+08:00 [--code E | --database-url URL …]
    chaincard region overdrawn --code E [--database-url URL]
    chaincard region postings --date 2026-11-25 [--code E | --database-url URL …]
    chaincard region points expire|remind --code E [--database-url URL --hq HOST:PORT]
    chaincard region gift-stock --code E --store S-E-001 --sku GIFT-UMBRELLA --quantity 20
    chaincard region levels review --code E [--database-url URL --hq HOST:PORT]

``replay`` publishes the region's retained outbox events again (after a broker lost data;
consumers drop what they had applied); ``chaincard events replay`` runs it for every region of the
chain. ``overdrawn`` is the back office's report of cards that offline sales overdrew (ADR 0011;
also ``chaincard pos overdrawn``). ``postings`` prints the ids of the ledger transactions the
region posted on a business day, one a line (the demo compares them with what reached settlement:
``chaincard clearing postings``). ``points expire`` expires the points lots due now and ``points
remind`` sends the expiry reminders due (both also run inside the region every few minutes;
running them again does nothing twice: docs/adr/0022). ``gift-stock`` sets how many of a gift a
store of the region holds for points redemption (P2). ``levels review`` runs the nightly level
review now (L2: cards below their level's keep thresholds after its grace period move down; a
second run the same day changes nothing: docs/adr/0027). ``count-uses expire`` expires the uses of count-use packs
past their expiry now (also run inside the region; a second run expires nothing twice: docs/adr/0030). All work on the region's database: ``--database-url``, or the
running local chain's (``--data-dir``). ``chaincard region --code E …`` without a subcommand runs
the region service itself.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.chain_state import ChainState
    from region_service.context import RegionContext

DEFAULT_DATA_DIR = ".chaincard"


def _chain_state(data_dir: str | None) -> ChainState | None:
    from chaincard.security.cli import chain_state

    state: ChainState | None = chain_state(data_dir)
    return state


# ---- replay ----------------------------------------------------------------------------------------
def _parse_since(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _region_urls(args: argparse.Namespace) -> tuple[list[str], ChainState | None]:
    """The databases of the regions asked: ``--database-url`` (repeatable), else region ``--code``
    of the local chain, else every region of the local chain; with the local chain's state if it
    was read. No database: a message is printed and the list is empty."""
    urls = list(args.database_url or [])
    if urls:
        return urls, None
    code = getattr(args, "code", None)
    state = _chain_state(args.data_dir)
    if state is None:
        print("give --database-url (a region's database), or run against a local chain (--data-dir)", file=sys.stderr)
        return [], None
    wanted = f"region_{code}" if code else None
    urls = [url for name, url in sorted(state.database_urls.items())
            if name.startswith("region_") and (wanted is None or name == wanted)]
    if not urls:
        print(f"the local chain in {args.data_dir} has no region {code}", file=sys.stderr)
    return urls, state


def run_replay(args: argparse.Namespace) -> int:
    """Publish again the outbox events since ``--since`` of the regions asked: ``--database-url``
    (repeatable), else region ``--code`` of the local chain, else every region of the local chain."""
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.events.replay import replay_outbox
    from region_service.models import OutboxMessage

    since = _parse_since(args.since)
    urls, state = _region_urls(args)
    if not urls:
        return 2
    kafka = args.kafka or (state.kafka_bootstrap if state is not None else None)
    if not kafka:
        from chaincard.config import load_settings

        kafka = load_settings(args.config).kafka_bootstrap
    for url in urls:
        engine = make_engine(url, pool_size=2)
        try:
            result = replay_outbox(make_session_factory(engine), OutboxMessage, kafka, since)
        finally:
            engine.dispose()
        print(f"{engine.url.database}: {result.marked} events since {since.isoformat()} published again")
        if result.oldest_retained is not None and result.oldest_retained > since:
            print(f"  note: the outbox keeps events from {result.oldest_retained.isoformat()} on (retention); older ones are gone")
    return 0


def add_replay_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of a replay (also ``chaincard events replay``, which runs this for every region)."""
    parser.add_argument("--since", required=True, help="ISO time, e.g. 2026-11-25T08:00:00+08:00 (UTC if no offset)")
    parser.add_argument("--database-url", action="append", help="a region's database (repeatable; default: the local chain's regions)")
    parser.add_argument("--kafka", help="Kafka bootstrap host:port (default: the local chain's)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--config")
    parser.set_defaults(handler=run_replay)


# ---- overdrawn cards -------------------------------------------------------------------------------
def run_overdrawn(args: argparse.Namespace) -> int:
    """Back office: the region's report of cards that offline advices overdrew (DESIGN §4)."""
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.money import format_fen
    from region_service.handlers.advices import overdrawn_cards

    database_url = args.database_url
    code = getattr(args, "code", None) or "E"
    if not database_url:
        from chaincard.chain_state import ChainState

        try:
            database_url = ChainState.load(Path(args.data_dir)).database_urls[f"region_{code}"]
        except (FileNotFoundError, KeyError):
            print(f"✗ give --database-url of region {code}'s database (no running local chain in {args.data_dir})",
                  file=sys.stderr)
            return 2
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            report = overdrawn_cards(session)
    finally:
        engine.dispose()
    if not report:
        print("no card is overdrawn by offline sales")
        return 0
    print(f"{'card':<17} {'issuer':<10} {'owed':>10} {'stored value':>13} {'net':>11}  advices")
    for card in report:
        print(f"{card.card_number:<17} {card.issuing_franchisee_id:<10} {format_fen(card.owed_fen):>10} "
              f"{format_fen(card.stored_value_fen):>13} {format_fen(card.net_fen):>11}  {len(card.advices)}")
        for advice in card.advices:
            print(f"    {advice.business_date} at {advice.store_id:<9} spent {format_fen(advice.amount_fen):>10}, "
                  f"short {format_fen(advice.shortfall_fen):>9}  txn {advice.transaction_id}")
    return 0


# ---- postings of a day ----------------------------------------------------------------------------
def run_postings(args: argparse.Namespace) -> int:
    """The ids of the ledger transactions posted on business day ``--date``, one a line, in the
    regions asked (as for ``replay``: default every region of the local chain)."""
    from datetime import date

    from chaincard.db.engine import make_engine, make_session_factory
    from region_service.ledger_store import posted_transaction_ids

    day = date.fromisoformat(args.date)
    urls, _ = _region_urls(args)
    if not urls:
        return 2
    for url in urls:
        engine = make_engine(url, pool_size=1)
        try:
            with make_session_factory(engine)() as session:
                for transaction_id in posted_transaction_ids(session, day):
                    print(transaction_id)
        finally:
            engine.dispose()
    return 0


# ---- points expiry and gift stock ----------------------------------------------------------------
def _region_context(args: argparse.Namespace) -> RegionContext | None:
    """A RegionContext over the region's database and HQ's configuration (the jobs need the
    snapshot's expiry policy): ``--database-url`` and ``--hq``, else the running local chain's."""
    from chaincard.config import load_settings
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.rpc.channels import open_channel
    from chaincard.rpc.transport import PLAINTEXT
    from chaincard.v1 import member_index_pb2_grpc, program_config_pb2_grpc
    from region_service.card_directory import CardDirectoryCache
    from region_service.context import RegionContext
    from region_service.program import ProgramCache

    code = getattr(args, "code", None) or "E"
    state = None if (args.database_url and args.hq) else _chain_state(args.data_dir)
    database_url = args.database_url or (state.database_urls.get(f"region_{code}") if state else None)
    hq = args.hq or (state.hq_endpoint if state else None)
    if not database_url or not hq:
        print(f"give --database-url and --hq of region {code}, or run against a local chain (--data-dir)", file=sys.stderr)
        return None
    transport = state.operator_transport() if state is not None and not state.insecure else PLAINTEXT
    settings = load_settings(args.config, region_code=code, database_url=database_url, hq_endpoint=hq)
    channel = open_channel(hq, transport, expected_server="hq")
    return RegionContext(
        settings=settings, session_factory=make_session_factory(make_engine(database_url, pool_size=2)),
        program=ProgramCache(program_config_pb2_grpc.ProgramConfigServiceStub(channel)),
        member_index=member_index_pb2_grpc.MemberIndexServiceStub(channel),
        card_directory=CardDirectoryCache(member_index_pb2_grpc.MemberIndexServiceStub(channel), 5.0), transport=transport,
    )


def run_points(args: argparse.Namespace) -> int:
    from region_service.points_expiry import expire_due_points, send_expiry_reminders

    ctx = _region_context(args)
    if ctx is None:
        return 2
    if args.points_command == "expire":
        run = expire_due_points(ctx)
        print(f"region {ctx.region_code}: {run.points} points expired on {run.cards} card(s)")
    else:
        print(f"region {ctx.region_code}: {send_expiry_reminders(ctx)} points expiry reminder(s) sent")
    return 0


def run_count_uses(args: argparse.Namespace) -> int:
    from region_service.count_pack_expiry import expire_due_packs

    ctx = _region_context(args)
    if ctx is None:
        return 2
    run = expire_due_packs(ctx)
    print(f"region {ctx.region_code}: {run.uses} count use(s) expired on {run.cards} card(s)")
    return 0


def run_levels(args: argparse.Namespace) -> int:
    from region_service.levels import review_levels

    ctx = _region_context(args)
    if ctx is None:
        return 2
    run = review_levels(ctx)
    print(f"region {ctx.region_code}: {run.cards_moved_down} of {run.cards_reviewed} card(s) reviewed moved down a level")
    return 0


def run_gift_stock(args: argparse.Namespace) -> int:
    from chaincard.errors import ChainCardError
    from region_service.gifts import set_gift_stock

    ctx = _region_context(args)
    if ctx is None:
        return 2
    try:
        before = set_gift_stock(ctx, store_id=args.store, sku=args.sku, quantity=args.quantity, operator_id=args.operator or "")
    except ChainCardError as refused:
        print(f"✗ {refused.message}", file=sys.stderr)
        return 1
    print(f"store {args.store}: gift {args.sku} stock {before} → {args.quantity}")
    return 0


def _add_context_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code", default=argparse.SUPPRESS, help="region code, e.g. E (default E, with a running local chain)")
    parser.add_argument("--database-url", help="the region's database URL (default: the local chain's)")
    parser.add_argument("--hq", help="HQ's host:port, for the configuration (default: the local chain's)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="a running local chain's data directory")
    parser.add_argument("--config")


# ---- parser ----------------------------------------------------------------------------------------
def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Top-level commands served by the regions: ``chaincard coupon issue|list``, ``chaincard card link|unlink|links``."""
    from chaincard.command_groups import command_group
    from region_service.card_link_cli import add_card_link_commands
    from region_service.coupon_cli import add_card_coupon_commands

    add_card_coupon_commands(command_group(commands, "coupon", "coupons (Q1–Q5): templates at HQ, coupons held on cards"))
    add_card_link_commands(command_group(commands, "card", "cards at their home region: linked cards (C5)"))


def add_region_commands(region_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the region's operations under ``chaincard region`` (whose bare form runs the service).

    ``--code`` may also come before the subcommand (``chaincard region --code E replay …``): here it
    has no default, so it does not overwrite the one given there."""
    replay = region_commands.add_parser(
        "replay", help="publish again this region's events since a moment (after a broker lost data); consumers drop duplicates")
    replay.add_argument("--code", default=argparse.SUPPRESS, help="region code, e.g. E (default: every region of the local chain)")
    add_replay_flags(replay)

    overdrawn = region_commands.add_parser("overdrawn", help="back office: cards overdrawn by offline sales")
    overdrawn.add_argument("--code", default=argparse.SUPPRESS, help="region code, e.g. E (default E, with a running local chain)")
    overdrawn.add_argument("--database-url", help="the region's database URL (default: the local chain's)")
    overdrawn.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="a running local chain's data directory")
    overdrawn.set_defaults(handler=run_overdrawn)

    postings = region_commands.add_parser(
        "postings", help="the ids of the ledger transactions posted on a business day, one a line")
    postings.add_argument("--date", required=True, help="business date YYYY-MM-DD")
    postings.add_argument("--code", default=argparse.SUPPRESS, help="region code, e.g. E (default: every region of the local chain)")
    postings.add_argument("--database-url", action="append", help="a region's database (repeatable; default: the local chain's regions)")
    postings.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="a running local chain's data directory")
    postings.set_defaults(handler=run_postings)

    from region_service.coupon_cli import add_region_coupon_commands

    add_region_coupon_commands(region_commands)

    points = region_commands.add_parser("points", help="points expiry (P3): expire the lots due now, or send the reminders due")
    points.add_argument("points_command", choices=("expire", "remind"))
    _add_context_flags(points)
    points.set_defaults(handler=run_points)

    count_uses = region_commands.add_parser("count-uses", help="count cards (K1): expire the uses of packs past their expiry now")
    count_uses.add_argument("count_uses_command", choices=("expire",))
    _add_context_flags(count_uses)
    count_uses.set_defaults(handler=run_count_uses)

    levels = region_commands.add_parser("levels", help="levels (L2): run the nightly downgrade review now")
    levels.add_argument("levels_command", choices=("review",))
    _add_context_flags(levels)
    levels.set_defaults(handler=run_levels)

    gifts = region_commands.add_parser("gift-stock", help="set how many of a gift a store of this region holds for points redemption")
    gifts.add_argument("--store", required=True, help="the store, e.g. S-E-001")
    gifts.add_argument("--sku", required=True, help="the gift's SKU (PointsRedemptionRule.gift_sku)")
    gifts.add_argument("--quantity", required=True, type=int, help="how many the store now holds")
    gifts.add_argument("--operator", help="the manager setting it (audited)")
    _add_context_flags(gifts)
    gifts.set_defaults(handler=run_gift_stock)

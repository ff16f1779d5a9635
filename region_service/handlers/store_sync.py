"""What a store agent pulls from its region (DESIGN §1, §4): the configuration snapshot it needs,
fresh state of the cards in its offline stand-in cache, and the stream of those cards' balance
changes (docs/adr/0017); with each card, its AVAILABLE coupons (the stand-in redeems them offline,
docs/adr/0025), its count-card uses and time passes (it takes them offline, docs/adr/0036) and its
QR member-code key (it verifies the card's codes offline, docs/adr/0026).
Reads only, but for the agent's contact that PullConfigSnapshot records (handlers.store_connections)."""

from __future__ import annotations

import queue
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument, NotFound, OutOfRange, PermissionDenied
from chaincard.ids import is_ascii_digits, is_virtual_card_number
from chaincard.v1 import common_pb2, directory_pb2, program_config_pb2, store_sync_pb2, store_sync_pb2_grpc
from region_service.balance_feed import FEED_WAITERS, changes_after, feed_bounds
from region_service.balance_relay import Relayed, RelayedFeed
from region_service.cached_count_items import count_items
from region_service.context import RegionContext
from region_service.coupons.issuing import coupon_message
from region_service.forwarding import CallOrigin, Forwarder
from region_service.handlers.store_connections import record_contact
from region_service.ledger_store import card_balances
from region_service.member_codes import card_key
from region_service.models import Card, Coupon, OfflineAdviceRecord
from region_service.translate import card_message, timestamp

MAX_CARDS_PER_REFRESH = 1000
MAX_CARDS_PER_SUBSCRIPTION = 1000
# How often a subscription looks at the feed at least (at once when this process's copier added to
# it), and the longest silence (a heartbeat ends it).
SUBSCRIPTION_POLL_SECONDS = 0.5
SUBSCRIPTION_HEARTBEAT_SECONDS = 1.0
# How long a subscription waits for the regions it relays to start before its own first message.
RELAY_START_WAIT_SECONDS = 3.0
# DESIGN §4's default per-card offline floor (the store agent applies the same default: store_agent.limits).
DEFAULT_CARD_DAILY_LIMIT_FEN = 20_000


def calling_store(ctx: RegionContext, store_id: str, *, forwarded: bool) -> directory_pb2.Store:
    """The calling store, which must be one of this region's (a forwarded call comes from a store of
    the forwarding region, on behalf of which that region asks)."""
    store = ctx.program.store(store_id)
    if not forwarded and store.region_code != ctx.region_code:
        raise PermissionDenied(f"store {store.store_id} belongs to region {store.region_code}, not {ctx.region_code}")
    return store


def snapshot_for_store(snapshot: program_config_pb2.ConfigSnapshot, store_id: str) -> program_config_pb2.ConfigSnapshot:
    """HQ's snapshot as a store needs it: its own staff and its own offline-limit override only."""
    filtered = program_config_pb2.ConfigSnapshot()
    filtered.CopyFrom(snapshot)
    del filtered.staff[:]
    filtered.staff.extend(person for person in snapshot.staff if person.store_id == store_id)
    del filtered.store_offline_limits[:]
    filtered.store_offline_limits.extend(item for item in snapshot.store_offline_limits if item.store_id == store_id)
    return filtered


def pull_config_snapshot(
    ctx: RegionContext, request: store_sync_pb2.PullConfigSnapshotRequest
) -> store_sync_pb2.PullConfigSnapshotResponse:
    store = calling_store(ctx, request.store_id, forwarded=False)
    if request.known_version < 0:
        raise InvalidArgument("known_version", "must not be negative")
    record_contact(ctx, request)
    snapshot = ctx.program.snapshot()
    if request.known_version and request.known_version == snapshot.version:
        return store_sync_pb2.PullConfigSnapshotResponse(unchanged=True)
    return store_sync_pb2.PullConfigSnapshotResponse(snapshot=snapshot_for_store(snapshot, store.store_id))


def card_daily_limit_fen(snapshot: program_config_pb2.ConfigSnapshot, store_id: str) -> int:
    """The per-card offline floor at ``store_id``: the chain's (default ¥200), lowered by the store's own."""
    limit = snapshot.offline_limits.card_daily_limit_fen or DEFAULT_CARD_DAILY_LIMIT_FEN
    for item in snapshot.store_offline_limits:
        if item.store_id == store_id and item.limits.card_daily_limit_fen:
            limit = min(limit, item.limits.card_daily_limit_fen)
    return limit


def available_coupons(session: Session, card_numbers: Collection[str]) -> dict[str, list[common_pb2.Coupon]]:
    """The AVAILABLE coupons of each card (a card with none is absent), soonest to expire first."""
    if not card_numbers:
        return {}
    held: dict[str, list[common_pb2.Coupon]] = defaultdict(list)
    for row in session.execute(
        select(Coupon).where(Coupon.card_number.in_(list(card_numbers)), Coupon.state == "AVAILABLE")
        .order_by(Coupon.card_number, Coupon.valid_until, Coupon.coupon_code)
    ).scalars():
        held[row.card_number].append(coupon_message(row))
    return held


def with_coupons(session: Session, changes: list[store_sync_pb2.CardBalanceChanged]) -> list[store_sync_pb2.CardBalanceChanged]:
    """The changes, each with its card's AVAILABLE coupons as read now (after every change sent)."""
    if not changes:
        return changes
    read_at = utc_now()
    held = available_coupons(session, {change.card_number for change in changes})
    for change in changes:
        change.coupons.extend(held.get(change.card_number, []))
        change.coupons_listed = True
        change.coupons_as_of.FromDatetime(read_at)
    return changes


def with_count_items(ctx: RegionContext, session: Session, store: directory_pb2.Store,
                     changes: list[store_sync_pb2.CardBalanceChanged]) -> list[store_sync_pb2.CardBalanceChanged]:
    """The changes, each with its card's count-card uses and time passes as read now, for the
    subscribing store (its quota and business day, docs/adr/0036)."""
    if not changes:
        return changes
    read_at = utc_now()
    day = ctx.store_business_day(store.time_zone, read_at)
    held = count_items(session, ctx.program.snapshot(), {change.card_number for change in changes}, store_id=store.store_id,
                       business_date=day, now=read_at)
    for change in changes:
        change.count_items.extend(held.get(change.card_number, []))
        change.count_items_listed = True
        change.count_items_as_of.FromDatetime(read_at)
        change.count_items_business_date = day.isoformat()
    return changes


def refresh_card_cache(
    ctx: RegionContext, forwarder: Forwarder, request: store_sync_pb2.RefreshCardCacheRequest, origin: CallOrigin,
) -> store_sync_pb2.RefreshCardCacheResponse:
    """Fresh state of the cards a store caches: read here for this region's cards, asked of their
    home regions for the others (a forwarded call is answered from here only)."""
    forwarded = origin.forwarded
    store = calling_store(ctx, request.store_id, forwarded=forwarded)
    numbers = list(dict.fromkeys(request.card_numbers))
    if len(numbers) > MAX_CARDS_PER_REFRESH:
        raise InvalidArgument("card_numbers", f"at most {MAX_CARDS_PER_REFRESH} per call, {len(numbers)} given")
    found: dict[str, store_sync_pb2.CachedCard] = {}
    unknown: set[str] = set()
    local: list[str] = []
    remote: dict[str, list[str]] = defaultdict(list)
    for number in numbers:
        if not is_ascii_digits(number) or len(number) > 32:
            unknown.add(number)
            continue
        home = ctx.home_region_of(number)
        if home == ctx.region_code or forwarded:
            local.append(number)
        else:
            remote[home].append(number)
    if local:
        limit = card_daily_limit_fen(ctx.program.snapshot(), store.store_id)
        today = ctx.store_business_day(store.time_zone)
        now = utc_now()
        with ctx.session_factory() as session:
            cards = {card.card_number: card for card in session.execute(select(Card).where(Card.card_number.in_(local))).scalars()}
            spent = dict(session.execute(
                select(OfflineAdviceRecord.card_number, func.sum(OfflineAdviceRecord.amount_fen))
                .where(OfflineAdviceRecord.card_number.in_(local), OfflineAdviceRecord.business_date == today)
                .group_by(OfflineAdviceRecord.card_number)
            ).all())
            coupons = available_coupons(session, list(cards))
            # Count uses and passes (docs/adr/0036), counted for this store's quota and business day.
            items = count_items(session, ctx.program.snapshot(), list(cards), store_id=store.store_id, business_date=today,
                                now=now)
            for number in local:
                card = cards.get(number)
                if card is None:
                    unknown.add(number)
                    continue
                found[number] = store_sync_pb2.CachedCard(
                    card=card_message(card, ctx.region_code, card_balances(session, number)),
                    as_of=timestamp(now),
                    offline_allowance_fen=max(0, limit - int(spent.get(number) or 0)),
                    coupons=coupons.get(number, []), coupons_listed=True,
                    # The card's own code key (never the region's secret): the store verifies the
                    # card's QR member codes with it while it cannot reach us (docs/adr/0026).
                    member_code_key=card_key(ctx, number) if is_virtual_card_number(number) else b"",
                    member_id=card.member_id or "",
                    count_items=items.get(number, []), count_items_listed=True,
                    count_items_business_date=today.isoformat(),
                )
    for region_code, group in remote.items():
        try:
            answer = forwarder.forward(
                region_code, store_sync_pb2_grpc.StoreSyncServiceStub, "RefreshCardCache",
                store_sync_pb2.RefreshCardCacheRequest(store_id=store.store_id, card_numbers=group), origin,
            )
        except Exception:  # noqa: BLE001 - an unreachable home region leaves those cards as the store last saw them
            continue
        for cached in answer.cards:
            found[cached.card.card_number] = cached
        unknown.update(answer.unknown_card_numbers)
    return store_sync_pb2.RefreshCardCacheResponse(
        cards=[found[number] for number in numbers if number in found],
        unknown_card_numbers=[number for number in numbers if number in unknown],
    )


def subscribe_card_balances(
    ctx: RegionContext, request: store_sync_pb2.SubscribeCardBalancesRequest, still_wanted: Callable[[], bool],
    forwarder: Forwarder | None = None, origin: CallOrigin | None = None,
) -> Iterator[store_sync_pb2.SubscribeCardBalancesResponse]:
    """The balance changes of the store's cards homed here after ``after_position``, then as they
    come, with a heartbeat when nothing changed for a while; ends when ``still_wanted()`` is false.
    The store's cards of other regions (``other_regions``) are relayed from those regions
    (region_service.balance_relay), except in a call forwarded by another region."""
    forwarded = origin is not None and origin.forwarded
    store = calling_store(ctx, request.store_id, forwarded=forwarded)
    if request.after_position < 0:
        raise InvalidArgument("after_position", "must not be negative")
    numbers = list(dict.fromkeys(request.card_numbers))
    relayed = [] if forwarded or forwarder is None else _relayed_subscriptions(ctx, request)
    total = len(numbers) + sum(len(item.card_numbers) for item in relayed)
    if total > MAX_CARDS_PER_SUBSCRIPTION:
        raise InvalidArgument("card_numbers", f"at most {MAX_CARDS_PER_SUBSCRIPTION} per subscription, {total} given")
    # Cards homed elsewhere need no sorting out: this region's feed holds only its own cards.
    own = [number for number in numbers if is_ascii_digits(number) and len(number) <= 32]
    with ctx.session_factory() as session:
        pruned, head = feed_bounds(session)
    position = request.after_position or head
    if position < pruned or position > head:
        raise OutOfRange(f"position {position} is not kept by region {ctx.region_code} (it keeps {pruned} to {head}): "
                         "subscribe from 0 and refresh the cards")
    wake = FEED_WAITERS.register()
    out: queue.Queue[Relayed] = queue.Queue()
    relays = [RelayedFeed(forwarder, request.store_id, item, out, wake, still_wanted) for item in relayed if forwarder is not None]
    try:
        for relay in relays:
            relay.start()
        # The store refreshes its cards once the first message arrives: every relayed stream is in
        # place by then (or its region did not answer), so the refresh misses nothing after it.
        started_by = time.monotonic() + RELAY_START_WAIT_SECONDS
        for relay in relays:
            relay.started.wait(max(0.0, started_by - time.monotonic()))
        yield store_sync_pb2.SubscribeCardBalancesResponse(position=position)  # subscribed: the store may refresh now
        quiet_since = time.monotonic()
        while still_wanted():
            wake.clear()
            while not out.empty():
                item = out.get_nowait()
                if isinstance(item, OutOfRange):
                    raise item
                yield item
            with ctx.session_factory() as session:
                _, head = feed_bounds(session)
                changes = with_count_items(ctx, session, store, with_coupons(session, changes_after(session, position, head, own)))
            if changes or time.monotonic() - quiet_since >= SUBSCRIPTION_HEARTBEAT_SECONDS:
                position = max(position, head)
                yield store_sync_pb2.SubscribeCardBalancesResponse(position=position, changes=changes)
                quiet_since = time.monotonic()
                continue
            wake.wait(SUBSCRIPTION_POLL_SECONDS)
    finally:
        FEED_WAITERS.unregister(wake)
        for relay in relays:
            relay.stop()


def _relayed_subscriptions(ctx: RegionContext, request: store_sync_pb2.SubscribeCardBalancesRequest) -> list[store_sync_pb2.RelayedSubscription]:
    """The other regions' cards to relay, one subscription per known region (its cards merged)."""
    merged: dict[str, store_sync_pb2.RelayedSubscription] = {}
    for index, item in enumerate(request.other_regions):
        if item.after_position < 0:
            raise InvalidArgument(f"other_regions[{index}].after_position", "must not be negative")
        if item.region_code == ctx.region_code:
            raise InvalidArgument(f"other_regions[{index}].region_code", f"is this region ({ctx.region_code}): name its cards in card_numbers")
        try:
            ctx.program.region(item.region_code)
        except NotFound as unknown:
            raise InvalidArgument(f"other_regions[{index}].region_code", f"{item.region_code!r} is not a region of the chain") from unknown
        target = merged.setdefault(item.region_code, store_sync_pb2.RelayedSubscription(
            region_code=item.region_code, after_position=item.after_position))
        target.card_numbers.extend(number for number in item.card_numbers
                                   if is_ascii_digits(number) and len(number) <= 32 and number not in target.card_numbers)
    return [item for item in merged.values() if item.card_numbers]

"""One seed of the simulation: a chain (regions E and W), a store of region E with its tills, a
schedule of sales, recharges, retries, faults, crashes and restarts drawn from ``Random(seed)``,
then the end: every fault heals, every open request is retried with its request id until answered,
the offline queue drains, and the invariants (``simulation.invariants``) are checked."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaincard import clock
from chaincard.v1 import cards_pb2, cards_pb2_grpc, common_pb2, transactions_pb2, transactions_pb2_grpc
from chaincard.workers import RetryLater
from simulation import invariants
from simulation.chain import CARD_TYPE, STORE_OF_REGION, Region
from simulation.clock import VirtualClock
from simulation.network import Crash, Faults, Network
from simulation.store import Store
from simulation.till import TillRequest, request_id

STORE = STORE_OF_REGION["E"]
# Rounds of the end phase before an open request or a queued advice counts as never answered.
HEAL_ROUNDS = 30


@dataclass
class SeedResult:
    seed: int
    violations: list[str]
    trace: list[str]
    steps: int
    requests: int
    offline_sales: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations

    def report(self) -> str:
        lines = [f"seed {self.seed}: {'ok' if self.ok else 'FAILED'} ({self.steps} steps, {self.requests} requests, "
                 f"{self.offline_sales} offline sales)"]
        if not self.ok:
            lines += [f"  violation: {text}" for text in self.violations]
            lines.append("  schedule:")
            lines += [f"    {line}" for line in self.trace]
            lines.append(f"  replay: python -m simulation --seed {self.seed}")
        return "\n".join(lines)


@dataclass
class World:
    rng: random.Random
    network: Network
    regions: dict[str, Region]
    store: Store
    cards: dict[str, str] = field(default_factory=dict)  # card number -> home region, in the order opened
    requests: list[TillRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # What each card was given at set-up (its value before the tills' requests).
    setup_value: dict[str, int] = field(default_factory=dict)


def _open_card(world: World, region: str, amount_fen: int) -> str:
    """A bearer card opened and recharged at a store of its home region (set-up: no faults)."""
    channel = world.network.channel(f"setup-{region}", region)
    store_id = STORE_OF_REGION[region]
    card = cards_pb2_grpc.CardServiceStub(channel).OpenCard(cards_pb2.OpenCardRequest(
        request_id=request_id(world.rng), store_id=store_id, card_type_code=CARD_TYPE), timeout=5).card.card_number
    transactions_pb2_grpc.TransactionServiceStub(channel).RechargeCard(transactions_pb2.RechargeCardRequest(
        request_id=request_id(world.rng), store_id=store_id, card_number=card, amount_fen=amount_fen,
        tender=common_pb2.TENDER_TYPE_CASH), timeout=5)
    world.cards[card] = region
    world.setup_value[card] = amount_fen
    return card


def _new_request(world: World) -> TillRequest:
    rng = world.rng
    card = rng.choice(list(world.cards))
    if rng.random() < 0.2:
        return TillRequest("recharge", transactions_pb2.RechargeCardRequest(
            request_id=request_id(rng), store_id=STORE, card_number=card, amount_fen=rng.randrange(1, 20) * 1_000,
            tender=common_pb2.TENDER_TYPE_CASH), card, world.cards[card])
    price = rng.randrange(100, 9_000)
    return TillRequest("checkout", transactions_pb2.CheckoutRequest(
        request_id=request_id(rng), store_id=STORE, card_number=card, lines=[transactions_pb2.BasketLine(
            sku="TEA", name="tea", category="drinks", quantity=1, unit_price_fen=price)]), card, world.cards[card])


def _card_name(world: World, card_number: str) -> str:
    """A card as the schedule names it: its home region and rank (its number differs in a replay)."""
    return f"card {world.cards[card_number]}{list(world.cards).index(card_number) + 1}"


def _amount(request: object) -> str:
    if isinstance(request, transactions_pb2.RechargeCardRequest):
        return f"{request.amount_fen} fen"
    if isinstance(request, transactions_pb2.CheckoutRequest):
        return f"{sum(line.unit_price_fen * line.quantity for line in request.lines)} fen"
    return ""


def _send(world: World, till: TillRequest) -> None:
    world.network.note(f"till -> {STORE} {till.kind} {till.request_id[:8]} {_card_name(world, till.card_number)} "
                       f"{_amount(till.request)}")
    till.send(world.store)
    world.network.note(f"  answered {till.answers[-1] if till.answers else '(nothing)'}")


def _guarded(world: World, action: Callable[[], object]) -> None:
    """A step of the store agent; a crash in it restarts the agent (its till's request stays open)."""
    try:
        action()
    except Crash:
        while True:  # it may crash again while it starts (its first configuration pull)
            world.network.note(f"{STORE} restarts")
            try:
                world.store.restart()
                return
            except Crash:
                continue


def _worker_step(world: World, step: Callable[[], object]) -> None:
    """A background worker's step as its loop runs it: RetryLater means "back off", any other
    failure would be logged and retried by the loop; here it is a finding."""
    try:
        step()
    except RetryLater:
        world.network.note("  (not every advice got a final answer: back off)")
    except Exception as error:  # noqa: BLE001 - what the worker's loop would swallow is reported
        world.errors.append(f"a background step failed: {error!r}")


def _step(world: World) -> None:
    rng, network, store = world.rng, world.network, world.store
    roll = rng.random()
    if roll < 0.35:
        till = _new_request(world)
        world.requests.append(till)
        _guarded(world, lambda: _send(world, till))
    elif roll < 0.45:
        open_ = [till for till in world.requests if not till.final]
        if open_:
            till = rng.choice(open_)
            network.note(f"till retries {till.request_id[:8]}")
            _guarded(world, lambda: _send(world, till))
    elif roll < 0.57:
        network.note(f"{STORE} forwarder step")
        _guarded(world, lambda: _worker_step(world, store.forwarder.step))
    elif roll < 0.64:
        if not store.monitor.online:
            network.note(f"{STORE} link probe")
            _guarded(world, store.monitor.probe)
    elif roll < 0.69:
        network.note(f"{STORE} card refresh")
        _guarded(world, store.refresher.refresh_due)
    elif roll < 0.76:
        code = rng.choice(sorted(world.regions))
        node = network.nodes[code]
        if node.up:
            network.note(f"region {code} goes down")
            node.up = False
        else:
            network.note(f"region {code} restarts")
            world.regions[code].start(network)
    elif roll < 0.80:
        network.note(f"{STORE} crashes and restarts")
        _guarded(world, store.restart)
    elif roll < 0.88:
        network.deliver_late()
    else:
        seconds = rng.choice((0.5, 2.0, 10.0, 60.0))
        clock.current().sleep(seconds)
        network.note(f"{seconds} s pass")


def _heal(world: World) -> None:
    """Every fault ends; the tills retry what is open; the agent forwards what is queued."""
    network, store = world.network, world.store
    network.note("--- the network heals; every region up")
    network.calm = True
    for code, region in sorted(world.regions.items()):
        if not network.nodes[code].up:
            region.start(network)
    network.deliver_late(every=True)
    for _ in range(HEAL_ROUNDS):
        clock.current().sleep(5.0)
        _guarded(world, store.monitor.probe)
        _guarded(world, lambda: _worker_step(world, store.forwarder.step))
        open_ = [till for till in world.requests if not till.final]
        if not open_ and not store.forwarder.queue_depth():
            return
        for till in open_:
            till.refused_offline = False
            _guarded(world, lambda till=till: _send(world, till))  # type: ignore[misc]


def run_seed(seed: int, regions: dict[str, Region], store_template: Path, workdir: Path, *,
             overtaking: bool = False) -> SeedResult:
    rng = random.Random(seed)
    network = Network(rng, faults=Faults.drawn(rng, overtaking=overtaking))
    database = workdir / f"store-{seed}.sqlite"
    shutil.copyfile(store_template, database)
    with clock.installed(VirtualClock()):
        for region in regions.values():
            region.start(network)
        store = Store(STORE, "E", database, network)
        network.crashable.add(STORE)
        world = World(rng, network, regions, store)
        try:
            # A card of this store's region, one homed in the other (its calls are forwarded), and
            # sometimes a second card here (two cards share the store's offline exposure).
            for code in ("E", "W", "E")[:rng.choice((2, 3))]:
                _open_card(world, code, rng.randrange(50, 300) * 100)
            store.refresher.refresh(list(world.cards))  # the stand-in knows the cards
            network.note(f"faults {network.faults}")
            network.calm = False
            steps = rng.randrange(4, 19)
            for _ in range(steps):
                _step(world)
            _heal(world)
            violations = invariants.check(world)
        finally:
            store.crash()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
    return SeedResult(seed, violations, network.trace, steps, len(world.requests),
                      sum(1 for till in world.requests if till.offline))

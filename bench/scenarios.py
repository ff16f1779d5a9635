"""The chain's side of the checkout benchmark: funded cards, the programme the scenarios need (caps
lifted, a count item, coupons and points), and the clients of each scenario (one card and one
channel per client)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc
import psycopg2
from sqlalchemy.engine import make_url

from bench.closed_loop import ClientFactory
from chaincard.ids import new_id
from chaincard.rpc.channels import call, open_channel
from chaincard.rpc.endpoints import balanced_channel
from chaincard.rpc.transport import Transport
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

RECHARGE_FEN = 5_000_000  # ¥50,000 a recharge
# The bench's cards hold far more than the national prepaid-card caps (V9, docs/adr/0038): its
# chain lifts them on the card types it funds (set_bench_caps), as a chain may at HQ.
BENCH_CAP_FEN = 10_000_000_000  # the largest amount a card type field accepts (chaincard.security.bounds)
COUPON_TEMPLATE = "BENCH-CASH-5"  # ¥5 off, no minimum: one per coupon-points checkout
COUPONS_PER_CARD = 4_000
BENCH_POINTS = 10_000_000  # points put on each coupon-points card (the most one adjustment may add): 100 a checkout
# count-uses: a card type of its own and an item without a daily quota (the demo's CARWASH allows
# one wash a day per card and store); one pack of 10,000 uses a card, more than a card serves. One
# pack, as a member's card mostly holds: a sale reads every usable pack of the card's item.
COUNT_CARD_TYPE = "BENCH-CNT"
COUNT_ITEM = "BENCH-WASH"
COUNT_SKU = "BENCH-WASH-1"
COUNT_USES_PER_PACK = 10_000
COUNT_PACKS = 1
CONFIG_MAX_AGE_SECONDS = 10.0  # region_service.program.ProgramCache: how long a region keeps HQ's snapshot
SKUS = [("TEA-001", "Longjing tea 50g", "tea"), ("SNK-014", "Sesame biscuits", "snack"), ("CUP-002", "Paper cups", "homeware")]

# Where a scenario's clients send: one endpoint, or every replica of a region (docs/adr/0054).
Target = str | Sequence[str]


def region_channel(target: Target, transport: Transport) -> grpc.Channel:
    """A client's channel: to the one endpoint, or one channel over every replica, calls spread
    round robin as HQ and the store agents spread theirs (chaincard/rpc/endpoints.py)."""
    if isinstance(target, str):
        return open_channel(target, transport)
    if len(target) == 1:
        return open_channel(target[0], transport)
    return balanced_channel(target, transport)


def basket_line(rng: random.Random) -> transactions_pb2.BasketLine:
    sku, name, category = rng.choice(SKUS)
    return transactions_pb2.BasketLine(sku=sku, name=name, category=category, quantity=1, unit_price_fen=rng.randint(100, 2000))


def open_funded_card(region_endpoint: str, store_id: str, recharges: int, transport: Transport, card_type: str = "SV") -> str:
    """Register a member in the store's region, open a card (SV unless told), recharge it; returns the card number."""
    with open_channel(region_endpoint, transport) as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        cards = cards_pb2_grpc.CardServiceStub(channel)
        transactions = transactions_pb2_grpc.TransactionServiceStub(channel)
        phone = f"137{random.randint(0, 99_999_999):08d}"
        member = call(members.RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), store_id=store_id, name="Bench 会员", phone=phone,
            channel=common_pb2.REGISTRATION_CHANNEL_STORE,
        ), deadline=30).member
        card = call(cards.OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), store_id=store_id, member_id=member.member_id, card_type_code=card_type,
            form=common_pb2.CARD_FORM_VIRTUAL,
        ), deadline=30).card
        for _ in range(recharges):
            call(transactions.RechargeCard, transactions_pb2.RechargeCardRequest(
                request_id=new_id(), store_id=store_id, card_number=card.card_number, amount_fen=RECHARGE_FEN,
                tender=common_pb2.TENDER_TYPE_CASH,
            ), deadline=30)
        return card.card_number


def checkout_client(
    target: Target, cards: list[str], store_id: str, transport: Transport
) -> ClientFactory:
    def make(index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = region_channel(target, transport)
        checkout = transactions_pb2_grpc.TransactionServiceStub(channel).Checkout
        card_number = cards[index]  # one card per client: no two clients wait on one card's row lock
        rng = random.Random(index)

        def one_call() -> None:
            call(checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store_id, card_number=card_number, lines=[basket_line(rng)],
            ))

        return one_call, channel.close

    return make


def coupon_points_client(
    target: Target, cards: list[str], coupons: dict[str, list[str]], store_id: str, transport: Transport
) -> ClientFactory:
    """As :func:`checkout_client`, each checkout with the card's next coupon and 100 points as cash.
    Coupons are taken in order across runs (a card serves one client at a time)."""
    def make(index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = region_channel(target, transport)
        checkout = transactions_pb2_grpc.TransactionServiceStub(channel).Checkout
        card_number = cards[index]
        unused = coupons[card_number]
        rng = random.Random(index)

        def one_call() -> None:
            # Above ¥20: 100 points (¥1) stay within half of the bill after the ¥5 coupon.
            line = basket_line(rng)
            line.unit_price_fen += 2_000
            call(checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store_id, card_number=card_number, lines=[line], points_to_redeem=100,
                coupon_codes=[unused.pop()],
            ))

        return one_call, channel.close

    return make


def count_uses_client(
    target: Target, cards: list[str], store_id: str, transport: Transport
) -> ClientFactory:
    """As :func:`checkout_client`, each basket also holding one car wash paid by one count use; the
    plain line is paid from stored value as in (a)."""
    def make(index: int) -> tuple[Callable[[], None], Callable[[], None]]:
        channel = region_channel(target, transport)
        checkout = transactions_pb2_grpc.TransactionServiceStub(channel).Checkout
        card_number = cards[index]
        rng = random.Random(index)

        def one_call() -> None:
            wash = transactions_pb2.BasketLine(sku=COUNT_SKU, name="Car wash", category="service", quantity=1,
                                               unit_price_fen=rng.randint(100, 2000))
            call(checkout, transactions_pb2.CheckoutRequest(
                request_id=new_id(), store_id=store_id, card_number=card_number, lines=[basket_line(rng), wash],
                tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=COUNT_ITEM, uses=1),
                         transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE)],
            ))

        return one_call, channel.close

    return make


def set_bench_caps(state: Any) -> float:
    """The demo SV card type with the V9 balance cap and non-cash threshold lifted, as an HQ admin;
    returns when (time.monotonic()) it was set."""
    from chaincard.local import demo_data
    from chaincard.local.accounts import operator_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import program_config_pb2 as pc
    from chaincard.v1 import program_config_pb2_grpc

    admin = operator_token(state, "bench-admin", Role.HQ_ADMIN, Scope.chain())
    stored_value = pc.CardType()
    stored_value.CopyFrom(next(card_type for card_type in demo_data.CARD_TYPES if card_type.code == "SV"))
    stored_value.balance_cap_fen = stored_value.non_cash_threshold_fen = BENCH_CAP_FEN
    with state.channel("hq", token=admin) as channel:
        call(program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCardType,
             pc.UpsertCardTypeRequest(request_id=new_id(), card_type=stored_value), deadline=30)
    return time.monotonic()


def set_count_programme(state: Any) -> float:
    """The count item and the count-and-stored-value card type at HQ, as an HQ admin; returns when
    (time.monotonic()) they were set: a region sees them within its snapshot's maximum age."""
    from chaincard.local.accounts import operator_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import program_config_pb2 as pc
    from chaincard.v1 import program_config_pb2_grpc

    admin = operator_token(state, "bench-admin", Role.HQ_ADMIN, Scope.chain())
    with state.channel("hq", token=admin) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        call(program.UpsertCountItem, pc.UpsertCountItemRequest(request_id=new_id(), count_item=pc.CountItem(
            code=COUNT_ITEM, name="Bench car wash", eligible_skus=[COUNT_SKU], uses_per_pack=COUNT_USES_PER_PACK,
            pack_price_fen=100, active=True)), deadline=30)
        call(program.UpsertCardType, pc.UpsertCardTypeRequest(request_id=new_id(), card_type=pc.CardType(
            code=COUNT_CARD_TYPE, name="Bench count and stored value", kind_description="count uses and stored value",
            stored_value=True, points=True, count_uses=True, count_item_codes=[COUNT_ITEM], active=True,
            balance_cap_fen=BENCH_CAP_FEN, non_cash_threshold_fen=BENCH_CAP_FEN)), deadline=30)
    return time.monotonic()


def buy_count_uses(region_endpoint: str, store_id: str, card: str, transport: Transport) -> None:
    """``COUNT_PACKS`` packs of the bench item on ``card``, paid in cash."""
    with open_channel(region_endpoint, transport) as channel:
        call(transactions_pb2_grpc.TransactionServiceStub(channel).PurchaseCountUses, transactions_pb2.PurchaseCountUsesRequest(
            request_id=new_id(), store_id=store_id, card_number=card, item_code=COUNT_ITEM, packs=COUNT_PACKS,
            tender=common_pb2.TENDER_TYPE_CASH), deadline=30)


def prepare_coupon_cards(state: Any, region_url: str, cards: list[str]) -> dict[str, list[str]]:
    """The coupon template at HQ, points on each card (AdjustPoints, as an HQ finance operator) and
    ``COUPONS_PER_CARD`` coupon rows on each card in region E's database, as issuing leaves them
    (one statement per card). Returns each card's coupon codes."""
    from psycopg2.extras import execute_values

    from chaincard.coupons.codes import new_coupon_code
    from chaincard.local.accounts import operator_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import program_config_pb2 as pc
    from chaincard.v1 import program_config_pb2_grpc

    admin = operator_token(state, "bench-admin", Role.HQ_ADMIN, Scope.chain())
    with state.channel("hq", token=admin) as channel:
        call(program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCouponTemplate, pc.UpsertCouponTemplateRequest(
            request_id=new_id(), coupon_template=pc.CouponTemplate(
                code=COUPON_TEMPLATE, name="¥5 off", kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=500, validity_days=30,
                active=True, stackable=False)), deadline=30)
    finance = operator_token(state, "bench-finance", Role.HQ_FINANCE, Scope.chain())
    with state.channel("region-E", token=finance) as channel:
        transactions = transactions_pb2_grpc.TransactionServiceStub(channel)
        for card in cards:
            call(transactions.AdjustPoints, transactions_pb2.AdjustPointsRequest(
                request_id=new_id(), store_id="S-E-001", card_number=card, points_delta=BENCH_POINTS, reason="bench"), deadline=30)
    coupons = {card: [new_coupon_code("11") for _ in range(COUPONS_PER_CARD)] for card in cards}
    url = make_url(region_url)
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database)
    try:
        with connection, connection.cursor() as cursor:
            for card, codes in coupons.items():
                execute_values(cursor, (
                    "INSERT INTO coupons (coupon_code, template_code, card_number, state, valid_from, valid_until, issued_at, "
                    "issued_reason, issue_key, updated_at) VALUES %s"
                ), [(code, COUPON_TEMPLATE, card, "AVAILABLE", "2100-01-01", "bench", f"bench:{code}")
                    for code in codes], template="(%s, %s, %s, %s, now() - interval '1 hour', %s, now(), %s, %s, now())")
    finally:
        connection.close()
    return coupons

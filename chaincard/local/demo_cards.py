"""The demo's kinds of card (issue 14 item 10): a count card bought in the East and used in the
West, a monthly card with its daily cap, a level upgrade after a recharge, and a checkout by QR member code. Each step returns what
it showed, so tests/e2e/test_chain.py checks the same outcomes a new user reads."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.chain_state import ChainState
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.demo import _chaincard, _print_receipt
from chaincard.money import format_fen
from chaincard.rpc.channels import call
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

CAR_WASH_PRICE_FEN = 3_500
TEA_POT_PRICE_FEN = 3_800


def _refused(method: Callable[..., object], request: Message) -> str:
    """What a call that must be refused got: its status and the reason a cashier reads."""
    try:
        call(method, request)
    except grpc.RpcError as error:
        return f"{error.code().name}: {error.details()}"
    return "ALLOWED (it should not be!)"


def _uses_left(balances: common_pb2.Balances, item_code: str) -> int:
    return sum(held.uses for held in balances.count_uses if held.item_code == item_code)


@dataclass(frozen=True)
class CountCardShown:
    card_number: str
    uses_bought: int
    uses_left_after_wash: int
    second_wash_refusal: str


def run_count_card(state: ChainState) -> CountCardShown:
    """K1, K3: ten car washes sold at S-E-001 (region E), one used at S-W-001 (region W forwards
    the sale to the card's home region), a second wash there the same day refused by the quota."""
    item = demo_data.COUNT_ITEMS[0]
    phone = f"135{random.randint(0, 99_999_999):08d}"
    print("\n== A car-wash count card: bought in the East, used in the West (计次卡) ==")
    with state.channel("store-S-E-001") as east_channel, state.channel("store-S-W-001") as west_channel:
        member = call(members_pb2_grpc.MemberServiceStub(east_channel).RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Wang Fang 王芳", phone=phone, channel=common_pb2.REGISTRATION_CHANNEL_STORE)).member
        card = call(cards_pb2_grpc.CardServiceStub(east_channel).OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), member_id=member.member_id, card_type_code="COUNT")).card
        bought = call(transactions_pb2_grpc.TransactionServiceStub(east_channel).PurchaseCountUses,
                      transactions_pb2.PurchaseCountUsesRequest(request_id=new_id(), card_number=card.card_number,
                                                                item_code=item.code, packs=1, tender=common_pb2.TENDER_TYPE_CASH))
        expiry = bought.expires_at.ToDatetime().date().isoformat() if bought.HasField("expires_at") else "never"
        print(f"1. At S-E-001 (Shanghai, region E): {member.name} gets count card {card.card_number} and buys "
              f"{bought.uses_added} × {item.name} for {format_fen(bought.amount_fen)} in cash "
              f"(chaincard pos buy-uses); the uses expire {expiry}")
        _print_receipt(bought.receipt)

        west_till = transactions_pb2_grpc.TransactionServiceStub(west_channel)

        def wash() -> transactions_pb2.CheckoutRequest:
            return transactions_pb2.CheckoutRequest(
                request_id=new_id(), card_number=card.card_number,
                lines=[transactions_pb2.BasketLine(sku=demo_data.CARWASH_SKU, name="Car wash 精洗", category="service",
                                                   quantity=1, unit_price_fen=CAR_WASH_PRICE_FEN)],
                tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=item.code, uses=1)])

        sale = call(west_till.Checkout, wash())
        left = _uses_left(sale.balances_after, item.code)
        print(f"2. At S-W-001 (Chengdu, region W) a {format_fen(CAR_WASH_PRICE_FEN)} wash is paid by one use, no money "
              f"(chaincard pos sell --uses {item.code}:1); region W forwards the sale to the card's home region "
              f"{sale.transaction.home_region}, which takes the use: {left} uses left")
        _print_receipt(sale.receipt)
        refusal = _refused(west_till.Checkout, wash())
        print(f"3. A second wash at S-W-001 today is refused (at most {item.daily_uses_per_store} a day per card and store, K3):"
              f"\n     {refusal}")
    return CountCardShown(card_number=card.card_number, uses_bought=bought.uses_added, uses_left_after_wash=left,
                          second_wash_refusal=refusal)


def _pass_of(balances: common_pb2.Balances, item_code: str) -> common_pb2.CountUseBalance:
    return next(held for held in balances.count_uses if held.item_code == item_code and held.time_pass)


def _day(moment: Timestamp) -> str:
    return moment.ToDatetime().date().isoformat()


@dataclass(frozen=True)
class MonthlyCardShown:
    card_number: str
    first_end: str
    used_today_after_two: int
    third_pot_refusal: str
    extended_end: str
    pot_receipts: list[list[str]]


def run_monthly_card(state: ChainState) -> MonthlyCardShown:
    """K4: a month of tea sold at S-E-002 (region E), two pots drunk at S-W-001 (region W forwards
    each sale to the card's home region), a third the same day refused by the daily cap, and a
    second month bought early, which extends the pass from its current end."""
    item = next(item for item in demo_data.COUNT_ITEMS if item.period_days > 0)
    phone = f"136{random.randint(0, 99_999_999):08d}"
    print("\n== A monthly tea card with its daily cap: bought in the East, used in the West (月卡) ==")
    with state.channel("store-S-E-002") as east_channel, state.channel("store-S-W-001") as west_channel:
        member = call(members_pb2_grpc.MemberServiceStub(east_channel).RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Sun Mei 孙梅", phone=phone, channel=common_pb2.REGISTRATION_CHANNEL_STORE)).member
        card = call(cards_pb2_grpc.CardServiceStub(east_channel).OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), member_id=member.member_id, card_type_code="MONTHLY")).card
        east_till = transactions_pb2_grpc.TransactionServiceStub(east_channel)

        def one_month() -> transactions_pb2.PurchaseCountUsesRequest:
            return transactions_pb2.PurchaseCountUsesRequest(request_id=new_id(), card_number=card.card_number, item_code=item.code,
                                                             packs=1, tender=common_pb2.TENDER_TYPE_MOBILE_PAY)

        bought = call(east_till.PurchaseCountUses, one_month())
        first_end = _day(bought.expires_at)
        print(f"1. At S-E-002 (Hangzhou, region E): {member.name} gets monthly card {card.card_number} and buys "
              f"{item.period_days} days of {item.name} for {format_fen(bought.amount_fen)} by mobile pay "
              f"(chaincard pos buy-uses): unlimited pots until {first_end}, at most {item.daily_cap_uses} a day at any store")
        _print_receipt(bought.receipt)

        west_till = transactions_pb2_grpc.TransactionServiceStub(west_channel)

        def pot() -> transactions_pb2.CheckoutRequest:
            return transactions_pb2.CheckoutRequest(
                request_id=new_id(), card_number=card.card_number,
                lines=[transactions_pb2.BasketLine(sku=demo_data.TEA_POT_SKU, name="Longjing pot 龙井", category="tea",
                                                   quantity=1, unit_price_fen=TEA_POT_PRICE_FEN)],
                tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=item.code, uses=1)])

        receipts = []
        for number in (2, 3):
            sale = call(west_till.Checkout, pot())
            held = _pass_of(sale.balances_after, item.code)
            receipts.append([line.text for line in sale.receipt])
            print(f"{number}. At S-W-001 (Chengdu, region W) a {format_fen(TEA_POT_PRICE_FEN)} pot is paid by the pass, no money "
                  f"(chaincard pos sell --uses {item.code}:1); home region {sale.transaction.home_region} counts "
                  f"{held.used_today} of {held.daily_cap_uses} today, pass until {_day(held.period_ends_at)}")
            _print_receipt(sale.receipt)
        refusal = _refused(west_till.Checkout, pot())
        print(f"4. A third pot at S-W-001 today is refused by the daily cap ({item.daily_cap_uses} a day, any store, K4):"
              f"\n     {refusal}")
        extended = call(east_till.PurchaseCountUses, one_month())
        extended_end = _day(extended.expires_at)
        print(f"5. Back at S-E-002 a second month is bought early for {format_fen(extended.amount_fen)}: it starts where "
              f"the first ends, so the pass now runs until {extended_end} (was {first_end})")
        _print_receipt(extended.receipt)
    return MonthlyCardShown(card_number=card.card_number, first_end=first_end, used_today_after_two=held.used_today,
                            third_pot_refusal=refusal, extended_end=extended_end, pot_receipts=receipts)


@dataclass(frozen=True)
class LevelAndQrShown:
    card_number: str
    level_before: str
    level_after: str
    upgrade_receipt: list[str]
    qr_code: str
    qr_images: list[Path]
    qr_sale_points_earned: int
    second_scan_refusal: str


def run_level_and_qr(state: ChainState) -> LevelAndQrShown:
    """L2 and C2: a virtual card opened at S-W-002 (region W) moves up to Silver with a ¥5,000
    recharge (demo_data.LEVEL_RULES); the member's phone shows a QR code (written as SVG and PNG);
    a till at S-E-001 (region E) scans it into a sale at the Silver price; the code works once."""
    rule = demo_data.LEVEL_RULES[0]
    phone = f"133{random.randint(0, 99_999_999):08d}"
    print("\n== A level that moves with a recharge, and a checkout by QR code (升级, 扫码付) ==")
    with state.channel("store-S-W-002") as west_channel:
        member = call(members_pb2_grpc.MemberServiceStub(west_channel).RegisterMember, members_pb2.RegisterMemberRequest(
            request_id=new_id(), name="Zhao Lei 赵磊", phone=phone, channel=common_pb2.REGISTRATION_CHANNEL_STORE)).member
        cards = cards_pb2_grpc.CardServiceStub(west_channel)
        card = call(cards.OpenCard, cards_pb2.OpenCardRequest(
            request_id=new_id(), member_id=member.member_id, card_type_code="SV", form=common_pb2.CARD_FORM_VIRTUAL)).card
        print(f"1. At S-W-002 (Chongqing, region W): {member.name} opens virtual card {card.card_number} at level {card.level_code}. "
              f"HQ's level rule “{rule.name}” (UpsertLevelRule): a single recharge of "
              f"{format_fen(rule.upgrade_single_recharge_fen)} or more makes a card {rule.level_code}")
        recharge = call(transactions_pb2_grpc.TransactionServiceStub(west_channel).RechargeCard, transactions_pb2.RechargeCardRequest(
            request_id=new_id(), card_number=card.card_number, amount_fen=rule.upgrade_single_recharge_fen,
            tender=common_pb2.TENDER_TYPE_MOBILE_PAY))
        after = call(cards.GetCard, cards_pb2.GetCardRequest(card_number=card.card_number)).card
        print(f"2. Recharged {format_fen(recharge.principal_fen)} by mobile pay: the card moved up at once, in the "
              f"recharge's own transaction: level {card.level_code} → {after.level_code}. Receipt:")
        _print_receipt(recharge.receipt)

    # The member app's code: `chaincard pos qr` asks a store agent for one and writes the images.
    qr_dir = Path(state.data_dir) / "qr"
    qr_dir.mkdir(parents=True, exist_ok=True)
    images = [qr_dir / f"{card.card_number}.svg", qr_dir / f"{card.card_number}.png"]
    shown = _chaincard(state, "pos", "--data-dir", state.data_dir, "--store", state.endpoint_of("store-S-W-002"),
                       "qr", card.card_number, "--svg", str(images[0]), "--png", str(images[1]), data_dir=False)
    code, _, validity = shown.partition("\n")
    print(f"3. The member's phone shows a QR code (chaincard pos qr {card.card_number} --svg … --png …):\n"
          f"     {code}\n   {validity.strip()}\n     images: {images[0]}\n             {images[1]}")

    with state.channel("store-S-E-001") as east_channel:
        east_till = transactions_pb2_grpc.TransactionServiceStub(east_channel)

        def scanned() -> transactions_pb2.CheckoutRequest:
            return transactions_pb2.CheckoutRequest(request_id=new_id(), card_number=code, lines=[
                transactions_pb2.BasketLine(sku="CUP-002", name="Celadon cup", category="homeware", quantity=2, unit_price_fen=6_000)])

        sale = call(east_till.Checkout, scanned())
        # An SV card type gives no member discount (CardType.discount): its level shows in the points.
        multiplier = next(level.points_multiplier_bp for level in demo_data.LEVELS if level.code == after.level_code) / 10_000
        print(f"4. At S-E-001 (Shanghai, region E) the cashier scans the code instead of a card number: "
              f"{format_fen(sale.total_due_fen)} from stored value → principal {format_fen(sale.balances_after.principal_fen)}; "
              f"{sale.points_earned} points earned, {multiplier:g}× as a {after.level_code} card")
        _print_receipt(sale.receipt)
        refusal = _refused(east_till.Checkout, scanned())
        print(f"5. The same code scanned again is refused (a code pays once, within a minute):\n     {refusal}")
    return LevelAndQrShown(
        card_number=card.card_number, level_before=card.level_code, level_after=after.level_code,
        upgrade_receipt=[line.text for line in recharge.receipt], qr_code=code, qr_images=images,
        qr_sale_points_earned=sale.points_earned, second_scan_refusal=refusal)

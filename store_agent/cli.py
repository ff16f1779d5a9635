"""The store's subcommands of the chaincard CLI: ``chaincard pos``, the cashier's till for stores
without a POS integration. It talks only to the store agent (``--store host:port``), so it keeps
working — within the offline limits — when the store's link to its region is down.

    chaincard pos find 13800138000                      member, cards and balances
    chaincard pos sell --card 8811… --item TEA-1:Longjing tea:tea:1:88.00 --cash 20 [--coupon 9…]
    chaincard pos sell --card 8811… --item WASH-1:Car wash:service:1:30.00 --uses CARWASH:1
    chaincard pos quote --card 8811… --item TEA-1:Longjing tea:tea:1:88.00 --coupon 9…   price it, charge nothing
    chaincard pos recharge --card 8811… --amount 500 --tender mobile
    chaincard pos buy-uses 8811… CARWASH --packs 1 --tender card   count-card uses (计次卡; --package CODE: 套餐)
    chaincard pos buy-level 8811… GOLD --tender card                  buy a paid level (付费会员)
    chaincard pos refund 8811… <transaction id> [--uses CARWASH:2]   refund a sale or count-use purchase (manager)
    chaincard pos void 8811… <transaction id>                        void today's sale or purchase (manager)
    chaincard pos balance 8811…    chaincard pos history 8811…    chaincard pos status
    chaincard pos queue            chaincard pos reprint <transaction id> --paper 80
    chaincard pos join --name 李伟 --phone 13800138000   register a member and open a card
    chaincard pos qr 8811… --svg code.svg --png code.png  a member's QR code (sell/quote/find take it as the card)
    chaincard pos overdrawn --region E                  back office: cards offline sales overdrew

Amounts are typed in yuan (``12.50``, ``¥12.50``); nothing is ever rounded.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaincard.ids import is_ascii_digits

if TYPE_CHECKING:  # the till starts fast: grpc and the messages are imported where used
    import grpc

    from chaincard.rpc.transport import Transport
    from chaincard.v1 import common_pb2

DEFAULT_DATA_DIR = Path(".chaincard")
DEFAULT_STORE_NAME = "store-S-E-001"
CALL_DEADLINE_SECONDS = 30.0
# The TenderType labels: a message field takes an enum by its label as well as by its number.
_TENDERS = {"cash": "TENDER_TYPE_CASH", "bank": "TENDER_TYPE_BANK_CARD", "mobile": "TENDER_TYPE_MOBILE_PAY"}
# Count uses may also be paid by the card's own stored value.
_BUY_USES_TENDERS = {**_TENDERS, "card": "TENDER_TYPE_STORED_VALUE"}


class UsageError(Exception):
    """A mistake in what the cashier typed, explained."""


# ---- parsing what the cashier typed ------------------------------------------------------------
def parse_uses(spec: str) -> tuple[str, int]:
    """``ITEM:N`` of ``pos sell --uses``: N uses of count item ITEM, e.g. ``CARWASH:1``."""
    item, _, count = spec.rpartition(":")
    if not item or not is_ascii_digits(count) or int(count) < 1:
        raise UsageError(f"--uses {spec!r}: give ITEM:N, e.g. CARWASH:1")
    return item, int(count)


def parse_yuan(text: str, what: str = "amount") -> int:
    """'12.50', '¥12.50', '12' → fen; more than two decimals or a negative amount is refused."""
    cleaned = text.strip().lstrip("¥￥").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UsageError(f"{what} {text!r} is not an amount in yuan (e.g. 12.50)") from None
    if value < 0:
        raise UsageError(f"{what} {text!r} must not be negative")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise UsageError(f"{what} {text!r} has more than two decimals")
    return int(fen)


def parse_item(spec: str) -> dict[str, Any]:
    """'SKU:name:category:qty:price' (price in yuan per unit); name and category may be empty."""
    parts = spec.split(":")
    if len(parts) != 5:
        raise UsageError(f"--item {spec!r}: expected SKU:name:category:qty:price, e.g. TEA-1:Longjing tea:tea:1:88.00")
    sku, name, category, quantity, price = (part.strip() for part in parts)
    if not sku:
        raise UsageError(f"--item {spec!r}: the SKU is missing")
    if not is_ascii_digits(quantity) or int(quantity) <= 0:
        raise UsageError(f"--item {spec!r}: quantity {quantity!r} must be a whole number above 0")
    return {"sku": sku, "name": name or sku, "category": category, "quantity": int(quantity),
            "unit_price_fen": parse_yuan(price, f"--item {sku} price")}


def paper_width(value: str) -> common_pb2.PaperWidth:
    from chaincard.v1 import common_pb2

    return {"58": common_pb2.PAPER_WIDTH_58_MM, "80": common_pb2.PAPER_WIDTH_80_MM}[value]


# ---- talking to the store agent ----------------------------------------------------------------
def store_endpoint(args: argparse.Namespace) -> str:
    if args.store:
        return args.store
    if os.environ.get("CHAINCARD_STORE_ENDPOINT"):
        return os.environ["CHAINCARD_STORE_ENDPOINT"]
    from chaincard.chain_state import ChainState

    try:
        return ChainState.load(Path(args.data_dir)).endpoint_of(DEFAULT_STORE_NAME)
    except (FileNotFoundError, KeyError):
        raise UsageError(
            "which store? give --store host:port (or set CHAINCARD_STORE_ENDPOINT, or run `chaincard up`)"
        ) from None


def till_transport(args: argparse.Namespace, endpoint: str) -> Transport:
    """A till's credentials: its ``pos:<store>`` certificate — CHAINCARD_TILL_CERT in
    CHAINCARD_TLS_DIR, else the local chain's certificate of the store serving ``endpoint`` —
    or plaintext for a chain run with --insecure (CHAINCARD_INSECURE=1)."""
    from chaincard.chain_state import ChainState
    from chaincard.rpc.transport import PLAINTEXT, Transport

    if os.environ.get("CHAINCARD_TLS_DIR") and os.environ.get("CHAINCARD_TILL_CERT"):
        return Transport.from_directory(os.environ["CHAINCARD_TLS_DIR"], os.environ["CHAINCARD_TILL_CERT"])
    try:
        state = ChainState.load(Path(args.data_dir))
    except FileNotFoundError:
        state = None
    if state is not None:
        for process in state.processes:
            if process.role == "store" and process.endpoint == endpoint:
                return state.till_transport(process.name.removeprefix("store-"))
    if os.environ.get("CHAINCARD_INSECURE", "").lower() in ("1", "true", "yes") or (state is not None and state.insecure):
        return PLAINTEXT
    raise UsageError("which till certificate? set CHAINCARD_TLS_DIR and CHAINCARD_TILL_CERT (e.g. pos:S-E-001), "
                     "or CHAINCARD_INSECURE=1 for a chain run with --insecure")


def _explain(error: Any, endpoint: str) -> str:
    import grpc

    code = error.code()
    details = error.details() or ""
    if code == grpc.StatusCode.UNAVAILABLE and not details.startswith("store offline") and "region" not in details:
        return f"the store agent at {endpoint} does not answer ({details or 'connection refused'}); is it running?"
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"the store agent at {endpoint} did not answer in time; retry the same command with --request-id"
    hint = {
        "NOT_FOUND": "not found",
        "FAILED_PRECONDITION": "refused",
        "INVALID_ARGUMENT": "invalid input",
        "PERMISSION_DENIED": "not allowed",
        "ALREADY_EXISTS": "request id already used",
        "UNAVAILABLE": "not possible right now",
    }.get(code.name, code.name)
    return f"{hint}: {details}"


def _run(args: argparse.Namespace, body: Callable[[grpc.Channel, argparse.Namespace], int], *, manager: bool = False) -> int:
    """Run ``body`` on a channel to the store agent, as the till (``manager``: with the store
    manager's token, as when they log in at the till to authorise a refund or void)."""
    import grpc

    from chaincard.rpc.channels import open_channel

    try:
        endpoint = store_endpoint(args)
        transport = till_transport(args, endpoint)
        if manager:
            transport = transport.with_token(_manager_token(args))
        with open_channel(endpoint, transport) as channel:
            return body(channel, args)
    except UsageError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 2
    except grpc.RpcError as error:
        print(f"✗ {_explain(error, endpoint)}", file=sys.stderr)
        request_id = getattr(args, "request_id_used", "")
        if request_id and error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            print(f"  to retry without charging twice: add --request-id {request_id}", file=sys.stderr)
        return 1


def _manager_token(args: argparse.Namespace) -> str | None:
    """The store manager's token: ``--token-file``, else the one ``chaincard login`` saved; None
    when there is none (the till alone: a secured chain refuses it, naming the role needed)."""
    from chaincard.security.cli import token_file
    from chaincard.security.client import load_token

    if args.token_file and not Path(args.token_file).exists():
        raise UsageError(f"--token-file {args.token_file}: no such file (save one with `chaincard login`)")
    saved = load_token(Path(args.token_file) if args.token_file else token_file(args.data_dir))
    return saved.token if saved is not None else None


def _request_id(args: argparse.Namespace) -> str:
    from chaincard.ids import new_id

    args.request_id_used = args.request_id or new_id()
    return args.request_id_used


def _print_receipt(lines: Iterable[common_pb2.ReceiptLine]) -> None:
    print()
    for line in lines:
        print(f"    {line.text}")
    print()


def _state(card: common_pb2.Card) -> str:
    from chaincard.v1 import common_pb2

    return common_pb2.CardState.Name(card.state).removeprefix("CARD_STATE_")


def _balances(balances: common_pb2.Balances) -> str:
    from chaincard.money import format_fen

    uses = "".join(f"  {held.item_code} pass to {held.period_ends_at.ToDatetime().date().isoformat()}" if held.time_pass
                   else f"  {held.item_code} {held.uses} uses" for held in balances.count_uses)
    return (f"principal {format_fen(balances.principal_fen)}  bonus {format_fen(balances.bonus_fen)}  "
            f"total {format_fen(balances.principal_fen + balances.bonus_fen)}  points {balances.points}{uses}")


# ---- the commands ------------------------------------------------------------------------------
def cmd_find(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.member_codes import is_member_code
    from chaincard.rpc.channels import call
    from chaincard.v1 import members_pb2, members_pb2_grpc

    key = args.key.replace(" ", "")
    if is_member_code(key):  # a scanned QR member code
        request = members_pb2.FindMemberRequest(qr_token=key)
    else:
        request = members_pb2.FindMemberRequest(card_number=key) if len(key) >= 12 else members_pb2.FindMemberRequest(phone=key)
    found = call(members_pb2_grpc.MemberServiceStub(channel).FindMember, request, deadline=CALL_DEADLINE_SECONDS)
    member = found.member
    print(f"{member.name}  {member.phone_masked}  member {member.member_id}  home region {member.home_region}")
    for card in found.cards:
        pin = "  PIN" if card.pin_set else ""
        print(f"  card {card.card_number}  {card.card_type_code:<6} {_state(card):<8} level {card.level_code or '-':<7}{pin}")
        print(f"       {_balances(card.balances)}")
    if not found.cards:
        print("  (no cards yet: `chaincard pos join` opens one)")
    return 0


def write_qr_images(code: str, *, svg: str | None = None, png: str | None = None, scale: int = 8) -> None:
    """``code`` as a QR image: numeric mode, error correction at least M (segno raises it when the
    size allows), the standard 4-module quiet zone."""
    import segno

    image = segno.make_qr(code, error="m")
    if svg:
        image.save(svg, kind="svg", scale=scale, border=4)
    if png:
        image.save(png, kind="png", scale=scale, border=4)


def cmd_qr(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """A fresh QR member code for a virtual card (what a member app shows), printed and optionally
    written as an SVG and/or a PNG image (segno: numeric mode, error correction M)."""
    import uuid

    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2, cards_pb2_grpc

    answer = call(cards_pb2_grpc.CardServiceStub(channel).RotateQrToken,
                  cards_pb2.RotateQrTokenRequest(request_id=args.request_id or str(uuid.uuid4()), card_number=args.card),
                  deadline=CALL_DEADLINE_SECONDS)
    write_qr_images(answer.qr_token, svg=args.svg, png=args.png, scale=args.scale)
    print(answer.qr_token)
    print(f"  valid until {answer.expires_at.ToDatetime():%Y-%m-%d %H:%M:%S} UTC, once, at any store of the chain")
    return 0


def _basket_and_tenders(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """The basket lines and tenders typed for ``pos sell`` and ``pos quote`` alike."""
    from chaincard.v1 import common_pb2, transactions_pb2

    if not args.item:
        raise UsageError("ring up at least one --item SKU:name:category:qty:price")
    lines = [transactions_pb2.BasketLine(**parse_item(spec)) for spec in args.item]
    # Count-card uses first (计次卡): each pays for units of the lines its item covers.
    tenders = [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code=item, uses=uses)
               for item, uses in map(parse_uses, args.uses)]
    for name in ("cash", "bank", "mobile"):
        amount = getattr(args, name)
        if amount is not None:
            tenders.append(transactions_pb2.TenderRequest(type=_TENDERS[name],
                                                          amount_fen=parse_yuan(amount, f"--{name}")))
    if not args.external_only:
        tenders.append(transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=0))  # the rest
    elif tenders:
        tenders[-1].amount_fen = 0  # the last external tender pays whatever is left
    else:
        raise UsageError("--external-only needs --cash, --bank or --mobile")
    return lines, tenders


def _print_tenders_and_coupons(tenders: Iterable[Any], coupons: Iterable[Any]) -> None:
    from chaincard.money import format_fen
    from chaincard.v1 import common_pb2

    for tender in tenders:
        kind = common_pb2.TenderType.Name(tender.type).removeprefix("TENDER_TYPE_").lower().replace("_", " ")
        split = f"  (principal {format_fen(tender.principal_fen)}, bonus {format_fen(tender.bonus_fen)})" if tender.principal_fen or tender.bonus_fen else ""
        uses = f"  ({tender.uses} uses of {tender.count_item_code})" if tender.count_item_code else ""
        print(f"  {kind:<12} {format_fen(tender.amount_fen):>12}{split}{uses}")
    for coupon in coupons:
        print(f"  coupon {coupon.coupon_code} ({coupon.template_code})  -{format_fen(coupon.discount_fen)}")


def cmd_sell(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import transactions_pb2, transactions_pb2_grpc

    lines, tenders = _basket_and_tenders(args)
    pin = getpass.getpass("Card PIN (hidden): ") if args.pin else ""
    request = transactions_pb2.CheckoutRequest(
        request_id=_request_id(args), card_number=args.card, lines=lines, points_to_redeem=args.points, tenders=tenders,
        pin=pin, operator_id=args.operator or "", coupon_codes=args.coupon,
    )
    sale = call(transactions_pb2_grpc.TransactionServiceStub(channel).Checkout, request, deadline=CALL_DEADLINE_SECONDS)
    banner = "APPROVED OFFLINE — queued, posted when the link returns" if sale.offline else "PAID"
    print(f"✓ {banner}: total {format_fen(sale.total_due_fen)}  (discount {format_fen(sale.discount_fen)}, "
          f"points used {sale.points_redeemed}, points earned {sale.points_earned})")
    _print_tenders_and_coupons(sale.tenders, sale.coupons)
    print(f"  card after: {_balances(sale.balances_after)}{'  (estimate)' if sale.offline else ''}")
    _print_receipt(sale.receipt)
    print(f"  transaction {sale.transaction.transaction_id}   (80 mm: chaincard pos reprint {sale.transaction.transaction_id} --paper 80)")
    return 0


def cmd_quote(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """What ``pos sell`` with the same arguments would charge now; nothing is charged or written."""
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import common_pb2, transactions_pb2, transactions_pb2_grpc

    lines, tenders = _basket_and_tenders(args)
    if not args.card:  # a non-member has no stored value: quote the external tenders alone
        tenders = [tender for tender in tenders if tender.type != common_pb2.TENDER_TYPE_STORED_VALUE]
    request = transactions_pb2.QuoteCheckoutRequest(
        card_number=args.card or "", lines=lines, points_to_redeem=args.points, tenders=tenders, coupon_codes=args.coupon,
    )
    quoted = call(transactions_pb2_grpc.TransactionServiceStub(channel).QuoteCheckout, request, deadline=CALL_DEADLINE_SECONDS)
    print(f"QUOTE (nothing charged): subtotal {format_fen(quoted.subtotal_fen)}  discount {format_fen(quoted.discount_fen)}  "
          f"points as cash {format_fen(quoted.points_deduction_fen)}  total {format_fen(quoted.total_due_fen)}")
    print(f"  points used {quoted.points_redeemed} (at most {quoted.max_points_redeemable}), points earned {quoted.points_earned}")
    _print_tenders_and_coupons(quoted.tenders, quoted.coupons)
    for rejected in quoted.rejected_coupons:
        print(f"  coupon {rejected.coupon_code} NOT USABLE: {rejected.reason}")
    if quoted.HasField("balances"):
        print(f"  card now: {_balances(quoted.balances)}")
    return 0


def cmd_recharge(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import transactions_pb2, transactions_pb2_grpc

    amount = parse_yuan(args.amount, "--amount")
    if amount <= 0:
        raise UsageError("--amount must be above 0")
    request = transactions_pb2.RechargeCardRequest(
        request_id=_request_id(args), card_number=args.card, amount_fen=amount,
        tender=_TENDERS[args.tender], operator_id=args.operator or "",
    )
    answer = call(transactions_pb2_grpc.TransactionServiceStub(channel).RechargeCard, request, deadline=CALL_DEADLINE_SECONDS)
    promotion = f"  promotion {answer.promotion_code}: +{format_fen(answer.bonus_fen)} bonus, +{answer.points_earned} points" if answer.promotion_code else ""
    print(f"✓ RECHARGED {format_fen(answer.principal_fen)} by {args.tender}{promotion}")
    print(f"  card after: {_balances(answer.transaction.balances_after)}")
    _print_receipt(answer.receipt)
    return 0


def cmd_redeem_points(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """``chaincard points redeem CARD RULE [--units N]``: exchange points for an HQ offer (P2)."""
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import transactions_pb2, transactions_pb2_grpc

    if args.units < 1:
        raise UsageError("--units must be 1 or more")
    pin = getpass.getpass("PIN: ") if args.pin else ""
    request = transactions_pb2.RedeemPointsRequest(
        request_id=_request_id(args), card_number=args.card, rule_code=args.rule, quantity=args.units, pin=pin,
        operator_id=args.operator or "",
    )
    answer = call(transactions_pb2_grpc.TransactionServiceStub(channel).RedeemPoints, request, deadline=CALL_DEADLINE_SECONDS)
    got = [f"gift {answer.gift_sku} x{args.units}: hand it over" if answer.gift_sku else "",
           f"+{format_fen(answer.bonus_credited_fen)} bonus" if answer.bonus_credited_fen else "",
           f"+{answer.count_uses_credited} uses of {answer.count_item_code}" if answer.count_uses_credited else "",
           ", ".join(coupon.coupon_code for coupon in answer.coupons_issued)]
    print(f"✓ REDEEMED {answer.points_spent} points for {args.rule}: {'; '.join(part for part in got if part)}")
    print(f"  card after: {_balances(answer.balances_after)}")
    _print_receipt(answer.receipt)
    return 0


def cmd_buy_uses(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """``chaincard pos buy-uses CARD ITEM [--packs N]``: sell packs of a count item's uses onto a card (K1),
    or periods of a time item's pass (K4); ``--package CODE`` instead of ITEM sells a package (K2)."""
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import transactions_pb2, transactions_pb2_grpc

    if args.packs < 1:
        raise UsageError("--packs must be 1 or more")
    if bool(args.item) == bool(args.package):
        raise UsageError("give either ITEM or --package CODE")
    pin = getpass.getpass("PIN: ") if args.pin else ""
    request = transactions_pb2.PurchaseCountUsesRequest(
        request_id=_request_id(args), card_number=args.card, item_code=args.item or "", package_code=args.package or "",
        packs=args.packs, tender=_BUY_USES_TENDERS[args.tender], pin=pin, operator_id=args.operator or "",
    )
    answer = call(transactions_pb2_grpc.TransactionServiceStub(channel).PurchaseCountUses, request,
                  deadline=CALL_DEADLINE_SECONDS)
    print(f"✓ SOLD {args.packs} × {args.package or args.item} for {format_fen(answer.amount_fen)} by {args.tender}")
    for held in answer.count_use_balances:
        until = held.expires_at.ToDatetime().date().isoformat() if held.HasField("expires_at") else "never"
        print(f"  {held.item_code}: pass to {until}" if held.time_pass else f"  {held.item_code}: {held.uses} uses left (expire {until})")
    print(f"  card after: {_balances(answer.balances_after)}")
    _print_receipt(answer.receipt)
    return 0


def _refund_lines(args: argparse.Namespace) -> list[Any]:
    """``--uses ITEM:N`` (a count-use purchase's uses) and ``--line SKU:N`` (a sale's units), as RefundLines."""
    from chaincard.v1 import transactions_pb2

    wanted = [parse_uses(spec) for spec in args.uses]
    for spec in args.line:
        sku, _, count = spec.rpartition(":")
        if not sku or not count.isdigit() or int(count) < 1:
            raise UsageError(f"--line {spec!r}: give SKU:N, e.g. TEA-1:1")
        wanted.append((sku, int(count)))
    return [transactions_pb2.RefundLine(sku=sku, quantity=quantity) for sku, quantity in wanted]


def cmd_refund(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """``chaincard pos refund CARD TRANSACTION``: refund a sale (``--amount`` or ``--line``; nothing:
    all that is left) or a count-use purchase (``--uses ITEM:N``; nothing: all its unused uses and
    pass days), as the store manager (V6, docs/adr/0035)."""
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import transactions_pb2, transactions_pb2_grpc

    lines = _refund_lines(args)
    amount = parse_yuan(args.amount, "--amount") if args.amount else 0
    if amount and lines:
        raise UsageError("give --amount or --line/--uses, not both")
    request = transactions_pb2.RefundSaleRequest(
        request_id=_request_id(args), card_number=args.card, original_transaction_id=args.transaction, lines=lines,
        amount_fen=amount, operator_id=args.operator or "", reason=args.reason or "")
    answer = call(transactions_pb2_grpc.TransactionServiceStub(channel).RefundSale, request, deadline=CALL_DEADLINE_SECONDS)
    print(f"✓ REFUNDED {format_fen(answer.refund_fen)} of {args.transaction}")
    _print_reversal(answer.transaction, answer.tenders, answer.balances_after)
    _print_receipt(answer.receipt)
    return 0


def cmd_void(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """``chaincard pos void CARD TRANSACTION``: void today's sale or count-use purchase at this store,
    whole, as the store manager (V6, docs/adr/0035)."""
    from chaincard.rpc.channels import call
    from chaincard.v1 import transactions_pb2, transactions_pb2_grpc

    request = transactions_pb2.VoidSaleRequest(request_id=_request_id(args), card_number=args.card,
                                               original_transaction_id=args.transaction, operator_id=args.operator or "",
                                               reason=args.reason or "")
    answer = call(transactions_pb2_grpc.TransactionServiceStub(channel).VoidSale, request, deadline=CALL_DEADLINE_SECONDS)
    print(f"✓ VOIDED {args.transaction}")
    _print_reversal(answer.transaction, answer.tenders, answer.balances_after)
    _print_receipt(answer.receipt)
    return 0


def _print_reversal(transaction: Any, tenders: Iterable[Any], balances: common_pb2.Balances) -> None:
    """What a refund or void took back (uses) and gives back (money, per tender)."""
    from chaincard.money import format_fen

    for change in transaction.count_use_deltas:
        print(f"  uses removed: {change.item_code} {-change.uses_delta}")
    for tender in tenders:
        where = "to the card" if tender.card_number else "at the till"
        print(f"  money back {where}: {format_fen(tender.amount_fen)} ({_tender_label(tender.type)})")
    print(f"  card after: {_balances(balances)}")


def _tender_label(tender_type: int) -> str:
    from chaincard.v1 import common_pb2

    return common_pb2.TenderType.Name(tender_type).removeprefix("TENDER_TYPE_").replace("_", " ").lower()


def cmd_buy_level(channel: grpc.Channel, args: argparse.Namespace) -> int:
    """``chaincard pos buy-level CARD LEVEL [--tender ...]``: sell a paid level to a card (L2)."""
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2, cards_pb2_grpc

    pin = getpass.getpass("PIN: ") if args.pin else ""
    request = cards_pb2.BuyLevelRequest(
        request_id=_request_id(args), card_number=args.card, level_code=args.level,
        tender=_BUY_USES_TENDERS[args.tender], pin=pin, operator_id=args.operator or "",
    )
    answer = call(cards_pb2_grpc.CardServiceStub(channel).BuyLevel, request, deadline=CALL_DEADLINE_SECONDS)
    until = answer.paid_until.ToDatetime().date().isoformat() if answer.HasField("paid_until") else "the review's rules"
    print(f"✓ LEVEL {answer.previous_level_code} → {answer.level_code} for {format_fen(answer.amount_fen)} "
          f"by {args.tender} (kept to {until})")
    print(f"  card after: {_balances(answer.balances_after)}")
    _print_receipt(answer.receipt)
    return 0


def cmd_balance(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2, cards_pb2_grpc, common_pb2

    answer = call(cards_pb2_grpc.CardServiceStub(channel).GetBalance, cards_pb2.GetBalanceRequest(card_number=args.card),
                  deadline=CALL_DEADLINE_SECONDS)
    state = common_pb2.CardState.Name(answer.state).removeprefix("CARD_STATE_")
    print(f"card {answer.card_number}  {state}")
    print(f"  {_balances(answer.balances)}")
    if answer.from_cache:
        print(f"  (store offline: last known at {answer.as_of.ToDatetime():%Y-%m-%d %H:%M:%S} UTC, before today's offline sales)")
    return 0


def cmd_history(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import common_pb2, transactions_pb2, transactions_pb2_grpc

    answer = call(transactions_pb2_grpc.TransactionServiceStub(channel).ListTransactions,
                  transactions_pb2.ListTransactionsRequest(card_number=args.card, page_size=args.limit), deadline=CALL_DEADLINE_SECONDS)
    print(f"{'date':<11} {'type':<15} {'amount':>11} {'store':<9} {'principal after':>16} {'points':>7}  transaction")
    for item in answer.transactions:
        kind = common_pb2.TransactionType.Name(item.type).removeprefix("TRANSACTION_TYPE_")
        flag = " OVERDRAWN" if item.overdrawn else ""
        print(f"{item.business_date:<11} {kind:<15} {format_fen(item.amount_fen):>11} {item.store_id:<9} "
              f"{format_fen(item.balances_after.principal_fen):>16} {item.balances_after.points:>7}  {item.transaction_id}{flag}")
    if not answer.transactions:
        print("(no transactions)")
    return 0


def cmd_status(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import store_agent_pb2, store_agent_pb2_grpc

    status = call(store_agent_pb2_grpc.StoreAgentServiceStub(channel).GetStoreStatus, store_agent_pb2.GetStoreStatusRequest(),
                  deadline=CALL_DEADLINE_SECONDS)
    link = "ONLINE" if status.online else f"OFFLINE since {status.offline_since.ToDatetime():%H:%M:%S} UTC"
    print(f"store {status.store_id} (region {status.region_code or '?'})  {link}")
    print(f"  offline queue   {status.offline_queue_depth} sale(s) to forward"
          + (f", oldest {status.oldest_queued_at.ToDatetime():%H:%M:%S} UTC" if status.offline_queue_depth else ""))
    print(f"  exposure        {format_fen(status.offline_exposure_fen)} of {format_fen(status.offline_exposure_limit_fen)}")
    for down in status.home_regions_not_answering:
        print(f"  {down.message or 'home region ' + down.region_code + ' not answering'}"
              f" (since {down.since.ToDatetime():%H:%M:%S} UTC, last {down.last_failure_at.ToDatetime():%H:%M:%S} UTC):"
              " its cards are stood in for offline; every other card sells online")
    if status.rejected_advice_count:
        print(f"  REJECTED        {status.rejected_advice_count} offline sale(s) the region refused to post: settle them by hand")
    print(f"  offline today   {status.offline_approvals_today} sale(s), {format_fen(status.offline_approved_today_fen)}; "
          f"overdrawn {status.overdrawn_today} sale(s), {format_fen(status.overdrawn_today_fen)}; "
          f"still owed {format_fen(status.receivable_today_fen)} by {status.receivable_cards_today} card(s)")
    if status.coupon_conflicts_today:
        print(f"  COUPON CONFLICT {status.coupon_conflicts_today} offline sale(s) today used coupons already used elsewhere: "
              f"{format_fen(status.coupon_conflict_today_fen)} of discount this store bears")
    print(f"  config version  {status.config_version}    cached cards {status.cached_card_count}    agent {status.agent_version}")
    return 0


def cmd_queue(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.money import format_fen
    from chaincard.rpc.channels import call
    from chaincard.v1 import store_agent_pb2, store_agent_pb2_grpc

    answer = call(store_agent_pb2_grpc.StoreAgentServiceStub(channel).ListQueuedAdvices,
                  store_agent_pb2.ListQueuedAdvicesRequest(page_size=args.limit), deadline=CALL_DEADLINE_SECONDS)
    for queued in answer.advices:
        advice = queued.advice
        error = f"  last error: {queued.last_error}" if queued.last_error else ""
        print(f"#{advice.sequence:<6} {advice.approved_at.ToDatetime():%H:%M:%S}  card ...{advice.checkout.card_number[-4:]}  "
              f"{format_fen(advice.offline_result.total_due_fen):>10}  tries {queued.attempts}{error}")
    if not answer.advices:
        print("the offline queue is empty")
    elif answer.next_page_token:
        print("… more queued")
    return 0


def _reprint(channel: grpc.Channel, transaction_id: str, paper: str) -> int:
    from chaincard.rpc.channels import call
    from chaincard.v1 import store_agent_pb2, store_agent_pb2_grpc

    answer = call(store_agent_pb2_grpc.StoreAgentServiceStub(channel).ReprintReceipt,
                  store_agent_pb2.ReprintReceiptRequest(transaction_id=transaction_id, paper_width=paper_width(paper)),
                  deadline=CALL_DEADLINE_SECONDS)
    _print_receipt(answer.receipt)
    return 0


def cmd_reprint(channel: grpc.Channel, args: argparse.Namespace) -> int:
    return _reprint(channel, args.transaction_id, args.paper)


def cmd_join(channel: grpc.Channel, args: argparse.Namespace) -> int:
    from chaincard.ids import new_id
    from chaincard.rpc.channels import call
    from chaincard.v1 import cards_pb2, cards_pb2_grpc, common_pb2, members_pb2, members_pb2_grpc

    member = call(members_pb2_grpc.MemberServiceStub(channel).RegisterMember, members_pb2.RegisterMemberRequest(
        request_id=_request_id(args), name=args.name, phone=args.phone, channel=common_pb2.REGISTRATION_CHANNEL_STORE,
        operator_id=args.operator or ""), deadline=CALL_DEADLINE_SECONDS).member
    card = call(cards_pb2_grpc.CardServiceStub(channel).OpenCard, cards_pb2.OpenCardRequest(
        request_id=new_id(), member_id=member.member_id, card_type_code=args.card_type, form=common_pb2.CARD_FORM_VIRTUAL),
        deadline=CALL_DEADLINE_SECONDS).card
    print(f"✓ {member.name} ({member.phone_masked}) joined: card {card.card_number} [{card.card_type_code}, level {card.level_code}]")
    return 0


def run_overdrawn(args: argparse.Namespace) -> int:
    """Back office: the region's report of cards that offline advices overdrew (DESIGN §4). The
    report is the region's (``chaincard region overdrawn``, reading its database); the store's CLI
    only runs that command, as the services meet only over gRPC and Kafka, never by import."""
    import subprocess

    command = [sys.executable, "-m", "chaincard.cli", "region", "overdrawn", "--code", args.region,
               "--data-dir", args.overdrawn_data_dir or args.data_dir]
    if args.database_url:
        command += ["--database-url", args.database_url]
    return subprocess.run(command, stdin=subprocess.DEVNULL).returncode


def _add_basket_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``pos sell`` and ``pos quote`` both take: the basket, points, coupons and tenders."""
    parser.add_argument("--item", action="append", default=[], metavar="SKU:NAME:CATEGORY:QTY:PRICE",
                        help="one basket line, price per unit in yuan; repeat for more lines")
    parser.add_argument("--points", type=int, default=0, help="points to use as cash")
    parser.add_argument("--coupon", action="append", default=[], metavar="CODE",
                        help="a coupon held on the card (17 digits); repeat for more")
    parser.add_argument("--uses", action="append", default=[], metavar="ITEM:N",
                        help="N count-card uses of ITEM pay for N units of the lines it covers; repeat per item")
    parser.add_argument("--cash", metavar="YUAN", help="paid in cash")
    parser.add_argument("--bank", metavar="YUAN", help="paid by bank card")
    parser.add_argument("--mobile", metavar="YUAN", help="paid by mobile pay")
    parser.add_argument("--external-only", action="store_true",
                        help="no stored value: the last of --cash/--bank/--mobile pays the rest")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001 - argparse has no public type for it
    """Add this package's subcommands to the ``chaincard`` command."""
    pos = commands.add_parser("pos", help="the cashier's till, through a store agent (find, sell, recharge, balance…)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    pos.add_argument("--store", help="the store agent host:port (default: $CHAINCARD_STORE_ENDPOINT, or the local chain's S-E-001)")
    pos.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="a running local chain's data directory")
    sub = pos.add_subparsers(dest="pos_command", required=True)

    def add(name: str, handler: Callable[[grpc.Channel, argparse.Namespace], int], help_text: str, *,
            manager: bool = False) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        parser.set_defaults(handler=lambda args: _run(args, handler, manager=manager))
        return parser

    find = add("find", cmd_find, "find a member by phone or card number")
    find.add_argument("key", help="mobile phone or card number")

    sell = add("sell", cmd_sell, "ring up items and take payment (card stored value pays what cash etc. do not)")
    sell.add_argument("--card", required=True, help="the member card number, or a scanned QR member code")
    quote = add("quote", cmd_quote, "price a basket as `sell` would, charging nothing (coupons and points shown)")
    quote.add_argument("--card", help="the member card number (none: a non-member's price)")
    _add_basket_arguments(sell)
    _add_basket_arguments(quote)
    sell.add_argument("--pin", action="store_true", help="ask for the card PIN (typed hidden)")
    sell.add_argument("--operator", help="cashier id")
    sell.add_argument("--request-id", help="retry an earlier sale without charging twice")

    qr = add("qr", cmd_qr, "a fresh QR member code for a virtual card (valid about a minute, once), as SVG/PNG")
    qr.add_argument("card", help="the virtual card number")
    qr.add_argument("--svg", metavar="FILE", help="write the QR image as SVG")
    qr.add_argument("--png", metavar="FILE", help="write the QR image as PNG")
    qr.add_argument("--scale", type=int, default=8, help="pixels per module (default 8)")
    qr.add_argument("--request-id", help="fetch the same code again")

    recharge = add("recharge", cmd_recharge, "add stored value to a card")
    recharge.add_argument("--card", required=True)
    recharge.add_argument("--amount", required=True, metavar="YUAN")
    recharge.add_argument("--tender", choices=sorted(_TENDERS), default="cash")
    recharge.add_argument("--operator")
    recharge.add_argument("--request-id", help="retry an earlier recharge without charging twice")

    buy_uses = add("buy-uses", cmd_buy_uses, "sell packs of a count item's uses onto a card (计次卡)")
    buy_uses.add_argument("card", help="the member card number")
    buy_uses.add_argument("item", nargs="?", help="the count item's code, e.g. CARWASH (or give --package)")
    buy_uses.add_argument("--package", help="a package's code instead of an item (套餐), e.g. WASH-SET")
    buy_uses.add_argument("--packs", type=int, default=1, help="packs bought (default 1)")
    buy_uses.add_argument("--tender", choices=sorted(_BUY_USES_TENDERS), default="cash",
                          help="how the member pays (card: the card's stored value)")
    buy_uses.add_argument("--pin", action="store_true", help="ask for the card PIN (typed hidden; paying by card)")
    buy_uses.add_argument("--operator", help="cashier id")
    buy_uses.add_argument("--request-id", help="retry an earlier purchase without charging twice")
    buy_level = add("buy-level", cmd_buy_level, "sell a paid level to a card (付费会员)")
    buy_level.add_argument("card", help="the member card number")
    buy_level.add_argument("level", help="the level's code, e.g. GOLD (it must have a price)")
    buy_level.add_argument("--tender", choices=sorted(_BUY_USES_TENDERS), default="cash",
                           help="how the member pays (default cash; card = the card's stored value)")
    buy_level.add_argument("--pin", action="store_true", help="ask for the card PIN (typed hidden; paying by card)")
    buy_level.add_argument("--operator", help="cashier id")
    buy_level.add_argument("--request-id", help="retry an earlier purchase without charging twice")

    refund = add("refund", cmd_refund, "refund a sale or a count-use purchase (store manager: `chaincard login` first)",
                 manager=True)
    refund.add_argument("card", help="the card of the sale or purchase")
    refund.add_argument("transaction", help="the sale's or count-use purchase's transaction id")
    refund.add_argument("--amount", metavar="YUAN", help="a sale: the amount to refund (default: all that is left)")
    refund.add_argument("--line", action="append", default=[], metavar="SKU:N", help="a sale: N units of SKU; repeat per line")
    refund.add_argument("--uses", action="append", default=[], metavar="ITEM:N",
                        help="a count-use purchase: N of its unused uses of ITEM (default: all unused uses and pass days)")
    void = add("void", cmd_void, "void today's sale or count-use purchase, whole (store manager)", manager=True)
    void.add_argument("card", help="the card of the sale or purchase")
    void.add_argument("transaction", help="the transaction id to void")
    for parser in (refund, void):
        parser.add_argument("--reason", help="why (audited)")
        parser.add_argument("--operator", help="the store manager's id (default: the one logged in)")
        parser.add_argument("--request-id", help="retry without refunding twice")
        parser.add_argument("--token-file", help="the store manager's saved token (default: `chaincard login`'s)")

    balance = add("balance", cmd_balance, "a card's balances (from the store's cache while offline)")
    balance.add_argument("card")
    history = add("history", cmd_history, "a card's latest transactions")
    history.add_argument("card")
    history.add_argument("--limit", type=int, default=10)
    add("status", cmd_status, "the store agent's link, offline queue and exposure")
    queue = add("queue", cmd_queue, "offline sales waiting to be forwarded, oldest first")
    queue.add_argument("--limit", type=int, default=20)
    reprint = add("reprint", cmd_reprint, "print a receipt again (marked as a copy)")
    reprint.add_argument("transaction_id")
    reprint.add_argument("--paper", choices=("58", "80"), default="58")
    join = add("join", cmd_join, "register a member and open a virtual card")
    join.add_argument("--name", required=True)
    join.add_argument("--phone", required=True)
    join.add_argument("--card-type", default="SV")
    join.add_argument("--operator")
    join.add_argument("--request-id")

    _add_points_commands(commands)

    overdrawn = sub.add_parser("overdrawn", help="back office: cards overdrawn by offline sales (runs `chaincard region overdrawn`)")
    overdrawn.add_argument("--region", default="E", help="region code (with a running local chain)")
    overdrawn.add_argument("--database-url", help="the region's database URL")
    overdrawn.add_argument("--data-dir", dest="overdrawn_data_dir", help="a running local chain's data directory")
    overdrawn.set_defaults(handler=run_overdrawn)


def _add_points_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    """``chaincard points redeem CARD RULE [--units N]``, through the store agent like the till."""
    points = commands.add_parser("points", help="a card's points at the store: redeem them for an HQ offer (P2)")
    points.add_argument("--store", help="the store agent host:port (default: $CHAINCARD_STORE_ENDPOINT, or the local chain's S-E-001)")
    points.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="a running local chain's data directory")
    sub = points.add_subparsers(dest="points_command", required=True)
    redeem = sub.add_parser("redeem", help="exchange points for a gift, bonus stored value or coupons (PointsRedemptionRule)")
    redeem.add_argument("card", help="the member card number")
    redeem.add_argument("rule", help="the offer's code, e.g. GIFT-UMBRELLA")
    redeem.add_argument("--units", type=int, default=1, help="how many of the offer (default 1)")
    redeem.add_argument("--pin", action="store_true", help="ask for the card PIN (typed hidden)")
    redeem.add_argument("--operator", help="cashier id")
    redeem.add_argument("--request-id", help="retry an earlier redemption without spending twice")
    redeem.set_defaults(handler=lambda args: _run(args, cmd_redeem_points))

"""``chaincard coupon template set|list``: HQ's coupon templates (Q1) over ProgramConfigService.

``set CODE …`` replaces the whole template (UpsertCouponTemplate is an upsert of the whole item):
give every rule it should have. Its flags read like the till's (``--kind cash``, ``--hours``); it
sends and reads through the generic ``chaincard program coupon-template`` code (program_cli). HQ checks it and names the field at fault. ``list`` reads the
templates from HQ's configuration snapshot. Dates are read in the chain's business time zone.
"""

from __future__ import annotations

import argparse
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, cast

from chaincard.command_groups import command_group
from chaincard.ids import is_ascii_digits

if TYPE_CHECKING:
    from chaincard.v1 import program_config_pb2, program_config_pb2_grpc

KINDS = {"cash": "COUPON_KIND_CASH_VOUCHER", "discount": "COUPON_KIND_DISCOUNT", "product": "COUPON_KIND_PRODUCT"}


def moment(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DDTHH:MM``; without an offset it is read in the chain's zone."""
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM") from error


def hours(text: str) -> tuple[int, int]:
    """``HH:MM-HH:MM`` as (start, end) minutes of the store's day; ``24:00`` ends at midnight."""
    parts = text.split("-")
    if len(parts) != 2 or not all(len(part) == 5 and part[2] == ":" and is_ascii_digits(part[:2] + part[3:]) for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not HH:MM-HH:MM")
    start, end = (int(part[:2]) * 60 + int(part[3:]) for part in parts)
    return start, end


def _in_zone(value: datetime, zone: tzinfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def template_from_args(args: argparse.Namespace, zone: tzinfo) -> program_config_pb2.CouponTemplate:
    """The CouponTemplate ``set`` sends (HQ checks it)."""
    from chaincard.v1 import program_config_pb2 as pc

    template = pc.CouponTemplate(
        code=args.code, name=args.name, kind=cast(pc.CouponKind, pc.CouponKind.Value(KINDS[args.kind])),
        face_value_fen=args.face_value_fen, discount_bp=args.discount_bp, max_discount_fen=args.max_discount_fen,
        product_skus=args.sku or [], min_spend_fen=args.min_spend_fen, categories=args.category or [],
        store_ids=args.store or [], weekdays=args.weekday or [], exclude_holidays=args.exclude_holidays,
        validity_days=args.validity_days, stackable=args.stackable, active=not args.inactive,
        level_codes=args.level or [], issuer_franchisee_id=args.issuer or "", transferable=args.transferable,
        transfer_reward_points=args.transfer_reward_points, reminder_days_before_expiry=args.reminder_days,
    )
    if args.hours:
        template.start_minute_of_day, template.end_minute_of_day = args.hours
    if args.valid_from:
        template.valid_from.FromDatetime(_in_zone(args.valid_from, zone))
    if args.valid_until:
        template.valid_until.FromDatetime(_in_zone(args.valid_until, zone))
    return template


def describe(template: program_config_pb2.CouponTemplate) -> list[str]:
    """One row of ``list``: code, name, kind and value, minimum spend, when, who, validity, flags."""
    from chaincard.money import format_fen
    from chaincard.v1 import program_config_pb2 as pc

    kind = {pc.CouponKind.Value(value): name for name, value in KINDS.items()}.get(template.kind, "?")
    if template.kind == pc.COUPON_KIND_CASH_VOUCHER:
        value = format_fen(template.face_value_fen) + " off"
    elif template.kind == pc.COUPON_KIND_DISCOUNT:
        value = f"{template.discount_bp / 100:g}% off" + (f" ≤{format_fen(template.max_discount_fen)}"
                                                         if template.max_discount_fen else "")
    else:
        unit = ",".join(template.product_skus) or ",".join(template.categories)
        value = f"1 {unit} " + (f"{template.discount_bp / 100:g}% off" if template.discount_bp else "free")
    when = []
    if template.weekdays:
        when.append("days " + ",".join(str(day) for day in template.weekdays))
    if template.end_minute_of_day:
        start, end = template.start_minute_of_day, template.end_minute_of_day
        when.append(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
    if template.exclude_holidays:
        when.append("not holidays")
    validity = f"{template.validity_days} days" if template.validity_days else ""
    if template.valid_until.seconds:
        validity = " / ".join(filter(None, [validity, "until " + template.valid_until.ToDatetime().date().isoformat()]))
    flags = [flag for flag, on in (("stackable", template.stackable), ("transferable", template.transferable),
                                   ("inactive", not template.active)) if on]
    return [template.code, template.name, kind, value, format_fen(template.min_spend_fen) if template.min_spend_fen else "",
            "; ".join(when) or "any time", ",".join(template.store_ids) or "all", ",".join(template.level_codes) or "all",
            template.issuer_franchisee_id or "card's", validity, " ".join(flags)]


def _set(stub: program_config_pb2_grpc.ProgramConfigServiceStub, args: argparse.Namespace) -> None:
    from chaincard.program_config.entities import ENTITIES
    from hq_service.cli import _chain_zone
    from hq_service.program_cli import send

    stored, version = send(stub, ENTITIES["coupon-template"], template_from_args(args, _chain_zone(args)))
    row = describe(cast("program_config_pb2.CouponTemplate", stored))
    print(f"{row[0]} {row[1]}: {row[2]}, {row[3]} (configuration version {version})")


def _list(stub: program_config_pb2_grpc.ProgramConfigServiceStub, args: argparse.Namespace) -> None:
    from hq_service.program_cli import snapshot
    from hq_service.report_tables import Cell, Table, render_text

    templates = [t for t in snapshot(stub).coupon_templates if args.all or t.active]
    print(render_text(Table(title="Coupon templates", headers=[
        "code", "name", "kind", "value", "min spend", "when", "stores", "levels", "cost borne by", "validity", "flags"],
        rows=[list[Cell](describe(template)) for template in sorted(templates, key=lambda t: t.code)])))


def _run(args: argparse.Namespace) -> int:
    from chaincard.v1 import program_config_pb2_grpc
    from hq_service.cli import _run_with

    body = _set if args.template_command == "set" else _list
    return _run_with(program_config_pb2_grpc.ProgramConfigServiceStub, args, body)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001 - argparse has no public type for it
    """``chaincard coupon template set|list``."""
    from hq_service.cli import _target_flags

    coupon = command_group(commands, "coupon", "coupons (Q1–Q5): templates at HQ, coupons held on cards")
    template = coupon.add_parser("template", help="HQ's coupon templates (Q1)")
    template_commands = template.add_subparsers(dest="template_command", required=True)
    setter = template_commands.add_parser("set", help="create or replace a coupon template (give every rule it should have)")
    setter.add_argument("code", help="e.g. CASH-20-OVER-100")
    setter.add_argument("--name", required=True, help="what the member and the receipt read, e.g. 满100减20")
    setter.add_argument("--kind", required=True, choices=list(KINDS))
    setter.add_argument("--face-value-fen", type=int, default=0, help="cash: fen off")
    setter.add_argument("--discount-bp", type=int, default=0, help="discount: basis points off (1500 = 15%%); product: 0 = free")
    setter.add_argument("--max-discount-fen", type=int, default=0, help="discount: the most it takes off (0 = no cap)")
    setter.add_argument("--sku", action="append", help="product: a SKU whose unit it takes (repeat)")
    setter.add_argument("--category", action="append", help="lines that count (repeat; default all)")
    setter.add_argument("--min-spend-fen", type=int, default=0, help="minimum eligible spend (满额)")
    setter.add_argument("--store", action="append", help="a store where it works (repeat; default all)")
    setter.add_argument("--weekday", type=int, action="append", help="1 (Monday) … 7 (Sunday) (repeat; default all)")
    setter.add_argument("--hours", type=hours, help="HH:MM-HH:MM of the store's day (default all day)")
    setter.add_argument("--exclude-holidays", action="store_true", help="not on the chain's holidays")
    setter.add_argument("--level", action="append", help="a card level that may use it (repeat; default all)")
    setter.add_argument("--issuer", help="the franchisee bearing its cost (default: the card's issuing franchisee)")
    setter.add_argument("--validity-days", type=int, default=0, help="days from issue")
    setter.add_argument("--valid-from", type=moment, help="fixed start, YYYY-MM-DD[THH:MM] in the chain's time zone")
    setter.add_argument("--valid-until", type=moment, help="fixed end (exclusive), YYYY-MM-DD[THH:MM]")
    setter.add_argument("--stackable", action="store_true", help="may be used with other stackable coupons")
    setter.add_argument("--transferable", action="store_true", help="a member may give it to another member")
    setter.add_argument("--transfer-reward-points", type=int, default=0, help="points the giver gets")
    setter.add_argument("--reminder-days", type=int, default=0, help="remind the holder this many days before expiry")
    setter.add_argument("--inactive", action="store_true", help="issue no new coupons (issued ones stay usable)")
    listing = template_commands.add_parser("list", help="the coupon templates in HQ's configuration")
    listing.add_argument("--all", action="store_true", help="also inactive templates")
    for sub in (setter, listing):
        _target_flags(sub)
        sub.set_defaults(handler=_run)

"""Coupon templates and chain settings set at HQ for coupon tests, and the region's coupon rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import program_config_pb2_grpc
from region_service.context import RegionContext
from region_service.models import Coupon, OutboxMessage


def upsert_template(hq_endpoint: str, code: str, **fields: Any) -> pc.CouponTemplate:
    """Set coupon template ``code`` at HQ: a ¥10 cash voucher valid 30 days unless ``fields`` say otherwise."""
    template = pc.CouponTemplate(code=code, name=fields.pop("name", f"Voucher {code}"), kind=pc.COUPON_KIND_CASH_VOUCHER,
                                 face_value_fen=1000, validity_days=30, active=True)
    for name, value in fields.items():
        if isinstance(value, (list, tuple)):
            getattr(template, name).extend(value)
        elif hasattr(value, "CopyFrom"):
            getattr(template, name).CopyFrom(value)
        else:
            setattr(template, name, value)
    with open_channel(hq_endpoint) as channel:
        return program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertCouponTemplate(
            pc.UpsertCouponTemplateRequest(request_id=new_id(), coupon_template=template), timeout=10).coupon_template


def coupon_rows(ctx: RegionContext, card_number: str) -> list[Coupon]:
    with ctx.session_factory() as session:
        return list(session.execute(select(Coupon).where(Coupon.card_number == card_number).order_by(Coupon.issue_key)).scalars())


def outbox_events(ctx: RegionContext, key: str, event_type: str) -> list[bytes]:
    """The serialized envelopes of ``event_type`` (e.g. "chaincard.v1.CouponIssued") keyed ``key``."""
    with ctx.session_factory() as session:
        return list(session.execute(
            select(OutboxMessage.envelope).where(OutboxMessage.message_key == key, OutboxMessage.event_type == event_type)
            .order_by(OutboxMessage.position)
        ).scalars())

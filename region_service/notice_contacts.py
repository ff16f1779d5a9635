"""Notice addresses and per-channel opt-outs at the home region (N5, docs/adr/0053).

HQ holds masked contact details only (DESIGN §2): when it sends a notice, it asks the member's home
region for the one address it needs (``get_contact_for_notice``), uses it and forgets it. Each
answer and each refusal is audited here without the address. A member opts out per channel with
``set_notice_opt_out`` (from a till or the member's app); the region refuses addresses for a
channel the member opted out of, so an opt-out stops even notices already planned at HQ.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError, FailedPrecondition, InvalidArgument, NotFound
from chaincard.security.identity import current_principal
from chaincard.v1 import members_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import audit, validation
from region_service.context import RegionContext
from region_service.handlers.members import MemberNotHere
from region_service.models import Member, NoticeOptOut
from region_service.unit_of_work import RegionUnitOfWork

# Where a WeChat openid is kept: the member's custom fields (bound when they follow the account).
WECHAT_OPENID_FIELD = "wechat_openid"


def _channel(value: int, field: str = "channel") -> str:
    if value == pc.NOTIFICATION_CHANNEL_UNSPECIFIED or value not in pc.NotificationChannel.values():
        raise InvalidArgument(field, "must be SMS, WECHAT or EMAIL")
    return pc.NotificationChannel.Name(value).removeprefix("NOTIFICATION_CHANNEL_")


def _address(member: Member, channel: str) -> str:
    if channel == "EMAIL":
        return member.email or ""
    if channel == "SMS":
        return member.phone or ""
    return str((member.custom_fields or {}).get(WECHAT_OPENID_FIELD, ""))


def opted_out(session: Session, member_id: str, channel: str) -> bool:
    row = session.get(NoticeOptOut, (member_id, channel))
    return row is not None and row.opted_out


def get_contact_for_notice(
    ctx: RegionContext, request: members_pb2.GetContactForNoticeRequest,
) -> members_pb2.GetContactForNoticeResponse:
    """The address for one notice; audited (never with the address), refusals included."""
    member_id = validation.require_text("member_id", request.member_id, max_length=36)
    channel = _channel(request.channel)
    notice_id = validation.require_text("notice_id", request.notice_id, max_length=64)
    principal = current_principal()
    caller = str(principal.peer) if principal is not None and principal.peer is not None else "hq"
    refusal: ChainCardError | None = None
    address = ""
    with ctx.session_factory() as session, session.begin():
        member = session.get(Member, member_id)
        if member is None or member.erased_at is not None:
            refusal = NotFound(f"no member {member_id} to notify in region {ctx.region_code}")
        elif opted_out(session, member_id, channel):
            refusal = FailedPrecondition(f"member {member_id} opted out of {channel} notices")
        else:
            address = _address(member, channel)
            if not address:
                refusal = FailedPrecondition(f"address: member {member_id} has none on file for {channel}")
        if member is not None:
            audit.record(
                session, ctx, action="member.contact_for_notice", target_type="member", target_id=member_id,
                actor=f"service:{caller}", request_id=notice_id,
                after={"channel": channel, "notice_id": notice_id, "caller": caller},
                outcome=refusal.status_name if refusal is not None else "OK",
            )
    if refusal is not None:
        raise refusal
    return members_pb2.GetContactForNoticeResponse(address=address)


def set_notice_opt_out(uow: RegionUnitOfWork, request: members_pb2.SetNoticeOptOutRequest) -> members_pb2.SetNoticeOptOutResponse:
    """Record a member's choice for one channel (idempotent through the command runner)."""
    ctx, session = uow.region, uow.session
    member_id = validation.require_text("member_id", request.member_id, max_length=36)
    channel = _channel(request.channel)
    operator_id = validation.optional_text("operator_id", request.operator_id, max_length=64)
    store_id = ctx.program.store(request.store_id).store_id if request.store_id else ""
    member = session.get(Member, member_id, with_for_update=True)
    if member is None:
        raise MemberNotHere(f"no member {member_id} in region {ctx.region_code}")  # the servicer asks the others
    if member.erased_at is not None:
        raise NotFound(f"member {member_id} was erased")
    row = session.get(NoticeOptOut, (member_id, channel))
    before = row is not None and row.opted_out
    if before != request.opted_out:
        if row is None:
            session.add(NoticeOptOut(member_id=member_id, channel=channel, opted_out=request.opted_out, updated_at=utc_now()))
        else:
            row.opted_out, row.updated_at = request.opted_out, utc_now()
        audit.record(
            session, ctx, action="member.notice_opt_out", target_type="member", target_id=member_id,
            operator_id=operator_id, store_id=store_id, request_id=request.request_id,
            before={"channel": channel, "opted_out": before}, after={"channel": channel, "opted_out": request.opted_out},
        )
    return members_pb2.SetNoticeOptOutResponse(opted_out=request.opted_out)

"""Who referred a new member (M5, docs/adr/0044): the referral code names the referrer's home region,
which alone resolves it; a code of this region is resolved in the registration's own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.errors import InvalidArgument, NotFound, RemoteStatus
from chaincard.referrals import new_referral_code, referral_code, region_prefix_of_referral_code
from chaincard.v1 import members_pb2, members_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import CallOrigin
from region_service.models import Member

_FIELD = "referral_code"
# Fresh codes drawn before giving up: a collision among 887 million codes of a region is rare.
_DRAWS = 8


@dataclass(frozen=True)
class Referrer:
    member_id: str
    home_region: str
    code: str


def own_code(ctx: RegionContext, session: Session) -> str:
    """A code no member of this region holds (the unique constraint settles a concurrent draw)."""
    prefix = ctx.program.region(ctx.region_code).card_prefix
    for _draw in range(_DRAWS):
        code = new_referral_code(prefix)
        if session.execute(select(Member.member_id).where(Member.referral_code == code)).first() is None:
            return code
    raise RuntimeError("no free referral code after several draws")


def referrer_of(ctx: RegionContext, session: Session, text: str, new_phone_hmac: str) -> Referrer:
    """The member whose code ``text`` is, wherever homed; NOT_FOUND naming referral_code if none.

    A member cannot refer themselves: the same phone is refused here (a live member's phone cannot
    register twice anyway, so this is a member re-registering after erasure, or a typo at the till).
    """
    code = referral_code(text, _FIELD)
    region = ctx.program.region_by_card_prefix(region_prefix_of_referral_code(code))
    if region is None:
        raise NotFound(f"{_FIELD}: no member holds referral code {code}")
    if region.code == ctx.region_code:
        member = session.execute(select(Member).where(Member.referral_code == code)).scalar_one_or_none()
        if member is not None and member.phone_hmac == new_phone_hmac:
            raise InvalidArgument(_FIELD, "a member cannot refer themselves")
        if member is None or member.erased_at is not None:  # an erased member refers no one
            raise NotFound(f"{_FIELD}: no member holds referral code {code}")
        return Referrer(member.member_id, ctx.region_code, code)
    try:
        # As the region, not as the operator: resolving a code is the chain's act, not a look-up
        # inside the operator's scope. The home region answers NOT_FOUND for unknown codes.
        found = ctx.peers.forward(region.code, members_pb2_grpc.MemberServiceStub, "FindMember",
                                  members_pb2.FindMemberRequest(referral_code=code), CallOrigin())
    except RemoteStatus as error:
        if error.status_name == "NOT_FOUND":
            raise NotFound(f"{_FIELD}: no member holds referral code {code}") from error
        raise
    return Referrer(found.member.member_id, region.code, code)

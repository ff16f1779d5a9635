"""Phone claims whose registration never completed (ADR 0008).

A home region claims a phone at HQ before it commits the new member. If that transaction then
fails for good (the region crashed and the till gave up), the claim stays, and the phone can never
register again ("already registered", yet nobody is found). The sweep asks the claim's home region
about claims old enough that their member should long have reached HQ. A claim is released only
when that region answers NOT_FOUND.

The claim's row stays locked from the question to the release. A late retry of the registration
(same request id) claims with a locking read too, so it either sees the claim released and claims
afresh, or keeps the claim the sweep left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import grpc
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.rpc.channels import call
from chaincard.security.identity import Place
from chaincard.v1 import members_pb2, members_pb2_grpc
from hq_service import audit_log
from hq_service.models import MemberView, PhoneClaim
from hq_service.region_channels import RegionChannels

log = logging.getLogger(__name__)

# A registration answers within its deadline; a claim this old without its member at HQ is suspect.
ABANDONED_AFTER = timedelta(minutes=10)
SWEEP_SECONDS = 300.0
RPC_DEADLINE_SECONDS = 5.0

# (home region, member id) → True: the member exists; False: NOT_FOUND; None: no answer (try later).
MemberLookup = Callable[[str, str], bool | None]


class RegionMembers:
    """Asks a member's home region whether it holds the member, over HQ's shared channel to it."""

    def __init__(self, channels: RegionChannels) -> None:
        self.channels = channels

    def _stub(self, region_code: str) -> members_pb2_grpc.MemberServiceStub | None:
        channel = self.channels.channel(region_code)
        if channel is None:
            return None
        return members_pb2_grpc.MemberServiceStub(channel)

    def __call__(self, region_code: str, member_id: str) -> bool | None:
        stub = self._stub(region_code)
        if stub is None:
            return None
        try:
            call(stub.GetMember, members_pb2.GetMemberRequest(member_id=member_id), deadline=RPC_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            return False if error.code() == grpc.StatusCode.NOT_FOUND else None
        return True



def release_abandoned_claims(session_factory: sessionmaker[Session], member_exists: MemberLookup, *,
                             older_than: timedelta = ABANDONED_AFTER, limit: int = 100) -> int:
    """Release the claims whose member never came into being; returns how many."""
    cutoff = utc_now() - older_than
    with session_factory() as session:
        suspects = session.execute(
            select(PhoneClaim.phone_hmac)
            .where(PhoneClaim.claimed_at < cutoff, ~exists().where(MemberView.member_id == PhoneClaim.member_id))
            .order_by(PhoneClaim.claimed_at).limit(limit)
        ).scalars().all()
    released = 0
    for phone_hmac in suspects:
        with session_factory.begin() as session:
            claim = session.get(PhoneClaim, phone_hmac, with_for_update=True)
            if claim is None or claim.claimed_at >= cutoff or member_exists(claim.home_region, claim.member_id) is not False:
                continue
            session.delete(claim)
            audit_log.record(session, action="phone_claim.release", target_type="member", target_id=claim.member_id,
                             place=Place(region=claim.home_region), before={"home_region": claim.home_region,
                                                                          "request_id": claim.request_id},
                             reason="its registration never completed in the home region")
            released += 1
    if released:
        log.warning("released abandoned phone claims", extra={"fields": {"released": released}})
    return released

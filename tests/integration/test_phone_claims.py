"""A phone claim whose registration never completed is released, after the member's home region
says it holds no such member (ADR 0008); a claim whose member exists, or whose region does not
answer, or that is still young, is kept.

Real HQ and regions over gRPC, real PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from sqlalchemy import update

from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.ids import new_id
from chaincard.phones import phone_hmac
from chaincard.rpc.channels import open_channel
from chaincard.rpc.transport import PLAINTEXT
from chaincard.v1 import member_index_pb2, member_index_pb2_grpc, members_pb2
from hq_service.models import PhoneClaim
from hq_service.phone_claims import RegionMembers, release_abandoned_claims
from hq_service.region_channels import RegionChannels
from tests.support.cards import random_phone
from tests.support.regions import PHONE_KEY
from tests.support.sql import rows as _rows


@pytest.fixture
def hq_sessions(regions):
    engine = make_engine(regions.database_urls["hq"])
    yield make_session_factory(engine)
    engine.dispose()


def _claim(regions, phone: str, member_id: str) -> None:  # type: ignore[no-untyped-def]
    """What a home region does first when registering: claim the phone at HQ."""
    with open_channel(regions.hq_endpoint) as channel:
        member_index_pb2_grpc.MemberIndexServiceStub(channel).ClaimPhone(member_index_pb2.ClaimPhoneRequest(
            request_id=new_id(), phone_hmac=phone_hmac(phone, PHONE_KEY), member_id=member_id, home_region="E"), timeout=10)


def _age(hq_sessions, *phones: str) -> None:  # type: ignore[no-untyped-def]
    with hq_sessions.begin() as session:
        session.execute(update(PhoneClaim).where(PhoneClaim.phone_hmac.in_([phone_hmac(p, PHONE_KEY) for p in phones]))
                        .values(claimed_at=utc_now() - timedelta(hours=1)))


def _held(hq_sessions, phone: str) -> bool:  # type: ignore[no-untyped-def]
    with hq_sessions() as session:
        return session.get(PhoneClaim, phone_hmac(phone, PHONE_KEY)) is not None


def test_an_abandoned_claim_is_released_and_the_phone_registers_again(regions, hq_sessions):
    east = regions.clients["E"]
    abandoned, registered, young = random_phone("135"), random_phone("135"), random_phone("135")
    ghost = new_id()  # the member the crashed registration never committed
    _claim(regions, abandoned, ghost)
    member = east.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-E-001", name="陈静", phone=registered), timeout=10).member
    _claim(regions, young, new_id())
    _age(hq_sessions, abandoned, registered)
    with pytest.raises(grpc.RpcError) as stuck:  # what the cashier sees before the sweep
        east.members.RegisterMember(members_pb2.RegisterMemberRequest(
            request_id=new_id(), store_id="S-E-001", name="赵雷", phone=abandoned), timeout=10)
    assert stuck.value.code() == grpc.StatusCode.ALREADY_EXISTS

    channels = RegionChannels(hq_sessions, PLAINTEXT)
    region_members = RegionMembers(channels)
    try:
        assert release_abandoned_claims(hq_sessions, lambda region, member_id: None) == 0  # no answer: keep
        assert _held(hq_sessions, abandoned)
        assert release_abandoned_claims(hq_sessions, region_members) >= 1
    finally:
        channels.close()

    assert not _held(hq_sessions, abandoned)
    assert _held(hq_sessions, registered) and _held(hq_sessions, young)
    assert east.members.GetMember(members_pb2.GetMemberRequest(member_id=member.member_id), timeout=10).member.name == "陈静"
    assert _rows(regions.database_urls["hq"], "SELECT action, reason FROM audit_entries WHERE target_id = :id",
                 id=ghost) == [("phone_claim.release", "its registration never completed in the home region")]
    again = east.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-E-001", name="赵雷", phone=abandoned), timeout=10).member
    assert again.name == "赵雷"

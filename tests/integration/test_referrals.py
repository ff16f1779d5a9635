"""Referrals (M5, docs/adr/0044): every new member gets a referral code; a member registering with
one, in any region, has the code's holder as referrer, fixed and audited; unknown codes and
self-referral are refused with nothing written.

Real gRPC between HQ and two regions (E, W), real PostgreSQL, the real broker.
"""

from __future__ import annotations

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.referrals import ALPHABET
from chaincard.v1 import common_pb2, members_pb2
from tests.support.cards import assert_refused, random_phone
from tests.support.members import table_counts, wait_for_hq_member
from tests.support.sql import rows

# A broker of its own (tests/integration/conftest.py): HQ reads its topics from the start, and on the
# session broker it would first work through every other module's events (the import's 10,000 rows).
OWN_BROKER = True

STORE_E, STORE_W = "S-E-001", "S-W-001"


@pytest.fixture(scope="module")
def regions_working_directory(tmp_path_factory):  # type: ignore[no-untyped-def]
    return tmp_path_factory.mktemp("referrals-chain")


def _request(store_id: str, phone: str, referral_code: str = "", request_id: str = "") -> members_pb2.RegisterMemberRequest:
    return members_pb2.RegisterMemberRequest(
        request_id=request_id or new_id(), store_id=store_id, name="李雷", phone=phone, referral_code=referral_code,
        channel=common_pb2.REGISTRATION_CHANNEL_STORE, operator_id="cashier-7",
    )


def _referral_audits(regions, code: str, member_id: str) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    return rows(regions.database_urls[code], "SELECT after, actor FROM audit_log "
                "WHERE action = 'member.referred' AND target_id = :id", id=member_id)


def test_every_new_member_gets_a_code_of_unambiguous_characters(regions):
    member = regions.clients["E"].members.RegisterMember(_request(STORE_E, random_phone("139")), timeout=10).member
    assert len(member.referral_code) == 8 and set(member.referral_code) <= set(ALPHABET)
    assert member.referrer_member_id == ""
    found = regions.clients["W"].members.FindMember(
        members_pb2.FindMemberRequest(referral_code=member.referral_code.lower()), timeout=10).member
    assert found.member_id == member.member_id  # served by E, the region the code names


def test_a_member_of_another_region_registers_with_a_code_and_is_audited(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    referrer = east.members.RegisterMember(_request(STORE_E, random_phone("139")), timeout=10).member
    typed = f"{referrer.referral_code[:4].lower()}-{referrer.referral_code[4:]}"  # as a cashier may type it
    request = _request(STORE_W, random_phone("139"), typed)

    referee = west.members.RegisterMember(request, timeout=10).member

    assert referee.referrer_member_id == referrer.member_id and referee.home_region == "W"
    assert referee.referral_code != referrer.referral_code
    [(after, operator)] = _referral_audits(regions, "W", referee.member_id)
    assert after == {"referral_code": referrer.referral_code, "referrer_member_id": referrer.member_id,
                     "referrer_home_region": "E"}
    assert operator == "cashier-7"
    # A retry gets the original answer and writes nothing more.
    assert west.members.RegisterMember(request, timeout=10).member == referee
    assert len(_referral_audits(regions, "W", referee.member_id)) == 1
    shown = west.members.GetMember(members_pb2.GetMemberRequest(member_id=referee.member_id), timeout=10).member
    assert shown.referrer_member_id == referrer.member_id and shown.referral_code == referee.referral_code
    # HQ's member view shows both, through the members topic.
    wait_for_hq_member(regions, referee.member_id, lambda seen, _hmac: (seen.referral_code, seen.referrer_member_id)
                       == (referee.referral_code, referrer.member_id))


def test_a_code_of_the_same_region_works_too(regions):
    east = regions.clients["E"]
    referrer = east.members.RegisterMember(_request(STORE_E, random_phone("139")), timeout=10).member
    referee = east.members.RegisterMember(_request(STORE_E, random_phone("139"), referrer.referral_code), timeout=10).member
    assert referee.referrer_member_id == referrer.member_id
    assert len(_referral_audits(regions, "E", referee.member_id)) == 1


def test_unknown_malformed_and_own_codes_are_refused_with_nothing_written(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    phone = random_phone("139")
    referrer = east.members.RegisterMember(_request(STORE_E, phone), timeout=10).member
    tag = referrer.referral_code[:2]
    unknown = tag + ("222222" if referrer.referral_code[2:] != "222222" else "333333")
    before = {code: table_counts(regions.database_urls[code]) for code in ("E", "W")}

    for client, store in ((east, STORE_E), (west, STORE_W)):
        assert_refused(client.members.RegisterMember, _request(store, random_phone("139"), unknown),
                       grpc.StatusCode.NOT_FOUND, "referral_code")
    assert_refused(east.members.RegisterMember, _request(STORE_E, random_phone("139"), "O0I1-L"),
                   grpc.StatusCode.INVALID_ARGUMENT, "referral_code")
    # The referrer's own phone with the referrer's own code: a self-referral, said as such.
    assert_refused(east.members.RegisterMember, _request(STORE_E, phone, referrer.referral_code),
                   grpc.StatusCode.INVALID_ARGUMENT, "cannot refer themselves")

    assert {code: table_counts(regions.database_urls[code]) for code in ("E", "W")} == before


def test_an_erased_members_code_refers_no_one(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    phone = random_phone("139")
    erased = east.members.RegisterMember(_request(STORE_E, phone), timeout=10).member
    east.members.EraseMember(members_pb2.EraseMemberRequest(
        request_id=new_id(), member_id=erased.member_id, operator_id="cc-007", reason="member asked"), timeout=10)

    for client, store in ((east, STORE_E), (west, STORE_W)):
        assert_refused(client.members.RegisterMember, _request(store, random_phone("139"), erased.referral_code),
                       grpc.StatusCode.NOT_FOUND, "referral_code")
    assert_refused(west.members.FindMember, members_pb2.FindMemberRequest(referral_code=erased.referral_code),
                   grpc.StatusCode.NOT_FOUND)

"""Profile changes (M3): only the fields sent change, every change is audited with the profile
before and after (contact details masked), a new phone moves in HQ's chain-wide index, and a
refused change writes nothing.

Real gRPC between HQ and two regions, real PostgreSQL, the real broker carrying MemberUpdated to
HQ's read model.
"""

from __future__ import annotations

import json

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.v1 import common_pb2, members_pb2
from tests.support.cards import random_phone
from tests.support.members import hq_member, table_counts, wait_for_hq_member
from tests.support.sql import rows as _query

STORE_E, STORE_W = "S-E-001", "S-W-001"


@pytest.fixture(scope="module")
def regions_working_directory(tmp_path_factory):  # type: ignore[no-untyped-def]
    return tmp_path_factory.mktemp("member-updates-chain")


def _register(clients, phone: str) -> common_pb2.Member:  # type: ignore[no-untyped-def]
    return clients.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=STORE_E, name="王芳", phone=phone, email="wang.fang@example.com",
        tags=["tea", "vip"], custom_fields={"address": "西湖路 8 号"}, channel=common_pb2.REGISTRATION_CHANNEL_STORE,
    ), timeout=10).member


def _find_by_phone(clients, phone: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return clients.members.FindMember(members_pb2.FindMemberRequest(phone=phone), timeout=10).member.member_id
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        return None


def _update_audits(regions, member_id: str) -> list[tuple]:  # type: ignore[type-arg]
    return _query(regions.database_urls["E"], "SELECT before, after, reason, actor FROM audit_log "
                  "WHERE action = 'member.update' AND target_id = :id ORDER BY occurred_at", id=member_id)


def test_an_update_changes_only_the_fields_sent_and_is_audited_before_and_after(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    member = _register(east, random_phone("137"))

    # Sent to the West region: served at the member's home, the East.
    updated = west.members.UpdateMember(members_pb2.UpdateMemberRequest(
        request_id=new_id(), member_id=member.member_id, store_id=STORE_W, operator_id="cs-12", name="王芳芳",
        email="", custom_fields={"address": "", "shoe_size": "37"}, add_tags=["gift"], remove_tags=["vip"],
        reason="member asked at the counter"), timeout=10).member

    assert updated.name == "王芳芳" and updated.email == ""
    assert dict(updated.custom_fields) == {"shoe_size": "37"}
    assert list(updated.tags) == ["tea", "gift"]
    assert updated.phone_masked == member.phone_masked and updated.gender == member.gender  # not sent: unchanged
    [(before, after, reason, operator)] = _update_audits(regions, member.member_id)
    assert (reason, operator) == ("member asked at the counter", "cs-12")
    assert set(before) == set(after) == {"name", "email", "tags", "custom_fields"}
    assert before["name"] == "王芳" and after["name"] == "王芳芳"
    assert before["email"] != "wang.fang@example.com" and "@" in before["email"]  # masked, never in clear
    assert after["custom_fields"] == {"shoe_size": "37"}
    # HQ's member view follows through the members topic.
    wait_for_hq_member(regions, member.member_id, lambda seen, _hmac: seen.name == "王芳芳")


def test_a_new_phone_moves_in_the_chain_wide_index_and_frees_the_old_one(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    old_phone, new_phone = random_phone("137"), random_phone("137")
    member = _register(east, old_phone)
    _, old_hmac = wait_for_hq_member(regions, member.member_id, lambda seen, _hmac: True), hq_member(regions, member.member_id)[1]

    updated = east.members.UpdateMember(members_pb2.UpdateMemberRequest(
        request_id=new_id(), member_id=member.member_id, phone=new_phone, reason="new number"), timeout=10).member

    assert updated.phone_masked == f"{new_phone[:3]}****{new_phone[-4:]}"
    assert _find_by_phone(west, new_phone) == member.member_id  # through HQ's index, from the other region
    assert _find_by_phone(west, old_phone) is None and _find_by_phone(east, old_phone) is None
    [(before, after, _, _)] = _update_audits(regions, member.member_id)
    assert before == {"phone_masked": member.phone_masked} and after == {"phone_masked": updated.phone_masked}
    assert old_phone not in json.dumps([before, after]) and new_phone not in json.dumps([before, after])
    wait_for_hq_member(regions, member.member_id, lambda seen, hmac: hmac != old_hmac and seen.phone_masked == updated.phone_masked)
    # The old number is free again: another person can register with it, in either region.
    newcomer = west.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=STORE_W, name="李雷", phone=old_phone), timeout=10).member
    assert _find_by_phone(east, old_phone) == newcomer.member_id


def test_a_phone_held_by_another_member_is_refused_and_nothing_is_written(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    member, other_phone = _register(east, random_phone("137")), random_phone("137")
    west.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=STORE_W, name="韩梅梅", phone=other_phone), timeout=10)
    before = table_counts(regions.database_urls["E"])

    with pytest.raises(grpc.RpcError) as taken:
        east.members.UpdateMember(members_pb2.UpdateMemberRequest(
            request_id=new_id(), member_id=member.member_id, phone=other_phone, name="改名"), timeout=10)

    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS and taken.value.details().startswith("phone")
    assert table_counts(regions.database_urls["E"]) == before
    unchanged = east.members.GetMember(members_pb2.GetMemberRequest(member_id=member.member_id), timeout=10).member
    assert unchanged.name == "王芳" and unchanged.phone_masked == member.phone_masked


def test_retries_replay_the_first_answer_and_a_reused_id_is_refused(regions):
    east = regions.clients["E"]
    member = _register(east, random_phone("137"))
    request = members_pb2.UpdateMemberRequest(request_id=new_id(), member_id=member.member_id, add_tags=["again"])

    first = east.members.UpdateMember(request, timeout=10)
    assert east.members.UpdateMember(request, timeout=10) == first
    assert len(_update_audits(regions, member.member_id)) == 1
    request.add_tags.append("other")
    with pytest.raises(grpc.RpcError) as reused:
        east.members.UpdateMember(request, timeout=10)
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_nothing_to_change_writes_no_audit_entry(regions):
    east = regions.clients["E"]
    phone = random_phone("137")
    member = _register(east, phone)
    same = east.members.UpdateMember(members_pb2.UpdateMemberRequest(
        request_id=new_id(), member_id=member.member_id, phone=phone, name="王芳", add_tags=["tea"]), timeout=10).member
    assert same.phone_masked == member.phone_masked and list(same.tags) == ["tea", "vip"]
    assert _update_audits(regions, member.member_id) == []


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"phone": "12345"}, grpc.StatusCode.INVALID_ARGUMENT, "phone"),
    ({"name": "   "}, grpc.StatusCode.INVALID_ARGUMENT, "name"),
    ({"email": "not-an-address"}, grpc.StatusCode.INVALID_ARGUMENT, "email"),
    ({"birthday": "2999-01-01"}, grpc.StatusCode.INVALID_ARGUMENT, "birthday"),
    ({"add_tags": [f"t{index}" for index in range(19)]}, grpc.StatusCode.INVALID_ARGUMENT, "add_tags"),
    ({"member_id": ""}, grpc.StatusCode.INVALID_ARGUMENT, "member_id"),
    ({"member_id": new_id()}, grpc.StatusCode.NOT_FOUND, ""),
])
def test_bad_changes_are_refused_naming_the_field_and_write_nothing(regions, change, code, field):
    east = regions.clients["E"]
    member = _register(east, random_phone("137"))
    before = table_counts(regions.database_urls["E"])
    request = members_pb2.UpdateMemberRequest(request_id=new_id(), member_id=member.member_id)
    for name, value in change.items():
        if isinstance(value, list):
            getattr(request, name).extend(value)
        else:
            setattr(request, name, value)

    with pytest.raises(grpc.RpcError) as refused:
        east.members.UpdateMember(request, timeout=10)

    assert refused.value.code() == code and refused.value.details().startswith(field)
    assert table_counts(regions.database_urls["E"]) == before


def test_an_erased_member_cannot_be_filled_in_again(regions):
    east = regions.clients["E"]
    member = _register(east, random_phone("137"))
    east.members.EraseMember(members_pb2.EraseMemberRequest(
        request_id=new_id(), member_id=member.member_id, reason="member's deletion request"), timeout=10)
    before = table_counts(regions.database_urls["E"])

    with pytest.raises(grpc.RpcError) as refused:
        east.members.UpdateMember(members_pb2.UpdateMemberRequest(
            request_id=new_id(), member_id=member.member_id, name="王芳"), timeout=10)

    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "erased" in refused.value.details()
    assert table_counts(regions.database_urls["E"]) == before

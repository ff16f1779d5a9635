"""A member's own data (M7): exported in full, erased without breaking the ledger.

Real gRPC between HQ and two regions, real PostgreSQL, the real broker carrying MemberErased to
HQ's read model, and a real store agent in front of one region.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.security.client import bearer_metadata, issue_token
from chaincard.security.identity import Role, Scope
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    members_pb2,
    members_pb2_grpc,
    operators_pb2,
    operators_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    transactions_pb2,
)
from hq_service.operators import bootstrap_admin
from store_agent.bootstrap import start_store
from tests.support.cards import random_phone, recharge_card
from tests.support.ledger import assert_ledger_consistent
from tests.support.members import table_counts, wait_for_hq_member
from tests.support.sql import rows as _query

ERASED = "[erased]"
STORE = "S-E-001"
TEA = transactions_pb2.BasketLine(sku="TEA", name="Longjing", category="tea", quantity=1, unit_price_fen=12_000)


@pytest.fixture(scope="module")
def regions_working_directory(tmp_path_factory):  # type: ignore[no-untyped-def]
    return tmp_path_factory.mktemp("privacy-chain")


def _token() -> str:
    """A marker that appears nowhere else: the member's personal data is searched for by it."""
    return "Qz" + "".join(random.choices(string.ascii_lowercase, k=12))


def _register(clients, token: str, phone: str, store_id: str = STORE) -> common_pb2.Member:  # type: ignore[no-untyped-def]
    return clients.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=store_id, name=f"隐私 {token}", phone=phone, birthday="1990-05-17",
        gender=common_pb2.GENDER_FEMALE, email=f"{token}@example.com", custom_fields={"address": f"{token} Road 8, Hangzhou"},
        tags=[f"tag-{token}"], channel=common_pb2.REGISTRATION_CHANNEL_STORE), timeout=10).member


def _open_card(clients, member_id: str) -> str:  # type: ignore[no-untyped-def]
    return clients.cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id=STORE, member_id=member_id, card_type_code="SV"), timeout=10).card.card_number


def _spend(clients, card: str) -> None:  # type: ignore[no-untyped-def]
    clients.transactions.Checkout(transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=STORE, card_number=card, lines=[TEA]), timeout=10)


def _close(clients, card: str) -> cards_pb2.CloseCardResponse:  # type: ignore[no-untyped-def]
    return clients.cards.CloseCard(cards_pb2.CloseCardRequest(
        request_id=new_id(), store_id=STORE, card_number=card, refund_tender=common_pb2.TENDER_TYPE_CASH,
        reason="member leaves the programme"), timeout=10)


def _erase_request(member_id: str, request_id: str | None = None) -> members_pb2.EraseMemberRequest:
    return members_pb2.EraseMemberRequest(request_id=request_id or new_id(), member_id=member_id,
                                          operator_id="cc-007", reason="member's deletion request, ticket 2026-119")



def _tables_mentioning(url: str, needle: str) -> list[str]:
    """Every table with a row whose text form holds ``needle``, in clear or inside a bytea column
    (which PostgreSQL prints as hex): serialized messages are searched too."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            return [table for table in tables if connection.execute(
                text(f'SELECT COUNT(*) FROM "{table}" t WHERE t::text LIKE :plain OR t::text LIKE :hex'),
                {"plain": f"%{needle}%", "hex": f"%{needle.encode().hex()}%"},
            ).scalar_one()]
    finally:
        engine.dispose()


def _ledger_state(url: str) -> dict[str, object]:
    """Everything the ledger is: its rows (fingerprinted) and each system account's balance."""
    fingerprints = {
        table: _query(url, f"SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY {order}), '')) FROM {table} t")[0][0]
        for table, order in (("ledger_transactions", "transaction_id"), ("postings", "posting_id"),
                             ("ledger_accounts", "account_id"), ("receipts", "transaction_id"))
    }
    system = dict(_query(url, """
        SELECT a.account_id, COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0)
        FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id
        WHERE a.purpose <> 'CARD' GROUP BY a.account_id"""))
    return {"rows": fingerprints, "system_balances": system}


def test_export_returns_the_members_data_from_any_region_page_by_page(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    token = _token()
    member = _register(east, token, random_phone("136"))
    card = _open_card(east, member.member_id)
    recharge_card(east.transactions, card, 50_000, STORE)
    _spend(east, card)
    audits_before = table_counts(regions.database_urls["E"])["audit_log"]

    # Asked at the West region: forwarded to the member's home, the East.
    export = west.members.ExportMemberData(members_pb2.ExportMemberDataRequest(
        member_id=member.member_id, reason="member's access request"), timeout=10)
    assert export.member.member_id == member.member_id and export.member.home_region == "E"
    assert export.member.name == f"隐私 {token}" and export.member.email == f"{token}@example.com"
    assert export.member.birthday == "1990-05-17" and dict(export.member.custom_fields)["address"].startswith(token)
    assert export.member.phone_masked.count("*") == 4  # no answer carries a raw phone
    [exported_card] = export.cards
    assert exported_card.card_number == card and exported_card.balances.principal_fen == 38_000
    assert exported_card.balances.points == 120
    assert [item.type for item in export.transactions] == [common_pb2.TRANSACTION_TYPE_RECHARGE, common_pb2.TRANSACTION_TYPE_SPEND]
    assert not export.next_page_token and export.HasField("exported_at") and not export.HasField("erased_at")
    assert all(not entry.operator_id for entry in export.audit_entries)
    document = json.loads(export.json_document)
    assert document["member"]["name"] == f"隐私 {token}" and document["cards"][0]["card_number"] == card
    assert len(document["transactions"]) == 2

    # Paged: one transaction a page, oldest first; only the first page is audited.
    first = east.members.ExportMemberData(members_pb2.ExportMemberDataRequest(member_id=member.member_id, page_size=1), timeout=10)
    second = east.members.ExportMemberData(members_pb2.ExportMemberDataRequest(
        member_id=member.member_id, page_size=1, page_token=first.next_page_token), timeout=10)
    assert [t.transaction_id for t in (*first.transactions, *second.transactions)] == [t.transaction_id for t in export.transactions]
    assert second.next_page_token == "" and len(second.audit_entries) == 0
    exports = _query(regions.database_urls["E"], "SELECT actor, reason FROM audit_log WHERE action = 'member.export' "
                     "AND target_id = :id ORDER BY occurred_at", id=member.member_id)
    assert [reason for _, reason in exports] == ["member's access request", ""]
    assert table_counts(regions.database_urls["E"])["audit_log"] == audits_before + 2

    with pytest.raises(grpc.RpcError) as unknown:
        west.members.ExportMemberData(members_pb2.ExportMemberDataRequest(member_id=new_id()), timeout=10)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as bad_page:
        east.members.ExportMemberData(members_pb2.ExportMemberDataRequest(member_id=member.member_id, page_size=5_000), timeout=10)
    assert bad_page.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_page.value.details().startswith("page_size")


def test_erasure_is_refused_while_a_card_holds_principal_and_nothing_is_written(regions):
    east = regions.clients["E"]
    token = _token()
    member = _register(east, token, random_phone("136"))
    card = _open_card(east, member.member_id)
    recharge_card(east.transactions, card, 20_000, STORE)
    before, ledger = table_counts(regions.database_urls["E"]), _ledger_state(regions.database_urls["E"])
    request = _erase_request(member.member_id)
    with pytest.raises(grpc.RpcError) as refused:
        east.members.EraseMember(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert card in refused.value.details() and "principal ¥200.00" in refused.value.details()
    assert table_counts(regions.database_urls["E"]) == before and _ledger_state(regions.database_urls["E"]) == ledger
    [(name, erased_at)] = _query(regions.database_urls["E"], "SELECT name, erased_at FROM members WHERE member_id = :id",
                                 id=member.member_id)
    assert name == f"隐私 {token}" and erased_at is None

    # A card that is merely open (nothing on it) stands in the way too: it could still be used.
    empty_holder = _register(east, _token(), random_phone("136"))
    empty_card = _open_card(east, empty_holder.member_id)
    with pytest.raises(grpc.RpcError) as usable:
        east.members.EraseMember(_erase_request(empty_holder.member_id), timeout=10)
    assert usable.value.code() == grpc.StatusCode.FAILED_PRECONDITION and f"card {empty_card} is active" in usable.value.details()

    # The same request_id once the card is closed: the refusal was not remembered, so it now succeeds.
    _close(east, card)
    assert east.members.EraseMember(request, timeout=10).member.name == ERASED


def test_erasure_forgets_the_member_everywhere_and_leaves_the_ledger_as_it_was(regions):
    east, west = regions.clients["E"], regions.clients["W"]
    east_url, hq_url = regions.database_urls["E"], regions.database_urls["hq"]
    token, phone = _token(), random_phone("136")
    registration = members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id=STORE, name=f"隐私 {token}", phone=phone, email=f"{token}@example.com",
        birthday="1988-02-29", custom_fields={"address": f"{token} Lane 3"}, channel=common_pb2.REGISTRATION_CHANNEL_STORE)
    member = east.members.RegisterMember(registration, timeout=10).member
    card = _open_card(east, member.member_id)
    recharge_card(east.transactions, card, 50_000, STORE)
    _spend(east, card)
    closed = _close(east, card)
    assert closed.principal_refunded_fen == 38_000
    wait_for_hq_member(regions, member.member_id, lambda view, phone_hmac: view.name == f"隐私 {token}" and phone_hmac)
    assert _tables_mentioning(east_url, token) and _tables_mentioning(hq_url, token)
    ledger = _ledger_state(east_url)
    transactions = assert_ledger_consistent(east_url)

    request = _erase_request(member.member_id)
    erased = east.members.EraseMember(request, timeout=10)
    assert erased.member.member_id == member.member_id and erased.member.home_region == "E"
    assert (erased.member.name, erased.member.phone_masked, erased.member.email, erased.member.birthday) == (ERASED, ERASED, "", "")
    assert erased.member.gender == common_pb2.GENDER_UNSPECIFIED and not erased.member.custom_fields and not erased.member.tags
    assert erased.member.registered_store_id == STORE and erased.HasField("erased_at") and not erased.already_erased

    # The home region keeps no personal data: not in the member row, nor in the answers kept for
    # replays, nor in its outbox; a late retry of the registration gets the erased member back.
    [row] = _query(east_url, "SELECT name, phone, phone_hmac, birthday, email, custom_fields::text, tags::text, erased_at "
                   "FROM members WHERE member_id = :id", id=member.member_id)
    assert row[:2] == (ERASED, "") and row[2] == f"erased:{member.member_id}" and row[3:7] == (None, "", "{}", "[]")
    assert row[7] is not None
    assert _tables_mentioning(east_url, token) == [] and _tables_mentioning(east_url, phone) == []
    assert east.members.RegisterMember(registration, timeout=10).member.name == ERASED
    assert east.members.GetMember(members_pb2.GetMemberRequest(member_id=member.member_id), timeout=10).member.name == ERASED

    # The ledger is untouched: same rows, same system balances, still consistent; the card stays closed.
    assert _ledger_state(east_url) == ledger
    assert assert_ledger_consistent(east_url) == transactions
    assert east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card.state == common_pb2.CARD_STATE_CLOSED

    # Audited, without personal data.
    [(actor, reason, before, after)] = _query(
        east_url, "SELECT actor, reason, before::text, after::text FROM audit_log WHERE action = 'member.erase' AND target_id = :id",
        id=member.member_id)
    assert actor == "cc-007" and reason.startswith("member's deletion request")
    assert '"name"' in before and token not in before + after and '"erased": true' in after

    # HQ forgets the profile once MemberErased arrives, and the phone is free again.
    seen = wait_for_hq_member(regions, member.member_id, lambda view, phone_hmac: view.name == ERASED and phone_hmac == "")
    assert seen.email == "" and seen.registered_store_id == STORE
    assert _tables_mentioning(hq_url, token) == []
    assert _query(hq_url, "SELECT COUNT(*) FROM phone_claims WHERE member_id = :id", id=member.member_id)[0][0] == 0
    newcomer = west.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-W-001", name="New Holder", phone=phone), timeout=10).member
    assert newcomer.member_id != member.member_id and newcomer.home_region == "W"

    # Idempotent: the same request_id (even through another region) gets the original answer and
    # writes nothing; a new request_id finds the member already erased.
    audits = table_counts(east_url)["audit_log"]
    assert west.members.EraseMember(request, timeout=10) == erased
    again = east.members.EraseMember(_erase_request(member.member_id), timeout=10)
    assert again.already_erased and again.erased_at == erased.erased_at and again.member == erased.member
    assert table_counts(east_url)["audit_log"] == audits
    with pytest.raises(grpc.RpcError) as reused:
        east.members.EraseMember(members_pb2.EraseMemberRequest(
            request_id=request.request_id, member_id=member.member_id, reason="something else"), timeout=10)
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS

    # The export of an erased member says so, and holds nothing personal.
    export = west.members.ExportMemberData(members_pb2.ExportMemberDataRequest(member_id=member.member_id), timeout=10)
    assert export.member.name == ERASED and export.erased_at == erased.erased_at and token not in export.json_document
    assert [item.card_number for item in export.cards] == [card] and len(export.transactions) == 3


@pytest.mark.parametrize(("fields", "field"), [({"member_id": ""}, "member_id"), ({"reason": ""}, "reason"),
                                               ({"request_id": ""}, "request_id")])
def test_bad_erasure_requests_name_the_field(regions, fields, field):
    request = _erase_request(new_id())
    for name, value in fields.items():
        setattr(request, name, value)
    with pytest.raises(grpc.RpcError) as refused:
        regions.clients["E"].members.EraseMember(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and refused.value.details().startswith(field)


@pytest.fixture(scope="module")
def store_members(regions, tmp_path_factory) -> Iterator[members_pb2_grpc.MemberServiceStub]:
    """A store agent of S-E-001, in front of the East region."""
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    database = f"sqlite:///{tmp_path_factory.mktemp('privacy-store') / 'store.sqlite'}"
    running = start_store(Settings(listen="127.0.0.1:0", store_id=STORE, region_endpoint=endpoint, database_url=database,
                                   rpc_deadline_seconds=5.0, insecure=True))
    channel = open_channel(f"127.0.0.1:{running.port}")
    try:
        yield members_pb2_grpc.MemberServiceStub(channel)
    finally:
        channel.close()
        running.stop(grace=1)


def test_the_store_agent_passes_export_and_erasure_to_its_region(regions, store_members):
    token = _token()
    member = _register(regions.clients["E"], token, random_phone("136"))
    export = store_members.ExportMemberData(members_pb2.ExportMemberDataRequest(
        member_id=member.member_id, operator_id="", reason="asked at the till"), timeout=10)
    assert export.member.name == f"隐私 {token}" and export.cards == []
    [store_id] = _query(regions.database_urls["E"], "SELECT store_id FROM audit_log WHERE action = 'member.export' "
                        "AND target_id = :id", id=member.member_id)[0]
    assert store_id == STORE  # the agent names its own store
    erased = store_members.EraseMember(_erase_request(member.member_id), timeout=10)
    assert erased.member.name == ERASED
    assert _tables_mentioning(regions.database_urls["E"], token) == []


def _operator_tokens(regions, operators: dict[str, tuple[Role, Scope]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Operators created at HQ by a bootstrapped HQ admin, each logged in: operator id → token."""
    engine = make_engine(regions.database_urls["hq"])
    try:
        with make_session_factory(engine).begin() as session:
            bootstrap_admin(session, "OP-PRIVACY-ADMIN", "privacy admin password", login_name="privacy-admin")
    finally:
        engine.dispose()
    with open_channel(regions.hq_endpoint) as hq:
        admin = issue_token(hq, "privacy-admin", "privacy admin password").token
        tokens = {}
        for operator_id, (role, scope) in operators.items():
            operators_pb2_grpc.OperatorServiceStub(hq).UpsertOperator(operators_pb2.UpsertOperatorRequest(
                request_id=new_id(), initial_password=f"{operator_id} password", operator=operators_pb2.Operator(
                    operator_id=operator_id, login_name=operator_id.lower(), display_name=operator_id, role=role.value,
                    scope=scope.to_proto(), active=True)), timeout=10, metadata=bearer_metadata(admin))
            tokens[operator_id] = issue_token(hq, operator_id.lower(), f"{operator_id} password").token
    return tokens


def test_operators_export_and_erase_only_members_inside_their_scope(regions):
    east, east_url = regions.clients["E"], regions.database_urls["E"]
    tokens = _operator_tokens(regions, {
        "OP-CC-WEST": (Role.CALL_CENTER, Scope.region("W")),
        "OP-CC-CHAIN": (Role.CALL_CENTER, Scope.chain()),
        "OP-SM-E002": (Role.STORE_MANAGER, Scope.store("S-E-002")),
        "OP-CASHIER": (Role.CASHIER, Scope.store("S-E-001")),
    })
    token = _token()
    member = _register(east, token, random_phone("136"))  # registered at S-E-001, homed in the East
    before = table_counts(east_url)

    def refused(call, request, operator_id: str) -> grpc.RpcError:  # type: ignore[no-untyped-def]
        with pytest.raises(grpc.RpcError) as error:
            call(request, timeout=10, metadata=bearer_metadata(tokens[operator_id]))
        return error.value

    export = members_pb2.ExportMemberDataRequest(member_id=member.member_id, reason="access request")
    erase = _erase_request(member.member_id)
    # Another store's manager, a West call-center agent, a cashier: refused before anything is written.
    assert refused(east.members.ExportMemberData, export, "OP-SM-E002").code() == grpc.StatusCode.PERMISSION_DENIED
    assert refused(east.members.EraseMember, erase, "OP-CC-WEST").code() == grpc.StatusCode.PERMISSION_DENIED
    assert refused(east.members.EraseMember, erase, "OP-CASHIER").code() == grpc.StatusCode.PERMISSION_DENIED
    assert table_counts(east_url) == before

    # The chain's call center exports and erases; the audit log names the operator.
    chain = bearer_metadata(tokens["OP-CC-CHAIN"])
    assert east.members.ExportMemberData(export, timeout=10, metadata=chain).member.name == f"隐私 {token}"
    assert east.members.EraseMember(erase, timeout=10, metadata=chain).member.name == ERASED
    actors = _query(east_url, "SELECT action, actor FROM audit_log WHERE target_id = :id ORDER BY occurred_at", id=member.member_id)
    assert actors == [("member.export", "OP-CC-CHAIN"), ("member.erase", "OP-CC-CHAIN")]

"""The chain's audit log at HQ (H4): region actions arrive through the broker, HQ records its own
actions with the operator who did them, AuditService lists them within the caller's scope (filters,
paging, bad arguments), redelivery adds nothing, the table refuses changes, and the CLI exports.

Two HQs: the regions fixture's chain (HQ, two regions, the real broker) for everything that travels
as events, and an HQ of this module behind real mTLS and the authorising interceptor, where the
operators log in and act with tokens.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from chaincard.commands import UnitOfWork
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.envelope import wrap
from chaincard.events.replay import replay_outbox
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.rpc.channels import open_channel
from chaincard.rpc.interceptors import DomainErrorInterceptor
from chaincard.security.authz import PEERS_OF_HQ, AuthorizationInterceptor
from chaincard.security.certs import init_certificates
from chaincard.security.client import bearer_metadata, issue_token
from chaincard.security.identity import Role, Scope
from chaincard.security.tls import TlsFiles, add_port, secure_channel
from chaincard.security.tokens import SigningKeyStore, TokenVerifier
from chaincard.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    cards_pb2,
    directory_pb2,
    directory_pb2_grpc,
    events_pb2,
    members_pb2,
    operators_pb2,
    operators_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
)
from hq_service.audit_log import AuditCollector, AuditLogIsAppendOnly, refusal_recorder
from hq_service.audit_query import AuditServicer
from hq_service.bootstrap import hq_commands
from hq_service.handlers import directory
from hq_service.models import AuditLogEntry, ProcessedEvent
from hq_service.operators import (
    OperatorContext,
    bootstrap_admin,
    hq_directory,
    local_key_source,
)
from hq_service.servicers import DirectoryServicer, OperatorServicer, ProgramConfigServicer
from region_service.models import OutboxMessage

# HQ's views in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True

DEADLINE = 10.0
ADMIN_PASSWORD = "correct horse battery"
FA_PASSWORD = "aurora-admin-password"
FREEZE = "card.freeze"


def _rpc(service: str, method: str) -> str:
    return f"chaincard.v1.{service}/{method}"


def _list(stub: audit_pb2_grpc.AuditServiceStub, token: str | None = None, **filters: Any) -> audit_pb2.ListAuditEntriesResponse:
    metadata = bearer_metadata(token) if token else None
    return stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(**filters), timeout=DEADLINE, metadata=metadata)


def _all(stub: audit_pb2_grpc.AuditServiceStub, token: str | None = None, **filters: Any) -> list[audit_pb2.AuditEntry]:
    entries: list[audit_pb2.AuditEntry] = []
    page_token = ""
    while True:
        page = _list(stub, token, page_token=page_token, **filters)
        entries += page.entries
        if not page.next_page_token:
            return entries
        page_token = page.next_page_token


def _wait_for(find: Callable[[], list[audit_pb2.AuditEntry]], timeout: float = 60.0) -> list[audit_pb2.AuditEntry]:
    """Until HQ has collected what ``find`` looks for (the relay and the consumer take a moment)."""
    deadline = time.monotonic() + timeout
    while not (found := find()):
        assert time.monotonic() < deadline, "HQ never collected the audit entry"
        time.sleep(0.2)
    return found


def _status(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str]:
    try:
        call()
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as error:
        return error.code(), error.details()


# ---- the chain: regions publish, HQ collects ---------------------------------------------------------


@pytest.fixture(scope="module")
def chain(regions):  # type: ignore[no-untyped-def]
    """The regions of this module, under the name its tests use."""
    return regions


@pytest.fixture(scope="module")
def hq_audit(chain) -> Iterator[audit_pb2_grpc.AuditServiceStub]:  # type: ignore[no-untyped-def]
    with open_channel(chain.hq_endpoint) as channel:
        yield audit_pb2_grpc.AuditServiceStub(channel)


@dataclass
class FrozenCard:
    card_number: str
    since: datetime


@pytest.fixture(scope="module")
def frozen_card(chain, hq_audit) -> FrozenCard:  # type: ignore[no-untyped-def]
    """A card of the East region frozen by a store manager at S-E-001, collected by HQ."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    east = chain.clients["E"]
    member = east.members.RegisterMember(members_pb2.RegisterMemberRequest(
        request_id=new_id(), store_id="S-E-001", name="审计 Audit", phone=f"136{random.randint(0, 99_999_999):08d}"),
        timeout=DEADLINE).member
    card = east.cards.OpenCard(cards_pb2.OpenCardRequest(
        request_id=new_id(), store_id="S-E-001", member_id=member.member_id, card_type_code="SV"), timeout=DEADLINE).card
    east.cards.FreezeCard(cards_pb2.FreezeCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card.card_number, operator_id="STAFF-E-7",
        reason="card reported skimmed"), timeout=DEADLINE)
    _wait_for(lambda: list(_list(hq_audit, target_id=card.card_number, action=FREEZE).entries))
    return FrozenCard(card.card_number, since)


def test_a_region_action_reaches_hq_with_who_what_where_before_and_after(hq_audit, frozen_card) -> None:
    [entry] = _list(hq_audit, target_id=frozen_card.card_number, action=FREEZE).entries
    assert (entry.operator_id, entry.action, entry.target_type, entry.reason) == (
        "STAFF-E-7", FREEZE, "card", "card reported skimmed")
    assert (entry.store_id, entry.franchisee_id, entry.region_code) == ("S-E-001", "F-HQ", "E")
    assert entry.producer == "region_service/E" and entry.outcome == "OK" and entry.request_id
    assert json.loads(entry.before_json) == {"state": "ACTIVE"} and json.loads(entry.after_json) == {"state": "FROZEN"}
    assert frozen_card.since <= entry.occurred_at.ToDatetime(tzinfo=UTC) <= datetime.now(UTC)


def test_an_hq_directory_change_is_recorded_with_the_state_before_and_after(chain, hq_audit) -> None:
    store = directory_pb2.Store(store_id="S-E-009", name="Suzhou Pingjiang", region_code="E", franchisee_id="F-AURORA",
                                time_zone="Asia/Shanghai")
    with open_channel(chain.hq_endpoint) as channel:
        stub = directory_pb2_grpc.DirectoryServiceStub(channel)
        stub.UpsertStore(directory_pb2.UpsertStoreRequest(request_id=new_id(), store=store), timeout=DEADLINE)
        store.name = "Suzhou Pingjiang Road"
        request_id = new_id()
        stub.UpsertStore(directory_pb2.UpsertStoreRequest(request_id=request_id, store=store), timeout=DEADLINE)
    changed, created = _list(hq_audit, action=_rpc("DirectoryService", "UpsertStore"), target_id="S-E-009").entries
    assert created.before_json == "" and json.loads(created.after_json)["name"] == "Suzhou Pingjiang"
    assert json.loads(changed.before_json)["name"] == "Suzhou Pingjiang"
    assert json.loads(changed.after_json).items() >= {"store_id": "S-E-009", "name": "Suzhou Pingjiang Road", "region_code": "E",
                                                      "franchisee_id": "F-AURORA", "time_zone": "Asia/Shanghai"}.items()
    assert (changed.target_type, changed.request_id, changed.producer) == ("store", request_id, "hq_service")
    assert (changed.store_id, changed.franchisee_id, changed.region_code) == ("S-E-009", "F-AURORA", "E")


def test_redelivered_entries_are_stored_once(chain, regions_broker, hq_audit, frozen_card) -> None:
    # The region publishes its outbox again (as after a broker lost data): HQ drops the repeats.
    engine = make_engine(chain.database_urls["E"], pool_size=1)
    try:
        replay_outbox(make_session_factory(engine), OutboxMessage, regions_broker.bootstrap, frozen_card.since)
    finally:
        engine.dispose()
    # An unfreeze of the same card lands behind the replayed freeze in the same partition (key =
    # card number): once HQ has it, it has been through the replay.
    chain.clients["E"].cards.UnfreezeCard(cards_pb2.UnfreezeCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=frozen_card.card_number, operator_id="STAFF-E-7",
        reason="card replaced the reader"), timeout=DEADLINE)
    _wait_for(lambda: list(_list(hq_audit, target_id=frozen_card.card_number, action="card.unfreeze").entries))
    assert len(_list(hq_audit, target_id=frozen_card.card_number, action=FREEZE).entries) == 1

    # The same event twice, and the same entry under another event id: one row.
    [entry] = _list(hq_audit, target_id=frozen_card.card_number, action=FREEZE).entries
    engine = make_engine(chain.database_urls["hq"], pool_size=1)
    try:
        sessions = make_session_factory(engine)
        consumer = IdempotentConsumer(name="test.hq-audit", bootstrap="unused:9092", topics=[], session_factory=sessions,
                                      processed_model=ProcessedEvent, handle=AuditCollector().apply)
        event = wrap(events_pb2.AuditEntryRecorded(entry=entry), producer="region_service/E", aggregate_id=entry.target_id)
        again = wrap(events_pb2.AuditEntryRecorded(entry=entry), producer="region_service/E", aggregate_id=entry.target_id)
        assert consumer.apply(event.SerializeToString()) is True
        assert consumer.apply(event.SerializeToString()) is False
        assert consumer.apply_all([again.SerializeToString()]) == 1  # a new event id: applied, but no new row
        with sessions() as session:
            count = session.execute(select(func.count()).select_from(AuditLogEntry).where(AuditLogEntry.entry_id == entry.entry_id))
            assert count.scalar_one() == 1
    finally:
        engine.dispose()


def test_the_audit_table_refuses_every_change(chain, frozen_card) -> None:
    engine = make_engine(chain.database_urls["hq"], pool_size=1)
    try:
        for statement in ("UPDATE audit_entries SET reason = 'nothing happened'", "DELETE FROM audit_entries",
                          "TRUNCATE audit_entries"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        sessions = make_session_factory(engine)
        with pytest.raises(AuditLogIsAppendOnly), sessions.begin() as session:
            entry = session.execute(select(AuditLogEntry).where(AuditLogEntry.target_id == frozen_card.card_number)).scalars().first()
            entry.reason = "rewritten"
        with sessions() as session:
            reasons = session.execute(select(AuditLogEntry.reason).where(AuditLogEntry.target_id == frozen_card.card_number)).scalars()
            assert "rewritten" not in set(reasons)
    finally:
        engine.dispose()


def _cli(*arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CHAINCARD_INSECURE": "1"})  # the fixtures' HQ runs --insecure
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_cli_lists_and_exports_csv_and_xlsx(chain, frozen_card, tmp_path) -> None:
    shown = _cli("audit", "list", "--target", frozen_card.card_number, "--hq", chain.hq_endpoint)
    assert FREEZE in shown and "STAFF-E-7" in shown

    period = ["--from", frozen_card.since.isoformat(), "--to", (datetime.now(UTC) + timedelta(minutes=1)).isoformat()]
    csv_path, xlsx_path = tmp_path / "audit.csv", tmp_path / "audit.xlsx"
    _cli("audit", "export", *period, "--store", "S-E-001", "--format", "csv", "--out", str(csv_path), "--hq", chain.hq_endpoint)
    _cli("audit", "export", *period, "--store", "S-E-001", "--format", "xlsx", "--out", str(xlsx_path), "--hq", chain.hq_endpoint)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_path, read_only=True).active
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    xlsx_rows = [dict(zip(header, ["" if cell is None else cell for cell in row], strict=True)) for row in values]
    assert csv_rows and all(row["store"] == "S-E-001" for row in csv_rows)
    assert [row["entry id"] for row in csv_rows] == [row["entry id"] for row in xlsx_rows]
    [frozen] = [row for row in csv_rows if row["target"] == frozen_card.card_number and row["action"] == FREEZE]
    assert (frozen["operator"], frozen["reason"], frozen["franchisee"]) == ("STAFF-E-7", "card reported skimmed", "F-HQ")
    assert json.loads(frozen["after"]) == {"state": "FROZEN"}


# ---- an HQ behind mTLS and the interceptor: operators act with tokens ----------------------------------
@dataclass
class SecuredHq:
    channel: grpc.Channel
    admin_token: str

    @property
    def audit(self) -> audit_pb2_grpc.AuditServiceStub:
        return audit_pb2_grpc.AuditServiceStub(self.channel)

    @property
    def operators(self) -> operators_pb2_grpc.OperatorServiceStub:
        return operators_pb2_grpc.OperatorServiceStub(self.channel)

    def login(self, login_name: str, password: str) -> operators_pb2.IssueTokenResponse:
        return issue_token(self.channel, login_name, password, deadline=DEADLINE)

    def upsert_operator(self, token: str, operator_id: str, role: Role, scope: Scope, password: str) -> None:
        operator = operators_pb2.Operator(operator_id=operator_id, login_name=operator_id.lower(), display_name=operator_id,
                                          role=role.value, scope=scope.to_proto(), active=True)
        self.operators.UpsertOperator(operators_pb2.UpsertOperatorRequest(
            request_id=new_id(), operator=operator, initial_password=password), timeout=DEADLINE, metadata=bearer_metadata(token))


@pytest.fixture(scope="module")
def secured(postgres, tmp_path_factory) -> Iterator[SecuredHq]:  # type: ignore[no-untyped-def]
    name = f"cctest_audit_hq_{new_id()[-10:]}"
    url = postgres.url_for(name)
    upgrade_to_head("hq_service", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:  # set up as "system" (no caller)
        for region in demo_data.REGIONS:
            directory.upsert_region(UnitOfWork(session), directory_pb2.UpsertRegionRequest(request_id=new_id(), region=region))
        for franchisee in demo_data.FRANCHISEES:
            directory.upsert_franchisee(UnitOfWork(session), directory_pb2.UpsertFranchiseeRequest(request_id=new_id(), franchisee=franchisee))
        for store in demo_data.STORES:
            directory.upsert_store(UnitOfWork(session), directory_pb2.UpsertStoreRequest(request_id=new_id(), store=store))
        bootstrap_admin(session, "OP-ADMIN", ADMIN_PASSWORD, login_name="admin")
    certs = tmp_path_factory.mktemp("audit-certs")
    init_certificates(certs, ["hq", "client:ops"])
    ctx = OperatorContext(sessions, SigningKeyStore(tmp_path_factory.mktemp("audit-keys")))
    commands = hq_commands(ctx)
    authz = AuthorizationInterceptor(TokenVerifier(local_key_source(ctx, refresh_seconds=0)), accepted_peers=PEERS_OF_HQ,
                                     directory=hq_directory(sessions, refresh_seconds=0), on_denied=refusal_recorder(sessions))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), interceptors=[authz, DomainErrorInterceptor()])
    directory_pb2_grpc.add_DirectoryServiceServicer_to_server(DirectoryServicer(sessions, commands), server)
    program_config_pb2_grpc.add_ProgramConfigServiceServicer_to_server(ProgramConfigServicer(sessions, commands), server)
    operators_pb2_grpc.add_OperatorServiceServicer_to_server(OperatorServicer(ctx, commands), server)
    audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(sessions), server)
    port = add_port(server, "127.0.0.1:0", TlsFiles.from_directory(certs, "hq"))
    server.start()
    channel = secure_channel(f"127.0.0.1:{port}", TlsFiles.from_directory(certs, "client:ops"), expected_server="hq")
    try:
        admin_token = issue_token(channel, "admin", ADMIN_PASSWORD, deadline=DEADLINE).token
        yield SecuredHq(channel, admin_token)
    finally:
        channel.close()
        server.stop(0).wait()
        engine.dispose()
        postgres.drop_database(name)


def test_hq_actions_name_the_operator_and_never_a_secret(secured: SecuredHq) -> None:
    store = directory_pb2.Store()
    store.CopyFrom(demo_data.STORES[0])  # S-E-001, F-HQ
    store.name = "Shanghai Jing'an (renovated)"
    stub = directory_pb2_grpc.DirectoryServiceStub(secured.channel)
    stub.UpsertStore(directory_pb2.UpsertStoreRequest(request_id=new_id(), store=store), timeout=DEADLINE,
                     metadata=bearer_metadata(secured.admin_token))
    [changed, seeded] = _list(secured.audit, secured.admin_token, action=_rpc("DirectoryService", "UpsertStore"),
                              target_id="S-E-001").entries
    assert (changed.operator_id, changed.operator_role, changed.operator_scope) == ("OP-ADMIN", "OPERATOR_ROLE_HQ_ADMIN", "chain")
    assert json.loads(changed.before_json)["name"] == "Shanghai Jing'an"
    assert json.loads(changed.after_json)["name"] == "Shanghai Jing'an (renovated)"
    assert seeded.operator_id == "" and seeded.before_json == ""  # the set-up ran as the system

    secured.upsert_operator(secured.admin_token, "OP-AUDIT-C", Role.CASHIER, Scope.store("S-W-002"), "cashier-password-1")
    login = secured.login("op-audit-c", "cashier-password-1")
    [created] = _list(secured.audit, secured.admin_token, action=_rpc("OperatorService", "UpsertOperator"),
                      target_id="OP-AUDIT-C").entries
    assert created.operator_id == "OP-ADMIN" and created.before_json == ""
    assert json.loads(created.after_json)["role"] == "OPERATOR_ROLE_CASHIER"
    assert (created.store_id, created.franchisee_id, created.region_code) == ("S-W-002", "F-BAMBOO", "W")
    [issued] = _list(secured.audit, secured.admin_token, action=_rpc("OperatorService", "IssueToken"),
                     target_id=login.token_id).entries
    assert (issued.operator_id, issued.operator_role, issued.target_type) == ("OP-AUDIT-C", "OPERATOR_ROLE_CASHIER", "token")
    assert json.loads(issued.after_json)["expires_at"] == login.expires_at.seconds

    operators_pb2_grpc.OperatorServiceStub(secured.channel).RevokeToken(operators_pb2.RevokeTokenRequest(
        request_id=new_id(), token_id=login.token_id), timeout=DEADLINE, metadata=bearer_metadata(secured.admin_token))
    [revoked] = _list(secured.audit, secured.admin_token, action=_rpc("OperatorService", "RevokeToken")).entries
    assert json.loads(revoked.before_json)["revoked_at"] is None
    assert json.loads(revoked.after_json)["revoked_by"] == "OP-ADMIN"
    assert _status(lambda: secured.login("op-audit-c", "a wrong password"))[0] == grpc.StatusCode.UNAUTHENTICATED
    [failed] = _list(secured.audit, secured.admin_token, action=_rpc("OperatorService", "IssueToken"), target_id="OP-AUDIT-C").entries
    assert failed.outcome == "UNAUTHENTICATED" and json.loads(failed.after_json)["failed_logins"] == 1

    everything = " ".join(entry.before_json + entry.after_json for entry in _all(secured.audit, secured.admin_token))
    for secret in (ADMIN_PASSWORD, "cashier-password-1", "a wrong password", "scrypt$", "password_hash", secured.admin_token,
                   login.token):
        assert secret not in everything


def test_a_franchisee_admin_sees_its_own_franchisee_only(secured: SecuredHq) -> None:
    secured.upsert_operator(secured.admin_token, "OP-AUDIT-FA", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"), FA_PASSWORD)
    fa_token = secured.login("op-audit-fa", FA_PASSWORD).token
    secured.upsert_operator(fa_token, "OP-AUDIT-SM", Role.STORE_MANAGER, Scope.store("S-E-002"), "manager-password-1")

    seen = _all(secured.audit, fa_token)
    assert {entry.franchisee_id for entry in seen} == {"F-AURORA"}
    assert {"OP-AUDIT-FA", "OP-AUDIT-SM", "S-E-002"} <= {entry.target_id for entry in seen}
    [staff] = [entry for entry in seen if entry.target_id == "OP-AUDIT-SM"]
    assert (staff.operator_id, staff.operator_scope) == ("OP-AUDIT-FA", "franchisee:F-AURORA")

    # Asking for another franchisee is refused, and the refusal is itself audited.
    code, _ = _status(lambda: _list(secured.audit, fa_token, franchisee_id="F-HQ"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    [refused] = _list(secured.audit, secured.admin_token, action=_rpc("AuditService", "ListAuditEntries")).entries
    assert (refused.outcome, refused.operator_id, refused.franchisee_id) == ("PERMISSION_DENIED", "OP-AUDIT-FA", "F-AURORA")


def test_filters_combine_pages_run_newest_first_and_bad_arguments_name_the_field(secured: SecuredHq) -> None:
    program = program_config_pb2_grpc.ProgramConfigServiceStub(secured.channel)
    for number in range(7):
        level = program_config_pb2.Level(code=f"AUD{number}", name=f"Audit level {number}", rank=number,
                                         points_multiplier_bp=10_000)
        program.UpsertLevel(program_config_pb2.UpsertLevelRequest(request_id=new_id(), level=level), timeout=DEADLINE,
                            metadata=bearer_metadata(secured.admin_token))
    upsert_level = _rpc("ProgramConfigService", "UpsertLevel")
    pages, page_token = [], ""
    while True:
        page = _list(secured.audit, secured.admin_token, action=upsert_level, page_size=3, page_token=page_token)
        pages.append([entry.target_id for entry in page.entries])
        if not page.next_page_token:
            break
        page_token = page.next_page_token
    assert pages == [["level:AUD6", "level:AUD5", "level:AUD4"], ["level:AUD3", "level:AUD2", "level:AUD1"], ["level:AUD0"]]

    assert [entry.target_id for entry in _list(secured.audit, secured.admin_token, action=upsert_level,
                                               target_id="level:AUD3").entries] == ["level:AUD3"]
    assert not _list(secured.audit, secured.admin_token, action=upsert_level, target_type="store").entries
    assert not _list(secured.audit, secured.admin_token, action=upsert_level, operator_id="OP-SOMEONE-ELSE").entries
    entries = _all(secured.audit, secured.admin_token, action=upsert_level)
    window = _list(secured.audit, secured.admin_token, action=upsert_level, start_time=entries[-1].occurred_at,
                   end_time=entries[0].occurred_at).entries
    assert [entry.target_id for entry in window] == [entry.target_id for entry in entries[1:]]

    for request, field in ((dict(page_size=1001), "page_size"), (dict(page_size=-1), "page_size"),
                           (dict(page_token="not a token"), "page_token"), (dict(operator_id="x" * 200), "operator_id"),
                           (dict(start_time=entries[0].occurred_at, end_time=entries[-1].occurred_at), "end_time")):
        code, details = _status(lambda request=request: _list(secured.audit, secured.admin_token, **request))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith(field), (request, details)

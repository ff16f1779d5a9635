"""OperatorService on PostgreSQL behind real mTLS and the authorising interceptor: log-in, tokens,
revocation, lock-out, who may manage whom; and the 0004 migration."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from sqlalchemy import inspect

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.ids import new_id
from chaincard.rpc.interceptors import DomainErrorInterceptor
from chaincard.security.authz import PEERS_OF_HQ, AuthorizationInterceptor, Directory
from chaincard.security.certs import init_certificates
from chaincard.security.client import bearer_metadata, issue_token
from chaincard.security.identity import Place, Role, Scope
from chaincard.security.tls import TlsFiles, add_port, secure_channel
from chaincard.security.tokens import SigningKeyStore, TokenVerifier, key_set_from_proto
from chaincard.v1 import directory_pb2, directory_pb2_grpc, operators_pb2, operators_pb2_grpc
from hq_service import operator_models  # noqa: F401 - registers the operator tables on Base
from hq_service.bootstrap import hq_commands
from hq_service.company_models import CompanyRow
from hq_service.models import Base, Store
from hq_service.operators import (
    OperatorContext,
    OperatorSettings,
    bootstrap_admin,
    local_key_source,
)
from hq_service.servicers import OperatorServicer

DEADLINE = 10.0
ADMIN_PASSWORD = "correct horse battery"
STORES = {"S-E-001": Place("E", "F-HQ", "S-E-001"), "S-E-002": Place("E", "F-AURORA", "S-E-002"),
          "S-W-002": Place("W", "F-BAMBOO", "S-W-002")}


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class Directories(directory_pb2_grpc.DirectoryServiceServicer):
    def ListRegions(self, request, context):  # noqa: N802
        return directory_pb2.ListRegionsResponse()


@dataclass
class Hq:
    channel: grpc.Channel
    region_channel: grpc.Channel
    clock: Clock
    ctx: OperatorContext

    @property
    def operators(self) -> operators_pb2_grpc.OperatorServiceStub:
        return operators_pb2_grpc.OperatorServiceStub(self.channel)

    def login(self, login_name: str, password: str) -> str:
        return issue_token(self.channel, login_name, password, deadline=DEADLINE).token


@pytest.fixture(scope="module")
def hq(postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:  # type: ignore[no-untyped-def]
    name = f"cctest_operators_{new_id()[-10:]}"
    url = postgres.url_for(name)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    with session_factory.begin() as session:
        for store_id, place in STORES.items():
            session.add(Store(store_id=store_id, name=store_id, region_code=place.region, franchisee_id=place.franchisee,
                              time_zone="Asia/Shanghai"))
        session.add(CompanyRow(company_id="CO-ACME", name="苏州安科信息技术有限公司", tax_id="91320594MA1TEST01X",
                               contact_name="王芳", contact_phone="13912345678", home_region="E", franchisee_id="F-AURORA"))
        bootstrap_admin(session, "OP-ADMIN", ADMIN_PASSWORD, login_name="admin")
    certs = tmp_path_factory.mktemp("certs")
    init_certificates(certs, ["hq", "region:E", "client:ops"])
    clock = Clock()
    ctx = OperatorContext(session_factory, SigningKeyStore(tmp_path_factory.mktemp("keys"), clock=clock),
                          OperatorSettings(lockout_seconds=600), clock=clock)
    verifier = TokenVerifier(local_key_source(ctx, refresh_seconds=0), clock=clock)
    authz = AuthorizationInterceptor(verifier, accepted_peers=PEERS_OF_HQ, directory=Directory(STORES))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), interceptors=[authz, DomainErrorInterceptor()])
    operators_pb2_grpc.add_OperatorServiceServicer_to_server(OperatorServicer(ctx, hq_commands(ctx)), server)
    directory_pb2_grpc.add_DirectoryServiceServicer_to_server(Directories(), server)
    port = add_port(server, "127.0.0.1:0", TlsFiles.from_directory(certs, "hq"))
    server.start()
    channel = secure_channel(f"127.0.0.1:{port}", TlsFiles.from_directory(certs, "client:ops"), expected_server="hq")
    region_channel = secure_channel(f"127.0.0.1:{port}", TlsFiles.from_directory(certs, "region:E"), expected_server="hq")
    yield Hq(channel=channel, region_channel=region_channel, clock=clock, ctx=ctx)
    channel.close()
    region_channel.close()
    server.stop(0).wait()
    engine.dispose()
    postgres.drop_database(name)


def _code(call: Callable[[], Any]) -> grpc.StatusCode:
    try:
        call()
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def _operator(operator_id: str, role: Role, scope: Scope, *, active: bool = True) -> operators_pb2.Operator:
    return operators_pb2.Operator(operator_id=operator_id, login_name=operator_id.lower(), display_name=operator_id,
                                  role=role.value, scope=scope.to_proto(), active=active)


def _upsert(hq: Hq, token: str, operator: operators_pb2.Operator, password: str = "initial-password") -> grpc.StatusCode:
    request = operators_pb2.UpsertOperatorRequest(request_id=new_id(), operator=operator, initial_password=password)
    return _code(lambda: hq.operators.UpsertOperator(request, timeout=DEADLINE, metadata=bearer_metadata(token)))


def _list_regions(hq: Hq, token: str) -> grpc.StatusCode:
    stub = directory_pb2_grpc.DirectoryServiceStub(hq.channel)
    return _code(lambda: stub.ListRegions(directory_pb2.ListRegionsRequest(), timeout=DEADLINE, metadata=bearer_metadata(token)))


def test_the_bootstrapped_admin_logs_in_and_the_token_works(hq: Hq) -> None:
    answer = issue_token(hq.channel, "admin", ADMIN_PASSWORD, deadline=DEADLINE)
    assert answer.operator.operator_id == "OP-ADMIN"
    assert answer.operator.role == operators_pb2.OPERATOR_ROLE_HQ_ADMIN
    assert answer.operator.scope.level == operators_pb2.SCOPE_LEVEL_CHAIN
    assert 3500 <= answer.expires_at.seconds - time.time() <= 3600
    assert _list_regions(hq, answer.token) == grpc.StatusCode.OK
    with hq.ctx.session_factory.begin() as session:  # bootstrapping again changes nothing
        bootstrap_admin(session, "OP-ADMIN", "another-password-entirely")
    assert hq.login("admin", ADMIN_PASSWORD)


def test_a_retried_log_in_returns_the_same_token_and_a_changed_one_is_refused(hq: Hq) -> None:
    request = operators_pb2.IssueTokenRequest(request_id=new_id(), login_name="admin", password=ADMIN_PASSWORD)
    first = hq.operators.IssueToken(request, timeout=DEADLINE)
    again = hq.operators.IssueToken(request, timeout=DEADLINE)
    assert again.token == first.token and again.token_id == first.token_id
    changed = operators_pb2.IssueTokenRequest(request_id=request.request_id, login_name="admin", password="wrong-password!")
    assert _code(lambda: hq.operators.IssueToken(changed, timeout=DEADLINE)) == grpc.StatusCode.ALREADY_EXISTS


def test_a_franchisee_admin_manages_only_its_own_stores_staff(hq: Hq) -> None:
    admin = hq.login("admin", ADMIN_PASSWORD)
    assert _upsert(hq, admin, _operator("OP-AURORA", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))) == grpc.StatusCode.OK
    aurora = hq.login("op-aurora", "initial-password")
    assert _upsert(hq, aurora, _operator("OP-CASH-E2", Role.CASHIER, Scope.store("S-E-002"))) == grpc.StatusCode.OK
    assert _upsert(hq, aurora, _operator("OP-CASH-W2", Role.CASHIER, Scope.store("S-W-002"))) == grpc.StatusCode.PERMISSION_DENIED
    assert _upsert(hq, aurora, _operator("OP-BOSS", Role.HQ_ADMIN, Scope.chain())) == grpc.StatusCode.PERMISSION_DENIED
    assert _upsert(hq, aurora, _operator("OP-FA2", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))) \
        == grpc.StatusCode.PERMISSION_DENIED
    cashier = hq.login("op-cash-e2", "initial-password")
    assert _upsert(hq, cashier, _operator("OP-X", Role.CASHIER, Scope.store("S-E-002"))) == grpc.StatusCode.PERMISSION_DENIED

    listed = hq.operators.ListOperators(operators_pb2.ListOperatorsRequest(), timeout=DEADLINE, metadata=bearer_metadata(aurora))
    assert {item.operator_id for item in listed.operators} == {"OP-AURORA", "OP-CASH-E2"}
    everyone = hq.operators.ListOperators(operators_pb2.ListOperatorsRequest(page_size=1), timeout=DEADLINE,
                                          metadata=bearer_metadata(admin))
    assert len(everyone.operators) == 1 and everyone.next_page_token

    own = operators_pb2.GetOperatorRequest(operator_id="OP-CASH-E2")
    assert hq.operators.GetOperator(own, timeout=DEADLINE, metadata=bearer_metadata(cashier)).operator.login_name == "op-cash-e2"
    assert _code(lambda: hq.operators.GetOperator(operators_pb2.GetOperatorRequest(operator_id="OP-ADMIN"), timeout=DEADLINE,
                                                  metadata=bearer_metadata(cashier))) == grpc.StatusCode.NOT_FOUND


def test_only_a_chain_hq_admin_creates_a_company_admin_and_only_with_its_company_scope(hq: Hq) -> None:
    admin = hq.login("admin", ADMIN_PASSWORD)
    acme = Scope.company("CO-ACME")

    def refused(operator: operators_pb2.Operator, token: str = admin) -> tuple[grpc.StatusCode, str]:
        request = operators_pb2.UpsertOperatorRequest(request_id=new_id(), operator=operator, initial_password="initial-password")
        with pytest.raises(grpc.RpcError) as error:
            hq.operators.UpsertOperator(request, timeout=DEADLINE, metadata=bearer_metadata(token))
        return error.value.code(), error.value.details() or ""

    # The role and the scope only together; an unknown company named.
    for operator in (_operator("OP-CA-X", Role.COMPANY_ADMIN, Scope.franchisee("F-AURORA")),
                     _operator("OP-CA-X", Role.COMPANY_ADMIN, Scope.chain()),
                     _operator("OP-CA-X", Role.AUDITOR, acme), _operator("OP-CA-X", Role.HQ_ADMIN, acme)):
        code, details = refused(operator)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "operator.scope" in details, details
    code, details = refused(_operator("OP-CA-X", Role.COMPANY_ADMIN, Scope.company("CO-NOBODY")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "operator.scope.id" in details and "CO-NOBODY" in details

    # Nobody but a chain-wide HQ admin: a franchisee admin (even the seller's), a regional manager, a
    # region-scoped HQ admin.
    assert _upsert(hq, admin, _operator("OP-FA-CA", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))) == grpc.StatusCode.OK
    assert _upsert(hq, admin, _operator("OP-RM-CA", Role.REGIONAL_MANAGER, Scope.region("E"))) == grpc.StatusCode.OK
    assert _upsert(hq, admin, _operator("OP-HA-E", Role.HQ_ADMIN, Scope.region("E"))) == grpc.StatusCode.OK
    for login in ("op-fa-ca", "op-rm-ca", "op-ha-e"):
        token = hq.login(login, "initial-password")
        assert refused(_operator("OP-CA-X", Role.COMPANY_ADMIN, acme), token)[0] == grpc.StatusCode.PERMISSION_DENIED
        assert refused(_operator("OP-CA-X", Role.COMPANY_ADMIN, Scope.company("CO-NOBODY")), token)[0] \
            == grpc.StatusCode.PERMISSION_DENIED  # learns nothing of which companies exist
    assert _code(lambda: hq.operators.GetOperator(operators_pb2.GetOperatorRequest(operator_id="OP-CA-X"), timeout=DEADLINE,
                                                  metadata=bearer_metadata(admin))) == grpc.StatusCode.NOT_FOUND

    assert _upsert(hq, admin, _operator("OP-CA-ACME", Role.COMPANY_ADMIN, acme)) == grpc.StatusCode.OK
    answer = issue_token(hq.channel, "op-ca-acme", "initial-password", deadline=DEADLINE)
    assert answer.operator.role == operators_pb2.OPERATOR_ROLE_COMPANY_ADMIN
    assert (answer.operator.scope.level, answer.operator.scope.id) == (operators_pb2.SCOPE_LEVEL_COMPANY, "CO-ACME")
    claims = TokenVerifier(local_key_source(hq.ctx, refresh_seconds=0), clock=hq.clock).verify(answer.token)
    assert (claims.role, str(claims.scope)) == (Role.COMPANY_ADMIN, "company:CO-ACME")
    # Nothing of the operators' or the directory's: not even what every other role may call.
    token = answer.token
    assert _list_regions(hq, token) == grpc.StatusCode.PERMISSION_DENIED
    for call in (lambda: hq.operators.GetTokenVerificationKeys(operators_pb2.GetTokenVerificationKeysRequest(), timeout=DEADLINE,
                                                               metadata=bearer_metadata(token)),
                 lambda: hq.operators.ListOperators(operators_pb2.ListOperatorsRequest(), timeout=DEADLINE,
                                                    metadata=bearer_metadata(token))):
        assert _code(call) == grpc.StatusCode.PERMISSION_DENIED
    # Its own record, and only its own (another's answers as one that does not exist).
    own = operators_pb2.GetOperatorRequest(operator_id="OP-CA-ACME")
    assert hq.operators.GetOperator(own, timeout=DEADLINE, metadata=bearer_metadata(token)).operator.scope.id == "CO-ACME"
    assert _code(lambda: hq.operators.GetOperator(operators_pb2.GetOperatorRequest(operator_id="OP-FA-CA"), timeout=DEADLINE,
                                                  metadata=bearer_metadata(token))) == grpc.StatusCode.NOT_FOUND
    assert _upsert(hq, token, _operator("OP-CA-2", Role.COMPANY_ADMIN, acme)) == grpc.StatusCode.PERMISSION_DENIED
    # HQ lists company admins by role, with their company.
    listed = hq.operators.ListOperators(operators_pb2.ListOperatorsRequest(role=operators_pb2.OPERATOR_ROLE_COMPANY_ADMIN),
                                        timeout=DEADLINE, metadata=bearer_metadata(admin))
    assert [(item.operator_id, item.scope.id) for item in listed.operators] == [("OP-CA-ACME", "CO-ACME")]
    # It changes its own password (proving the current one), which ends its old sessions, and no other's.
    def change(operator_id: str, current: str, new: str, as_token: str) -> grpc.StatusCode:
        request = operators_pb2.SetOperatorPasswordRequest(request_id=new_id(), operator_id=operator_id,
                                                           current_password=current, new_password=new)
        return _code(lambda: hq.operators.SetOperatorPassword(request, timeout=DEADLINE, metadata=bearer_metadata(as_token)))

    assert change("OP-FA-CA", "", "taken-over-password", token) == grpc.StatusCode.NOT_FOUND
    assert change("OP-CA-ACME", "initial-password", "company-password", token) == grpc.StatusCode.OK
    assert _code(lambda: hq.operators.GetOperator(own, timeout=DEADLINE, metadata=bearer_metadata(token))) \
        == grpc.StatusCode.UNAUTHENTICATED
    assert hq.login("op-ca-acme", "company-password")


def test_five_wrong_passwords_lock_the_operator_out_for_a_while(hq: Hq) -> None:
    admin = hq.login("admin", ADMIN_PASSWORD)
    assert _upsert(hq, admin, _operator("OP-LOCK", Role.AUDITOR, Scope.chain()), "the-right-password") == grpc.StatusCode.OK
    for _ in range(5):
        assert _code(lambda: hq.login("op-lock", "a-wrong-password")) == grpc.StatusCode.UNAUTHENTICATED
    assert _code(lambda: hq.login("op-lock", "the-right-password")) == grpc.StatusCode.UNAUTHENTICATED
    assert _code(lambda: hq.login("nobody-at-all", "the-right-password")) == grpc.StatusCode.UNAUTHENTICATED
    hq.clock.offset += 601
    try:
        assert hq.login("op-lock", "the-right-password")
    finally:
        hq.clock.offset -= 601


def test_revoked_tokens_and_tokens_of_deactivated_operators_stop_working(hq: Hq) -> None:
    admin = hq.login("admin", ADMIN_PASSWORD)
    assert _upsert(hq, admin, _operator("OP-REV", Role.AUDITOR, Scope.chain()), "revocable-pass") == grpc.StatusCode.OK
    answer = issue_token(hq.channel, "op-rev", "revocable-pass", deadline=DEADLINE)
    assert _list_regions(hq, answer.token) == grpc.StatusCode.OK
    hq.operators.RevokeToken(operators_pb2.RevokeTokenRequest(request_id=new_id(), token_id=answer.token_id),
                             timeout=DEADLINE, metadata=bearer_metadata(answer.token))
    assert _list_regions(hq, answer.token) == grpc.StatusCode.UNAUTHENTICATED

    second = hq.login("op-rev", "revocable-pass")
    assert _list_regions(hq, second) == grpc.StatusCode.OK
    assert _upsert(hq, admin, _operator("OP-REV", Role.AUDITOR, Scope.chain(), active=False)) == grpc.StatusCode.OK
    assert _list_regions(hq, second) == grpc.StatusCode.UNAUTHENTICATED
    assert _code(lambda: hq.login("op-rev", "revocable-pass")) == grpc.StatusCode.UNAUTHENTICATED

    keys = operators_pb2_grpc.OperatorServiceStub(hq.region_channel).GetTokenVerificationKeys(
        operators_pb2.GetTokenVerificationKeysRequest(), timeout=DEADLINE)
    published = key_set_from_proto(keys)
    assert answer.token_id in published.revoked and len(published.keys) == 1


def test_own_password_changes_prove_the_current_one_and_end_old_sessions(hq: Hq) -> None:
    admin = hq.login("admin", ADMIN_PASSWORD)
    assert _upsert(hq, admin, _operator("OP-PW", Role.CASHIER, Scope.store("S-E-001")), "first-password") == grpc.StatusCode.OK
    token = hq.login("op-pw", "first-password")

    def change(current: str, new: str, as_token: str) -> grpc.StatusCode:
        request = operators_pb2.SetOperatorPasswordRequest(request_id=new_id(), operator_id="OP-PW",
                                                           current_password=current, new_password=new)
        return _code(lambda: hq.operators.SetOperatorPassword(request, timeout=DEADLINE, metadata=bearer_metadata(as_token)))

    assert change("not-the-password", "second-password", token) == grpc.StatusCode.PERMISSION_DENIED
    assert change("first-password", "short", token) == grpc.StatusCode.INVALID_ARGUMENT
    assert change("first-password", "second-password", token) == grpc.StatusCode.OK
    assert _list_regions(hq, token) == grpc.StatusCode.UNAUTHENTICATED  # sessions of the old password end
    assert hq.login("op-pw", "second-password")
    assert change("", "third-password!", admin) == grpc.StatusCode.OK  # an admin resets without it
    assert hq.login("op-pw", "third-password!")


def test_hq_places_its_own_stores(hq: Hq) -> None:
    from hq_service.operators import hq_directory

    directory = hq_directory(hq.ctx.session_factory)
    assert directory.place_of("store", "S-E-002") == Place("E", "F-AURORA", "S-E-002")
    assert Scope.franchisee("F-BAMBOO").covers(directory.place_of("store", "S-W-002"))
    assert not Scope.franchisee("F-BAMBOO").covers(directory.place_of("store", "S-UNKNOWN"))


def test_the_region_reads_the_keys_with_its_certificate_alone(hq: Hq) -> None:
    keys = operators_pb2_grpc.OperatorServiceStub(hq.region_channel).GetTokenVerificationKeys(
        operators_pb2.GetTokenVerificationKeysRequest(), timeout=DEADLINE)
    assert keys.keys[0].algorithm == "Ed25519" and len(keys.keys[0].public_key) == 32
    assert _code(lambda: operators_pb2_grpc.OperatorServiceStub(hq.region_channel).UpsertOperator(
        operators_pb2.UpsertOperatorRequest(), timeout=DEADLINE)) == grpc.StatusCode.PERMISSION_DENIED


def _concerns(diff: Any, tables: set[str]) -> bool:
    """Whether an alembic autogenerate difference is about one of ``tables``."""
    for entry in diff if isinstance(diff, list) else [diff]:
        for item in entry:
            if isinstance(item, str):
                if item in tables:
                    return True
            elif getattr(item, "name", None) in tables or getattr(getattr(item, "table", None), "name", None) in tables:
                return True
    return False


def test_the_concerns_filter_sees_column_and_table_differences() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    table = Table("operators", MetaData(), Column("x", Integer))
    assert _concerns(("add_table", table), {"operators"})
    assert _concerns(("remove_column", None, "operators", table.c.x), {"operators"})
    assert _concerns([("modify_type", None, "operators", "x", {}, Integer(), Integer())], {"operators"})
    assert not _concerns(("add_table", Table("stores", MetaData())), {"operators"})


def test_the_migration_creates_the_tables_the_models_describe(postgres, fresh_database) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from chaincard.db.migrate import alembic_config, upgrade_to_head

    url = fresh_database("operators_migration")
    upgrade_to_head("hq_service", url)
    engine = make_engine(url)
    try:
        mine = {"operators", "operator_tokens", "operator_requests"}
        with engine.connect() as connection:
            assert mine <= set(inspect(connection).get_table_names())
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [diff for diff in compare_metadata(context, Base.metadata) if _concerns(diff, mine)]
        assert differences == []
        command.downgrade(alembic_config("hq_service", url), "0003")
        with engine.connect() as connection:
            assert not mine & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()

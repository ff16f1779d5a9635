"""Security of a whole running chain (issue 7): real certificates over real mTLS, real HQ-signed
tokens, the real services, the role × RPC matrix of chaincard.security.authz, scopes, and a PIN
lock that holds in every store of every region."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.local.accounts import operator_token
from chaincard.rpc.channels import open_channel
from chaincard.rpc.transport import Transport
from chaincard.security.authz import ALL_ROLES, MATRIX
from chaincard.security.certs import init_certificates
from chaincard.security.identity import Role, Scope
from chaincard.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    directory_pb2,
    directory_pb2_grpc,
    operators_pb2,
    operators_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from tests.support.cards import funded_card as fund_card
from tests.support.regions import clients_for

pytestmark = pytest.mark.e2e

DEADLINE = 10
DENIED = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}
AURORA_STORE = "S-E-002"  # a franchisee's store in region E


def _status(attempt: Callable[[], Any]) -> grpc.StatusCode:
    try:
        answer = attempt()
        if hasattr(answer, "__next__"):  # a server stream: the status comes with its end
            list(answer)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def funded_card(chain):
    """A member's card homed in region E with ¥1,000, opened at a till of S-E-002."""
    with chain.channel(f"store-{AURORA_STORE}") as till:
        return fund_card(clients_for(till), 100_000, store_id="", name="安全 Security")  # the till fills in its store


# ---- who may connect at all ----------------------------------------------------------------------------
def test_callers_without_a_chain_certificate_never_reach_a_service(chain, tmp_path):
    ca = (Path(chain.tls_dir) / "ca.pem").read_bytes()
    other_ca = init_certificates(tmp_path / "other-ca", ["client:ops", "store:S-E-001"])
    other = Transport.from_directory(other_ca.directory, "store:S-E-001")
    for process in chain.processes:
        # TLS without a client certificate: the server demands one.
        no_certificate = grpc.secure_channel(process.endpoint, grpc.ssl_channel_credentials(root_certificates=ca))
        with no_certificate:
            refused = _status(lambda: cards_pb2_grpc.CardServiceStub(no_certificate).GetBalance(  # noqa: B023
                cards_pb2.GetBalanceRequest(card_number="881100000000010"), timeout=DEADLINE))
        assert refused == grpc.StatusCode.UNAVAILABLE, process.name
        # A certificate of another CA (even one naming a real store): the handshake fails.
        with other.channel(process.endpoint) as foreign:
            refused = _status(lambda: cards_pb2_grpc.CardServiceStub(foreign).GetBalance(  # noqa: B023
                cards_pb2.GetBalanceRequest(card_number="881100000000010"), timeout=DEADLINE))
        assert refused == grpc.StatusCode.UNAVAILABLE, process.name


def test_a_store_certificate_speaks_for_its_own_store_only(chain, funded_card):
    def recharge(store_id: str) -> transactions_pb2.RechargeCardRequest:
        return transactions_pb2.RechargeCardRequest(request_id=new_id(), store_id=store_id, card_number=funded_card,
                                                   amount_fen=100, tender=common_pb2.TENDER_TYPE_CASH)

    with chain.channel("region-E", as_store="S-E-001") as as_store_e001:
        stub = transactions_pb2_grpc.TransactionServiceStub(as_store_e001)
        assert _status(lambda: stub.RechargeCard(recharge("S-E-001"), timeout=DEADLINE)) == grpc.StatusCode.OK
        assert _status(lambda: stub.RechargeCard(recharge(AURORA_STORE), timeout=DEADLINE)) == grpc.StatusCode.PERMISSION_DENIED
    # A till of S-E-001 cannot use the agent of S-E-002.
    foreign_till = chain.till_transport("S-E-001")
    with open_channel(chain.endpoint_of(f"store-{AURORA_STORE}"), foreign_till) as channel:
        status = _status(lambda: store_agent_pb2_grpc.StoreAgentServiceStub(channel).GetStoreStatus(
            store_agent_pb2.GetStoreStatusRequest(), timeout=DEADLINE))
    assert status == grpc.StatusCode.PERMISSION_DENIED
    # A store agent's certificate is not an operator's: HQ's directory is not its to change.
    with open_channel(chain.hq_endpoint, chain.store_transport("S-E-001")) as channel:
        status = _status(lambda: directory_pb2_grpc.DirectoryServiceStub(channel).UpsertFranchisee(
            directory_pb2.UpsertFranchiseeRequest(request_id=new_id(), franchisee=directory_pb2.Franchisee(
                franchisee_id="F-EVIL", name="Evil")), timeout=DEADLINE))
    assert status == grpc.StatusCode.PERMISSION_DENIED


def test_an_operator_tool_needs_a_valid_token(chain):
    def list_runs(token: str) -> grpc.StatusCode:
        with chain.channel("settlement", token=token) as channel:
            return _status(lambda: settlement_pb2_grpc.SettlementServiceStub(channel).ListSettlementRuns(
                settlement_pb2.ListSettlementRunsRequest(), timeout=DEADLINE))

    assert list_runs("") == grpc.StatusCode.UNAUTHENTICATED
    assert list_runs("cc1.e30.AAAA") == grpc.StatusCode.UNAUTHENTICATED
    finance = operator_token(chain, "sec-finance", Role.HQ_FINANCE, Scope.chain())
    assert list_runs(finance[:-4] + ("AAAA" if not finance.endswith("AAAA") else "BBBB")) == grpc.StatusCode.UNAUTHENTICATED
    assert list_runs(finance) == grpc.StatusCode.OK


def test_a_revoked_token_stops_working(chain):
    token = operator_token(chain, "sec-revoked", Role.AUDITOR, Scope.chain())
    with chain.channel("hq", token=token) as channel:
        operators = operators_pb2_grpc.OperatorServiceStub(channel)
        me = operators.GetOperator(operators_pb2.GetOperatorRequest(operator_id="sec-revoked"), timeout=DEADLINE)
        assert me.operator.role == Role.AUDITOR.value
        token_id = _token_id(token)
        operators.RevokeToken(operators_pb2.RevokeTokenRequest(request_id=new_id(), token_id=token_id), timeout=DEADLINE)
        deadline = time.monotonic() + 15  # HQ re-reads its deny list every 5 s
        while _status(lambda: operators.GetOperator(operators_pb2.GetOperatorRequest(operator_id="sec-revoked"),  # noqa: B023
                                                    timeout=DEADLINE)) == grpc.StatusCode.OK:
            assert time.monotonic() < deadline, "a revoked token still works at HQ"
            time.sleep(0.5)
        assert _status(lambda: operators.GetOperator(operators_pb2.GetOperatorRequest(operator_id="sec-revoked"),
                                                     timeout=DEADLINE)) == grpc.StatusCode.UNAUTHENTICATED


def _token_id(token: str) -> str:
    import base64
    import json

    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["jti"]


# ---- the role × RPC matrix, every role at chain scope ----------------------------------------------
@dataclass(frozen=True)
class Probe:
    """One representative RPC: where it is served and a valid request (so an allowed call succeeds)."""

    rpc: str
    process: str
    call: Callable[[grpc.Channel, str], Any]  # (channel, card number) -> answer or stream


def _probes() -> list[Probe]:
    def checkout(channel: grpc.Channel, card: str) -> Any:
        return transactions_pb2_grpc.TransactionServiceStub(channel).Checkout(transactions_pb2.CheckoutRequest(
            request_id=new_id(), store_id=AURORA_STORE, card_number=card,
            lines=[transactions_pb2.BasketLine(sku="T", name="tea", category="tea", quantity=1, unit_price_fen=100)]),
            timeout=DEADLINE)

    def adjust_points(channel: grpc.Channel, card: str) -> Any:
        return transactions_pb2_grpc.TransactionServiceStub(channel).AdjustPoints(transactions_pb2.AdjustPointsRequest(
            request_id=new_id(), store_id=AURORA_STORE, card_number=card, points_delta=1, reason="matrix test"),
            timeout=DEADLINE)

    def today() -> str:
        return time.strftime("%Y-%m-%d")

    return [
        Probe("TransactionService/Checkout", "region-E", checkout),
        Probe("TransactionService/AdjustPoints", "region-E", adjust_points),
        Probe("CardService/GetBalance", "region-W", lambda ch, card: cards_pb2_grpc.CardServiceStub(ch).GetBalance(
            cards_pb2.GetBalanceRequest(card_number=card), timeout=DEADLINE)),  # forwarded to the home region E
        Probe("TransactionService/ListTransactions", "region-E", lambda ch, card: transactions_pb2_grpc.TransactionServiceStub(
            ch).ListTransactions(transactions_pb2.ListTransactionsRequest(card_number=card), timeout=DEADLINE)),
        Probe("DirectoryService/UpsertFranchisee", "hq", lambda ch, _card: directory_pb2_grpc.DirectoryServiceStub(ch).UpsertFranchisee(
            directory_pb2.UpsertFranchiseeRequest(request_id=new_id(), franchisee=directory_pb2.Franchisee(
                franchisee_id="F-MATRIX", name="Matrix test franchisee")), timeout=DEADLINE)),
        Probe("ProgramConfigService/GetConfigSnapshot", "hq", lambda ch, _card: program_config_pb2_grpc.ProgramConfigServiceStub(
            ch).GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=DEADLINE)),
        Probe("ReportService/StreamSalesReport", "hq", lambda ch, _card: reports_pb2_grpc.ReportServiceStub(ch).StreamSalesReport(
            reports_pb2.StreamSalesReportRequest(query=reports_pb2.SalesReportQuery(
                start_business_date=today(), end_business_date=today(), grouping=reports_pb2.REPORT_GROUPING_STORE)),
            timeout=DEADLINE)),
        Probe("AuditService/ListAuditEntries", "hq", lambda ch, _card: audit_pb2_grpc.AuditServiceStub(ch).ListAuditEntries(
            audit_pb2.ListAuditEntriesRequest(), timeout=DEADLINE)),
        Probe("OperatorService/ListOperators", "hq", lambda ch, _card: operators_pb2_grpc.OperatorServiceStub(ch).ListOperators(
            operators_pb2.ListOperatorsRequest(), timeout=DEADLINE)),
        Probe("SettlementService/ListSettlementRuns", "settlement", lambda ch, _card: settlement_pb2_grpc.SettlementServiceStub(
            ch).ListSettlementRuns(settlement_pb2.ListSettlementRunsRequest(), timeout=DEADLINE)),
        Probe("SettlementService/ListStatements", "settlement", lambda ch, _card: settlement_pb2_grpc.SettlementServiceStub(
            ch).ListStatements(settlement_pb2.ListStatementsRequest(), timeout=DEADLINE)),
    ]


def test_every_role_gets_exactly_what_the_matrix_gives_it(chain, funded_card):
    tokens = {role: operator_token(chain, f"sec-{role.name.lower().replace('_', '-')}", role, Scope.chain()) for role in ALL_ROLES}
    outcomes = {}
    for probe in _probes():
        allowed_roles = MATRIX[f"/chaincard.v1.{probe.rpc}"].roles
        for role, token in tokens.items():
            with chain.channel(probe.process, token=token) as channel:
                outcomes[(probe.rpc, role.name)] = _status(lambda: probe.call(channel, funded_card))  # noqa: B023
            expected_ok = role in allowed_roles
            status = outcomes[(probe.rpc, role.name)]
            assert (status == grpc.StatusCode.OK) if expected_ok else (status in DENIED), (probe.rpc, role.name, status)
    # The walk saw both answers for most RPCs: it is a matrix, not a rubber stamp.
    assert sum(status == grpc.StatusCode.OK for status in outcomes.values()) >= 30
    assert sum(status in DENIED for status in outcomes.values()) >= 30


# ---- scopes: a franchisee, a region, a store -------------------------------------------------------------
def test_scoped_operators_stay_inside_their_scope(chain, funded_card):
    aurora_admin = operator_token(chain, "sec-aurora-admin", Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))
    west_manager = operator_token(chain, "sec-west-manager", Role.REGIONAL_MANAGER, Scope.region("W"))
    store_manager = operator_token(chain, "sec-e002-manager", Role.STORE_MANAGER, Scope.store(AURORA_STORE))
    cashier = operator_token(chain, "sec-e002-cashier", Role.CASHIER, Scope.store(AURORA_STORE))
    today = time.strftime("%Y-%m-%d")

    def sales(scope: reports_pb2.ReportScope) -> Callable[[grpc.Channel], Any]:
        return lambda channel: reports_pb2_grpc.ReportServiceStub(channel).StreamSalesReport(
            reports_pb2.StreamSalesReportRequest(query=reports_pb2.SalesReportQuery(
                start_business_date=today, end_business_date=today, grouping=reports_pb2.REPORT_GROUPING_STORE, scope=scope)),
            timeout=DEADLINE)

    def adjust(store_id: str) -> Callable[[grpc.Channel], Any]:
        return lambda channel: transactions_pb2_grpc.TransactionServiceStub(channel).AdjustPoints(
            transactions_pb2.AdjustPointsRequest(request_id=new_id(), store_id=store_id, card_number=funded_card,
                                                 points_delta=1, reason="scope test"), timeout=DEADLINE)

    def statements(franchisee_id: str) -> Callable[[grpc.Channel], Any]:
        return lambda channel: settlement_pb2_grpc.SettlementServiceStub(channel).ListStatements(
            settlement_pb2.ListStatementsRequest(franchisee_id=franchisee_id), timeout=DEADLINE)

    def audit(region_code: str) -> Callable[[grpc.Channel], Any]:
        return lambda channel: audit_pb2_grpc.AuditServiceStub(channel).ListAuditEntries(
            audit_pb2.ListAuditEntriesRequest(region_code=region_code), timeout=DEADLINE)

    cases = [
        # (who, token, process, call, expected)
        ("franchisee admin, own franchisee's sales", aurora_admin, "hq", sales(reports_pb2.ReportScope()), grpc.StatusCode.OK),
        ("franchisee admin, another franchisee's sales", aurora_admin, "hq",
         sales(reports_pb2.ReportScope(franchisee_id="F-BAMBOO")), grpc.StatusCode.PERMISSION_DENIED),
        ("franchisee admin, own statements", aurora_admin, "settlement", statements(""), grpc.StatusCode.OK),
        ("franchisee admin, another's statements", aurora_admin, "settlement", statements("F-BAMBOO"),
         grpc.StatusCode.PERMISSION_DENIED),
        ("regional manager, own region's audit", west_manager, "hq", audit("W"), grpc.StatusCode.OK),
        ("regional manager, another region's audit", west_manager, "hq", audit("E"), grpc.StatusCode.PERMISSION_DENIED),
        ("store manager, points at own store", store_manager, "region-E", adjust(AURORA_STORE), grpc.StatusCode.OK),
        ("store manager, points at another store", store_manager, "region-E", adjust("S-E-001"), grpc.StatusCode.PERMISSION_DENIED),
        ("cashier, points at own store", cashier, "region-E", adjust(AURORA_STORE), grpc.StatusCode.PERMISSION_DENIED),
        ("cashier, configuration", cashier, "hq", lambda channel: program_config_pb2_grpc.ProgramConfigServiceStub(channel)
         .SetChainSettings(program_config_pb2.SetChainSettingsRequest(request_id=new_id()), timeout=DEADLINE),
         grpc.StatusCode.PERMISSION_DENIED),
    ]
    for who, token, process, attempt, expected in cases:
        with chain.channel(process, token=token) as channel:
            assert _status(lambda: attempt(channel)) == expected, who  # noqa: B023

    # What the franchisee admin does see lies inside its franchisee.
    with chain.channel("settlement", token=aurora_admin) as channel:
        listed = settlement_pb2_grpc.SettlementServiceStub(channel).ListStatements(
            settlement_pb2.ListStatementsRequest(), timeout=DEADLINE)
    assert {item.franchisee_id for item in listed.statements} <= {"F-AURORA"}


# ---- PINs ---------------------------------------------------------------------------------------------------
def test_wrong_pins_lock_the_card_in_every_store_of_every_region(chain, funded_card):
    """Five wrong PINs, guessed at stores of both regions, lock the card for the configured time everywhere."""
    admin_settings = program_config_pb2.ChainSettings(pin_max_failed_attempts=5, pin_lock_minutes=1)
    with chain.channel("hq") as channel:
        program_config_pb2_grpc.ProgramConfigServiceStub(channel).SetChainSettings(
            program_config_pb2.SetChainSettingsRequest(request_id=new_id(), settings=admin_settings), timeout=DEADLINE)
    stores = ["store-S-E-001", "store-S-W-002", "store-S-E-002", "store-S-W-001"]
    with chain.channel("store-S-E-002") as till:
        cards_pb2_grpc.CardServiceStub(till).SetPin(cards_pb2.SetPinRequest(
            request_id=new_id(), card_number=funded_card, pin="246810"), timeout=DEADLINE)
    time.sleep(11)  # regions re-read HQ's settings at least every 10 s

    def change_pin(store: str, old_pin: str) -> grpc.StatusCode:
        with chain.channel(store) as till:
            return _status(lambda: cards_pb2_grpc.CardServiceStub(till).ChangePin(cards_pb2.ChangePinRequest(  # noqa: B023
                request_id=new_id(), card_number=funded_card, old_pin=old_pin, new_pin="135799"), timeout=DEADLINE))

    wrong = [change_pin(stores[attempt % len(stores)], "000000") for attempt in range(5)]
    assert wrong == [grpc.StatusCode.PERMISSION_DENIED] * 5
    # Locked now, even for the right PIN, wherever it is tried.
    assert {change_pin(store, "246810") for store in stores} == {grpc.StatusCode.FAILED_PRECONDITION}
    with chain.channel("region-E", as_store="S-E-001") as channel:
        card = cards_pb2_grpc.CardServiceStub(channel).GetCard(cards_pb2.GetCardRequest(card_number=funded_card), timeout=DEADLINE).card
    assert card.pin_locked
    engine = create_engine(chain.database_urls["region_E"])
    with engine.connect() as connection:
        locked_for = connection.execute(text("SELECT EXTRACT(EPOCH FROM pin_locked_until - now()) FROM cards "
                                             "WHERE card_number = :card"), {"card": funded_card}).scalar_one()
    engine.dispose()
    assert 0 < locked_for <= 60  # the configured minute, not the default half hour


def test_a_till_needs_a_store_managers_log_in_for_what_a_cashier_may_not_do(chain, funded_card):
    def adjust(token: str | None) -> grpc.StatusCode:
        with chain.channel(f"store-{AURORA_STORE}", token=token) as till:
            return _status(lambda: transactions_pb2_grpc.TransactionServiceStub(till).AdjustPoints(  # noqa: B023
                transactions_pb2.AdjustPointsRequest(request_id=new_id(), card_number=funded_card, points_delta=5,
                                                     reason="goodwill"), timeout=DEADLINE))

    cashier = operator_token(chain, "till-e002-cashier", Role.CASHIER, Scope.store(AURORA_STORE))
    manager = operator_token(chain, "till-e002-manager", Role.STORE_MANAGER, Scope.store(AURORA_STORE))
    other_manager = operator_token(chain, "till-e001-manager", Role.STORE_MANAGER, Scope.store("S-E-001"))
    assert adjust(None) == grpc.StatusCode.PERMISSION_DENIED  # the till's certificate alone
    assert adjust(cashier) == grpc.StatusCode.PERMISSION_DENIED
    assert adjust(other_manager) == grpc.StatusCode.PERMISSION_DENIED  # a manager of another store
    assert adjust(manager) == grpc.StatusCode.OK


def test_the_audit_log_names_the_operator_at_the_till_and_where_the_call_came_from(chain, funded_card):
    manager = operator_token(chain, "till-e002-auditee", Role.STORE_MANAGER, Scope.store(AURORA_STORE))
    with chain.channel(f"store-{AURORA_STORE}", token=manager) as till:
        transactions_pb2_grpc.TransactionServiceStub(till).AdjustPoints(transactions_pb2.AdjustPointsRequest(
            request_id=new_id(), card_number=funded_card, points_delta=7, reason="audited goodwill"), timeout=DEADLINE)
    auditor = operator_token(chain, "sec-audit-reader", Role.AUDITOR, Scope.chain())
    deadline = time.monotonic() + 30  # the region's entry reaches HQ through the outbox and Kafka
    with chain.channel("hq", token=auditor) as channel:
        audit = audit_pb2_grpc.AuditServiceStub(channel)
        while True:
            entries = [entry for entry in audit.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(
                target_id=funded_card, action="points.adjust"), timeout=DEADLINE).entries if entry.reason == "audited goodwill"]
            if entries or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert len(entries) == 1, "the adjustment never reached HQ's audit log"
    entry = entries[0]
    assert (entry.operator_id, entry.actor, entry.origin) == ("till-e002-auditee", "till-e002-auditee", f"store:{AURORA_STORE}")
    assert (entry.store_id, entry.region_code, entry.outcome) == (AURORA_STORE, "E", "OK")

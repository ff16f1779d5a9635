"""The role × RPC matrix and the decisions of AuthorizationInterceptor (without a network: the
integration tests repeat the important ones over real mTLS)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest

import chaincard.v1
from chaincard.errors import InvalidArgument, PermissionDenied, Unauthenticated
from chaincard.security.authz import (
    ALL_ROLES,
    FORWARDED_HEADER,
    MATRIX,
    PEERS_OF_REGION,
    PEERS_OF_STORE_AGENT,
    STORE_VOUCHES,
    AuthorizationInterceptor,
    Directory,
    render_matrix_markdown,
    staff_roles_from_snapshot,
    stores_from_snapshot,
    validate_matrix,
)
from chaincard.security.bounds import DEFAULT_BOUNDS
from chaincard.security.certs import init_certificates
from chaincard.security.identity import PeerIdentity, Role, Scope, current_principal
from chaincard.security.tokens import KeySet, SigningKey, TokenSigner, TokenVerifier
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    directory_pb2,
    member_view_pb2,
    members_pb2,
    program_config_pb2,
    reports_pb2,
    settlement_pb2,
    store_agent_pb2,
    store_sync_pb2,
    transactions_pb2,
)

DOCS = Path(__file__).resolve().parents[4] / "docs" / "security.md"
STORES = [
    directory_pb2.Store(store_id="S-E-001", region_code="E", franchisee_id="F-HQ"),
    directory_pb2.Store(store_id="S-E-002", region_code="E", franchisee_id="F-AURORA"),
    directory_pb2.Store(store_id="S-W-002", region_code="W", franchisee_id="F-BAMBOO"),
]
SNAPSHOT = program_config_pb2.ConfigSnapshot(
    stores=STORES,
    staff=[
        directory_pb2.Staff(staff_id="ST-1", store_id="S-E-001", role=directory_pb2.STAFF_ROLE_CASHIER, active=True, operator_id="OP-C"),
        directory_pb2.Staff(staff_id="ST-2", store_id="S-E-001", role=directory_pb2.STAFF_ROLE_STORE_MANAGER, active=True),
        directory_pb2.Staff(staff_id="ST-3", store_id="S-E-001", role=directory_pb2.STAFF_ROLE_STORE_MANAGER, active=False),
    ],
)


# ---- the matrix ------------------------------------------------------------------------------------
def test_every_rpc_of_every_chaincard_service_is_in_the_matrix() -> None:
    seen = set()
    for module_info in pkgutil.iter_modules(chaincard.v1.__path__):
        if module_info.name.endswith("_pb2"):
            module = importlib.import_module(f"chaincard.v1.{module_info.name}")
            for service in module.DESCRIPTOR.services_by_name.values():
                for method in service.methods:
                    seen.add(f"/{service.full_name}/{method.name}")
    assert len(seen) > 80
    assert sorted(seen - set(MATRIX)) == []
    assert sorted(set(MATRIX) - seen) == []
    validate_matrix()


def test_docs_security_md_carries_the_generated_matrix() -> None:
    assert render_matrix_markdown() in DOCS.read_text(), (
        "docs/security.md is out of date: paste chaincard.security.authz.render_matrix_markdown() between its markers"
    )


def _input_type(method: str) -> Any:
    from chaincard.security.authz import chaincard_methods

    return chaincard_methods()[method].input_type


def test_auditors_only_read_and_cashiers_never_adjust_points_or_change_config() -> None:
    for method, rule in MATRIX.items():
        mutating = "request_id" in _input_type(method).fields_by_name
        if mutating and rule.scoped_by != "handler":  # handler-scoped: one's own password and tokens
            assert Role.AUDITOR not in rule.roles, method
        if ".ProgramConfigService/" in method and mutating:
            assert rule.roles <= {Role.HQ_ADMIN, Role.HQ_FINANCE}, method
    assert Role.CASHIER not in MATRIX["/chaincard.v1.TransactionService/AdjustPoints"].roles


def test_store_certificates_are_bound_to_every_store_id_they_can_send() -> None:
    for method, rule in MATRIX.items():
        if rule.peers & {"store", "pos"} and "store_id" in _input_type(method).fields_by_name:
            assert "store_id" in rule.store_fields, method


# ---- decisions ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pems(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    names = ["hq", "region:E", "store:S-E-001", "pos:S-E-001", "client:ops", "settlement"]
    issued = init_certificates(tmp_path_factory.mktemp("certs"), names)
    return {name: issued[name].certificate.read_bytes() for name in names}


class FakeContext:
    def __init__(self, pem: bytes | None = None, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.pem = pem
        self.metadata = metadata

    def auth_context(self) -> dict[str, list[bytes]]:
        return {"transport_security_type": [b"ssl"], "x509_pem_cert": [self.pem]} if self.pem else {}

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.metadata


KEY = SigningKey.generate()
VERIFIER = TokenVerifier(KeySet.of([KEY.verification_key()]))


def token(role: Role, scope: Scope) -> tuple[tuple[str, str], ...]:
    issued = TokenSigner(KEY).issue(f"OP-{role.name}", role, scope)
    return (("authorization", f"Bearer {issued.token}"),)


def interceptor(**kwargs: Any) -> AuthorizationInterceptor:
    kwargs.setdefault("directory", Directory(stores_from_snapshot(SNAPSHOT)))
    return AuthorizationInterceptor(VERIFIER, **kwargs)


def rpc(service: str, method: str) -> str:
    return f"/chaincard.v1.{service}/{method}"


def test_a_store_certificate_fills_in_and_is_held_to_its_own_store(pems: dict[str, bytes]) -> None:
    gate = interceptor(accepted_peers=PEERS_OF_REGION)
    store = FakeContext(pems["store:S-E-001"])
    request = store_sync_pb2.PullConfigSnapshotRequest()
    decision = gate.authorise(rpc("StoreSyncService", "PullConfigSnapshot"), request, store)
    assert request.store_id == "S-E-001"
    assert decision.principal.peer == PeerIdentity("store", "S-E-001")
    with pytest.raises(PermissionDenied, match="cannot act for store 'S-E-002'"):
        gate.authorise(rpc("TransactionService", "Checkout"), transactions_pb2.CheckoutRequest(store_id="S-E-002"), store)
    advices = store_sync_pb2.UploadOfflineAdvicesRequest(
        store_id="S-E-001", advices=[store_sync_pb2.OfflineAdvice(store_id="S-E-001", checkout=transactions_pb2.CheckoutRequest(store_id="S-W-002"))]
    )
    with pytest.raises(PermissionDenied, match="advices"):
        gate.authorise(rpc("StoreSyncService", "UploadOfflineAdvices"), advices, store)
    # A region forwarding advices of another region's store is trusted (the first region checked them).
    gate.authorise(rpc("StoreSyncService", "UploadOfflineAdvices"), advices, FakeContext(pems["region:E"]))


def test_service_identities_only_reach_what_they_serve(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    with pytest.raises(PermissionDenied, match="store:S-E-001 may not call UpsertRegion"):
        gate.authorise(rpc("DirectoryService", "UpsertRegion"), directory_pb2.UpsertRegionRequest(), FakeContext(pems["store:S-E-001"]))
    gate.authorise(rpc("MemberIndexService", "LookupPhone"), common_pb2.Balances(), FakeContext(pems["region:E"]))
    with pytest.raises(PermissionDenied):
        gate.authorise(rpc("MemberIndexService", "LookupPhone"), common_pb2.Balances(), FakeContext(pems["settlement"]))
    gate.authorise(rpc("ProgramConfigService", "GetConfigSnapshot"), program_config_pb2.GetConfigSnapshotRequest(), FakeContext(pems["settlement"]))
    with pytest.raises(PermissionDenied, match="does not serve pos"):
        interceptor(accepted_peers=PEERS_OF_REGION).authorise(
            rpc("CardService", "GetCard"), cards_pb2.GetCardRequest(), FakeContext(pems["pos:S-E-001"]))
    with pytest.raises(Unauthenticated, match="log in"):
        gate.authorise(rpc("CardService", "GetCard"), cards_pb2.GetCardRequest(), FakeContext(pems["client:ops"]))
    with pytest.raises(Unauthenticated):
        gate.authorise(rpc("CardService", "GetCard"), cards_pb2.GetCardRequest(), FakeContext(None))
    with pytest.raises(PermissionDenied, match=FORWARDED_HEADER):
        gate.authorise(rpc("CardService", "GetCard"), cards_pb2.GetCardRequest(),
                       FakeContext(pems["store:S-E-001"], ((FORWARDED_HEADER, "E"),)))


def test_the_till_of_a_store_acts_as_that_store_at_its_agent_only(pems: dict[str, bytes]) -> None:
    agent = interceptor(accepted_peers=PEERS_OF_STORE_AGENT, local_store="S-E-001")
    request = transactions_pb2.RechargeCardRequest()
    agent.authorise(rpc("TransactionService", "RechargeCard"), request, FakeContext(pems["pos:S-E-001"]))
    assert request.store_id == "S-E-001"
    agent.authorise(rpc("StoreAgentService", "GetStoreStatus"), store_agent_pb2.GetStoreStatusRequest(), FakeContext(pems["pos:S-E-001"]))
    other_agent = interceptor(accepted_peers=PEERS_OF_STORE_AGENT, local_store="S-E-002")
    with pytest.raises(PermissionDenied, match="till of store S-E-001"):
        other_agent.authorise(rpc("StoreAgentService", "GetStoreStatus"), store_agent_pb2.GetStoreStatusRequest(),
                              FakeContext(pems["pos:S-E-001"]))
    cashier_elsewhere = token(Role.CASHIER, Scope.store("S-E-009"))
    with pytest.raises(PermissionDenied, match="outside your scope"):
        agent.authorise(rpc("StoreAgentService", "GetStoreStatus"), store_agent_pb2.GetStoreStatusRequest(),
                        FakeContext(pems["client:ops"], cashier_elsewhere))


def test_staff_named_by_a_store_are_held_to_their_role(pems: dict[str, bytes]) -> None:
    gate = interceptor(staff_roles=staff_roles_from_snapshot(SNAPSHOT))
    store = FakeContext(pems["store:S-E-001"])
    adjust = rpc("TransactionService", "AdjustPoints")
    with pytest.raises(PermissionDenied, match="a cashier may not call AdjustPoints"):
        gate.authorise(adjust, transactions_pb2.AdjustPointsRequest(operator_id="OP-C"), store)
    with pytest.raises(PermissionDenied, match="a cashier"):
        gate.authorise(adjust, transactions_pb2.AdjustPointsRequest(), store)  # nobody named: least rights
    gate.authorise(adjust, transactions_pb2.AdjustPointsRequest(operator_id="ST-2"), store)
    with pytest.raises(PermissionDenied, match="not active staff"):
        gate.authorise(adjust, transactions_pb2.AdjustPointsRequest(operator_id="ST-3"), store)
    gate.authorise(rpc("TransactionService", "Checkout"), transactions_pb2.CheckoutRequest(operator_id="OP-C"), store)


def test_a_store_with_no_staff_on_file_vouches_for_whoever_it_names() -> None:
    resolve = staff_roles_from_snapshot(SNAPSHOT)
    assert resolve("S-E-002", "anyone") == STORE_VOUCHES
    assert resolve("S-E-001", "anyone") is None
    assert resolve("S-E-001", "ST-3") is None  # has left
    assert resolve("S-E-001", "OP-C") is Role.CASHIER


def test_operator_roles_follow_the_matrix(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    client = pems["client:ops"]
    upsert = rpc("ProgramConfigService", "UpsertLevel")
    for role in ALL_ROLES:
        context = FakeContext(client, token(role, Scope.chain()))
        if role is Role.HQ_ADMIN:
            gate.authorise(upsert, program_config_pb2.UpsertLevelRequest(), context)
        else:
            with pytest.raises(PermissionDenied, match=f"role {role.name} may not call UpsertLevel"):
                gate.authorise(upsert, program_config_pb2.UpsertLevelRequest(), context)


def test_store_scoped_staff_act_at_their_store_and_on_any_card_at_their_till(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    cashier = FakeContext(pems["client:ops"], token(Role.CASHIER, Scope.store("S-E-001")))
    checkout = transactions_pb2.CheckoutRequest()
    gate.authorise(rpc("TransactionService", "Checkout"), checkout, cashier)
    assert checkout.store_id == "S-E-001"
    with pytest.raises(PermissionDenied, match="outside your scope"):
        gate.authorise(rpc("TransactionService", "Checkout"), transactions_pb2.CheckoutRequest(store_id="S-E-002"), cashier)
    decision = gate.authorise(rpc("CardService", "GetCard"), cards_pb2.GetCardRequest(card_number="88"), cashier)
    assert not decision.check_answer  # cross-store service: the card was presented at the till
    with pytest.raises(PermissionDenied, match="cannot be limited"):
        gate.authorise(rpc("SettlementService", "GetSettlementRun"), settlement_pb2.GetSettlementRunRequest(),
                       FakeContext(pems["client:ops"], token(Role.HQ_FINANCE, Scope.region("E"))))


def test_franchisee_filters_are_forced_to_their_own_franchisee(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    aurora = FakeContext(pems["client:ops"], token(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA")))
    statements = settlement_pb2.ListStatementsRequest()
    gate.authorise(rpc("SettlementService", "ListStatements"), statements, aurora)
    assert statements.franchisee_id == "F-AURORA"
    with pytest.raises(PermissionDenied, match="F-BAMBOO"):
        gate.authorise(rpc("SettlementService", "ListStatements"), settlement_pb2.ListStatementsRequest(franchisee_id="F-BAMBOO"), aurora)
    report = reports_pb2.StreamSalesReportRequest()
    gate.authorise(rpc("ReportService", "StreamSalesReport"), report, aurora)
    assert report.query.scope.franchisee_id == "F-AURORA"
    export = reports_pb2.ExportReportRequest(top_members=reports_pb2.TopMembersQuery())
    gate.authorise(rpc("ReportService", "ExportReport"), export, aurora)
    assert export.top_members.scope.franchisee_id == "F-AURORA" and export.WhichOneof("report") == "top_members"
    with pytest.raises(PermissionDenied, match="S-E-001"):
        gate.authorise(rpc("ReportService", "ExportReport"),
                       reports_pb2.ExportReportRequest(store_daily=reports_pb2.StoreDailyQuery(store_id="S-E-001")), aurora)
    gate.authorise(rpc("ReportService", "GetStoreDailySummary"),
                   reports_pb2.GetStoreDailySummaryRequest(query=reports_pb2.StoreDailyQuery(store_id="S-E-002")), aurora)
    search = member_view_pb2.SearchMemberViewsRequest(home_region="E")
    gate.authorise(rpc("MemberViewService", "SearchMemberViews"), search, aurora)
    assert search.issuing_franchisee_id == "F-AURORA" and search.home_region == "E"


def test_answers_outside_the_scope_are_refused_or_cut(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    aurora = FakeContext(pems["client:ops"], token(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA")))
    get_statement = rpc("SettlementService", "GetStatement")
    decision = gate.authorise(get_statement, settlement_pb2.GetStatementRequest(statement_id="ST-1"), aurora)
    gate._check_answer(decision, settlement_pb2.GetStatementResponse(statement=settlement_pb2.Statement(franchisee_id="F-AURORA")))
    with pytest.raises(PermissionDenied, match="answer is outside"):
        gate._check_answer(decision, settlement_pb2.GetStatementResponse(statement=settlement_pb2.Statement(franchisee_id="F-BAMBOO")))

    view = member_view_pb2.GetMemberViewResponse(
        member=common_pb2.Member(member_id="M1", home_region="W", registered_store_id="S-W-002"),
        cards=[member_view_pb2.CardView(card_number="A", issuing_franchisee_id="F-AURORA", issuing_store_id="S-E-002"),
               member_view_pb2.CardView(card_number="B", issuing_franchisee_id="F-BAMBOO", issuing_store_id="S-W-002")],
        # Linked cards (C5): L (Aurora's, on A) is kept; X (Bamboo's, on A) and Y (Aurora's, on B) are not.
        linked_cards=[member_view_pb2.LinkedCardView(card_number="L", main_card_number="A", issuing_franchisee_id="F-AURORA"),
                      member_view_pb2.LinkedCardView(card_number="X", main_card_number="A", issuing_franchisee_id="F-BAMBOO"),
                      member_view_pb2.LinkedCardView(card_number="Y", main_card_number="B", issuing_franchisee_id="F-AURORA")],
        recent_transactions=[common_pb2.Transaction(card_number=number) for number in ("A", "B", "L", "X", "Y")],
    )
    decision = gate.authorise(rpc("MemberViewService", "GetMemberView"), member_view_pb2.GetMemberViewRequest(member_id="M1"), aurora)
    gate._check_answer(decision, view)
    assert [card.card_number for card in view.cards] == ["A"]
    assert [link.card_number for link in view.linked_cards] == ["L"]
    assert [item.card_number for item in view.recent_transactions] == ["A", "L"]
    stranger = member_view_pb2.GetMemberViewResponse(member=common_pb2.Member(member_id="M2", home_region="W"),
                                                     cards=[member_view_pb2.CardView(card_number="B", issuing_franchisee_id="F-BAMBOO")])
    with pytest.raises(PermissionDenied):
        gate._check_answer(decision, stranger)

    stores = directory_pb2.ListStoresResponse(stores=STORES)
    decision = gate.authorise(rpc("DirectoryService", "ListStores"), directory_pb2.ListStoresRequest(), aurora)
    gate._check_answer(decision, stores)
    assert [store.store_id for store in stores.stores] == ["S-E-002"]


def test_the_handler_sees_the_principal(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    seen = []

    def behavior(request: Any, context: Any) -> Any:
        seen.append(current_principal())
        return directory_pb2.ListRegionsResponse()

    guarded = gate._guard_unary(behavior, rpc("DirectoryService", "ListRegions"))
    guarded(directory_pb2.ListRegionsRequest(), FakeContext(pems["client:ops"], token(Role.AUDITOR, Scope.region("E"))))
    assert seen[0].role is Role.AUDITOR and str(seen[0].scope) == "region:E"
    assert seen[0].audit_fields()["operator_role"] == "OPERATOR_ROLE_AUDITOR"
    assert current_principal() is None


def test_bad_tokens_and_bad_headers_are_unauthenticated(pems: dict[str, bytes]) -> None:
    gate = interceptor()
    method = rpc("CardService", "GetCard")
    for metadata in ((("authorization", "Bearer nonsense"),), (("authorization", "Basic abc"),),
                     (("authorization", "Bearer a"), ("authorization", "Bearer b"))):
        with pytest.raises(Unauthenticated):
            gate.authorise(method, cards_pb2.GetCardRequest(), FakeContext(pems["client:ops"], metadata))


def test_bounds_are_applied_to_mutating_requests(pems: dict[str, bytes]) -> None:
    gate = interceptor(bounds=DEFAULT_BOUNDS)
    cashier = FakeContext(pems["client:ops"], token(Role.CASHIER, Scope.store("S-E-001")))
    with pytest.raises(InvalidArgument, match="amount_fen"):
        gate.authorise(rpc("TransactionService", "RechargeCard"), transactions_pb2.RechargeCardRequest(request_id="r", amount_fen=-1), cashier)


def test_insecure_development_mode_trusts_plaintext_callers_only_when_asked() -> None:
    request = directory_pb2.UpsertRegionRequest()
    with pytest.raises(Unauthenticated):
        interceptor().authorise(rpc("DirectoryService", "UpsertRegion"), request, FakeContext(None))
    interceptor(insecure_dev=True).authorise(rpc("DirectoryService", "UpsertRegion"), request, FakeContext(None))
    # A token still decides for an operator, even in development.
    with pytest.raises(PermissionDenied):
        interceptor(insecure_dev=True).authorise(rpc("DirectoryService", "UpsertRegion"), request,
                                                 FakeContext(None, token(Role.CASHIER, Scope.store("S-E-001"))))


def test_a_companys_cards_are_seen_by_its_franchisee_only_and_its_orders_placed_by_hq(pems: dict[str, bytes]) -> None:
    from chaincard.v1 import companies_pb2

    gate = interceptor()
    aurora = FakeContext(pems["client:ops"], token(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA")))
    list_cards = rpc("CompanyService", "ListCompanyCards")
    decision = gate.authorise(list_cards, companies_pb2.ListCompanyCardsRequest(company_id="CO-A"), aurora)
    gate._check_answer(decision, companies_pb2.ListCompanyCardsResponse(
        company=companies_pb2.Company(company_id="CO-A", home_region="E", franchisee_id="F-AURORA")))
    with pytest.raises(PermissionDenied, match="answer is outside"):
        gate._check_answer(decision, companies_pb2.ListCompanyCardsResponse(
            company=companies_pb2.Company(company_id="CO-B", home_region="E", franchisee_id="F-BAMBOO")))
    with pytest.raises(PermissionDenied):  # an order by invoice is HQ finance's to place
        gate.authorise(rpc("CompanyService", "BulkRecharge"), companies_pb2.BulkRechargeRequest(request_id="r"), aurora)
    finance = FakeContext(pems["client:ops"], token(Role.HQ_FINANCE, Scope.chain()))
    gate.authorise(rpc("CompanyService", "BulkRecharge"), companies_pb2.BulkRechargeRequest(request_id="r"), finance)
    # A payment too: HQ finance records it; the franchisee it is owed to does not.
    payment = companies_pb2.RecordCompanyPaymentRequest(request_id="r", company_id="CO-A", amount_fen=100)
    with pytest.raises(PermissionDenied):
        gate.authorise(rpc("CompanyService", "RecordCompanyPayment"), payment, aurora)
    gate.authorise(rpc("CompanyService", "RecordCompanyPayment"), payment, finance)


def test_a_notice_address_is_given_to_hqs_certificate_only(pems: dict[str, bytes]) -> None:
    # N5, docs/adr/0053: the home region hands out a member's clear address to HQ's notice sender alone.
    gate = interceptor(accepted_peers=PEERS_OF_REGION)
    method = rpc("MemberService", "GetContactForNotice")
    request = members_pb2.GetContactForNoticeRequest(member_id="M-1", channel=program_config_pb2.NOTIFICATION_CHANNEL_EMAIL,
                                                     notice_id="n-1")
    gate.authorise(method, request, FakeContext(pems["hq"]))
    for peer in ("region:E", "store:S-E-001", "settlement"):
        with pytest.raises(PermissionDenied):
            gate.authorise(method, request, FakeContext(pems[peer]))
    for role in ALL_ROLES:
        with pytest.raises(PermissionDenied):
            gate.authorise(method, request, FakeContext(pems["client:ops"], token(role, Scope.chain())))

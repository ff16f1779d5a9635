"""Real mTLS and real tokens against a real gRPC server on port 0: who gets in, who is refused.

The server carries the AuthorizationInterceptor, the DomainErrorInterceptor, health checking and
every chaincard.v1 service (a few implemented minimally here, the rest answering UNIMPLEMENTED,
which past the interceptor means "allowed")."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import chaincard.v1
from chaincard.rpc.interceptors import DomainErrorInterceptor
from chaincard.security.authz import (
    MATRIX,
    PEERS_OF_HQ,
    AuthorizationInterceptor,
    Directory,
    chaincard_methods,
    stores_from_snapshot,
)
from chaincard.security.certs import init_certificates
from chaincard.security.client import bearer_metadata, operator_channel_credentials
from chaincard.security.identity import Role, Scope, current_principal
from chaincard.security.tls import TlsFiles, add_port, peer_identity, secure_channel
from chaincard.security.tokens import KeySet, SigningKey, StaticKeySource, TokenSigner, TokenVerifier
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    companies_pb2,
    companies_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    member_view_pb2,
    member_view_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

DEADLINE = 5.0
STORES = [
    directory_pb2.Store(store_id="S-E-001", region_code="E", franchisee_id="F-HQ"),
    directory_pb2.Store(store_id="S-E-002", region_code="E", franchisee_id="F-AURORA"),
    directory_pb2.Store(store_id="S-W-002", region_code="W", franchisee_id="F-BAMBOO"),
]
STATEMENTS = {"ST-A": "F-AURORA", "ST-B": "F-BAMBOO"}


# ---- minimal servicers: they echo what the interceptor let through ------------------------------------
class Transactions(transactions_pb2_grpc.TransactionServiceServicer):
    def _done(self, request: Any) -> Any:
        principal = current_principal()
        return common_pb2.Transaction(store_id=request.store_id, operator_id=principal.operator_id if principal else "")

    def Checkout(self, request, context):  # noqa: N802
        return transactions_pb2.CheckoutResponse(transaction=self._done(request))

    def AdjustPoints(self, request, context):  # noqa: N802
        return transactions_pb2.AdjustPointsResponse(transaction=self._done(request))


class StoreSync(store_sync_pb2_grpc.StoreSyncServiceServicer):
    def PullConfigSnapshot(self, request, context):  # noqa: N802
        assert peer_identity(context) is not None
        return store_sync_pb2.PullConfigSnapshotResponse(
            snapshot=program_config_pb2.ConfigSnapshot(stores=[directory_pb2.Store(store_id=request.store_id)])
        )


class Settlement(settlement_pb2_grpc.SettlementServiceServicer):
    def GetStatement(self, request, context):  # noqa: N802
        return settlement_pb2.GetStatementResponse(statement=settlement_pb2.Statement(
            statement_id=request.statement_id, franchisee_id=STATEMENTS.get(request.statement_id, "")))

    def ListStatements(self, request, context):  # noqa: N802
        return settlement_pb2.ListStatementsResponse(statements=[
            settlement_pb2.StatementSummary(statement_id=statement, franchisee_id=owner)
            for statement, owner in STATEMENTS.items() if request.franchisee_id in ("", owner)
        ])

    def RunSettlement(self, request, context):  # noqa: N802
        return settlement_pb2.RunSettlementResponse()


class MemberViews(member_view_pb2_grpc.MemberViewServiceServicer):
    def GetMemberView(self, request, context):  # noqa: N802
        return member_view_pb2.GetMemberViewResponse(
            member=common_pb2.Member(member_id=request.member_id, home_region="E", registered_store_id="S-E-002"),
            cards=[member_view_pb2.CardView(card_number="A", issuing_franchisee_id="F-AURORA", issuing_store_id="S-E-002"),
                   member_view_pb2.CardView(card_number="H", issuing_franchisee_id="F-HQ", issuing_store_id="S-E-001")],
            recent_transactions=[common_pb2.Transaction(card_number="A"), common_pb2.Transaction(card_number="H")],
        )


class Reports(reports_pb2_grpc.ReportServiceServicer):
    def StreamSalesReport(self, request, context):  # noqa: N802
        scope = request.query.scope
        yield reports_pb2.StreamSalesReportResponse(row=reports_pb2.SalesReportRow(
            group_key=f"{scope.region_code}/{scope.franchisee_id}/{scope.store_id}"))

    def GetLevelMix(self, request, context):  # noqa: N802
        scope = request.query.scope
        return reports_pb2.GetLevelMixResponse(rows=[reports_pb2.LevelMixRow(
            group_key=f"{scope.region_code}/{scope.franchisee_id}/{scope.store_id}")])


class Directory_(directory_pb2_grpc.DirectoryServiceServicer):
    def ListStores(self, request, context):  # noqa: N802
        return directory_pb2.ListStoresResponse(stores=[
            store for store in STORES if request.region_code in ("", store.region_code)
            and request.franchisee_id in ("", store.franchisee_id)
        ])

    def ListRegions(self, request, context):  # noqa: N802
        return directory_pb2.ListRegionsResponse(regions=[directory_pb2.Region(code="E")])

    def UpsertRegion(self, request, context):  # noqa: N802
        return directory_pb2.UpsertRegionResponse(region=request.region)


class ProgramConfig(program_config_pb2_grpc.ProgramConfigServiceServicer):
    def UpsertLevel(self, request, context):  # noqa: N802
        return program_config_pb2.UpsertLevelResponse(level=request.level)

    def UpsertLevelRule(self, request, context):  # noqa: N802
        return program_config_pb2.UpsertLevelRuleResponse(level_rule=request.level_rule)


class Cards(cards_pb2_grpc.CardServiceServicer):
    def ChangeCardLevel(self, request, context):  # noqa: N802
        return cards_pb2.ChangeCardLevelResponse(card=common_pb2.Card(card_number=request.card_number))


COMPANIES = {"CO-A": ("E", "F-AURORA"), "CO-B": ("W", "F-BAMBOO"), "CO-C": ("E", "F-AURORA")}
JOBS = {"JOB-A": "CO-A", "JOB-C": "CO-C"}  # bulk recharge jobs and their companies


class Companies(companies_pb2_grpc.CompanyServiceServicer):
    def _company(self, company_id: str) -> companies_pb2.Company:
        region, franchisee = COMPANIES.get(company_id, ("", ""))
        return companies_pb2.Company(company_id=company_id, home_region=region, franchisee_id=franchisee)

    def CreateCompany(self, request, context):  # noqa: N802
        return companies_pb2.CreateCompanyResponse(company=request.company)

    def GetCompany(self, request, context):  # noqa: N802
        return companies_pb2.GetCompanyResponse(company=self._company(request.company_id))

    def ListCompanies(self, request, context):  # noqa: N802
        return companies_pb2.ListCompaniesResponse(companies=[
            self._company(company_id) for company_id, (region, franchisee) in COMPANIES.items()
            if request.home_region in ("", region) and request.franchisee_id in ("", franchisee)])

    def ListCompanyCards(self, request, context):  # noqa: N802
        return companies_pb2.ListCompanyCardsResponse(company=self._company(request.company_id))

    def GetBulkRecharge(self, request, context):  # noqa: N802
        owner = JOBS.get(request.job_id, "")
        return companies_pb2.GetBulkRechargeResponse(
            job=companies_pb2.CompanyRechargeJob(job_id=request.job_id, company_id=owner), company=self._company(owner))


IMPLEMENTED = {
    "CompanyService": Companies, "TransactionService": Transactions, "StoreSyncService": StoreSync, "SettlementService": Settlement,
    "MemberViewService": MemberViews, "ReportService": Reports, "DirectoryService": Directory_,
    "ProgramConfigService": ProgramConfig, "CardService": Cards,
}


def _register_every_service(server: grpc.Server) -> None:
    for module_info in pkgutil.iter_modules(chaincard.v1.__path__):
        if not module_info.name.endswith("_pb2_grpc"):
            continue
        module = importlib.import_module(f"chaincard.v1.{module_info.name}")
        messages = importlib.import_module(f"chaincard.v1.{module_info.name.removesuffix('_grpc')}")
        for service in messages.DESCRIPTOR.services_by_name:
            servicer_class = IMPLEMENTED.get(service, getattr(module, f"{service}Servicer"))
            getattr(module, f"add_{service}Servicer_to_server")(servicer_class(), server)


# ---- the chain under test -------------------------------------------------------------------------------
@dataclass
class Chain:
    certs: Path
    other_certs: Path
    port: int
    key: SigningKey
    keys: StaticKeySource

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def files(self, name: str, directory: Path | None = None) -> TlsFiles:
        return TlsFiles.from_directory(directory or self.certs, name)

    def token(self, role: Role, scope: Scope, **kwargs: Any) -> str:
        return TokenSigner(self.key).issue(f"OP-{role.name}-{scope}", role, scope, **kwargs).token


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    certs = tmp_path_factory.mktemp("certs")
    init_certificates(certs, ["hq", "region:E", "store:S-E-001", "settlement", "client:ops"])
    other = tmp_path_factory.mktemp("other-ca")
    init_certificates(other, ["store:S-E-001", "client:ops"])
    key = SigningKey.generate()
    keys = StaticKeySource(KeySet.of([key.verification_key()]))
    authz = AuthorizationInterceptor(
        TokenVerifier(keys), accepted_peers=PEERS_OF_HQ | {"store", "region", "settlement"},
        directory=Directory(stores_from_snapshot(program_config_pb2.ConfigSnapshot(stores=STORES))),
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), interceptors=[authz, DomainErrorInterceptor()],
                         options=[("grpc.so_reuseport", 0)])
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    _register_every_service(server)
    port = add_port(server, "127.0.0.1:0", TlsFiles.from_directory(certs, "hq"))
    server.start()
    yield Chain(certs=certs, other_certs=other, port=port, key=key, keys=keys)
    server.stop(0).wait()


@pytest.fixture(scope="module")
def ops_channel(chain: Chain) -> Iterator[grpc.Channel]:
    with secure_channel(chain.target, chain.files("client:ops"), expected_server="hq") as channel:
        yield channel


def _code(call: Any) -> grpc.StatusCode:
    try:
        answer = call()
        if isinstance(answer, Iterator):
            list(answer)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def _health(channel: grpc.Channel) -> grpc.StatusCode:
    return _code(lambda: health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=DEADLINE))


# ---- transport: who gets in at all -----------------------------------------------------------------------
def test_a_client_without_a_certificate_is_refused(chain: Chain) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=(chain.certs / "ca.pem").read_bytes())
    with grpc.secure_channel(chain.target, credentials) as channel:
        assert _health(channel) == grpc.StatusCode.UNAVAILABLE
    with grpc.insecure_channel(chain.target) as channel:
        assert _health(channel) == grpc.StatusCode.UNAVAILABLE


def test_a_certificate_from_another_ca_is_refused(chain: Chain) -> None:
    foreign = TlsFiles(ca=chain.certs / "ca.pem", certificate=chain.other_certs / "store-S-E-001.pem",
                       key=chain.other_certs / "store-S-E-001.key")
    with secure_channel(chain.target, foreign) as channel:
        assert _health(channel) == grpc.StatusCode.UNAVAILABLE


def test_a_chain_certificate_reaches_health_and_a_pinned_server_name_must_match(chain: Chain, ops_channel: grpc.Channel) -> None:
    assert _health(ops_channel) == grpc.StatusCode.OK
    with secure_channel(chain.target, chain.files("client:ops"), expected_server="region:E") as wrong_server:
        assert _health(wrong_server) == grpc.StatusCode.UNAVAILABLE


# ---- store certificates --------------------------------------------------------------------------------------
def test_a_store_certificate_speaks_only_for_its_own_store(chain: Chain) -> None:
    with secure_channel(chain.target, chain.files("store:S-E-001"), expected_server="hq") as channel:
        sync = store_sync_pb2_grpc.StoreSyncServiceStub(channel)
        answer = sync.PullConfigSnapshot(store_sync_pb2.PullConfigSnapshotRequest(), timeout=DEADLINE)
        assert answer.snapshot.stores[0].store_id == "S-E-001"  # filled in from the certificate
        answer = sync.PullConfigSnapshot(store_sync_pb2.PullConfigSnapshotRequest(store_id="S-E-001"), timeout=DEADLINE)
        assert answer.snapshot.stores[0].store_id == "S-E-001"
        with pytest.raises(grpc.RpcError) as refused:
            sync.PullConfigSnapshot(store_sync_pb2.PullConfigSnapshotRequest(store_id="S-E-002"), timeout=DEADLINE)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "cannot act for store 'S-E-002'" in refused.value.details()
        till = transactions_pb2_grpc.TransactionServiceStub(channel)
        assert _code(lambda: till.Checkout(transactions_pb2.CheckoutRequest(store_id="S-W-002"), timeout=DEADLINE)) \
            == grpc.StatusCode.PERMISSION_DENIED
        sale = till.Checkout(transactions_pb2.CheckoutRequest(), timeout=DEADLINE)
        assert sale.transaction.store_id == "S-E-001"
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        assert _code(lambda: program.UpsertLevel(program_config_pb2.UpsertLevelRequest(), timeout=DEADLINE)) \
            == grpc.StatusCode.PERMISSION_DENIED


def test_an_operator_client_without_a_token_is_unauthenticated(ops_channel: grpc.Channel) -> None:
    stub = directory_pb2_grpc.DirectoryServiceStub(ops_channel)
    assert _code(lambda: stub.ListRegions(directory_pb2.ListRegionsRequest(), timeout=DEADLINE)) == grpc.StatusCode.UNAUTHENTICATED


# ---- operators: role × scope over representative RPCs ------------------------------------------------------
OK, DENIED, UNAUTH = grpc.StatusCode.OK, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED
AURORA = Scope.franchisee("F-AURORA")
BAMBOO = Scope.franchisee("F-BAMBOO")
CASHIER_E1 = (Role.CASHIER, Scope.store("S-E-001"))
MANAGER_E1 = (Role.STORE_MANAGER, Scope.store("S-E-001"))
COMPANY_ADMIN_A = (Role.COMPANY_ADMIN, Scope.company("CO-A"))
CASES: list[tuple[str, tuple[Role, Scope], str, Any, grpc.StatusCode]] = [
    ("cashier sells at own store", CASHIER_E1, "TransactionService/Checkout", transactions_pb2.CheckoutRequest(), OK),
    ("cashier sells for another store", CASHIER_E1, "TransactionService/Checkout",
     transactions_pb2.CheckoutRequest(store_id="S-E-002"), DENIED),
    ("cashier adjusts points", CASHIER_E1, "TransactionService/AdjustPoints", transactions_pb2.AdjustPointsRequest(), DENIED),
    ("manager adjusts points", MANAGER_E1, "TransactionService/AdjustPoints", transactions_pb2.AdjustPointsRequest(), OK),
    ("cashier changes a card's level", CASHIER_E1, "CardService/ChangeCardLevel", cards_pb2.ChangeCardLevelRequest(), DENIED),
    ("manager changes a card's level at own store", MANAGER_E1, "CardService/ChangeCardLevel", cards_pb2.ChangeCardLevelRequest(), OK),
    ("manager changes a card's level for another store", MANAGER_E1, "CardService/ChangeCardLevel",
     cards_pb2.ChangeCardLevelRequest(store_id="S-E-002"), DENIED),
    ("HQ admin changes a level rule", (Role.HQ_ADMIN, Scope.chain()), "ProgramConfigService/UpsertLevelRule",
     program_config_pb2.UpsertLevelRuleRequest(), OK),
    ("franchisee changes a level rule", (Role.FRANCHISEE_ADMIN, AURORA), "ProgramConfigService/UpsertLevelRule",
     program_config_pb2.UpsertLevelRuleRequest(), DENIED),
    ("cashier changes config", CASHIER_E1, "ProgramConfigService/UpsertLevel", program_config_pb2.UpsertLevelRequest(), DENIED),
    ("HQ admin changes config", (Role.HQ_ADMIN, Scope.chain()), "ProgramConfigService/UpsertLevel",
     program_config_pb2.UpsertLevelRequest(), OK),
    ("regional HQ admin changes config", (Role.HQ_ADMIN, Scope.region("E")), "ProgramConfigService/UpsertLevel",
     program_config_pb2.UpsertLevelRequest(), DENIED),
    ("auditor writes the directory", (Role.AUDITOR, Scope.chain()), "DirectoryService/UpsertRegion",
     directory_pb2.UpsertRegionRequest(), DENIED),
    ("auditor reads regions", (Role.AUDITOR, Scope.chain()), "DirectoryService/ListRegions", directory_pb2.ListRegionsRequest(), OK),
    ("franchisee lists its statements", (Role.FRANCHISEE_ADMIN, AURORA), "SettlementService/ListStatements",
     settlement_pb2.ListStatementsRequest(), OK),
    ("franchisee lists another's statements", (Role.FRANCHISEE_ADMIN, AURORA), "SettlementService/ListStatements",
     settlement_pb2.ListStatementsRequest(franchisee_id="F-BAMBOO"), DENIED),
    ("franchisee reads its statement", (Role.FRANCHISEE_ADMIN, AURORA), "SettlementService/GetStatement",
     settlement_pb2.GetStatementRequest(statement_id="ST-A"), OK),
    ("franchisee reads another's statement", (Role.FRANCHISEE_ADMIN, AURORA), "SettlementService/GetStatement",
     settlement_pb2.GetStatementRequest(statement_id="ST-B"), DENIED),
    ("franchisee names another's statement", (Role.FRANCHISEE_ADMIN, AURORA), "SettlementService/GetStatement",
     settlement_pb2.GetStatementRequest(franchisee_id="F-BAMBOO", business_date="2026-01-01"), DENIED),
    ("franchisee runs settlement", (Role.FRANCHISEE_ADMIN, AURORA), "SettlementService/RunSettlement",
     settlement_pb2.RunSettlementRequest(), DENIED),
    ("HQ finance runs settlement", (Role.HQ_FINANCE, Scope.chain()), "SettlementService/RunSettlement",
     settlement_pb2.RunSettlementRequest(), OK),
    ("franchisee sees a member holding its card", (Role.FRANCHISEE_ADMIN, AURORA), "MemberViewService/GetMemberView",
     member_view_pb2.GetMemberViewRequest(member_id="M1"), OK),
    ("franchisee sees a member of another franchisee", (Role.FRANCHISEE_ADMIN, BAMBOO), "MemberViewService/GetMemberView",
     member_view_pb2.GetMemberViewRequest(member_id="M1"), DENIED),
    ("franchisee reports on another franchisee", (Role.FRANCHISEE_ADMIN, AURORA), "ReportService/StreamSalesReport",
     reports_pb2.StreamSalesReportRequest(query=reports_pb2.SalesReportQuery(scope=reports_pb2.ReportScope(franchisee_id="F-BAMBOO"))),
     DENIED),
    ("franchisee's level mix of another franchisee", (Role.FRANCHISEE_ADMIN, AURORA), "ReportService/GetLevelMix",
     reports_pb2.GetLevelMixRequest(query=reports_pb2.LevelMixQuery(scope=reports_pb2.ReportScope(franchisee_id="F-BAMBOO"))),
     DENIED),
    ("regional manager's level mix of another region", (Role.REGIONAL_MANAGER, Scope.region("E")), "ReportService/GetLevelMix",
     reports_pb2.GetLevelMixRequest(query=reports_pb2.LevelMixQuery(scope=reports_pb2.ReportScope(region_code="W"))), DENIED),
    ("store manager's level mix of own store", MANAGER_E1, "ReportService/GetLevelMix", reports_pb2.GetLevelMixRequest(), OK),
    ("franchisee reads consumer lag", (Role.FRANCHISEE_ADMIN, AURORA), "EventPipelineService/GetConsumerLag", None, DENIED),
    ("regional manager reads consumer lag", (Role.REGIONAL_MANAGER, Scope.region("E")), "EventPipelineService/GetConsumerLag",
     None, DENIED),
    ("HQ finance reads consumer lag", (Role.HQ_FINANCE, Scope.chain()), "EventPipelineService/GetConsumerLag", None, DENIED),
    ("a region-scoped auditor reads consumer lag", (Role.AUDITOR, Scope.region("E")), "EventPipelineService/GetConsumerLag",
     None, DENIED),
    ("regional manager lists another region's stores", (Role.REGIONAL_MANAGER, Scope.region("E")), "DirectoryService/ListStores",
     directory_pb2.ListStoresRequest(region_code="W"), DENIED),
    ("cashier lists stores", CASHIER_E1, "DirectoryService/ListStores", directory_pb2.ListStoresRequest(), DENIED),
    ("HQ finance creates a company", (Role.HQ_FINANCE, Scope.chain()), "CompanyService/CreateCompany",
     companies_pb2.CreateCompanyRequest(), OK),
    ("franchisee creates a company", (Role.FRANCHISEE_ADMIN, AURORA), "CompanyService/CreateCompany",
     companies_pb2.CreateCompanyRequest(), DENIED),
    ("franchisee reads a company buying from it", (Role.FRANCHISEE_ADMIN, AURORA), "CompanyService/GetCompany",
     companies_pb2.GetCompanyRequest(company_id="CO-A"), OK),
    ("franchisee reads another's company", (Role.FRANCHISEE_ADMIN, AURORA), "CompanyService/GetCompany",
     companies_pb2.GetCompanyRequest(company_id="CO-B"), DENIED),
    ("franchisee lists the cards of a company buying from it", (Role.FRANCHISEE_ADMIN, AURORA),
     "CompanyService/ListCompanyCards", companies_pb2.ListCompanyCardsRequest(company_id="CO-A"), OK),
    ("franchisee lists another's company's cards", (Role.FRANCHISEE_ADMIN, AURORA), "CompanyService/ListCompanyCards",
     companies_pb2.ListCompanyCardsRequest(company_id="CO-B"), DENIED),
    ("franchisee issues a credit note on its company's invoice", (Role.FRANCHISEE_ADMIN, AURORA),
     "CompanyService/CreditCompanyLine", companies_pb2.CreditCompanyLineRequest(), DENIED),
    ("regional manager issues a credit note", (Role.REGIONAL_MANAGER, Scope.region("E")),
     "CompanyService/CreditCompanyLine", companies_pb2.CreditCompanyLineRequest(), DENIED),
    ("regional manager lists the cards of another region's company", (Role.REGIONAL_MANAGER, Scope.region("E")),
     "CompanyService/ListCompanyCards", companies_pb2.ListCompanyCardsRequest(company_id="CO-B"), DENIED),
    ("regional manager lists another region's companies", (Role.REGIONAL_MANAGER, Scope.region("E")),
     "CompanyService/ListCompanies", companies_pb2.ListCompaniesRequest(home_region="W"), DENIED),
    ("integrator of a franchisee asks for a balance", (Role.INTEGRATOR, AURORA), "CardService/GetBalance",
     common_pb2.Balances(), DENIED),
    # A company's own administrator (C6): its company, cards and bulk recharges; another company's
    # (even one of the same seller and region) refused.
    ("company admin reads its company", COMPANY_ADMIN_A, "CompanyService/GetCompany",
     companies_pb2.GetCompanyRequest(company_id="CO-A"), OK),
    ("company admin reads another company of its seller", COMPANY_ADMIN_A, "CompanyService/GetCompany",
     companies_pb2.GetCompanyRequest(company_id="CO-C"), DENIED),
    ("company admin reads another company", COMPANY_ADMIN_A, "CompanyService/GetCompany",
     companies_pb2.GetCompanyRequest(company_id="CO-B"), DENIED),
    ("company admin lists its cards", COMPANY_ADMIN_A, "CompanyService/ListCompanyCards",
     companies_pb2.ListCompanyCardsRequest(company_id="CO-A"), OK),
    ("company admin lists another company's cards", COMPANY_ADMIN_A, "CompanyService/ListCompanyCards",
     companies_pb2.ListCompanyCardsRequest(company_id="CO-C"), DENIED),
    ("company admin follows its bulk recharge", COMPANY_ADMIN_A, "CompanyService/GetBulkRecharge",
     companies_pb2.GetBulkRechargeRequest(job_id="JOB-A"), OK),
    ("company admin follows another company's bulk recharge", COMPANY_ADMIN_A, "CompanyService/GetBulkRecharge",
     companies_pb2.GetBulkRechargeRequest(job_id="JOB-C"), DENIED),
    ("company admin lists companies", COMPANY_ADMIN_A, "CompanyService/ListCompanies",
     companies_pb2.ListCompaniesRequest(), DENIED),
    ("company admin orders a bulk recharge", COMPANY_ADMIN_A, "CompanyService/BulkRecharge",
     companies_pb2.BulkRechargeRequest(company_id="CO-A"), DENIED),
    ("company admin records its payment", COMPANY_ADMIN_A, "CompanyService/RecordCompanyPayment",
     companies_pb2.RecordCompanyPaymentRequest(company_id="CO-A"), DENIED),
    ("company admin credits its line", COMPANY_ADMIN_A, "CompanyService/CreditCompanyLine",
     companies_pb2.CreditCompanyLineRequest(job_id="JOB-A"), DENIED),
    ("company admin lists regions", COMPANY_ADMIN_A, "DirectoryService/ListRegions", directory_pb2.ListRegionsRequest(), DENIED),
    ("seller's franchisee admin follows its company's bulk recharge", (Role.FRANCHISEE_ADMIN, AURORA),
     "CompanyService/GetBulkRecharge", companies_pb2.GetBulkRechargeRequest(job_id="JOB-A"), OK),
]


def _call(channel: grpc.Channel, method: str, request: Any, metadata: Any = None) -> Any:
    full = f"/chaincard.v1.{method}" if not method.startswith("/") else method
    descriptor = chaincard_methods()[full]
    from google.protobuf import message_factory

    response_class = message_factory.GetMessageClass(descriptor.output_type)
    request_class = message_factory.GetMessageClass(descriptor.input_type)
    if request is None or type(request).DESCRIPTOR.full_name != descriptor.input_type.full_name:
        request = request_class()
    factory = channel.unary_stream if descriptor.server_streaming else channel.unary_unary
    stub = factory(full, request_serializer=lambda message: message.SerializeToString(),
                   response_deserializer=response_class.FromString)
    answer = stub(request, timeout=DEADLINE, metadata=metadata)
    return list(answer) if descriptor.server_streaming else answer


@pytest.mark.parametrize(("label", "who", "method", "request_message", "expected"), CASES, ids=[case[0] for case in CASES])
def test_role_and_scope_over_real_mtls(chain: Chain, ops_channel: grpc.Channel, label: str, who: tuple[Role, Scope],
                                      method: str, request_message: Any, expected: grpc.StatusCode) -> None:
    metadata = bearer_metadata(chain.token(*who))
    assert _code(lambda: _call(ops_channel, method, request_message, metadata)) == expected, label


def test_allowed_calls_are_kept_inside_the_scope(chain: Chain, ops_channel: grpc.Channel) -> None:
    aurora = bearer_metadata(chain.token(Role.FRANCHISEE_ADMIN, AURORA))
    statements = _call(ops_channel, "SettlementService/ListStatements", settlement_pb2.ListStatementsRequest(), aurora)
    assert [item.statement_id for item in statements.statements] == ["ST-A"]
    view = _call(ops_channel, "MemberViewService/GetMemberView", member_view_pb2.GetMemberViewRequest(member_id="M1"), aurora)
    assert [card.card_number for card in view.cards] == ["A"]
    assert [item.card_number for item in view.recent_transactions] == ["A"]
    rows = _call(ops_channel, "ReportService/StreamSalesReport", reports_pb2.StreamSalesReportRequest(), aurora)
    assert [row.row.group_key for row in rows] == ["/F-AURORA/"]
    mix = _call(ops_channel, "ReportService/GetLevelMix", reports_pb2.GetLevelMixRequest(), aurora)
    assert [row.group_key for row in mix.rows] == ["/F-AURORA/"]
    east = bearer_metadata(chain.token(Role.REGIONAL_MANAGER, Scope.region("E")))
    stores = _call(ops_channel, "DirectoryService/ListStores", directory_pb2.ListStoresRequest(), east)
    assert [store.store_id for store in stores.stores] == ["S-E-001", "S-E-002"]
    companies = _call(ops_channel, "CompanyService/ListCompanies", companies_pb2.ListCompaniesRequest(), east)
    assert [company.company_id for company in companies.companies] == ["CO-A", "CO-C"]
    companies = _call(ops_channel, "CompanyService/ListCompanies", companies_pb2.ListCompaniesRequest(), aurora)
    assert [company.company_id for company in companies.companies] == ["CO-A", "CO-C"]
    sale = _call(ops_channel, "TransactionService/Checkout", transactions_pb2.CheckoutRequest(),
                 bearer_metadata(chain.token(*CASHIER_E1)))
    assert sale.transaction.store_id == "S-E-001"
    assert sale.transaction.operator_id == "OP-CASHIER-store:S-E-001"


def test_every_rpc_admits_exactly_the_roles_of_the_matrix(chain: Chain, ops_channel: grpc.Channel) -> None:
    """Chain-scoped tokens of every role against every RPC: allowed ones pass the interceptor
    (OK or UNIMPLEMENTED from the stub servicers), every other one is PERMISSION_DENIED."""
    tokens = {role: bearer_metadata(chain.token(role, Scope.chain())) for role in Role}
    for method, rule in sorted(MATRIX.items()):
        for role in Role:
            code = _code(lambda method=method, role=role: _call(ops_channel, method, None, tokens[role]))
            if rule.public or role in rule.roles:
                assert code not in (DENIED, UNAUTH), (method, role.name, code)
            else:
                assert code == DENIED, (method, role.name, code)


def test_a_company_admin_reaches_its_own_companys_three_reads_and_nothing_else(chain: Chain, ops_channel: grpc.Channel) -> None:
    """Every RPC of every service with a company admin's token: GetCompany, ListCompanyCards and
    GetBulkRecharge of its own company pass, and so do the self-service operator calls (its own
    record, password and tokens: the HQ handler holds it to its own, tests/integration/
    test_security_operators.py); everything else, including what every other role may call
    (ListRegions, GetTokenVerificationKeys), is PERMISSION_DENIED. The region still reads the
    verification keys with its certificate alone."""
    token = bearer_metadata(chain.token(*COMPANY_ADMIN_A))
    own = {"CompanyService/GetCompany": companies_pb2.GetCompanyRequest(company_id="CO-A"),
           "CompanyService/ListCompanyCards": companies_pb2.ListCompanyCardsRequest(company_id="CO-A"),
           "CompanyService/GetBulkRecharge": companies_pb2.GetBulkRechargeRequest(job_id="JOB-A")}
    self_service = {"OperatorService/GetOperator", "OperatorService/SetOperatorPassword", "OperatorService/RevokeToken"}
    passed = []
    for method in sorted(MATRIX):
        short = method.removeprefix("/chaincard.v1.")
        code = _code(lambda method=method, short=short: _call(ops_channel, method, own.get(short), token))
        if MATRIX[method].public:
            continue  # logging in: the password decides
        if short in self_service:
            assert code not in (DENIED, UNAUTH), (method, code)  # past the interceptor (the stub server does not implement it)
        elif short in own:
            assert code == OK, (method, code)
            passed.append(short)
        else:
            assert code == DENIED, (method, code)
    assert sorted(passed) == sorted(own)
    with secure_channel(chain.target, chain.files("region:E"), expected_server="hq") as region:
        code = _code(lambda: _call(region, "OperatorService/GetTokenVerificationKeys", None))
    assert code not in (DENIED, UNAUTH), code  # past the interceptor (the stub server does not implement it)


def test_operator_channel_credentials_send_the_token_on_every_call(chain: Chain) -> None:
    credentials = operator_channel_credentials(chain.files("client:ops"), chain.token(Role.AUDITOR, Scope.chain()))
    with grpc.secure_channel(chain.target, credentials, options=[("grpc.ssl_target_name_override", "hq.chaincard")]) as channel:
        regions = directory_pb2_grpc.DirectoryServiceStub(channel).ListRegions(directory_pb2.ListRegionsRequest(), timeout=DEADLINE)
        assert [region.code for region in regions.regions] == ["E"]


def test_expired_revoked_tampered_and_foreign_tokens_are_unauthenticated(chain: Chain, ops_channel: grpc.Channel) -> None:
    method, request = "DirectoryService/ListRegions", directory_pb2.ListRegionsRequest()
    expired = TokenSigner(chain.key, clock=lambda: time.time() - 7200).issue("OP-1", Role.HQ_ADMIN, Scope.chain()).token
    foreign = TokenSigner(SigningKey.generate()).issue("OP-1", Role.HQ_ADMIN, Scope.chain()).token
    good = TokenSigner(chain.key).issue("OP-1", Role.HQ_ADMIN, Scope.chain())
    head, payload, signature = good.token.split(".")
    tampered = f"{head}.{payload[:-4]}AAAA.{signature}"
    for bad in (expired, foreign, tampered, "garbage"):
        assert _code(lambda bad=bad: _call(ops_channel, method, request, bearer_metadata(bad))) == UNAUTH
    assert _code(lambda: _call(ops_channel, method, request, bearer_metadata(good.token))) == OK
    previous = chain.keys.key_set
    chain.keys.key_set = KeySet.of(previous.keys.values(), [good.claims.token_id])
    try:
        assert _code(lambda: _call(ops_channel, method, request, bearer_metadata(good.token))) == UNAUTH
    finally:
        chain.keys.key_set = previous


def test_plaintext_is_refused_unless_the_server_runs_insecure_for_development() -> None:
    def serve(insecure_dev: bool) -> tuple[grpc.Server, int]:
        authz = AuthorizationInterceptor(None, insecure_dev=insecure_dev)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[authz, DomainErrorInterceptor()],
                             options=[("grpc.so_reuseport", 0)])
        directory_pb2_grpc.add_DirectoryServiceServicer_to_server(Directory_(), server)
        return server, add_port(server, "127.0.0.1:0", None)

    for insecure_dev, expected in ((False, UNAUTH), (True, OK)):
        server, port = serve(insecure_dev)
        server.start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = directory_pb2_grpc.DirectoryServiceStub(channel)
                assert _code(lambda stub=stub: stub.ListRegions(directory_pb2.ListRegionsRequest(), timeout=DEADLINE)) == expected
        finally:
            server.stop(0).wait()

"""gRPC servicers of HQ: translate calls into handler calls, nothing more.

One ``def`` per RPC. A write runs its handler through HQ's command runner (``commands``, wired in
hq_service.bootstrap), which owns the request id, its replay, the retry and the commit; a read opens
a session and calls its query. The grpc ``context`` stays here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner
from chaincard.config import Settings
from chaincard.security.tokens import key_set_to_proto
from chaincard.v1 import (
    directory_pb2,
    directory_pb2_grpc,
    member_index_pb2_grpc,
    member_view_pb2_grpc,
    operators_pb2_grpc,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
)
from hq_service import operators
from hq_service.handlers import card_directory, directory, member_index, member_view, program, reports
from hq_service.unit_of_work import HqUnitOfWork

HqCommands = CommandRunner[HqUnitOfWork]


class DirectoryServicer(directory_pb2_grpc.DirectoryServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], commands: HqCommands) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def UpsertRegion(self, request, context):  # noqa: N802 - gRPC method names
        return self.commands.run(directory.upsert_region, request)

    def ListRegions(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListRegionsResponse(regions=directory.list_regions(session))

    def UpsertFranchisee(self, request, context):  # noqa: N802
        return self.commands.run(directory.upsert_franchisee, request)

    def ListFranchisees(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListFranchiseesResponse(franchisees=directory.list_franchisees(session))

    def UpsertStore(self, request, context):  # noqa: N802
        return self.commands.run(directory.upsert_store, request)

    def GetStore(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.GetStoreResponse(store=directory.get_store(session, request.store_id))

    def ListStores(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListStoresResponse(
                stores=directory.list_stores(session, request.region_code, request.franchisee_id)
            )

    def UpsertStaff(self, request, context):  # noqa: N802
        return self.commands.run(directory.upsert_staff, request)

    def ListStaff(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListStaffResponse(
                staff=directory.list_staff(session, request.store_id, include_inactive=request.include_inactive)
            )


class ProgramConfigServicer(program_config_pb2_grpc.ProgramConfigServiceServicer):
    """Every configuration-changing RPC is handled by ``program.change_config`` (see CONFIG_KINDS)."""

    def __init__(self, session_factory: sessionmaker[Session], commands: HqCommands) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def GetConfigSnapshot(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return program.get_config_snapshot(session, request)

    def UpsertCardType(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertLevel(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertRechargePromotion(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertEarnRule(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertPointsRedemptionRule(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def SetPointsDeductionPolicy(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertCouponTemplate(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertCountItem(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def SetFeeSchedule(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def SetOfflineLimits(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def SetStoreOfflineLimits(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def UpsertNotificationTemplate(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)

    def SetChainSettings(self, request, context):  # noqa: N802
        return self.commands.run(program.change_config, request)


class MemberIndexServicer(member_index_pb2_grpc.MemberIndexServiceServicer):
    """ClaimPhone and ReleasePhone keep their own transactions: the phone claim itself is their
    idempotency record (ADR 0008), not HQ's key table (see hq_service.handlers.member_index)."""

    def __init__(self, session_factory: sessionmaker[Session], commands: HqCommands) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def ClaimPhone(self, request, context):  # noqa: N802
        return member_index.claim_phone(self.session_factory, request)

    def LookupPhone(self, request, context):  # noqa: N802
        return member_index.lookup_phone(self.session_factory, request)

    def ReleasePhone(self, request, context):  # noqa: N802
        return member_index.release_phone(self.session_factory, request)

    def RegisterPhysicalCards(self, request, context):  # noqa: N802
        return self.commands.run(card_directory.register_physical_cards, request)

    def ResolveCardNumber(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return card_directory.resolve_card_number(session, request)


class MemberViewServicer(member_view_pb2_grpc.MemberViewServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], phone_key: str) -> None:
        self.session_factory = session_factory
        self.phone_key = phone_key

    def GetMemberView(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return member_view.get_member_view(session, request, self.phone_key)


class ReportServicer(reports_pb2_grpc.ReportServiceServicer):
    """Streams rows as they are read; each call reads one consistent snapshot of the read models."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    def GetStoreDailySummary(self, request, context):  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            return reports.store_daily_summary(session, request.query)

    def StreamSalesReport(self, request, context):  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in reports.sales_report(session, request.query):
                yield reports_pb2.StreamSalesReportResponse(row=row)

    def StreamTopMembers(self, request, context):  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in reports.top_members(session, request.query):
                yield reports_pb2.StreamTopMembersResponse(row=row)

    def StreamLiabilityReport(self, request, context):  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in reports.liability_report(session, request.query, self.settings):
                yield reports_pb2.StreamLiabilityReportResponse(row=row)

    def ExportReport(self, request, context):  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for chunk in reports.export_report(session, request, self.settings):
                yield reports_pb2.ExportReportResponse(chunk=chunk)


class OperatorServicer(operators_pb2_grpc.OperatorServiceServicer):
    """Translates OperatorService calls into the handlers of hq_service.operators."""

    def __init__(self, ctx: operators.OperatorContext, commands: HqCommands) -> None:
        self.ctx = ctx
        self.commands = commands

    def UpsertOperator(self, request, context):  # noqa: N802
        return self.commands.run(operators.upsert_operator, request)

    def GetOperator(self, request, context):  # noqa: N802
        return operators.get_operator(self.ctx, request)

    def ListOperators(self, request, context):  # noqa: N802
        return operators.list_operators(self.ctx, request)

    def SetOperatorPassword(self, request, context):  # noqa: N802
        return operators.run_set_operator_password(self.ctx, self.commands, request)

    def IssueToken(self, request, context):  # noqa: N802
        return operators.run_issue_token(self.ctx, self.commands, request)

    def RevokeToken(self, request, context):  # noqa: N802
        return self.commands.run(operators.revoke_token, request)

    def GetTokenVerificationKeys(self, request, context):  # noqa: N802
        return key_set_to_proto(operators.verification_keys(self.ctx))

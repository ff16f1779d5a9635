"""gRPC servicers of HQ: translate calls into handler calls, nothing more.

One ``def`` per RPC. A write runs its handler through HQ's command runner (``commands``, wired in
hq_service.bootstrap), which owns the request id, its replay, the retry and the commit; a read opens
a session and calls its query. The grpc ``context`` stays here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import grpc
from google.protobuf.message import Message
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner, ResponseT
from chaincard.config import Settings
from chaincard.security.tokens import key_set_to_proto
from chaincard.v1 import (
    commission_pb2,
    commission_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    member_index_pb2,
    member_index_pb2_grpc,
    member_view_pb2,
    member_view_pb2_grpc,
    operators_pb2,
    operators_pb2_grpc,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
)
from chaincard.v1 import program_config_pb2 as pc
from hq_service import commission, member_search, operators
from hq_service.handlers import (
    card_directory,
    coupon_report,
    directory,
    member_index,
    member_view,
    program,
    reports,
)
from hq_service.unit_of_work import HqUnitOfWork

HqCommands = CommandRunner[HqUnitOfWork]


class DirectoryServicer(directory_pb2_grpc.DirectoryServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], commands: HqCommands) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def UpsertRegion(self, request: directory_pb2.UpsertRegionRequest, context: grpc.ServicerContext) -> directory_pb2.UpsertRegionResponse:  # noqa: N802 - gRPC method names
        return self.commands.run(directory.upsert_region, request)

    def ListRegions(self, request: directory_pb2.ListRegionsRequest, context: grpc.ServicerContext) -> directory_pb2.ListRegionsResponse:  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListRegionsResponse(regions=directory.list_regions(session))

    def UpsertFranchisee(self, request: directory_pb2.UpsertFranchiseeRequest, context: grpc.ServicerContext) -> directory_pb2.UpsertFranchiseeResponse:  # noqa: N802
        return self.commands.run(directory.upsert_franchisee, request)

    def ListFranchisees(self, request: directory_pb2.ListFranchiseesRequest, context: grpc.ServicerContext) -> directory_pb2.ListFranchiseesResponse:  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListFranchiseesResponse(franchisees=directory.list_franchisees(session))

    def UpsertStore(self, request: directory_pb2.UpsertStoreRequest, context: grpc.ServicerContext) -> directory_pb2.UpsertStoreResponse:  # noqa: N802
        return self.commands.run(directory.upsert_store, request)

    def GetStore(self, request: directory_pb2.GetStoreRequest, context: grpc.ServicerContext) -> directory_pb2.GetStoreResponse:  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.GetStoreResponse(store=directory.get_store(session, request.store_id))

    def ListStores(self, request: directory_pb2.ListStoresRequest, context: grpc.ServicerContext) -> directory_pb2.ListStoresResponse:  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListStoresResponse(
                stores=directory.list_stores(session, request.region_code, request.franchisee_id)
            )

    def UpsertStaff(self, request: directory_pb2.UpsertStaffRequest, context: grpc.ServicerContext) -> directory_pb2.UpsertStaffResponse:  # noqa: N802
        return self.commands.run(directory.upsert_staff, request)

    def ListStaff(self, request: directory_pb2.ListStaffRequest, context: grpc.ServicerContext) -> directory_pb2.ListStaffResponse:  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListStaffResponse(
                staff=directory.list_staff(session, request.store_id, include_inactive=request.include_inactive)
            )


class ProgramConfigServicer(program_config_pb2_grpc.ProgramConfigServiceServicer):
    """Every configuration-changing RPC is handled by ``program.change_config`` (see CONFIG_KINDS)."""

    def __init__(self, session_factory: sessionmaker[Session], commands: HqCommands) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def GetConfigSnapshot(self, request: pc.GetConfigSnapshotRequest, context: grpc.ServicerContext) -> pc.GetConfigSnapshotResponse:  # noqa: N802
        with self.session_factory() as session:
            return program.get_config_snapshot(session, request)

    def _change_config(self, request: Message, answer: type[ResponseT]) -> ResponseT:
        """``program.change_config`` through the pipeline. Its answer is the RPC's response message
        (``answer``, chosen by the request's type at run time), which the one handler cannot tell mypy."""
        return cast(ResponseT, self.commands.run(program.change_config, request))

    def UpsertCardType(self, request: pc.UpsertCardTypeRequest, context: grpc.ServicerContext) -> pc.UpsertCardTypeResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertCardTypeResponse)

    def UpsertLevel(self, request: pc.UpsertLevelRequest, context: grpc.ServicerContext) -> pc.UpsertLevelResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertLevelResponse)

    def UpsertLevelRule(self, request: pc.UpsertLevelRuleRequest, context: grpc.ServicerContext) -> pc.UpsertLevelRuleResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertLevelRuleResponse)

    def UpsertRechargePromotion(self, request: pc.UpsertRechargePromotionRequest, context: grpc.ServicerContext) -> pc.UpsertRechargePromotionResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertRechargePromotionResponse)

    def UpsertEarnRule(self, request: pc.UpsertEarnRuleRequest, context: grpc.ServicerContext) -> pc.UpsertEarnRuleResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertEarnRuleResponse)

    def UpsertPointsRedemptionRule(self, request: pc.UpsertPointsRedemptionRuleRequest, context: grpc.ServicerContext) -> pc.UpsertPointsRedemptionRuleResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertPointsRedemptionRuleResponse)

    def SetPointsDeductionPolicy(self, request: pc.SetPointsDeductionPolicyRequest, context: grpc.ServicerContext) -> pc.SetPointsDeductionPolicyResponse:  # noqa: N802
        return self._change_config(request, pc.SetPointsDeductionPolicyResponse)

    def SetPointsExpiryPolicy(self, request: pc.SetPointsExpiryPolicyRequest, context: grpc.ServicerContext) -> pc.SetPointsExpiryPolicyResponse:  # noqa: N802
        return self._change_config(request, pc.SetPointsExpiryPolicyResponse)

    def SetReferralProgram(self, request: pc.SetReferralProgramRequest, context: grpc.ServicerContext) -> pc.SetReferralProgramResponse:  # noqa: N802
        return self._change_config(request, pc.SetReferralProgramResponse)

    def UpsertCouponTemplate(self, request: pc.UpsertCouponTemplateRequest, context: grpc.ServicerContext) -> pc.UpsertCouponTemplateResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertCouponTemplateResponse)

    def UpsertCountItem(self, request: pc.UpsertCountItemRequest, context: grpc.ServicerContext) -> pc.UpsertCountItemResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertCountItemResponse)

    def UpsertCountPackage(self, request: pc.UpsertCountPackageRequest, context: grpc.ServicerContext) -> pc.UpsertCountPackageResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertCountPackageResponse)

    def UpsertCommissionPlan(self, request: pc.UpsertCommissionPlanRequest, context: grpc.ServicerContext) -> pc.UpsertCommissionPlanResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertCommissionPlanResponse)

    def SetFeeSchedule(self, request: pc.SetFeeScheduleRequest, context: grpc.ServicerContext) -> pc.SetFeeScheduleResponse:  # noqa: N802
        return self._change_config(request, pc.SetFeeScheduleResponse)

    def SetOfflineLimits(self, request: pc.SetOfflineLimitsRequest, context: grpc.ServicerContext) -> pc.SetOfflineLimitsResponse:  # noqa: N802
        return self._change_config(request, pc.SetOfflineLimitsResponse)

    def SetStoreOfflineLimits(self, request: pc.SetStoreOfflineLimitsRequest, context: grpc.ServicerContext) -> pc.SetStoreOfflineLimitsResponse:  # noqa: N802
        return self._change_config(request, pc.SetStoreOfflineLimitsResponse)

    def UpsertNotificationTemplate(self, request: pc.UpsertNotificationTemplateRequest, context: grpc.ServicerContext) -> pc.UpsertNotificationTemplateResponse:  # noqa: N802
        return self._change_config(request, pc.UpsertNotificationTemplateResponse)

    def SetChainSettings(self, request: pc.SetChainSettingsRequest, context: grpc.ServicerContext) -> pc.SetChainSettingsResponse:  # noqa: N802
        return self._change_config(request, pc.SetChainSettingsResponse)


class MemberIndexServicer(member_index_pb2_grpc.MemberIndexServiceServicer):
    """ClaimPhone and ReleasePhone keep their own transactions: the phone claim itself is their
    idempotency record (ADR 0008), not HQ's key table (see hq_service.handlers.member_index)."""

    def __init__(self, session_factory: sessionmaker[Session], commands: HqCommands) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def ClaimPhone(self, request: member_index_pb2.ClaimPhoneRequest, context: grpc.ServicerContext) -> member_index_pb2.ClaimPhoneResponse:  # noqa: N802
        return member_index.claim_phone(self.session_factory, request)

    def LookupPhone(self, request: member_index_pb2.LookupPhoneRequest, context: grpc.ServicerContext) -> member_index_pb2.LookupPhoneResponse:  # noqa: N802
        return member_index.lookup_phone(self.session_factory, request)

    def ReleasePhone(self, request: member_index_pb2.ReleasePhoneRequest, context: grpc.ServicerContext) -> member_index_pb2.ReleasePhoneResponse:  # noqa: N802
        return member_index.release_phone(self.session_factory, request)

    def RegisterPhysicalCards(self, request: member_index_pb2.RegisterPhysicalCardsRequest, context: grpc.ServicerContext) -> member_index_pb2.RegisterPhysicalCardsResponse:  # noqa: N802
        return self.commands.run(card_directory.register_physical_cards, request)

    def ResolveCardNumber(self, request: member_index_pb2.ResolveCardNumberRequest, context: grpc.ServicerContext) -> member_index_pb2.ResolveCardNumberResponse:  # noqa: N802
        with self.session_factory() as session:
            return card_directory.resolve_card_number(session, request)


class MemberViewServicer(member_view_pb2_grpc.MemberViewServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], phone_key: str, time_zone: str) -> None:
        self.session_factory = session_factory
        self.phone_key = phone_key
        self.time_zone = time_zone  # the chain's: linked cards' usage months (C5)

    def GetMemberView(self, request: member_view_pb2.GetMemberViewRequest, context: grpc.ServicerContext) -> member_view_pb2.GetMemberViewResponse:  # noqa: N802
        with self.session_factory() as session:
            return member_view.get_member_view(session, request, self.phone_key, time_zone=self.time_zone)

    def SearchMemberViews(self, request: member_view_pb2.SearchMemberViewsRequest, context: grpc.ServicerContext) -> member_view_pb2.SearchMemberViewsResponse:  # noqa: N802
        with self.session_factory() as session:
            return member_search.search(session, request)


class ReportServicer(reports_pb2_grpc.ReportServiceServicer):
    """Streams rows as they are read; each call reads one consistent snapshot of the read models."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    def GetStoreDailySummary(self, request: reports_pb2.GetStoreDailySummaryRequest, context: grpc.ServicerContext) -> reports_pb2.GetStoreDailySummaryResponse:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            return reports.store_daily_summary(session, request.query)

    def StreamSalesReport(self, request: reports_pb2.StreamSalesReportRequest, context: grpc.ServicerContext) -> Iterator[reports_pb2.StreamSalesReportResponse]:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in reports.sales_report(session, request.query):
                yield reports_pb2.StreamSalesReportResponse(row=row)

    def StreamTopMembers(self, request: reports_pb2.StreamTopMembersRequest, context: grpc.ServicerContext) -> Iterator[reports_pb2.StreamTopMembersResponse]:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in reports.top_members(session, request.query):
                yield reports_pb2.StreamTopMembersResponse(row=row)

    def StreamLiabilityReport(self, request: reports_pb2.StreamLiabilityReportRequest, context: grpc.ServicerContext) -> Iterator[reports_pb2.StreamLiabilityReportResponse]:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in reports.liability_report(session, request.query, self.settings):
                yield reports_pb2.StreamLiabilityReportResponse(row=row)

    def StreamCouponReport(self, request: reports_pb2.StreamCouponReportRequest, context: grpc.ServicerContext) -> Iterator[reports_pb2.StreamCouponReportResponse]:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for row in coupon_report.coupon_report(session, request.query):
                yield reports_pb2.StreamCouponReportResponse(row=row)

    def GetLevelMix(self, request: reports_pb2.GetLevelMixRequest, context: grpc.ServicerContext) -> reports_pb2.GetLevelMixResponse:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            return reports.level_mix(session, request.query)

    def ExportReport(self, request: reports_pb2.ExportReportRequest, context: grpc.ServicerContext) -> Iterator[reports_pb2.ExportReportResponse]:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for chunk in reports.export_report(session, request, self.settings):
                yield reports_pb2.ExportReportResponse(chunk=chunk)


class CommissionServicer(commission_pb2_grpc.CommissionServiceServicer):
    """Staff commission (C7, S2; docs/adr/0043): the day's run and the staff reports."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    def RunCommission(self, request: commission_pb2.RunCommissionRequest, context: grpc.ServicerContext) -> commission_pb2.RunCommissionResponse:  # noqa: N802
        return commission.run_commission(self.session_factory, self.settings, request)

    def GetCommissionReport(self, request: commission_pb2.GetCommissionReportRequest, context: grpc.ServicerContext) -> commission_pb2.GetCommissionReportResponse:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            return commission.commission_report(session, request)

    def GetStaffSalesReport(self, request: commission_pb2.GetStaffSalesReportRequest, context: grpc.ServicerContext) -> commission_pb2.GetStaffSalesReportResponse:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            return commission.staff_sales(session, request)

    def ExportStaffReport(self, request: commission_pb2.ExportStaffReportRequest, context: grpc.ServicerContext) -> Iterator[commission_pb2.ExportStaffReportResponse]:  # noqa: N802
        with reports.snapshot(self.session_factory) as session:
            for chunk in commission.export_staff_report(session, request):
                yield commission_pb2.ExportStaffReportResponse(chunk=chunk)


class OperatorServicer(operators_pb2_grpc.OperatorServiceServicer):
    """Translates OperatorService calls into the handlers of hq_service.operators."""

    def __init__(self, ctx: operators.OperatorContext, commands: HqCommands) -> None:
        self.ctx = ctx
        self.commands = commands

    def UpsertOperator(self, request: operators_pb2.UpsertOperatorRequest, context: grpc.ServicerContext) -> operators_pb2.UpsertOperatorResponse:  # noqa: N802
        return self.commands.run(operators.upsert_operator, request)

    def GetOperator(self, request: operators_pb2.GetOperatorRequest, context: grpc.ServicerContext) -> operators_pb2.GetOperatorResponse:  # noqa: N802
        return operators.get_operator(self.ctx, request)

    def ListOperators(self, request: operators_pb2.ListOperatorsRequest, context: grpc.ServicerContext) -> operators_pb2.ListOperatorsResponse:  # noqa: N802
        return operators.list_operators(self.ctx, request)

    def SetOperatorPassword(self, request: operators_pb2.SetOperatorPasswordRequest, context: grpc.ServicerContext) -> operators_pb2.SetOperatorPasswordResponse:  # noqa: N802
        return operators.run_set_operator_password(self.ctx, self.commands, request)

    def IssueToken(self, request: operators_pb2.IssueTokenRequest, context: grpc.ServicerContext) -> operators_pb2.IssueTokenResponse:  # noqa: N802
        return operators.run_issue_token(self.ctx, self.commands, request)

    def RevokeToken(self, request: operators_pb2.RevokeTokenRequest, context: grpc.ServicerContext) -> operators_pb2.RevokeTokenResponse:  # noqa: N802
        return self.commands.run(operators.revoke_token, request)

    def GetTokenVerificationKeys(self, request: operators_pb2.GetTokenVerificationKeysRequest, context: grpc.ServicerContext) -> operators_pb2.GetTokenVerificationKeysResponse:  # noqa: N802
        return key_set_to_proto(operators.verification_keys(self.ctx))

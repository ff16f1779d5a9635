"""CampaignService (N3, A3, A4; docs/adr/0055) at HQ: the RPCs over hq_service.campaigns."""

from __future__ import annotations

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner
from chaincard.config import Settings
from chaincard.v1 import campaigns_pb2, campaigns_pb2_grpc
from hq_service import campaigns
from hq_service.unit_of_work import HqUnitOfWork


class CampaignServicer(campaigns_pb2_grpc.CampaignServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], commands: CommandRunner[HqUnitOfWork],
                 settings: Settings) -> None:
        self.session_factory = session_factory
        self.commands = commands
        self.settings = settings

    def CreateCampaign(self, request: campaigns_pb2.CreateCampaignRequest, context: grpc.ServicerContext) -> campaigns_pb2.CreateCampaignResponse:  # noqa: N802 - gRPC method names
        return self.commands.run(campaigns.create_campaign, request)

    def ScheduleCampaign(self, request: campaigns_pb2.ScheduleCampaignRequest, context: grpc.ServicerContext) -> campaigns_pb2.ScheduleCampaignResponse:  # noqa: N802
        return self.commands.run(campaigns.schedule_campaign, request)

    def GetCampaignReport(self, request: campaigns_pb2.GetCampaignReportRequest, context: grpc.ServicerContext) -> campaigns_pb2.GetCampaignReportResponse:  # noqa: N802
        with self.session_factory() as session:
            return campaigns.get_report(session, request, time_zone=self.settings.business_time_zone,
                                        cutoff=self.settings.business_day_cutoff)

    def ListCampaigns(self, request: campaigns_pb2.ListCampaignsRequest, context: grpc.ServicerContext) -> campaigns_pb2.ListCampaignsResponse:  # noqa: N802
        with self.session_factory() as session:
            return campaigns.list_campaigns(session, request)

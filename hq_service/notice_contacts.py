"""The notice sender's contact look-up (N5, docs/adr/0053): HQ asks the member's home region for
one notice's address over gRPC (MemberService.GetContactForNotice, allowed to HQ's certificate
only), hands it to the channel and keeps nothing: no table, log or error here holds it."""

from __future__ import annotations

import grpc

from chaincard.notifications.channels import DeliveryError, OptedOut, OutgoingNotice, UndeliverableNotice
from chaincard.rpc.channels import call
from chaincard.v1 import members_pb2, members_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from hq_service.region_channels import RegionChannels, no_endpoint

RPC_DEADLINE_SECONDS = 5.0
CHANNELS = {"SMS": pc.NOTIFICATION_CHANNEL_SMS, "WECHAT": pc.NOTIFICATION_CHANNEL_WECHAT, "EMAIL": pc.NOTIFICATION_CHANNEL_EMAIL}


class RegionContacts:
    """A ContactResolver over HQ's shared channel to each region (MemberService.GetContactForNotice)."""

    def __init__(self, channels: RegionChannels) -> None:
        self.channels = channels

    def _stub(self, region_code: str) -> members_pb2_grpc.MemberServiceStub:
        channel = self.channels.channel(region_code)
        if channel is None:
            raise DeliveryError(no_endpoint(region_code))
        return members_pb2_grpc.MemberServiceStub(channel)

    def __call__(self, notice: OutgoingNotice) -> str:
        if not notice.home_region:
            raise UndeliverableNotice("the member's home region is unknown at HQ")
        request = members_pb2.GetContactForNoticeRequest(
            member_id=notice.member_id, notice_id=notice.notice_id,
            channel=CHANNELS.get(notice.channel, pc.NOTIFICATION_CHANNEL_UNSPECIFIED),
        )
        try:
            answer = call(self._stub(notice.home_region).GetContactForNotice, request, deadline=RPC_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            code, details = error.code(), error.details() or ""
            if code == grpc.StatusCode.FAILED_PRECONDITION and "opted out" in details:
                raise OptedOut(details) from None
            if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
                raise UndeliverableNotice(f"home region refused the address: {code.name}: {details}") from None
            raise DeliveryError(f"home region {notice.home_region} did not answer: {code.name}") from None
        return answer.address


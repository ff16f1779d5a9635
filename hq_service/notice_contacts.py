"""The notice sender's contact look-up (N5, docs/adr/0053): HQ asks the member's home region for
one notice's address over gRPC (MemberService.GetContactForNotice, allowed to HQ's certificate
only), hands it to the channel and keeps nothing: no table, log or error here holds it."""

from __future__ import annotations

import threading

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.notifications.channels import DeliveryError, OptedOut, OutgoingNotice, UndeliverableNotice
from chaincard.rpc.channels import call, open_channel
from chaincard.rpc.transport import Transport
from chaincard.v1 import members_pb2, members_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from hq_service.models import Region

RPC_DEADLINE_SECONDS = 5.0
CHANNELS = {"SMS": pc.NOTIFICATION_CHANNEL_SMS, "WECHAT": pc.NOTIFICATION_CHANNEL_WECHAT, "EMAIL": pc.NOTIFICATION_CHANNEL_EMAIL}


class RegionContacts:
    """A ContactResolver over one MemberService channel per region, opened on first use."""

    def __init__(self, session_factory: sessionmaker[Session], transport: Transport) -> None:
        self.session_factory = session_factory
        self.transport = transport
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def _stub(self, region_code: str) -> members_pb2_grpc.MemberServiceStub:
        with self._lock:
            if region_code not in self._channels:
                with self.session_factory() as session:
                    region = session.get(Region, region_code)
                if region is None or not region.endpoint:
                    raise DeliveryError(f"region {region_code} has no endpoint in HQ's directory")
                self._channels[region_code] = open_channel(region.endpoint, self.transport,
                                                           expected_server=f"region:{region_code}")
            return members_pb2_grpc.MemberServiceStub(self._channels[region_code])

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

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()

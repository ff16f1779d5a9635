"""Where a call is served (X3): here, or at the home region of its card or member.

The servicers call these with the call's :class:`~region_service.forwarding.CallOrigin` and what to
run here. A call already forwarded by another region is always served here (no loops); a refusal
from the home region comes back with its exact status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from chaincard import member_codes
from chaincard.commands import operation_of
from chaincard.errors import NotFound, RemoteStatus
from chaincard.phones import normalise_phone, phone_hmac
from chaincard.referrals import referral_code, region_prefix_of_referral_code
from chaincard.rpc.channels import call
from chaincard.security.identity import current_principal
from chaincard.v1 import member_index_pb2, members_pb2, members_pb2_grpc
from region_service.context import RegionContext
from region_service.forwarding import CallOrigin, Forwarder
from region_service.handlers import members

ResponseT = TypeVar("ResponseT")


class Routing:
    def __init__(self, ctx: RegionContext, forwarder: Forwarder) -> None:
        self.ctx = ctx
        self.forwarder = forwarder

    def at_card_home(self, stub_class: type, request: Any, origin: CallOrigin, here: Callable[[], ResponseT]) -> ResponseT:
        """``here()`` for a card homed in this region (or a forwarded call); otherwise the same
        request (same request_id) to the card's home region."""
        home = self.ctx.home_region_of(request.card_number)
        if home != self.ctx.region_code and not origin.forwarded:
            return self._forward(home, stub_class, request, origin)
        return here()

    def at_member_home(self, request: Any, origin: CallOrigin, here: Callable[[], ResponseT]) -> ResponseT:
        """Serve a call on a member id here, or at the member's home region. A member id does not
        name its region, so the other regions are asked in turn; one that does not hold the member
        answers NOT_FOUND having written nothing (a handful of regions: cheap, and these calls are rare)."""
        try:
            return here()
        except members.MemberNotHere:
            if origin.forwarded:
                raise
        for region in self.ctx.program.snapshot().regions:
            if region.code == self.ctx.region_code:
                continue
            try:
                return self._forward(region.code, members_pb2_grpc.MemberServiceStub, request, origin)
            except RemoteStatus as refused:
                if refused.status_name != "NOT_FOUND":
                    raise
        raise NotFound(f"no member {request.member_id} in any region of the chain")

    def find_member(self, request: members_pb2.FindMemberRequest, origin: CallOrigin) -> members_pb2.FindMemberResponse:
        """The member a phone, card number or member id names: here, else at its home region.
        Look-ups are rate-limited like PIN attempts, counted once, where the look-up enters the chain."""
        if not origin.forwarded:
            self.ctx.lookup_attempts.check(card_number=_lookup_key(request), store_id=_calling_store())
        found = members.find_member_locally(self.ctx, request)
        if found is not None:
            return found
        if origin.forwarded:
            raise NotFound("no such member")
        home = self._member_home_elsewhere(request)
        if home is None:
            raise NotFound("no member matches; register one first")
        return self._forward(home, members_pb2_grpc.MemberServiceStub, request, origin)

    def _member_home_elsewhere(self, request: members_pb2.FindMemberRequest) -> str | None:
        key = request.WhichOneof("key")
        if key in ("card_number", "qr_token"):
            home = self.ctx.home_region_of(getattr(request, key))
            return home if home != self.ctx.region_code else None
        if key == "referral_code":
            region = self.ctx.program.region_by_card_prefix(region_prefix_of_referral_code(referral_code(request.referral_code)))
            return region.code if region is not None and region.code != self.ctx.region_code else None
        if key == "phone":
            hmac_hex = phone_hmac(normalise_phone(request.phone) or "", self.ctx.settings.phone_hmac_key)
            try:
                answer = call(self.ctx.member_index.LookupPhone, member_index_pb2.LookupPhoneRequest(phone_hmac=hmac_hex))
            except grpc.RpcError:
                return None
            return answer.home_region if answer.home_region != self.ctx.region_code else None
        return None

    def _forward(self, region_code: str, stub_class: type, request: Message, origin: CallOrigin) -> Any:
        return self.forwarder.forward(region_code, stub_class, operation_of(type(request)), request, origin)


def _lookup_key(request: members_pb2.FindMemberRequest) -> str:
    """What a look-up tries: the phone or card number asked for (rate-limited like PIN attempts); for
    a QR member code, the card it names, so guesses at one card's codes count together."""
    key = request.WhichOneof("key")
    value = str(getattr(request, key)) if key else ""
    return member_codes.card_number_of_shape(value) if key == "qr_token" else value


def _calling_store() -> str:
    """The store whose certificate (agent or till) made the call; empty for operators and services."""
    principal = current_principal()
    peer = principal.peer if principal is not None else None
    return peer.id if peer is not None and peer.kind in ("store", "pos") else ""

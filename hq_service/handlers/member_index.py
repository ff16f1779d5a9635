"""The chain-wide phone index (M1 uniqueness, M2 lookup), keyed by HMAC: HQ never sees a raw phone here.

ClaimPhone and ReleasePhone are the two HQ writes that do not run through HQ's command runner and
its key table: the claim row is their idempotency record (ADR 0008). A region retrying a
registration sends the same request id with a *new* candidate member id and must get the first
claim's member back (the key table would answer ALREADY_EXISTS); a phone change claims the new
phone and releases the old one under the *same* request id (UpdateMember's); and a claim the sweep
released (hq_service.phone_claims) must be claimed afresh by a late retry, not replayed."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.idempotency import validate_request_id
from chaincard.errors import AlreadyExists, InvalidArgument, NotFound
from chaincard.v1 import member_index_pb2
from hq_service.models import PhoneClaim

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _check_hmac(value: str) -> None:
    if not _HEX64.match(value):
        raise InvalidArgument("phone_hmac", "must be 64 lowercase hex digits (HMAC-SHA256)")


def claim_phone(session_factory: sessionmaker[Session], request: member_index_pb2.ClaimPhoneRequest) -> member_index_pb2.ClaimPhoneResponse:
    """Reserve a phone for a member. The same request id gets the original claim back, always."""
    validate_request_id(request.request_id)
    _check_hmac(request.phone_hmac)
    if not request.member_id or len(request.member_id) > 36:
        raise InvalidArgument("member_id", "is required, at most 36 characters (a UUID)")
    if not request.home_region or len(request.home_region) > 8:
        raise InvalidArgument("home_region", "is required, a region code of at most 8 characters")
    for _attempt in range(2):
        try:
            with session_factory() as session, session.begin():
                # Locking: a sweep releasing an abandoned claim (hq_service.phone_claims) is waited for.
                existing = session.get(PhoneClaim, request.phone_hmac, with_for_update=True)
                if existing is not None:
                    if existing.request_id != request.request_id:
                        raise AlreadyExists("this phone number is already registered to a member of the chain")
                    return member_index_pb2.ClaimPhoneResponse(member_id=existing.member_id, home_region=existing.home_region)
                session.add(
                    PhoneClaim(
                        phone_hmac=request.phone_hmac, member_id=request.member_id,
                        home_region=request.home_region, request_id=request.request_id,
                    )
                )
            return member_index_pb2.ClaimPhoneResponse(member_id=request.member_id, home_region=request.home_region)
        except IntegrityError:
            continue  # a concurrent claim won the race: read it on the next pass
    raise AlreadyExists("this phone number is already registered to a member of the chain")


def lookup_phone(session_factory: sessionmaker[Session], request: member_index_pb2.LookupPhoneRequest) -> member_index_pb2.LookupPhoneResponse:
    _check_hmac(request.phone_hmac)
    with session_factory() as session:
        claim = session.get(PhoneClaim, request.phone_hmac)
        if claim is None:
            raise NotFound("no member has this phone number")
        return member_index_pb2.LookupPhoneResponse(member_id=claim.member_id, home_region=claim.home_region)


def release_phone(session_factory: sessionmaker[Session], request: member_index_pb2.ReleasePhoneRequest) -> member_index_pb2.ReleasePhoneResponse:
    """Free a phone held by ``member_id`` (after a phone change); a no-op for anyone else."""
    validate_request_id(request.request_id)
    _check_hmac(request.phone_hmac)
    with session_factory.begin() as session:
        claim = session.get(PhoneClaim, request.phone_hmac)
        if claim is None or claim.member_id != request.member_id:
            return member_index_pb2.ReleasePhoneResponse(released=False)
        session.delete(claim)
        return member_index_pb2.ReleasePhoneResponse(released=True)

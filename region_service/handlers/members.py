"""Register and find members (M1, M2)."""

from __future__ import annotations

import grpc
from sqlalchemy import select

from chaincard.db.idempotency import remember, replay_or_reserve, retry_on_conflict
from chaincard.errors import AlreadyExists, InvalidArgument, NotFound, Unavailable
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import new_id
from chaincard.phones import mask_phone, normalise_phone, phone_hmac
from chaincard.rpc.channels import call
from chaincard.v1 import common_pb2, events_pb2, member_index_pb2, members_pb2
from region_service import validation
from region_service.context import RegionContext
from region_service.ledger_store import card_balances
from region_service.models import Card, IdempotencyKey, Member, OutboxMessage
from region_service.translate import card_message, member_message

MAX_TAGS = 20
MAX_CUSTOM_FIELDS = 20

_GENDERS = {
    common_pb2.GENDER_UNSPECIFIED: "UNSPECIFIED",
    common_pb2.GENDER_FEMALE: "FEMALE",
    common_pb2.GENDER_MALE: "MALE",
    common_pb2.GENDER_OTHER: "OTHER",
}
_CHANNELS = {
    common_pb2.REGISTRATION_CHANNEL_STORE: "STORE",
    common_pb2.REGISTRATION_CHANNEL_CALL_CENTER: "CALL_CENTER",
    common_pb2.REGISTRATION_CHANNEL_WEB: "WEB",
    common_pb2.REGISTRATION_CHANNEL_BATCH_IMPORT: "BATCH_IMPORT",
}


def _validated_member_fields(ctx: RegionContext, request: members_pb2.RegisterMemberRequest) -> dict:
    store = ctx.program.store(request.store_id)
    if store.region_code != ctx.region_code:
        raise InvalidArgument("store_id", f"store {store.store_id} belongs to region {store.region_code}, not {ctx.region_code}")
    phone = normalise_phone(request.phone)
    if phone is None:
        raise InvalidArgument("phone", "must be an 11-digit mainland mobile number")
    email = validation.optional_text("email", request.email, max_length=254)
    if email and "@" not in email:
        raise InvalidArgument("email", "must be an e-mail address")
    if len(request.tags) > MAX_TAGS:
        raise InvalidArgument("tags", f"at most {MAX_TAGS} tags")
    tags = [validation.require_text(f"tags[{index}]", tag, max_length=32) for index, tag in enumerate(request.tags)]
    if len(request.custom_fields) > MAX_CUSTOM_FIELDS:
        raise InvalidArgument("custom_fields", f"at most {MAX_CUSTOM_FIELDS} fields")
    custom_fields = {
        validation.require_text("custom_fields key", key, max_length=32): validation.optional_text(
            f"custom_fields[{key}]", value, max_length=256
        )
        for key, value in request.custom_fields.items()
    }
    channel = request.channel or common_pb2.REGISTRATION_CHANNEL_STORE
    return {
        "name": validation.require_text("name", request.name),
        "phone": phone,
        "birthday": validation.optional_date("birthday", request.birthday),
        "gender": validation.enum_choice("gender", request.gender, _GENDERS),
        "email": email,
        "tags": tags,
        "custom_fields": custom_fields,
        "channel": validation.enum_choice("channel", channel, _CHANNELS),
        "registered_store_id": store.store_id,
    }


def _claim_phone(ctx: RegionContext, request_id: str, hmac_hex: str, candidate_member_id: str) -> str:
    """Reserve the phone chain-wide at HQ; the same request id always gets the same member id back."""
    try:
        claim = call(
            ctx.member_index.ClaimPhone,
            member_index_pb2.ClaimPhoneRequest(
                request_id=request_id, phone_hmac=hmac_hex, member_id=candidate_member_id, home_region=ctx.region_code
            ),
            deadline=ctx.settings.rpc_deadline_seconds,
        )
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.ALREADY_EXISTS:
            raise AlreadyExists("phone: a member with this phone number is already registered in the chain") from error
        raise Unavailable("HQ's phone index is not reachable; retry with the same request_id") from error
    if claim.home_region != ctx.region_code:
        raise AlreadyExists("phone: a member with this phone number is already registered in another region")
    return claim.member_id


@retry_on_conflict
def register_member(ctx: RegionContext, request: members_pb2.RegisterMemberRequest) -> members_pb2.RegisterMemberResponse:
    fields = _validated_member_fields(ctx, request)
    hmac_hex = phone_hmac(fields["phone"], ctx.settings.phone_hmac_key)
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "RegisterMember", request, members_pb2.RegisterMemberResponse)
        if replay is not None:
            return replay
        if session.execute(select(Member.member_id).where(Member.phone_hmac == hmac_hex)).first():
            raise AlreadyExists("phone: a member with this phone number is already registered in the chain")
        member_id = _claim_phone(ctx, request.request_id, hmac_hex, new_id())
        member = Member(member_id=member_id, phone_hmac=hmac_hex, phone_masked=mask_phone(fields["phone"]), **fields)
        session.add(member)
        session.flush()
        message = member_message(member, ctx.region_code)
        add_event(
            session, OutboxMessage, topic=topics.MEMBERS, key=member_id, producer=ctx.producer_name,
            payload=events_pb2.MemberRegistered(member=message, phone_hmac=hmac_hex),
        )
        response = members_pb2.RegisterMemberResponse(member=message)
        remember(session, IdempotencyKey, "RegisterMember", request, response)
        return response


def _member_with_cards(ctx: RegionContext, session, member: Member) -> tuple:  # type: ignore[no-untyped-def]
    cards = session.execute(select(Card).where(Card.member_id == member.member_id).order_by(Card.opened_at)).scalars()
    return member_message(member, ctx.region_code), [
        card_message(card, ctx.region_code, card_balances(session, card.card_number)) for card in cards
    ]


def get_member(ctx: RegionContext, request: members_pb2.GetMemberRequest) -> members_pb2.GetMemberResponse:
    if not request.member_id:
        raise InvalidArgument("member_id", "is required")
    with ctx.session_factory() as session:
        member = session.get(Member, request.member_id)
        if member is None:
            raise NotFound(f"no member {request.member_id} in region {ctx.region_code}")
        message, cards = _member_with_cards(ctx, session, member)
        return members_pb2.GetMemberResponse(member=message, cards=cards)


def find_member_locally(ctx: RegionContext, request: members_pb2.FindMemberRequest) -> members_pb2.FindMemberResponse | None:
    """The member if homed here; None if the key is valid but the member lives elsewhere or nowhere."""
    key = request.WhichOneof("key")
    with ctx.session_factory() as session:
        if key == "phone":
            phone = normalise_phone(request.phone)
            if phone is None:
                raise InvalidArgument("phone", "must be an 11-digit mainland mobile number")
            member = session.execute(
                select(Member).where(Member.phone_hmac == phone_hmac(phone, ctx.settings.phone_hmac_key))
            ).scalar_one_or_none()
        elif key == "card_number":
            card = session.get(Card, validation.card_number(request.card_number))
            member = session.get(Member, card.member_id) if card is not None else None
        elif key == "member_id":
            member = session.get(Member, request.member_id)
        elif key == "qr_token":
            raise InvalidArgument("qr_token", "QR tokens are not issued yet; use phone or card_number")
        else:
            raise InvalidArgument("key", "give one of phone, card_number, qr_token, member_id")
        if member is None:
            return None
        message, cards = _member_with_cards(ctx, session, member)
        return members_pb2.FindMemberResponse(member=message, cards=cards)

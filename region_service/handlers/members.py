"""Register, find, update, export and erase members (M1, M2, M3, M7)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal, TypedDict

import grpc
from google.protobuf import json_format
from sqlalchemy import and_, delete, event, or_, select, text, update
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.erasure import ERASED
from chaincard.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from chaincard.events import topics
from chaincard.events.envelope import unwrap
from chaincard.events.outbox import add_event
from chaincard.ids import new_id
from chaincard.ledger import Asset
from chaincard.money import format_fen
from chaincard.phones import mask_email, mask_phone, normalise_phone, phone_hmac
from chaincard.referrals import referral_code
from chaincard.rpc.channels import call
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import audit_pb2, common_pb2, events_pb2, member_index_pb2, members_pb2
from region_service import audit, member_codes, referrals, repository, validation
from region_service.card_states import FINAL_STATES
from region_service.context import RegionContext
from region_service.ledger_store import CARD_PURPOSE, CardBalances, card_balances
from region_service.models import (
    AuditLogEntry,
    Card,
    IdempotencyKey,
    LedgerAccount,
    LedgerTransaction,
    Member,
    MemberDateRow,
    OutboxMessage,
)
from region_service.translate import card_message, member_message, timestamp, transaction_message
from region_service.unit_of_work import RegionUnitOfWork

log = logging.getLogger(__name__)

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


class _MemberFields(TypedDict):
    """A new member's profile, validated (the keyword arguments of :class:`Member` beside the phone's HMAC)."""

    name: str
    phone: str
    birthday: date | None
    gender: str
    email: str
    tags: list[str]
    custom_fields: dict[str, str]
    channel: str
    registered_store_id: str


def _validated_member_fields(ctx: RegionContext, request: members_pb2.RegisterMemberRequest) -> _MemberFields:
    store = ctx.program.store(request.store_id)
    if store.region_code != ctx.region_code:
        raise InvalidArgument("store_id", f"store {store.store_id} belongs to region {store.region_code}, not {ctx.region_code}")
    if len(request.tags) > MAX_TAGS:
        raise InvalidArgument("tags", f"at most {MAX_TAGS} tags")
    if len(request.custom_fields) > MAX_CUSTOM_FIELDS:
        raise InvalidArgument("custom_fields", f"at most {MAX_CUSTOM_FIELDS} fields")
    channel = request.channel or common_pb2.REGISTRATION_CHANNEL_STORE
    return {
        "name": validation.require_text("name", request.name),
        "phone": _phone(request.phone),
        "birthday": validation.optional_date("birthday", request.birthday),
        "gender": validation.enum_choice("gender", request.gender, _GENDERS),
        "email": _email(request.email),
        "tags": _tags("tags", request.tags),
        "custom_fields": _custom_fields(request.custom_fields),
        "channel": validation.enum_choice("channel", channel, _CHANNELS),
        "registered_store_id": store.store_id,
    }


def _phone(value: str) -> str:
    phone = normalise_phone(value)
    if phone is None:
        raise InvalidArgument("phone", "must be an 11-digit mainland mobile number")
    return phone


def _email(value: str) -> str:
    email = validation.optional_text("email", value, max_length=254)
    if email and "@" not in email:
        raise InvalidArgument("email", "must be an e-mail address")
    return email


def _tags(field: str, values: Iterable[str]) -> list[str]:
    return [validation.require_text(f"{field}[{index}]", tag, max_length=32) for index, tag in enumerate(values)]


def _custom_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """Keys checked, values up to 256 characters; an empty value is kept as "" (the caller decides)."""
    return {
        validation.require_text("custom_fields key", key, max_length=32): validation.optional_text(
            f"custom_fields[{key}]", value, max_length=256
        )
        for key, value in fields.items()
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


def register_member(uow: RegionUnitOfWork, request: members_pb2.RegisterMemberRequest) -> members_pb2.RegisterMemberResponse:
    ctx, session = uow.region, uow.session
    fields = _validated_member_fields(ctx, request)
    hmac_hex = phone_hmac(fields["phone"], ctx.settings.phone_hmac_key)
    # Before the phone check: a member re-using their own code is told so, not "already registered".
    referrer = referrals.referrer_of(ctx, session, request.referral_code, hmac_hex) if request.referral_code else None
    if session.execute(select(Member.member_id).where(Member.phone_hmac == hmac_hex)).first():
        raise AlreadyExists("phone: a member with this phone number is already registered in the chain")
    member_id = _claim_phone(ctx, request.request_id, hmac_hex, new_id())
    member = Member(member_id=member_id, phone_hmac=hmac_hex, phone_masked=mask_phone(fields["phone"]),
                    referral_code=referrals.own_code(ctx, session), **fields)
    if referrer is not None:
        # Fixed here for good: a new member has referred no one, so no loop can form (ADR 0044).
        member.referrer_member_id, member.referrer_home_region = referrer.member_id, referrer.home_region
    session.add(member)
    session.flush()
    if referrer is not None:
        audit.record(
            session, ctx, action="member.referred", target_type="member", target_id=member_id,
            operator_id=request.operator_id[:64], store_id=fields["registered_store_id"],
            franchisee_id=_franchisee_of(ctx, fields["registered_store_id"]), request_id=request.request_id,
            after={"referral_code": referrer.code, "referrer_member_id": referrer.member_id,
                   "referrer_home_region": referrer.home_region},
        )
    message = member_message(member, ctx.region_code)
    published = common_pb2.Member()
    published.CopyFrom(message)
    published.email = mask_email(message.email)  # events carry no contact details in clear (M7)
    add_event(
        session, OutboxMessage, topic=topics.MEMBERS, key=member_id, producer=ctx.producer_name,
        payload=events_pb2.MemberRegistered(member=published, phone_hmac=hmac_hex),
    )
    return members_pb2.RegisterMemberResponse(member=message)


# ---- profile changes (M3) ----------------------------------------------------------------------------

# The profile fields an update sets as given (the phone, tags and custom fields are merged).
_PlainField = Literal["name", "birthday", "gender", "email"]
_PLAIN_FIELDS: tuple[_PlainField, ...] = ("name", "birthday", "gender", "email")


class _Changes(TypedDict, total=False):
    """What an UpdateMember request changes, validated: only the fields present change; the
    custom fields and tags are always there (empty when the request changes none)."""

    name: str
    phone: str
    birthday: date | None
    gender: str
    email: str
    custom_fields: dict[str, str]
    add_tags: list[str]
    remove_tags: list[str]


def _requested_changes(request: members_pb2.UpdateMemberRequest) -> _Changes:
    """The fields the request sets, validated as at registration (only the fields present change)."""
    changes = _Changes()
    if request.HasField("name"):
        changes["name"] = validation.require_text("name", request.name)
    if request.HasField("phone"):
        changes["phone"] = _phone(request.phone)
    if request.HasField("birthday"):
        changes["birthday"] = validation.optional_date("birthday", request.birthday)
    if request.HasField("gender"):
        changes["gender"] = validation.enum_choice("gender", request.gender, _GENDERS)
    if request.HasField("email"):
        changes["email"] = _email(request.email)
    if len(request.custom_fields) > MAX_CUSTOM_FIELDS:
        raise InvalidArgument("custom_fields", f"at most {MAX_CUSTOM_FIELDS} fields")
    if len(request.add_tags) > MAX_TAGS or len(request.remove_tags) > MAX_TAGS:
        raise InvalidArgument("add_tags" if len(request.add_tags) > MAX_TAGS else "remove_tags", f"at most {MAX_TAGS} tags")
    changes["custom_fields"] = _custom_fields(request.custom_fields)
    changes["add_tags"] = _tags("add_tags", request.add_tags)
    changes["remove_tags"] = _tags("remove_tags", request.remove_tags)
    return changes


def _audited_profile(member: Member) -> dict[str, Any]:
    """The profile as the audit log keeps it: contact details masked."""
    return {
        "name": member.name, "phone_masked": member.phone_masked, "email": mask_email(member.email),
        "birthday": member.birthday.isoformat() if member.birthday else "", "gender": member.gender,
        "tags": list(member.tags), "custom_fields": dict(member.custom_fields),
    }


def _apply_changes(member: Member, changes: _Changes, hmac_hex: str | None) -> None:
    """``hmac_hex`` is the HMAC of the new phone, set whenever ``changes`` has a phone."""
    for name in _PLAIN_FIELDS:
        if name in changes:
            setattr(member, name, changes[name])
    if "phone" in changes and hmac_hex is not None:
        member.phone, member.phone_masked, member.phone_hmac = changes["phone"], mask_phone(changes["phone"]), hmac_hex
    if changes["custom_fields"]:
        merged = {**member.custom_fields, **changes["custom_fields"]}
        member.custom_fields = {key: value for key, value in merged.items() if value}
        if len(member.custom_fields) > MAX_CUSTOM_FIELDS:
            raise InvalidArgument("custom_fields", f"a member holds at most {MAX_CUSTOM_FIELDS} fields")
    if changes["add_tags"] or changes["remove_tags"]:
        removed = set(changes["remove_tags"])
        tags = [tag for tag in dict.fromkeys([*member.tags, *changes["add_tags"]]) if tag not in removed]
        if len(tags) > MAX_TAGS:
            raise InvalidArgument("add_tags", f"a member holds at most {MAX_TAGS} tags")
        member.tags = tags


def update_member(uow: RegionUnitOfWork, request: members_pb2.UpdateMemberRequest) -> members_pb2.UpdateMemberResponse:
    """Change a member's profile (M3): the rule is on MemberService.UpdateMember in members.proto."""
    ctx, session = uow.region, uow.session
    member_id = _member_id(request.member_id)
    store_id = _acting_store_id(ctx, request.store_id)
    operator_id = validation.optional_text("operator_id", request.operator_id, max_length=64)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    changes = _requested_changes(request)
    new_hmac = phone_hmac(changes["phone"], ctx.settings.phone_hmac_key) if "phone" in changes else None
    released_hmac = ""
    member = _locked_member(ctx, session, member_id, store_id)
    if member.erased_at is not None:
        raise FailedPrecondition(f"member {member_id} was erased: an erased profile cannot be filled in again")
    before = _audited_profile(member)
    if new_hmac is not None and new_hmac != member.phone_hmac:
        if session.execute(select(Member.member_id).where(Member.phone_hmac == new_hmac)).first():
            raise AlreadyExists("phone: a member with this phone number is already registered in the chain")
        released_hmac = member.phone_hmac
    elif new_hmac is not None:
        del changes["phone"]  # the member's own number: nothing to change
    _apply_changes(member, changes, new_hmac)  # checked in full before HQ is asked for the phone
    # A phone is released only for a new one (new_hmac is then set).
    if released_hmac and new_hmac is not None and _claim_phone(ctx, request.request_id, new_hmac, member_id) != member_id:
        raise AlreadyExists("phone: a member with this phone number is already registered in the chain")
    session.flush()
    after = _audited_profile(member)
    changed = [name for name in after if after[name] != before[name]]
    message = member_message(member, ctx.region_code)
    if changed:
        audit.record(
            session, ctx, action="member.update", target_type="member", target_id=member_id, operator_id=operator_id,
            store_id=store_id, franchisee_id=_franchisee_of(ctx, member.registered_store_id),
            request_id=request.request_id, reason=reason,
            before={name: before[name] for name in changed}, after={name: after[name] for name in changed},
        )
        published = common_pb2.Member()
        published.CopyFrom(message)
        published.email = mask_email(message.email)  # events carry no contact details in clear (M7)
        add_event(
            session, OutboxMessage, topic=topics.MEMBERS, key=member_id, producer=ctx.producer_name,
            payload=events_pb2.MemberUpdated(
                member=published, changed_fields=changed, phone_hmac=new_hmac if released_hmac else "",
                previous_phone_hmac=released_hmac, operator_id=operator_id,
            ),
        )
    if released_hmac:
        _release_phone_after_commit(uow, request.request_id, released_hmac, member_id)
    return members_pb2.UpdateMemberResponse(member=message)


def _member_with_cards(ctx: RegionContext, session: Session, member: Member) -> tuple[common_pb2.Member, list[common_pb2.Card]]:
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
            member = session.get(Member, card.member_id) if card is not None and card.member_id else None  # bearer: none
        elif key == "member_id":
            member = session.get(Member, request.member_id)
        elif key == "referral_code":  # an erased member refers no one
            member = session.execute(select(Member).where(
                Member.referral_code == referral_code(request.referral_code), Member.erased_at.is_(None))).scalar_one_or_none()
        elif key == "qr_token":  # checked (genuine, fresh, unused), not taken: the checkout takes it
            code = member_codes.verified(ctx, session, request.qr_token, "qr_token")
            card = session.get(Card, code.card_number)
            member = session.get(Member, card.member_id) if card is not None and card.member_id else None  # bearer: none
        else:
            raise InvalidArgument("key", "give one of phone, card_number, qr_token, member_id, referral_code")
        if member is None:
            return None
        message, cards = _member_with_cards(ctx, session, member)
        return members_pb2.FindMemberResponse(member=message, cards=cards)


# ---- the member's own data (M7) ---------------------------------------------------------------------

class MemberNotHere(NotFound):
    """The member id is not homed in this region (the servicer then asks the other regions)."""


DEFAULT_EXPORT_PAGE = 500
MAX_EXPORT_PAGE = 2000
MAX_EXPORTED_AUDIT_ENTRIES = 1000
MAX_REASON = 200
# Answers kept for idempotent replays that carry a member's profile (scrubbed on erasure; the
# partial index ix_idempotency_keys_profile_answers covers exactly these operations).
_ANSWERS_WITH_PROFILE: dict[str, type[members_pb2.RegisterMemberResponse] | type[members_pb2.UpdateMemberResponse]] = {
    "RegisterMember": members_pb2.RegisterMemberResponse,
    "UpdateMember": members_pb2.UpdateMemberResponse,
}
# Member events that carry a profile (scrubbed in the outbox on erasure).
_EVENTS_WITH_PROFILE = (events_pb2.MemberRegistered, events_pb2.MemberUpdated)


def _member_id(value: str) -> str:
    return validation.require_text("member_id", value, max_length=36)


def _acting_store_id(ctx: RegionContext, store_id: str) -> str:
    return ctx.program.store(store_id).store_id if store_id else ""


def _franchisee_of(ctx: RegionContext, store_id: str) -> str:
    if not store_id:
        return ""
    try:
        return ctx.program.store(store_id).franchisee_id
    except (InvalidArgument, NotFound):
        return ""  # a store since removed from the directory: the member still belongs to the region


def _store_place(ctx: RegionContext, store_id: str) -> Place:
    return Place(region=ctx.region_code, franchisee=_franchisee_of(ctx, store_id), store=store_id)


def _require_in_operator_scope(ctx: RegionContext, member: Member, acting_store_id: str) -> None:
    """An operator below the chain scope exports or erases only members of their region, franchisee
    or store, acting from a store inside it — checked before anything is written (the export's audit
    entry, the erasure), which the matrix cannot do: a member id does not say where the member
    belongs, and an answer checked after the call is too late for a write."""
    principal = current_principal()
    if principal is None or principal.scope is None:
        return  # a service: its certificate was authorised for this call
    if not principal.scope.covers(_store_place(ctx, member.registered_store_id)):
        raise PermissionDenied(f"member {member.member_id} is outside your scope ({principal.scope})")
    if acting_store_id and not principal.scope.covers(_store_place(ctx, acting_store_id)):
        raise PermissionDenied(f"store {acting_store_id!r} is outside your scope ({principal.scope})")


def _locked_member(ctx: RegionContext, session: Session, member_id: str, acting_store_id: str) -> Member:
    """The member homed here, row-locked (a concurrent update, registration retry or erasure of the
    same member waits), and inside the calling operator's scope; MemberNotHere if homed elsewhere."""
    member = repository.get_member(session, member_id, for_update=True)
    if member is None:
        raise MemberNotHere(f"no member {member_id} in region {ctx.region_code}")
    _require_in_operator_scope(ctx, member, acting_store_id)
    return member


def _holdings(session: Session, card_numbers: list[str]) -> dict[str, dict[str, int]]:
    """Every card account balance of these cards: card number → asset → balance."""
    held: dict[str, dict[str, int]] = {number: {} for number in card_numbers}
    if card_numbers:
        rows = session.execute(
            select(LedgerAccount.card_number, LedgerAccount.asset, LedgerAccount.balance)
            .where(LedgerAccount.purpose == CARD_PURPOSE, LedgerAccount.card_number.in_(card_numbers))
        )
        for number, asset, balance in rows:
            held[number][asset] = balance
    return held


_COUNT_USES_PREFIX = f"{Asset.COUNT_USES}:"


def _card_with_holdings(ctx: RegionContext, card: Card, held: dict[str, int]) -> common_pb2.Card:
    """The card with every balance it holds, count uses included."""
    message = card_message(card, ctx.region_code, CardBalances(
        principal_fen=held.get(Asset.STORED_VALUE_PRINCIPAL, 0), bonus_fen=held.get(Asset.STORED_VALUE_BONUS, 0),
        points=held.get(Asset.POINTS, 0),
    ))
    message.balances.count_uses.extend(
        common_pb2.CountUseBalance(item_code=asset.removeprefix(_COUNT_USES_PREFIX), uses=uses)
        for asset, uses in sorted(held.items()) if asset.startswith(_COUNT_USES_PREFIX) and uses
    )
    return message


def _describe_holding(asset: str, amount: int) -> str:
    if asset == Asset.STORED_VALUE_PRINCIPAL:
        return f"principal {format_fen(amount)}"
    if asset == Asset.STORED_VALUE_BONUS:
        return f"bonus {format_fen(amount)}"
    if asset == Asset.POINTS:
        return f"{amount} points"
    return f"{amount} uses of {asset.removeprefix(_COUNT_USES_PREFIX)}"


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _page_token(row: LedgerTransaction) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.transaction_id}".encode()).decode()


def _after_token(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        created_at, transaction_id = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created_at), transaction_id
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidArgument("page_token", "is not a token this service issued") from error


def _exported_audit_entry(ctx: RegionContext, row: AuditLogEntry) -> audit_pb2.AuditEntry:
    """An audit entry as the member sees it: what was done, when, where and why; not which staff."""
    return audit_pb2.AuditEntry(
        entry_id=row.id, occurred_at=timestamp(row.occurred_at), producer=ctx.producer_name, action=row.action,
        target_type=row.target_type, target_id=row.target_id, store_id=row.store_id, franchisee_id=row.franchisee_id,
        region_code=ctx.region_code, request_id=row.request_id, reason=row.reason,
        before_json=_json(row.before), after_json=_json(row.after),
        outcome=row.outcome, amount_fen=row.amount_fen,
    )


def export_member_data(ctx: RegionContext, request: members_pb2.ExportMemberDataRequest) -> members_pb2.ExportMemberDataResponse:
    """One page of everything this region holds about a member (the home region holds it all)."""
    member_id = _member_id(request.member_id)
    if not 0 <= request.page_size <= MAX_EXPORT_PAGE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_EXPORT_PAGE}")
    size = request.page_size or DEFAULT_EXPORT_PAGE
    after = _after_token(request.page_token)
    store_id = _acting_store_id(ctx, request.store_id)
    operator_id = validation.optional_text("operator_id", request.operator_id, max_length=64)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    with ctx.session_factory() as session, session.begin():
        member = session.get(Member, member_id)
        if member is None:
            raise MemberNotHere(f"no member {member_id} in region {ctx.region_code}")
        _require_in_operator_scope(ctx, member, store_id)
        cards = session.execute(
            select(Card).where(Card.member_id == member_id).order_by(Card.opened_at, Card.card_number)
        ).scalars().all()
        numbers = [card.card_number for card in cards]
        held = _holdings(session, numbers)
        response = members_pb2.ExportMemberDataResponse(member=member_message(member, ctx.region_code))
        response.cards.extend(_card_with_holdings(ctx, card, held[card.card_number]) for card in cards)

        statement = select(LedgerTransaction).where(LedgerTransaction.card_number.in_(numbers))
        if after is not None:
            statement = statement.where(or_(
                LedgerTransaction.created_at > after[0],
                and_(LedgerTransaction.created_at == after[0], LedgerTransaction.transaction_id > after[1]),
            ))
        rows = session.execute(
            statement.order_by(LedgerTransaction.created_at, LedgerTransaction.transaction_id).limit(size + 1)
        ).scalars().all() if numbers else []
        page = rows[:size]
        response.transactions.extend(transaction_message(row, ctx.region_code) for row in page)
        if len(rows) > size:
            response.next_page_token = _page_token(page[-1])

        if after is None:
            entries = session.execute(
                select(AuditLogEntry)
                .where(or_(
                    and_(AuditLogEntry.target_type == "member", AuditLogEntry.target_id == member_id),
                    and_(AuditLogEntry.target_type == "card", AuditLogEntry.target_id.in_(numbers)),
                ))
                .order_by(AuditLogEntry.occurred_at, AuditLogEntry.id)
                .limit(MAX_EXPORTED_AUDIT_ENTRIES + 1)
            ).scalars().all()
            response.audit_entries.extend(_exported_audit_entry(ctx, row) for row in entries[:MAX_EXPORTED_AUDIT_ENTRIES])
            response.audit_entries_truncated = len(entries) > MAX_EXPORTED_AUDIT_ENTRIES
            # Handing out a member's whole file is itself audited (once per export, on its first page).
            audit.record(
                session, ctx, action="member.export", target_type="member", target_id=member_id, operator_id=operator_id,
                store_id=store_id, franchisee_id=_franchisee_of(ctx, member.registered_store_id), reason=reason,
                after={"cards": len(cards), "transactions_on_first_page": len(page), "more_pages": bool(response.next_page_token),
                       "erased": member.erased_at is not None},
            )
        response.exported_at.FromDatetime(utc_now())
        if member.erased_at is not None:
            response.erased_at.FromDatetime(member.erased_at)
    response.json_document = json_format.MessageToJson(
        response, preserving_proto_field_name=True, ensure_ascii=False, indent=2, sort_keys=True
    )
    return response


def _refusals_to_erase(session: Session, cards: list[Card]) -> list[str]:
    """Why the member cannot be erased yet: each card still usable or holding value."""
    problems = [f"card {card.card_number} is {card.state.lower()}" for card in cards if card.state not in FINAL_STATES]
    held = _holdings(session, [card.card_number for card in cards])
    for number, balances in held.items():
        left = [_describe_holding(asset, balance) for asset, balance in sorted(balances.items()) if balance]
        if left:
            problems.append(f"card {number} still holds {', '.join(left)}")
    return problems


def _erase_profile(member: Member, now: datetime) -> list[str]:
    """Clear every personal field in place; returns the names of the fields that held something."""
    held = [name for name, value in (
        ("name", member.name), ("phone", member.phone), ("birthday", member.birthday),
        ("gender", member.gender != "UNSPECIFIED"), ("email", member.email), ("custom_fields", member.custom_fields),
        ("tags", member.tags),
    ) if value]
    member.name = ERASED
    member.phone = ""
    member.phone_masked = ERASED
    # The unique look-up key must stay unique and must never match a real phone's HMAC again.
    member.phone_hmac = f"erased:{member.member_id}"
    member.birthday = None
    member.gender = "UNSPECIFIED"
    member.email = ""
    member.custom_fields = {}
    member.tags = []
    member.erased_at = now
    return held


def _erase_stored_answers(session: Session, member_id: str, erased: common_pb2.Member) -> int:
    """Replace the profile in the answers kept for idempotent replays (a late retry of the
    registration then gets the erased member back, not the personal data)."""
    rows = session.execute(
        select(IdempotencyKey.request_id, IdempotencyKey.operation, IdempotencyKey.response).where(
            # The operations spelled out as the partial index ix_idempotency_keys_profile_answers has
            # them, so the planner uses it; the member id is plain text inside a serialized answer.
            text("operation IN ('RegisterMember', 'UpdateMember') AND position(:member_needle IN response) > 0")
            .bindparams(member_needle=member_id.encode())
        )
    ).all()
    changed = 0
    for request_id, operation, stored in rows:
        answer = _ANSWERS_WITH_PROFILE[operation].FromString(stored)
        if answer.member.member_id != member_id:
            continue
        answer.member.CopyFrom(erased)
        session.execute(update(IdempotencyKey).where(IdempotencyKey.request_id == request_id)
                        .values(response=answer.SerializeToString()))
        changed += 1
    return changed


def _erase_member_dates(session: Session, member_id: str) -> int:
    """Delete the member's other dates (docs/adr/0056) and empty the SetMemberDates answers kept
    for replays; returns how many answers were emptied."""
    session.execute(delete(MemberDateRow).where(MemberDateRow.member_id == member_id))
    rows = session.execute(select(IdempotencyKey.request_id, IdempotencyKey.response).where(
        IdempotencyKey.operation == "SetMemberDates",
        text("position(:member_needle IN response) > 0").bindparams(member_needle=member_id.encode()))).all()
    changed = 0
    for request_id, stored in rows:
        if members_pb2.SetMemberDatesResponse.FromString(stored).member_id != member_id:
            continue
        emptied = members_pb2.SetMemberDatesResponse(member_id=member_id).SerializeToString()
        session.execute(update(IdempotencyKey).where(IdempotencyKey.request_id == request_id).values(response=emptied))
        changed += 1
    return changed


def _erase_outbox_copies(session: Session, member_id: str, erased: common_pb2.Member) -> int:
    """Replace the profile in this member's events still in the outbox (kept for replays during
    the retention): a replay must not bring the personal data back. Ids and order are kept."""
    rows = session.execute(
        select(OutboxMessage).where(OutboxMessage.topic == topics.MEMBERS, OutboxMessage.message_key == member_id)
    ).scalars().all()
    changed = 0
    for row in rows:
        envelope = events_pb2.EventEnvelope.FromString(row.envelope)
        payload = unwrap(envelope)
        if not isinstance(payload, _EVENTS_WITH_PROFILE):
            continue
        payload.member.CopyFrom(erased)
        payload.phone_hmac = ""
        if isinstance(payload, events_pb2.MemberUpdated):
            payload.previous_phone_hmac = ""
        envelope.payload = payload.SerializeToString()
        row.envelope = envelope.SerializeToString()
        changed += 1
    return changed


def _release_phone(ctx: RegionContext, request_id: str, hmac_hex: str, member_id: str) -> None:
    """Free the phone in HQ's index now; if HQ cannot be reached, HQ frees it when it applies the
    MemberErased or MemberUpdated event, so an erasure or a phone change never waits on HQ."""
    try:
        call(
            ctx.member_index.ReleasePhone,
            member_index_pb2.ReleasePhoneRequest(request_id=request_id, phone_hmac=hmac_hex, member_id=member_id),
            deadline=ctx.settings.rpc_deadline_seconds,
        )
    except grpc.RpcError as error:
        log.warning("phone release left to HQ's member events", extra={"fields": {
            "member_id": member_id, "status": error.code().name}})


def _release_phone_after_commit(uow: RegionUnitOfWork, request_id: str, hmac_hex: str, member_id: str) -> None:
    """:func:`_release_phone` once the command's transaction has committed (never if it rolls back,
    nor on a replay of the stored answer): the erasure or phone change never waits on HQ."""
    event.listen(uow.session, "after_commit", lambda _session: _release_phone(uow.region, request_id, hmac_hex, member_id),
                 once=True)


def erase_member(uow: RegionUnitOfWork, request: members_pb2.EraseMemberRequest) -> members_pb2.EraseMemberResponse:
    """Erase the member's personal data (the rule is on MemberService.EraseMember in members.proto)."""
    ctx, session = uow.region, uow.session
    member_id = _member_id(request.member_id)
    reason = validation.require_text("reason", request.reason, max_length=MAX_REASON)
    operator_id = validation.optional_text("operator_id", request.operator_id, max_length=64)
    store_id = _acting_store_id(ctx, request.store_id)
    member = _locked_member(ctx, session, member_id, store_id)
    if member.erased_at is not None:
        return members_pb2.EraseMemberResponse(
            member=member_message(member, ctx.region_code), erased_at=timestamp(member.erased_at), already_erased=True
        )
    cards = repository.lock_cards_of_member(session, member_id)
    problems = _refusals_to_erase(session, cards)
    if problems:
        raise FailedPrecondition(
            f"member {member_id} cannot be erased while a card is usable or holds value: {'; '.join(problems)}. "
            "Close each card with the member first (CardService.CloseCard refunds the principal)"
        )
    held_phone_hmac = member.phone_hmac
    now = utc_now()
    erased_fields = _erase_profile(member, now)
    session.flush()
    erased = member_message(member, ctx.region_code)
    replays_scrubbed = _erase_stored_answers(session, member_id, erased) + _erase_member_dates(session, member_id)
    events_scrubbed = _erase_outbox_copies(session, member_id, erased)
    audit.record(
        session, ctx, action="member.erase", target_type="member", target_id=member_id, operator_id=operator_id,
        store_id=store_id, franchisee_id=_franchisee_of(ctx, member.registered_store_id),
        request_id=request.request_id, reason=reason,
        before={"erased": False, "fields_held": erased_fields, "cards": {card.card_number: card.state for card in cards}},
        after={"erased": True, "stored_answers_scrubbed": replays_scrubbed, "outbox_events_scrubbed": events_scrubbed},
    )
    add_event(
        session, OutboxMessage, topic=topics.MEMBERS, key=member_id, producer=ctx.producer_name,
        payload=events_pb2.MemberErased(member=erased, erased_at=timestamp(now), operator_id=operator_id),
    )
    _release_phone_after_commit(uow, request.request_id, held_phone_hmac, member_id)
    return members_pb2.EraseMemberResponse(member=erased, erased_at=timestamp(now))

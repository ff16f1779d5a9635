"""The chain directory (H1, S1): regions, franchisees, stores and their staff. Every change bumps the
config version and is audited (before and after) in the same transaction.

The upserts are command handlers ``handler(uow, request) -> response`` run by HQ's command runner
(hq_service.bootstrap.hq_commands): the request id, its replay and the commit are the runner's."""

from __future__ import annotations

from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chaincard.commands import UnitOfWork
from chaincard.errors import InvalidArgument, NotFound, PermissionDenied
from chaincard.ids import is_ascii_digits
from chaincard.phones import mask_email
from chaincard.rpc.endpoints import balanced_target, parse_endpoints
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import directory_pb2
from hq_service import audit_log
from hq_service.models import ConfigVersion, Franchisee, Region, StaffMember, Store
from hq_service.operator_models import Operator


def _text(field: str, value: str, max_length: int = 64, *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        if not required:
            return ""
        raise InvalidArgument(field, "is required")
    if len(value) > max_length or not value.isprintable():
        raise InvalidArgument(field, f"must be at most {max_length} printable characters")
    return value


DEFAULT_TIME_ZONE = "Asia/Shanghai"


def time_zone(field: str, value: str) -> str:
    """An IANA time zone every service can load (regions date each sale in its store's zone), or
    INVALID_ARGUMENT: a zone stored here that a region cannot load would fail every sale there."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise InvalidArgument(field, f"unknown time zone {value!r}: use an IANA name such as {DEFAULT_TIME_ZONE}") from error
    return value


def bump_version(session: Session) -> int:
    if session.get(ConfigVersion, 1) is None:
        session.add(ConfigVersion(singleton=1, version=0))
        session.flush()
    session.execute(update(ConfigVersion).where(ConfigVersion.singleton == 1).values(version=ConfigVersion.version + 1))
    return session.execute(select(ConfigVersion.version)).scalar_one()


def current_version(session: Session) -> int:
    return session.execute(select(ConfigVersion.version)).scalar_one_or_none() or 0


def upsert_region(uow: UnitOfWork, request: directory_pb2.UpsertRegionRequest) -> directory_pb2.UpsertRegionResponse:
    session = uow.session
    region = request.region
    code = _text("region.code", region.code, 8)
    if not (len(region.card_prefix) == 2 and is_ascii_digits(region.card_prefix)):
        raise InvalidArgument("region.card_prefix", "must be two digits")
    clash = session.execute(select(Region).where(Region.card_prefix == region.card_prefix, Region.code != code)).scalar_one_or_none()
    if clash is not None:
        raise InvalidArgument("region.card_prefix", f"already used by region {clash.code}")
    existing = session.get(Region, code)
    before = region_message(existing) if existing is not None else None
    stored = session.merge(Region(code=code, card_prefix=region.card_prefix, name=_text("region.name", region.name),
                                  endpoint=ENDPOINT_SEPARATOR.join(_endpoints(region))))
    bump_version(session)
    audit_log.record(session, action=audit_log.rpc("DirectoryService", "UpsertRegion"), target_type="region", target_id=code,
                     place=Place(region=code), before=before, after=region_message(stored), request_id=request.request_id)
    return directory_pb2.UpsertRegionResponse(region=region_message(stored))


def upsert_franchisee(uow: UnitOfWork, request: directory_pb2.UpsertFranchiseeRequest) -> directory_pb2.UpsertFranchiseeResponse:
    session = uow.session
    item = request.franchisee
    franchisee_id = _text("franchisee.franchisee_id", item.franchisee_id, 32)
    existing = session.get(Franchisee, franchisee_id)
    before = franchisee_message(existing) if existing is not None else None
    stored = session.merge(
        Franchisee(franchisee_id=franchisee_id, name=_text("franchisee.name", item.name, 128), company_owned=item.company_owned)
    )
    bump_version(session)
    audit_log.record(session, action=audit_log.rpc("DirectoryService", "UpsertFranchisee"), target_type="franchisee",
                     target_id=franchisee_id, place=Place(franchisee=franchisee_id), before=before,
                     after=franchisee_message(stored), request_id=request.request_id)
    return directory_pb2.UpsertFranchiseeResponse(franchisee=item)


def upsert_store(uow: UnitOfWork, request: directory_pb2.UpsertStoreRequest) -> directory_pb2.UpsertStoreResponse:
    session = uow.session
    item = request.store
    if session.get(Region, item.region_code) is None:
        raise InvalidArgument("store.region_code", f"unknown region {item.region_code!r}")
    if session.get(Franchisee, item.franchisee_id) is None:
        raise InvalidArgument("store.franchisee_id", f"unknown franchisee {item.franchisee_id!r}")
    store_id = _text("store.store_id", item.store_id, 32)
    existing = session.get(Store, store_id)
    before = store_message(existing) if existing is not None else None
    stored = session.merge(
        Store(
            store_id=store_id,
            name=_text("store.name", item.name, 128),
            region_code=item.region_code,
            franchisee_id=item.franchisee_id,
            time_zone=time_zone("store.time_zone", item.time_zone or DEFAULT_TIME_ZONE),
            address=_text("store.address", item.address, 256, required=False),
            active=item.active,
        )
    )
    bump_version(session)
    audit_log.record(session, action=audit_log.rpc("DirectoryService", "UpsertStore"), target_type="store", target_id=store_id,
                     place=Place.of_store(stored),
                     before=before, after=store_message(stored), request_id=request.request_id)
    return directory_pb2.UpsertStoreResponse(store=item)


# A region's replicas share the one ``endpoint`` column, comma-separated (docs/adr/0054): the
# directory needs no migration, and a row of one endpoint reads as it always did.
ENDPOINT_SEPARATOR = ","
_ENDPOINTS_COLUMN_LENGTH = 255


def _endpoints(region: directory_pb2.Region) -> list[str]:
    """The region's endpoints as given (``endpoints``, else ``endpoint``), each one a target callers
    can balance over, or INVALID_ARGUMENT naming the field."""
    endpoints = [entry.strip() for entry in region.endpoints]
    if not endpoints:
        single = region.endpoint.strip()
        if single and (ENDPOINT_SEPARATOR in single or " " in single or not single.isprintable()):
            raise InvalidArgument("region.endpoint", "must be one host:port (several replicas: region.endpoints)")
        return [single] if single else []
    if region.endpoint and region.endpoint.strip() != endpoints[0]:
        raise InvalidArgument("region.endpoint", "must be empty or the first of region.endpoints")
    for index, entry in enumerate(endpoints):
        if not entry or ENDPOINT_SEPARATOR in entry or " " in entry or not entry.isprintable():
            raise InvalidArgument(f"region.endpoints[{index}]", "must be one host:port or dns:///name:port")
    if len(set(endpoints)) != len(endpoints):
        raise InvalidArgument("region.endpoints", "lists an endpoint twice")
    try:
        balanced_target(endpoints)
    except ValueError as error:
        raise InvalidArgument("region.endpoints", str(error)) from error
    if len(ENDPOINT_SEPARATOR.join(endpoints)) > _ENDPOINTS_COLUMN_LENGTH:
        raise InvalidArgument("region.endpoints", f"must be at most {_ENDPOINTS_COLUMN_LENGTH} characters together")
    return endpoints


def region_message(row: Region) -> directory_pb2.Region:
    endpoints = parse_endpoints(row.endpoint)
    return directory_pb2.Region(code=row.code, card_prefix=row.card_prefix, name=row.name,
                                endpoint=endpoints[0] if endpoints else "",
                                endpoints=endpoints if len(endpoints) > 1 else [])


def franchisee_message(row: Franchisee) -> directory_pb2.Franchisee:
    return directory_pb2.Franchisee(franchisee_id=row.franchisee_id, name=row.name, company_owned=row.company_owned)


def store_message(row: Store) -> directory_pb2.Store:
    return directory_pb2.Store(
        store_id=row.store_id, name=row.name, region_code=row.region_code, franchisee_id=row.franchisee_id,
        time_zone=row.time_zone, address=row.address, active=row.active,
    )


def list_regions(session: Session) -> list[directory_pb2.Region]:
    return [region_message(row) for row in session.execute(select(Region).order_by(Region.code)).scalars()]


def list_franchisees(session: Session) -> list[directory_pb2.Franchisee]:
    return [franchisee_message(row) for row in session.execute(select(Franchisee).order_by(Franchisee.franchisee_id)).scalars()]


def list_stores(session: Session, region_code: str = "", franchisee_id: str = "") -> list[directory_pb2.Store]:
    statement = select(Store).order_by(Store.store_id)
    if region_code:
        statement = statement.where(Store.region_code == region_code)
    if franchisee_id:
        statement = statement.where(Store.franchisee_id == franchisee_id)
    return [store_message(row) for row in session.execute(statement).scalars()]


def get_store(session: Session, store_id: str) -> directory_pb2.Store:
    row = session.get(Store, store_id)
    if row is None:
        raise NotFound(f"no store {store_id!r}")
    return store_message(row)


# ---- store staff (S1) ----------------------------------------------------------------------------

_STAFF_ROLES = {
    directory_pb2.STAFF_ROLE_CASHIER: "CASHIER",
    directory_pb2.STAFF_ROLE_STORE_MANAGER: "STORE_MANAGER",
}


def staff_message(row: StaffMember, *, email: str | None = None) -> directory_pb2.Staff:
    """The staff member; ``email`` replaces the stored e-mail (masked for audit, "" for the snapshot)."""
    return directory_pb2.Staff(
        staff_id=row.staff_id, store_id=row.store_id, name=row.name, role=cast(directory_pb2.StaffRole, directory_pb2.StaffRole.Value(f"STAFF_ROLE_{row.role}")),
        active=row.active, employee_number=row.employee_number, operator_id=row.operator_id,
        email=row.email if email is None else email,
    )


def _audited_staff(row: StaffMember) -> directory_pb2.Staff:
    """What the audit log keeps: the e-mail masked (personal data, docs/adr/0056)."""
    return staff_message(row, email=mask_email(row.email) if row.email else "")


def _staff_email(value: str) -> str:
    """A work e-mail: optional, at most 254 characters, one "@" with text on both sides, no spaces."""
    email = value.strip()
    if not email:
        return ""
    local, at, domain = email.partition("@")
    if len(email) > 254 or not at or not local or "." not in domain or "@" in domain or any(c.isspace() for c in email):
        raise InvalidArgument("staff.email", "must be an e-mail address like name@example.com")
    return email


def _require_caller_covers(store: Store, what: str) -> None:
    """The interceptor checked the store named in the request; a person moved from another store
    must come from inside the caller's scope too (a franchisee cannot take another's staff)."""
    principal = current_principal()
    if principal is not None and principal.scope is not None and not principal.scope.covers(Place.of_store(store)):
        raise PermissionDenied(f"{what} works at store {store.store_id}, outside your scope ({principal.scope})")


def upsert_staff(uow: UnitOfWork, request: directory_pb2.UpsertStaffRequest) -> directory_pb2.UpsertStaffResponse:
    session = uow.session
    item = request.staff
    staff_id = _text("staff.staff_id", item.staff_id, 32)
    store = session.get(Store, _text("staff.store_id", item.store_id, 32))
    if store is None:
        raise InvalidArgument("staff.store_id", f"unknown store {item.store_id!r}")
    if item.role not in _STAFF_ROLES:
        raise InvalidArgument("staff.role", "must be STAFF_ROLE_CASHIER or STAFF_ROLE_STORE_MANAGER")
    operator_id = _text("staff.operator_id", item.operator_id, 32, required=False)
    if operator_id:
        operator = session.get(Operator, operator_id)
        if operator is None:
            raise InvalidArgument("staff.operator_id", f"unknown operator {operator_id!r}")
        # The account a person logs in with at the till must be allowed at that store.
        if not operator.scope().covers(Place.of_store(store)):
            raise InvalidArgument("staff.operator_id", f"operator {operator_id}'s scope ({operator.scope()}) "
                                                       f"does not include store {store.store_id}")
    email = _staff_email(item.email)
    existing = session.get(StaffMember, staff_id, with_for_update=True)
    before = _audited_staff(existing) if existing is not None else None
    stored_before = staff_message(existing) if existing is not None else None
    if existing is not None and existing.store_id != store.store_id:
        previous_store = session.get(Store, existing.store_id)
        if previous_store is not None:
            _require_caller_covers(previous_store, f"staff {staff_id}")
    stored = session.merge(StaffMember(
        staff_id=staff_id, store_id=store.store_id, name=_text("staff.name", item.name, 64), role=_STAFF_ROLES[item.role],
        active=item.active, employee_number=_text("staff.employee_number", item.employee_number, 32, required=False),
        operator_id=operator_id, email=email,
    ))
    after = _audited_staff(stored)
    if stored_before != staff_message(stored):
        bump_version(session)
        audit_log.record(session, action=audit_log.rpc("DirectoryService", "UpsertStaff"), target_type="staff",
                         target_id=staff_id, place=Place.of_store(store), before=before, after=after,
                         request_id=request.request_id)
    return directory_pb2.UpsertStaffResponse(staff=staff_message(stored))


def list_staff(session: Session, store_id: str, *, include_inactive: bool = False) -> list[directory_pb2.Staff]:
    if session.get(Store, _text("store_id", store_id, 32)) is None:
        raise NotFound(f"no store {store_id!r}")
    statement = select(StaffMember).where(StaffMember.store_id == store_id).order_by(StaffMember.name, StaffMember.staff_id)
    if not include_inactive:
        statement = statement.where(StaffMember.active.is_(True))
    return [staff_message(row) for row in session.execute(statement).scalars()]


def all_staff(session: Session) -> list[directory_pb2.Staff]:
    """Every store's staff, active or not (the config snapshot; each store agent gets its own)."""
    rows = session.execute(select(StaffMember).order_by(StaffMember.store_id, StaffMember.name, StaffMember.staff_id)).scalars()
    return [staff_message(row, email="") for row in rows]  # the e-mail stays at HQ (docs/adr/0056)

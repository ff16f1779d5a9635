"""Operators and their tokens (H2): OperatorService's handlers.

- The writes are command handlers ``handler(uow, request)`` run by HQ's command runner
  (hq_service.bootstrap.hq_commands), which fingerprints requests with :func:`mask_passwords`.
  IssueToken and SetOperatorPassword are run by ``run_issue_token`` / ``run_set_operator_password``:
  a wrong password is counted in a transaction of its own after the command's rolled back, and a
  log-in's token is signed after the pipeline (the stored answer never holds it).

- Operators have one role and one scope; passwords are salted scrypt hashes
  (chaincard.security.passwords); 5 failed log-ins in a row lock an operator for 15 minutes.
- IssueToken signs a short-lived Ed25519 token (default 1 hour, chaincard.security.tokens) with
  the key in HQ's key directory (:class:`chaincard.security.tokens.SigningKeyStore`; one file,
  mode 0600, shared by HQ replicas as a mounted secret). Tokens are recorded (not the token
  itself: its claims, which sign to the same token again) so they can be revoked and a retried
  IssueToken returns the same token.
- RevokeToken puts a token id on the deny list that GetTokenVerificationKeys publishes with the
  public keys; deactivating an operator or changing their role or scope revokes their tokens.
- Who may manage whom is decided here with the caller from ``current_principal()`` (the
  authorising interceptor only checks the role): an HQ admin manages everyone in its scope; a
  franchisee admin manages the cashiers and store managers of its own stores; everyone may read
  their own record, change their own password (proving the current one) and revoke their own
  tokens. With no principal (a local tool calling the handlers directly) the call is the system's.
- Every change (operators, passwords, tokens issued and revoked, failed log-ins) is audited in the
  transaction that makes it (hq_service.audit_log); never a password, hash or token.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner, CommitThenRefuse
from chaincard.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from chaincard.ids import new_id
from chaincard.security import passwords
from chaincard.security.authz import Directory
from chaincard.security.identity import Place, Principal, Role, Scope, ScopeLevel, current_principal
from chaincard.security.tokens import (
    DEFAULT_TTL_SECONDS,
    MAX_TTL_SECONDS,
    CachedKeySource,
    KeySet,
    SigningKeyStore,
    TokenClaims,
    TokenSigner,
    sign_claims,
)
from chaincard.v1 import operators_pb2
from hq_service import audit_log
from hq_service.company_models import CompanyRow
from hq_service.models import Store
from hq_service.operator_models import Operator, OperatorToken
from hq_service.unit_of_work import HqUnitOfWork

_OPERATOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_LOGIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_PASSWORD_FIELDS = ("password", "initial_password", "current_password", "new_password")
_HQ_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE, Role.AUDITOR, Role.INTEGRATOR, Role.CALL_CENTER,
                       Role.REGIONAL_MANAGER})
_STAFF_ROLES = frozenset({Role.CASHIER, Role.STORE_MANAGER})
_LOGIN_REFUSED = "log-in refused: wrong login name or password, or too many failed attempts (try again later)"


@dataclass(frozen=True)
class OperatorSettings:
    token_ttl_seconds: int = DEFAULT_TTL_SECONDS
    max_failed_logins: int = 5
    lockout_seconds: int = 900
    default_page_size: int = 100
    max_page_size: int = 1000

    def __post_init__(self) -> None:
        if not 0 < self.token_ttl_seconds <= MAX_TTL_SECONDS:
            raise ValueError(f"token_ttl_seconds must be between 1 and {MAX_TTL_SECONDS}")


@dataclass
class OperatorContext:
    """What the handlers need, wired once (hq_service.bootstrap)."""

    session_factory: sessionmaker[Session]
    keys: SigningKeyStore
    settings: OperatorSettings = OperatorSettings()
    clock: Callable[[], float] = time.time

    @property
    def signer(self) -> TokenSigner:
        return TokenSigner(self.keys.signing_key, clock=self.clock)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


# ---- translation ---------------------------------------------------------------------------------
def _timestamp(moment: datetime | None) -> Timestamp:
    stamp = Timestamp()
    if moment is not None:
        stamp.FromDatetime(moment)
    return stamp


def _scope_of(row: Operator) -> Scope:
    return row.scope()


def operator_message(row: Operator) -> operators_pb2.Operator:
    return operators_pb2.Operator(
        operator_id=row.operator_id, login_name=row.login_name, display_name=row.display_name,
        role=cast(operators_pb2.OperatorRole, Role[row.role].value), scope=_scope_of(row).to_proto(), active=row.active,
        created_at=_timestamp(row.created_at), staff_id=row.staff_id,
    )


# ---- idempotency (passwords never hashed plainly into a fingerprint) ------------------------------
def mask_passwords(request: Message) -> Message:
    """``request`` with its password fields replaced by salted digests, for HQ's command runner to
    fingerprint (its ``mask_secrets``): a request id's stored fingerprint never holds a password a
    dictionary could find, yet a retry with another password is told apart (ALREADY_EXISTS)."""
    present = [name for name in _PASSWORD_FIELDS if name in request.DESCRIPTOR.fields_by_name and getattr(request, name)]
    if not present:
        return request
    copy = type(request)()
    copy.CopyFrom(request)
    for name in present:
        salt = f"{getattr(request, 'request_id')}:{name}"  # noqa: B009 - every command request has one
        setattr(copy, name, passwords.salted_digest(getattr(copy, name), salt))
    return copy


# ---- validation ----------------------------------------------------------------------------------
def _check_password(field: str, password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise InvalidArgument(field, f"must be at least {passwords.MIN_LENGTH} characters")
    if len(password) > passwords.MAX_LENGTH:
        raise InvalidArgument(field, f"must be at most {passwords.MAX_LENGTH} characters")


def _check_operator_id(field: str, value: str) -> str:
    if not _OPERATOR_ID.match(value or ""):
        raise InvalidArgument(field, "must be 1-32 letters, digits, '.', '_' or '-'")
    return value


def _check_text(field: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) > max_length or not value.isprintable():
        raise InvalidArgument(field, f"must be at most {max_length} printable characters")
    return value


# ---- who may manage whom ---------------------------------------------------------------------------
def _store_place_franchisee(session: Session, store_id: str) -> str | None:
    store = session.get(Store, store_id)
    return store.franchisee_id if store is not None else None


def _store_region(session: Session, store_id: str) -> str | None:
    store = session.get(Store, store_id)
    return store.region_code if store is not None else None


def _scope_within(session: Session, outer: Scope, inner: Scope) -> bool:
    if outer.level is ScopeLevel.CHAIN or outer == inner:
        return True
    if inner.level is not ScopeLevel.STORE:
        return False
    if outer.level is ScopeLevel.FRANCHISEE:
        return _store_place_franchisee(session, inner.id) == outer.id
    if outer.level is ScopeLevel.REGION:
        return _store_region(session, inner.id) == outer.id
    return False


def _may_manage(session: Session, principal: Principal | None, role: Role, scope: Scope) -> bool:
    """Whether the caller may create, change or reset an operator with this role and scope."""
    if principal is None:
        return True  # the system (bootstrap, a local tool)
    if role is Role.COMPANY_ADMIN or scope.level is ScopeLevel.COMPANY:
        # A company's administrator is HQ's to create (C6): only a chain-wide HQ admin.
        return principal.role is Role.HQ_ADMIN and principal.scope is not None and principal.scope.level is ScopeLevel.CHAIN
    if principal.role is Role.HQ_ADMIN and principal.scope is not None:
        if principal.scope.level is ScopeLevel.CHAIN:
            return True
        return role not in _HQ_ROLES and _scope_within(session, principal.scope, scope)
    if principal.role is Role.FRANCHISEE_ADMIN and principal.scope is not None:
        return (role in _STAFF_ROLES and scope.level is ScopeLevel.STORE
                and _scope_within(session, principal.scope, scope))
    return False


def _may_read(session: Session, principal: Principal | None, row: Operator) -> bool:
    if principal is None or principal.operator_id == row.operator_id:
        return True
    if principal.role is Role.AUDITOR and principal.scope is not None:
        return _scope_within(session, principal.scope, _scope_of(row))
    return _may_manage(session, principal, Role[row.role], _scope_of(row))


def _caller_id(principal: Principal | None) -> str:
    return principal.operator_id if principal is not None and principal.operator_id else "system"


def _revoke_live_tokens(session: Session, operator_id: str, now: datetime, by: str) -> int:
    """Revoke the operator's unexpired tokens; returns how many (for the audit entry)."""
    result = cast("CursorResult[Any]", session.execute(
        update(OperatorToken)
        .where(OperatorToken.operator_id == operator_id, OperatorToken.revoked_at.is_(None),
               OperatorToken.expires_at > int(now.timestamp()))
        .values(revoked_at=now, revoked_by=by)
    ))
    return result.rowcount


# ---- audit -------------------------------------------------------------------------------------------
def _audit(session: Session, method: str, row: Operator | None, **entry: Any) -> None:
    """One entry about operator ``row`` (by default), placed in its scope so that its franchisee
    or region finds it."""
    place = audit_log.scope_place(session, _scope_of(row)) if row is not None else Place()
    entry.setdefault("target_type", "operator")
    entry.setdefault("target_id", row.operator_id if row is not None else "")
    audit_log.record(session, action=audit_log.rpc("OperatorService", method), place=place, **entry)


def _as_operator(row: Operator) -> audit_log.Who:
    """A log-in acts as the operator it proves to be, from wherever the call came."""
    principal = current_principal()
    origin = str(principal.peer) if principal is not None and principal.peer is not None else ""
    return audit_log.Who(actor=row.operator_id, operator_id=row.operator_id, operator_role=Role[row.role].proto_name,
                         operator_scope=str(_scope_of(row)), origin=origin)


def _token_state(record: OperatorToken) -> dict[str, Any]:
    """A token's claims and revocation for the audit log; the token itself is never kept."""
    return {"token_id": record.token_id, "operator_id": record.operator_id, "role": record.role, "scope": record.scope,
            "key_id": record.key_id, "issued_at": record.issued_at, "expires_at": record.expires_at,
            "revoked_at": record.revoked_at, "revoked_by": record.revoked_by}


# ---- handlers --------------------------------------------------------------------------------------
def upsert_operator(uow: HqUnitOfWork, request: operators_pb2.UpsertOperatorRequest) -> operators_pb2.UpsertOperatorResponse:
    item = request.operator
    operator_id = _check_operator_id("operator.operator_id", item.operator_id)
    login_name = _check_text("operator.login_name", item.login_name, 64)
    if not _LOGIN_NAME.match(login_name):
        raise InvalidArgument("operator.login_name", "must be 1-64 letters, digits, '.', '_', '@' or '-'")
    display_name = _check_text("operator.display_name", item.display_name, 128)
    role = Role.from_proto(item.role, "operator.role")
    scope = Scope.from_proto(item.scope)
    if len(item.staff_id) > 64:
        raise InvalidArgument("operator.staff_id", "must be at most 64 characters")
    principal = current_principal()
    session = uow.session
    if (role is Role.COMPANY_ADMIN) != (scope.level is ScopeLevel.COMPANY):
        raise InvalidArgument("operator.scope", "a COMPANY_ADMIN operator has a company scope and only it has one "
                                                f"(asked: {role.name} at {scope})")
    if scope.level is ScopeLevel.STORE and session.get(Store, scope.id) is None:
        raise InvalidArgument("operator.scope.id", f"unknown store {scope.id!r}")
    if not _may_manage(session, principal, role, scope):
        raise PermissionDenied(f"you may not manage a {role.name} operator scoped to {scope}")
    # After the rights check: who may not create a company's administrator learns nothing of its companies.
    if scope.level is ScopeLevel.COMPANY and session.get(CompanyRow, scope.id) is None:
        raise InvalidArgument("operator.scope.id", f"unknown company {scope.id!r}")
    row = session.get(Operator, operator_id)
    clash = session.execute(select(Operator).where(Operator.login_name == login_name)).scalar_one_or_none()
    if clash is not None and clash.operator_id != operator_id:
        raise AlreadyExists(f"login name {login_name!r} is taken")
    now = uow.operators.now()
    before = operator_message(row) if row is not None else None
    tokens_revoked = 0
    if row is None:
        _check_password("initial_password", request.initial_password)
        row = Operator(operator_id=operator_id, login_name=login_name, display_name=display_name, role=role.name,
                       scope_level=scope.level.label, scope_id=scope.id, active=item.active, staff_id=item.staff_id,
                       password_hash=passwords.hash_password(request.initial_password), failed_logins=0,
                       created_at=now, updated_at=now)
        session.add(row)
    else:
        if not _may_manage(session, principal, Role[row.role], _scope_of(row)):
            raise PermissionDenied(f"you may not manage operator {operator_id}")
        rights_changed = row.role != role.name or _scope_of(row) != scope or (row.active and not item.active)
        row.login_name, row.display_name, row.role = login_name, display_name, role.name
        row.scope_level, row.scope_id, row.active, row.staff_id = scope.level.label, scope.id, item.active, item.staff_id
        row.updated_at = now
        if rights_changed:
            # Tokens carry role and scope: old ones must not outlive the change.
            tokens_revoked = _revoke_live_tokens(session, operator_id, now, _caller_id(principal))
    session.flush()
    response = operators_pb2.UpsertOperatorResponse(operator=operator_message(row))
    _audit(session, "UpsertOperator", row, before=before, request_id=request.request_id,
           after={**audit_log.as_state(response.operator), "tokens_revoked": tokens_revoked})
    return response


def get_operator(ctx: OperatorContext, request: operators_pb2.GetOperatorRequest) -> operators_pb2.GetOperatorResponse:
    with ctx.session_factory() as session:
        row = session.get(Operator, request.operator_id)
        if row is None or not _may_read(session, current_principal(), row):
            # The same answer whether it does not exist or is not yours to see.
            raise NotFound(f"no operator {request.operator_id!r}")
        return operators_pb2.GetOperatorResponse(operator=operator_message(row))


def _page_token(login_name: str) -> str:
    return base64.urlsafe_b64encode(login_name.encode()).decode()


def _after(page_token: str) -> str:
    if not page_token:
        return ""
    try:
        return base64.urlsafe_b64decode(page_token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "is not a token this service issued") from None


def list_operators(ctx: OperatorContext, request: operators_pb2.ListOperatorsRequest) -> operators_pb2.ListOperatorsResponse:
    if request.page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    size = min(request.page_size or ctx.settings.default_page_size, ctx.settings.max_page_size)
    wanted_scope = Scope.from_proto(request.scope) if request.HasField("scope") else None
    wanted_role = Role.from_proto(request.role) if request.role else None
    principal = current_principal()
    statement = select(Operator).where(Operator.login_name > _after(request.page_token)).order_by(Operator.login_name)
    if not request.include_inactive:
        statement = statement.where(Operator.active.is_(True))
    if wanted_role is not None:
        statement = statement.where(Operator.role == wanted_role.name)
    if wanted_scope is not None:
        statement = statement.where(Operator.scope_level == wanted_scope.level.label, Operator.scope_id == wanted_scope.id)
    found: list[Operator] = []
    with ctx.session_factory() as session:
        for row in session.execute(statement.execution_options(yield_per=500)).scalars():
            if _may_read(session, principal, row):
                found.append(row)
                if len(found) > size:
                    break
        page = found[:size]
        next_token = _page_token(page[-1].login_name) if len(found) > size else ""
        return operators_pb2.ListOperatorsResponse(operators=[operator_message(row) for row in page], next_page_token=next_token)


def set_operator_password(uow: HqUnitOfWork, request: operators_pb2.SetOperatorPasswordRequest) -> operators_pb2.SetOperatorPasswordResponse:
    """The handler; run it with :func:`run_set_operator_password`, which counts a wrong current password."""
    _check_password("new_password", request.new_password)
    principal = current_principal()
    session = uow.session
    row = session.get(Operator, request.operator_id)
    if row is None:
        raise NotFound(f"no operator {request.operator_id!r}")
    own = principal is not None and principal.operator_id == row.operator_id
    if not own and not _may_manage(session, principal, Role[row.role], _scope_of(row)):
        raise NotFound(f"no operator {request.operator_id!r}")
    # Changing one's own password proves the current one (a stolen token alone cannot). Guessing it
    # through this call counts like a failed log-in.
    if own and not passwords.password_matches(request.current_password, row.password_hash):
        _count_failed_login(uow, row, "SetOperatorPassword")
        raise CommitThenRefuse(PermissionDenied("current_password is wrong"))
    row.password_hash = passwords.hash_password(request.new_password)
    row.failed_logins, row.locked_until = 0, None
    now = uow.operators.now()
    row.updated_at = now
    # A new password ends the sessions the old one opened.
    revoked = _revoke_live_tokens(session, row.operator_id, now, _caller_id(principal))
    _audit(session, "SetOperatorPassword", row, request_id=request.request_id,
           after={"password_changed": True, "tokens_revoked": revoked})
    return operators_pb2.SetOperatorPasswordResponse()


def run_set_operator_password(ctx: OperatorContext, commands: CommandRunner[HqUnitOfWork],
                              request: operators_pb2.SetOperatorPasswordRequest) -> operators_pb2.SetOperatorPasswordResponse:
    """SetOperatorPassword through HQ's command pipeline, a wrong current password counted."""
    return commands.run(set_operator_password, request)


def _sign(ctx: OperatorContext, claims: TokenClaims) -> str:
    """Sign recorded claims again: the same token while the key is the same (Ed25519 is
    deterministic); after a key rotation, an equally valid token with the same id."""
    key = ctx.keys.signing_key()
    return sign_claims(key, dataclasses.replace(claims, key_id=key.key_id))


def _count_failed_login(uow: HqUnitOfWork, row: Operator, method: str) -> None:
    """Count a wrong password towards the lock-out, in the command's own transaction: the command
    is then refused with ``CommitThenRefuse``, which commits this count and its audit entry alone.
    The row is read again under its lock, so concurrent wrong guesses are all counted."""
    session, ctx = uow.session, uow.operators
    session.refresh(row, with_for_update=True)
    before = {"failed_logins": row.failed_logins, "locked_until": row.locked_until}
    row.failed_logins += 1
    if row.failed_logins >= ctx.settings.max_failed_logins:
        row.locked_until = ctx.now() + timedelta(seconds=ctx.settings.lockout_seconds)
        row.failed_logins = 0
    _audit(session, method, row, reason="wrong password", outcome="UNAUTHENTICATED" if method == "IssueToken" else
           "PERMISSION_DENIED", before=before, after={"failed_logins": row.failed_logins, "locked_until": row.locked_until})


def issue_token(uow: HqUnitOfWork, request: operators_pb2.IssueTokenRequest) -> operators_pb2.IssueTokenResponse:
    """The handler: records the new token's claims and answers without the token itself, which is
    what the pipeline stores; :func:`run_issue_token` signs the claims into the token."""
    if not request.login_name or len(request.login_name) > 64:
        raise InvalidArgument("login_name", "is required (at most 64 characters)")
    if not request.password or len(request.password) > passwords.MAX_LENGTH:
        raise InvalidArgument("password", f"is required (at most {passwords.MAX_LENGTH} characters)")
    ctx, session = uow.operators, uow.session
    row = session.execute(select(Operator).where(Operator.login_name == request.login_name)).scalar_one_or_none()
    if row is None or not row.password_hash:
        passwords.spend_equal_time(request.password)
        raise Unauthenticated(_LOGIN_REFUSED)
    locked = row.locked_until is not None and row.locked_until > ctx.now()
    matches = passwords.password_matches(request.password, row.password_hash)
    if not matches and not locked:
        _count_failed_login(uow, row, "IssueToken")
        raise CommitThenRefuse(Unauthenticated(_LOGIN_REFUSED))
    if not matches or locked or not row.active:
        raise Unauthenticated(_LOGIN_REFUSED)
    row.failed_logins, row.locked_until = 0, None
    claims = ctx.signer.issue(row.operator_id, Role[row.role], _scope_of(row), ttl_seconds=ctx.settings.token_ttl_seconds).claims
    token = OperatorToken(token_id=claims.token_id, operator_id=claims.operator_id, key_id=claims.key_id,
                          role=claims.role.name, scope=str(claims.scope), issued_at=claims.issued_at,
                          expires_at=claims.expires_at, revoked_by="")
    session.add(token)
    session.flush()
    _audit(session, "IssueToken", row, target_type="token", target_id=claims.token_id, request_id=request.request_id,
           after=_token_state(token), acting=_as_operator(row))
    return operators_pb2.IssueTokenResponse(token_id=claims.token_id, expires_at=Timestamp(seconds=claims.expires_at),
                                            operator=operator_message(row))


def run_issue_token(ctx: OperatorContext, commands: CommandRunner[HqUnitOfWork],
                    request: operators_pb2.IssueTokenRequest) -> operators_pb2.IssueTokenResponse:
    """A log-in through HQ's command pipeline. The answer, first or replayed, is stored without the
    token; the token is signed here from the recorded claims, after the pipeline, so the first
    answer and every replay carry the same token (Ed25519 is deterministic; after a key rotation an
    equally valid token with the same id). A wrong password is counted towards the lock-out."""
    answer = commands.run(issue_token, request)
    with ctx.session_factory() as session:
        record = session.get(OperatorToken, answer.token_id)
    if record is None:
        raise Unauthenticated(_LOGIN_REFUSED)
    answer.token = _sign(ctx, _claims_of(record))
    return answer


def _claims_of(record: OperatorToken) -> TokenClaims:
    return TokenClaims(token_id=record.token_id, operator_id=record.operator_id, role=Role[record.role],
                       scope=Scope.parse(record.scope), issued_at=record.issued_at, expires_at=record.expires_at,
                       key_id=record.key_id)


def revoke_token(uow: HqUnitOfWork, request: operators_pb2.RevokeTokenRequest) -> operators_pb2.RevokeTokenResponse:
    if not request.token_id or len(request.token_id) > 36:
        raise InvalidArgument("token_id", "is required (at most 36 characters)")
    principal = current_principal()
    session = uow.session
    record = session.get(OperatorToken, request.token_id)
    if record is None:
        raise NotFound(f"no token {request.token_id!r}")
    if principal is not None and principal.operator_id != record.operator_id:
        owner = session.get(Operator, record.operator_id)
        if owner is None or not _may_manage(session, principal, Role[owner.role], _scope_of(owner)):
            raise NotFound(f"no token {request.token_id!r}")
    before = _token_state(record)
    if record.revoked_at is None:
        record.revoked_at = uow.operators.now()
        record.revoked_by = _caller_id(principal)
    _audit(session, "RevokeToken", session.get(Operator, record.operator_id), target_type="token",
           target_id=record.token_id, request_id=request.request_id, before=before, after=_token_state(record))
    return operators_pb2.RevokeTokenResponse()


def verification_keys(ctx: OperatorContext) -> KeySet:
    """The published keys and the ids of revoked tokens that have not yet expired."""
    from chaincard.security.tokens import CLOCK_SKEW_SECONDS

    horizon = int(ctx.clock()) - CLOCK_SKEW_SECONDS
    with ctx.session_factory() as session:
        revoked = session.execute(
            select(OperatorToken.token_id).where(OperatorToken.revoked_at.is_not(None), OperatorToken.expires_at > horizon)
        ).scalars().all()
    return KeySet.of(ctx.keys.verification_keys(), revoked)


def local_key_source(ctx: OperatorContext, *, refresh_seconds: float = 5.0) -> CachedKeySource:
    """HQ's own verifier keys, read from its key directory and database (no RPC to itself); a
    revocation takes effect at HQ within ``refresh_seconds``, elsewhere within a minute."""
    return CachedKeySource(lambda: verification_keys(ctx), refresh_seconds=refresh_seconds)


def hq_directory(session_factory: sessionmaker[Session], *, refresh_seconds: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> Directory:
    """A Directory for HQ's AuthorizationInterceptor: stores read from HQ's own table, re-read at
    most every ``refresh_seconds`` (a new store is in scope checks within that time)."""
    cache: dict[str, Any] = {"at": float("-inf"), "stores": {}}

    def stores() -> dict[str, Place]:
        if clock() - cache["at"] >= refresh_seconds:
            with session_factory() as session:
                cache["stores"] = {row.store_id: Place.of_store(row) for row in session.execute(select(Store)).scalars()}
            cache["at"] = clock()
        return cache["stores"]

    return Directory(stores)


def bootstrap_admin(session: Session, operator_id: str, password: str, *, login_name: str | None = None,
                    display_name: str = "HQ administrator", reset_password: bool = False) -> operators_pb2.Operator:
    """The first HQ admin (chain scope), created if absent; an existing operator is left as it is,
    except that ``reset_password`` sets its password (the local chain supervisor, whose data
    directory holds the password, over a database that outlived an older data directory).
    Runs in the caller's transaction (the chain supervisor, ``chaincard`` set-up commands)."""
    _check_operator_id("operator_id", operator_id)
    _check_password("password", password)
    row = session.get(Operator, operator_id)
    if row is None:
        now = datetime.now(UTC)
        row = Operator(operator_id=operator_id, login_name=login_name or operator_id, display_name=display_name,
                       role=Role.HQ_ADMIN.name, scope_level=ScopeLevel.CHAIN.label, scope_id="", active=True, staff_id="",
                       password_hash=passwords.hash_password(password), failed_logins=0, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        audit_log.record(session, action="hq_service.bootstrap_admin", target_type="operator", target_id=operator_id,
                         after=operator_message(row))
    elif reset_password and not passwords.password_matches(password, row.password_hash):
        row.password_hash, row.failed_logins, row.locked_until = passwords.hash_password(password), 0, None
        audit_log.record(session, action="hq_service.bootstrap_admin", target_type="operator", target_id=operator_id,
                         reason="password reset by the local chain supervisor")
    return operator_message(row)


def new_operator_id() -> str:
    """A fresh operator id ("OP-" and 12 hex digits of a UUIDv7)."""
    return "OP-" + new_id().replace("-", "")[-12:].upper()

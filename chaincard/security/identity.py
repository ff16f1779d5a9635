"""Who is calling, and what part of the chain they may act on.

- A :class:`Role` is what an operator may do (operators.proto ``OperatorRole``, same numbers).
- A :class:`Scope` is the part of the chain an operator acts on: the whole chain, one region, one
  franchisee's stores, one store, or one company account (a company administrator's, C6). Written
  ``chain``, ``region:E``, ``franchisee:F001``, ``store:S-E-001``, ``company:CO-ACME`` (the form the
  audit log uses in ``AuditEntry.operator_scope``).
- A :class:`Place` is where a thing sits (a store's region and franchisee, a card's issuer, a
  statement's franchisee); a scope *covers* a place when the place lies inside it.
- A :class:`PeerIdentity` is the service named by the caller's mTLS certificate.
- A :class:`Principal` is the authenticated caller of one RPC: an operator (token) or a service
  (certificate). The authorising interceptor makes it available to handlers through
  :func:`current_principal`.
"""

from __future__ import annotations

import contextvars
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from chaincard.errors import InvalidArgument

if TYPE_CHECKING:
    from chaincard.v1 import operators_pb2


class Role(enum.IntEnum):
    """Operator roles; the values are operators.proto ``OperatorRole`` numbers."""

    CASHIER = 1
    STORE_MANAGER = 2
    FRANCHISEE_ADMIN = 3
    REGIONAL_MANAGER = 4
    CALL_CENTER = 5
    HQ_FINANCE = 6
    HQ_ADMIN = 7
    AUDITOR = 8
    INTEGRATOR = 9
    COMPANY_ADMIN = 10

    @property
    def proto_name(self) -> str:
        """``OPERATOR_ROLE_CASHIER`` …, as written in the audit log."""
        return f"OPERATOR_ROLE_{self.name}"

    def to_proto(self) -> operators_pb2.OperatorRole:
        """The operators.proto ``OperatorRole`` (the same number as the value)."""
        return cast("operators_pb2.OperatorRole", self.value)

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from ``CASHIER`` or ``OPERATOR_ROLE_CASHIER`` (any case)."""
        name = text.strip().upper().removeprefix("OPERATOR_ROLE_")
        try:
            return cls[name]
        except KeyError:
            raise InvalidArgument("role", f"unknown role {text!r}") from None

    @classmethod
    def from_proto(cls, value: int, field: str = "role") -> Role:
        try:
            return cls(value)
        except ValueError:
            raise InvalidArgument(field, "must be a defined operator role") from None


class ScopeLevel(enum.Enum):
    """Scope levels; ``number`` is the operators.proto ``ScopeLevel`` value."""

    CHAIN = ("chain", 1)
    REGION = ("region", 2)
    FRANCHISEE = ("franchisee", 3)
    STORE = ("store", 4)
    COMPANY = ("company", 5)

    def __init__(self, label: str, number: int) -> None:
        self.label = label
        self.number = number

    @classmethod
    def from_label(cls, label: str) -> ScopeLevel:
        for level in cls:
            if level.label == label:
                return level
        raise InvalidArgument("scope.level", f"unknown scope level {label!r}")

    @classmethod
    def from_proto(cls, number: int) -> ScopeLevel:
        for level in cls:
            if level.number == number:
                return level
        raise InvalidArgument("scope.level", "must be a defined scope level")


@dataclass(frozen=True)
class Place:
    """Where something sits in the chain; empty fields are unknown (and never covered)."""

    region: str = ""
    franchisee: str = ""
    store: str = ""
    # A company account (companies.proto Company.company_id): what a company scope covers.
    company: str = ""

    @classmethod
    def of_store(cls, store: Any) -> Place:
        """Where a store sits: anything with ``store_id``, ``region_code`` and ``franchisee_id`` (a
        directory row, a chaincard.v1.Store)."""
        return cls(region=store.region_code, franchisee=store.franchisee_id, store=store.store_id)


@dataclass(frozen=True)
class Scope:
    level: ScopeLevel
    id: str = ""

    def __post_init__(self) -> None:
        if self.level is ScopeLevel.CHAIN and self.id:
            raise InvalidArgument("scope.id", "must be empty for the chain scope")
        if self.level is not ScopeLevel.CHAIN and not self.id:
            raise InvalidArgument("scope.id", f"is required for the {self.level.label} scope")
        if len(self.id) > 64 or not self.id.isprintable() or ":" in self.id:
            raise InvalidArgument("scope.id", "must be at most 64 printable characters without ':'")

    @classmethod
    def chain(cls) -> Scope:
        return cls(ScopeLevel.CHAIN)

    @classmethod
    def region(cls, code: str) -> Scope:
        return cls(ScopeLevel.REGION, code)

    @classmethod
    def franchisee(cls, franchisee_id: str) -> Scope:
        return cls(ScopeLevel.FRANCHISEE, franchisee_id)

    @classmethod
    def store(cls, store_id: str) -> Scope:
        return cls(ScopeLevel.STORE, store_id)

    @classmethod
    def company(cls, company_id: str) -> Scope:
        return cls(ScopeLevel.COMPANY, company_id)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``chain``, ``region:E``, ``franchisee:F001``, ``store:S-E-001`` or ``company:CO-ACME``."""
        label, _, ident = text.partition(":")
        return cls(ScopeLevel.from_label(label), ident)

    @classmethod
    def from_proto(cls, scope: operators_pb2.OperatorScope) -> Scope:
        return cls(ScopeLevel.from_proto(scope.level), scope.id)

    def to_proto(self) -> operators_pb2.OperatorScope:
        from chaincard.v1 import operators_pb2

        return operators_pb2.OperatorScope(level=cast(operators_pb2.ScopeLevel, self.level.number), id=self.id)

    def __str__(self) -> str:
        return self.level.label if self.level is ScopeLevel.CHAIN else f"{self.level.label}:{self.id}"

    def covers(self, place: Place | None) -> bool:
        """Whether ``place`` lies inside this scope (an unknown place lies inside the chain only)."""
        if self.level is ScopeLevel.CHAIN:
            return True
        if place is None:
            return False
        if self.level is ScopeLevel.REGION:
            return place.region == self.id
        if self.level is ScopeLevel.FRANCHISEE:
            return place.franchisee == self.id
        if self.level is ScopeLevel.COMPANY:
            return place.company == self.id
        return place.store == self.id

    def contains(self, other: Scope, store_place: Place | None = None) -> bool:
        """Whether every place of ``other`` lies inside this scope (``store_place``: where ``other``'s
        store sits, when ``other`` is a store scope)."""
        if self.level is ScopeLevel.CHAIN or self == other:
            return True
        if other.level is ScopeLevel.STORE:
            return self.covers(store_place)
        return False


# Kinds of service identity a certificate can name (chaincard://<kind>/<id>).
PEER_KINDS = ("hq", "region", "settlement", "store", "pos", "operator-client")


@dataclass(frozen=True)
class PeerIdentity:
    """The caller named by its mTLS certificate: ``hq``, ``region`` (id = region code),
    ``settlement``, ``store`` (a store agent; id = store id), ``pos`` (a till of a store; id = store
    id) or ``operator-client`` (a person's or integration's tool; id = its name, no rights of its
    own: it must send a token)."""

    kind: str
    id: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one RPC."""

    # For operators: their id, role and scope, and the token's id.
    operator_id: str = ""
    role: Role | None = None
    scope: Scope | None = None
    token_id: str = ""
    # The mTLS certificate's identity, when the call came over mTLS.
    peer: PeerIdentity | None = None

    @property
    def is_operator(self) -> bool:
        return self.role is not None

    def audit_fields(self) -> dict[str, str]:
        """``operator_id``, ``operator_role``, ``operator_scope`` as AuditEntry wants them; for a
        service caller the operator fields are empty and ``producer`` names the peer."""
        if self.role is not None and self.scope is not None:
            return {"operator_id": self.operator_id, "operator_role": self.role.proto_name,
                    "operator_scope": str(self.scope), "peer": str(self.peer or "")}
        return {"operator_id": "", "operator_role": "", "operator_scope": "", "peer": str(self.peer or "")}


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("chaincard_principal", default=None)


def current_principal() -> Principal | None:
    """The caller of the RPC being served on this thread (set by AuthorizationInterceptor)."""
    return _current.get()


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Make ``principal`` the current caller for the duration (the interceptor, and tests)."""
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)

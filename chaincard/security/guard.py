"""The authorising interceptor of one service, wired the same way in every bootstrap.

Each service passes what only it knows: which peers it serves, where its operator-token keys come
from, and how it places stores (and statements …) for scope checks. Everything else (field bounds
on every mutating request, development mode under ``--insecure``) is the same everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import grpc

from chaincard.security.authz import (
    STORE_VOUCHES,
    AuthorizationInterceptor,
    Directory,
    StaffRoles,
    staff_roles_from_snapshot,
    stores_from_snapshot,
)
from chaincard.security.bounds import DEFAULT_BOUNDS
from chaincard.security.identity import Place, Principal, Role
from chaincard.security.tokens import CachedKeySource, KeySource, TokenVerifier, hq_key_fetcher

T = TypeVar("T")


def service_guard(
    settings: Any,
    *,
    accepted_peers: Iterable[str],
    keys: KeySource | None,
    directory: Directory | None = None,
    staff_roles: StaffRoles | None = None,
    local_store: str | None = None,
    on_denied: Callable[[str, Principal | None, str, str], None] | None = None,
) -> AuthorizationInterceptor:
    """The interceptor to put first in ``build_server(..., interceptors=[...])``. ``keys`` None:
    this server accepts no operator tokens (its callers are services and tills only)."""
    return AuthorizationInterceptor(
        TokenVerifier(keys) if keys is not None else None,
        accepted_peers=accepted_peers,
        directory=directory,
        staff_roles=staff_roles,
        local_store=local_store,
        bounds=DEFAULT_BOUNDS,
        insecure_dev=bool(settings.insecure),
        on_denied=on_denied,
    )


def hq_token_keys(hq_channel: grpc.Channel, settings: Any) -> CachedKeySource:
    """HQ's published token keys and deny list, fetched over ``hq_channel`` and cached a minute."""
    return CachedKeySource(hq_key_fetcher(hq_channel, deadline=settings.rpc_deadline_seconds))


class _PerSnapshotVersion(Generic[T]):
    """``derive(snapshot)`` of the current configuration snapshot, rebuilt only when its version
    changes. ``snapshot`` returns the current ConfigSnapshot, or None while there is none yet; then
    ``current()`` is None too (a snapshot source never goes back to None once it has one)."""

    def __init__(self, snapshot: Callable[[], Any], derive: Callable[[Any], T]) -> None:
        self._snapshot = snapshot
        self._derive = derive
        self._lock = threading.Lock()
        self._version: int | None = None
        self._value: T | None = None

    def current(self) -> T | None:
        snapshot = self._snapshot()
        if snapshot is None:
            return self._value
        with self._lock:
            if snapshot.version != self._version or self._value is None:
                self._value, self._version = self._derive(snapshot), snapshot.version
            return self._value


class SnapshotPlaces:
    """The stores of a configuration snapshot, rebuilt only when its version changes (while there
    is no snapshot yet, no store is known, and scope checks that need one fail closed)."""

    def __init__(self, snapshot: Callable[[], Any]) -> None:
        self._stores = _PerSnapshotVersion(snapshot, stores_from_snapshot)

    def stores(self) -> Mapping[str, Place]:
        return self._stores.current() or {}

    def directory(self, resolvers: Mapping[str, Callable[[str], Place | None]] | None = None) -> Directory:
        return Directory(self.stores, resolvers)


class SnapshotStaff:
    """The staff of a configuration snapshot as a resolver for ``service_guard(staff_roles=...)``,
    rebuilt only when the snapshot's version changes. While there is no snapshot yet, every store
    vouches for its staff (as it did before HQ kept staff)."""

    def __init__(self, snapshot: Callable[[], Any]) -> None:
        self._resolve = _PerSnapshotVersion(snapshot, staff_roles_from_snapshot)

    def __call__(self, store_id: str, operator_id: str) -> Role | str | None:
        resolve = self._resolve.current()
        return STORE_VOUCHES if resolve is None else resolve(store_id, operator_id)

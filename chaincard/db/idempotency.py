"""Idempotent commands (STYLE rule 2, tigerbeetle's ``exists`` / ``exists_with_different_fields``).

A handler calls :func:`replay_or_reserve` first in its transaction. The stored answer comes back
for a repeat of the same request; a different payload under the same id is ``ALREADY_EXISTS``.
The answer is saved with :func:`remember` in the same transaction as the effects, so a crash
leaves either both or neither.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from google.protobuf.message import Message
from sqlalchemy import (
    CursorResult,
    Insert,
    LargeBinary,
    Select,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from chaincard.db.base import UtcTimestamp, table_of, utc_now
from chaincard.errors import Aborted, AlreadyExists, InvalidArgument
from chaincard.pins import mask_pins

ResponseT = TypeVar("ResponseT", bound=Message)
P = ParamSpec("P")
R = TypeVar("R")


class IdempotencyKeyColumns:
    __tablename__ = "idempotency_keys"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    response: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


SecretMask = Callable[[Message], Message]


def fingerprint(operation: str, request: Message, mask_secrets: SecretMask | None = None) -> str:
    """A hash of what the request asks for (deterministic serialization, request id included),
    with PINs replaced by their memory-hard digests first (chaincard.pins.mask_pins), and any
    other secrets by ``mask_secrets`` (HQ's operator passwords)."""
    masked = mask_pins(request)
    if mask_secrets is not None:
        masked = mask_secrets(masked)
    digest = hashlib.sha256(operation.encode())
    digest.update(masked.SerializeToString(deterministic=True))
    return digest.hexdigest()


def validate_request_id(request_id: str) -> None:
    if not request_id:
        raise InvalidArgument("request_id", "is required on every mutating call")
    if len(request_id) > 64 or not request_id.isprintable():
        raise InvalidArgument("request_id", "must be at most 64 printable characters")


def replay_or_reserve(
    session: Session,
    model: type[IdempotencyKeyColumns],
    operation: str,
    request: Message,
    response_type: type[ResponseT],
    *,
    mask_secrets: SecretMask | None = None,
) -> ResponseT | None:
    """The stored answer for a repeat of this request, or None when it is new.

    Concurrent first attempts with one id race on the primary key at commit; the loser's
    transaction fails and its retry then finds the winner's answer here.
    """
    request_id: str = getattr(request, "request_id")  # noqa: B009 - every command request has one
    validate_request_id(request_id)
    # Core, not an ORM object: this runs first in every command, and a new id (the usual case) reads nothing.
    existing = session.execute(_statements(table_of(model)).find, {"request_id": request_id}).one_or_none()
    if existing is None:
        return None
    if existing.operation != operation or existing.payload_sha256 != fingerprint(operation, request, mask_secrets):
        raise AlreadyExists(
            f"request_id {request_id!r} was already used for a different request; "
            "use a new request_id for a new operation"
        )
    return response_type.FromString(existing.response)


def remember(session: Session, model: type[IdempotencyKeyColumns], operation: str, request: Message, response: Message,
             *, mask_secrets: SecretMask | None = None) -> None:
    """Store the answer now, in the caller's transaction. A twin that raced this request fails here
    on the primary key (or this one fails at the twin's insert), and ``retry_on_conflict`` replays."""
    session.execute(_statements(table_of(model)).insert, answer_row(operation, request, response, mask_secrets=mask_secrets))


def answer_row(operation: str, request: Message, response: Message, *, mask_secrets: SecretMask | None = None) -> dict[str, Any]:
    """The idempotency-key row that remembers ``response`` as the answer to ``request``, under its
    table's column names (a handler that writes it itself, in its own statement, needs them)."""
    return {
        "request_id": getattr(request, "request_id"),  # noqa: B009 - every command request has one
        "operation": operation,
        "payload_sha256": fingerprint(operation, request, mask_secrets),
        "response": response.SerializeToString(),
    }


# How many answers one purge statement deletes (short transactions beside the checkouts).
PURGE_CHUNK = 5_000


def purge_answers(session_factory: sessionmaker[Session], model: type[IdempotencyKeyColumns], created_before: datetime) -> int:
    """Delete the answers remembered before ``created_before``, a chunk per transaction; returns how
    many went. A request repeated after that is a new request: only a caller that waited past the
    retention (the setting ``request_answer_retention_days``) could do it."""
    keys = table_of(model)
    total = 0
    while True:
        chunk = (select(keys.c.request_id).where(keys.c.created_at < created_before)
                 .limit(PURGE_CHUNK).scalar_subquery())
        with session_factory() as session, session.begin():
            result = session.execute(delete(keys).where(keys.c.request_id.in_(chunk)))
            deleted = result.rowcount if isinstance(result, CursorResult) else 0
        total += deleted
        if deleted < PURGE_CHUNK:
            return total


@dataclass(frozen=True)
class _KeyStatements:
    find: Select[str, str, bytes]
    insert: Insert


@functools.cache
def _statements(keys: Table) -> _KeyStatements:
    """The two statements on one service's key table, built once: every command runs them."""
    return _KeyStatements(
        find=select(keys.c.operation, keys.c.payload_sha256, keys.c.response).where(keys.c.request_id == bindparam("request_id")),
        insert=insert(keys),
    )


# PostgreSQL error codes worth one more attempt: the request raced a twin (unique_violation), or
# lost a deadlock / serialization conflict to another transaction.
_RETRYABLE_PGCODES = {"23505", "40P01", "40001"}
MAX_ATTEMPTS = 3


def is_retryable_conflict(error: DBAPIError) -> bool:
    """Whether a failed transaction lost a race worth one more attempt (see retry_on_conflict)."""
    code = getattr(error.orig, "pgcode", None)
    if code is not None:
        return code in _RETRYABLE_PGCODES
    return isinstance(error, IntegrityError)  # SQLite: a unique constraint on the request id


def retry_on_conflict(handler: Callable[P, R]) -> Callable[P, R]:
    """Run a command handler again when its transaction lost a race.

    Two attempts with one request id can both pass ``replay_or_reserve`` before either commits;
    the second then fails on the request id's unique key, and its retry finds the first one's
    stored answer. Deadlocks and serialization failures are retried the same way; a conflict that
    outlasts the attempts is ABORTED (the client retries the whole call with the same id).
    """

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return handler(*args, **kwargs)
            except DBAPIError as error:
                if not is_retryable_conflict(error):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise Aborted("the request conflicted with a concurrent one; retry it with the same request_id") from error
        raise AssertionError("unreachable")

    return wrapper

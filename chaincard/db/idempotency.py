"""Idempotent commands (STYLE rule 2, tigerbeetle's ``exists`` / ``exists_with_different_fields``).

A handler calls :func:`replay_or_reserve` first in its transaction. The stored answer comes back
for a repeat of the same request; a different payload under the same id is ``ALREADY_EXISTS``.
The answer is saved with :func:`remember` in the same transaction as the effects, so a crash
leaves either both or neither.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from chaincard.errors import AlreadyExists, InvalidArgument

ResponseT = TypeVar("ResponseT", bound=Message)


class IdempotencyKeyColumns:
    __tablename__ = "idempotency_keys"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    response: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


def fingerprint(operation: str, request: Message) -> str:
    """A hash of what the request asks for (deterministic serialization, request id included)."""
    digest = hashlib.sha256(operation.encode())
    digest.update(request.SerializeToString(deterministic=True))
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
) -> ResponseT | None:
    """The stored answer for a repeat of this request, or None when it is new.

    Concurrent first attempts with one id race on the primary key at commit; the loser's
    transaction fails and its retry then finds the winner's answer here.
    """
    request_id = request.request_id
    validate_request_id(request_id)
    existing = session.execute(select(model).where(model.request_id == request_id)).scalar_one_or_none()
    if existing is None:
        return None
    if existing.operation != operation or existing.payload_sha256 != fingerprint(operation, request):
        raise AlreadyExists(
            f"request_id {request_id!r} was already used for a different request; "
            "use a new request_id for a new operation"
        )
    return response_type.FromString(existing.response)


def remember(session: Session, model: type[IdempotencyKeyColumns], operation: str, request: Message, response: Message) -> None:
    session.add(
        model(  # type: ignore[call-arg]
            request_id=request.request_id,
            operation=operation,
            payload_sha256=fingerprint(operation, request),
            response=response.SerializeToString(),
        )
    )

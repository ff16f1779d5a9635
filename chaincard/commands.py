"""One command pipeline for every mutating RPC of every service (STYLE rule 15).

validate the request id → retry on a lost race → unit of work → idempotency replay or reserve →
the handler's body → remember the answer → commit, written here once. A service wires one
:class:`CommandRunner` in its bootstrap; a servicer calls ``runner.run(handler, request)`` and a
handler is a plain function ``handler(uow, request) -> response`` that never commits.

The operation name stored with the idempotency key is the RPC's name, taken from the request type
(``CheckoutRequest`` → ``Checkout``), and the answer's type is the RPC's response message from the
same proto file (``CheckoutResponse``): neither is typed twice.

A handler validates its fields first thing in its body. The transaction has written nothing at
that point (the replay check only reads), so a bad field still changes nothing; a repeat of a
request that was refused was never stored and is validated again. A refusal that must leave a
trace (a wrong PIN's failure count, docs/adr/0013) is raised as :class:`CommitThenRefuse`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.idempotency import (
    IdempotencyKeyColumns,
    answer_row,
    remember,
    replay_or_reserve,
    retry_on_conflict,
    validate_request_id,
)
from chaincard.errors import ChainCardError

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)
UowT = TypeVar("UowT", bound="UnitOfWork")


class UnitOfWork:
    """One database transaction of one command: its session, committed by the pipeline only.

    A service subclasses it to carry what its handlers need beside the session (the region's
    program cache, settings, …), so a handler's whole world is ``(uow, request)``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Set by the pipeline before the handler runs: the idempotency-key row that remembers an
        # answer (chaincard.db.idempotency.answer_row). A handler that writes that row in a
        # statement of its own (the one-round-trip checkout, docs/adr/0052) sets ``answer_kept``,
        # and the pipeline then does not write it again.
        self.answer_row: Callable[[Message], dict[str, Any]] = _no_answer_row
        self.answer_kept = False


def _no_answer_row(response: Message) -> dict[str, Any]:
    raise RuntimeError("the answer's key row is known only inside the pipeline (CommandRunner.run)")


class CommittedRefusal(Exception):  # noqa: N818 - carries a refusal out of the transaction that committed it
    """A CommitThenRefuse whose writes are committed: raised as its refusal, with no twin check."""

    def __init__(self, refusal: ChainCardError) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class CommitThenRefuse(Exception):  # noqa: N818 - an instruction to the pipeline, not an error of its own
    """Raised by a handler to refuse its command yet keep what it wrote so far — a wrong PIN's
    failure count and audit entry, written before anything else. The pipeline commits the
    transaction without remembering an answer (a repeat is checked afresh), then raises ``refusal``."""

    def __init__(self, refusal: ChainCardError) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class _Secrets(Protocol):
    def __call__(self, request: Message) -> Message: ...


def operation_of(request_type: type[Message]) -> str:
    """The RPC a request message belongs to: ``CheckoutRequest`` → ``Checkout``."""
    name: str = request_type.DESCRIPTOR.name
    if not name.endswith("Request"):
        raise TypeError(f"{name} is not an RPC request message (its name must end in 'Request')")
    return name.removesuffix("Request")


_response_types: dict[type[Message], type[Message]] = {}


def response_type_of(request_type: type[Message]) -> type[Message]:
    """The response message of the RPC ``request_type`` belongs to, from the same proto file."""
    known = _response_types.get(request_type)
    if known is not None:
        return known
    operation = operation_of(request_type)
    descriptor = request_type.DESCRIPTOR.file.message_types_by_name.get(operation + "Response")
    # The stubs type a message's descriptor as the Python or the upb (C) class; at run time the
    # Python class's metaclass accepts both in isinstance, so this only narrows (and skips None).
    if not isinstance(descriptor, Descriptor):
        raise TypeError(f"no {operation}Response beside {request_type.DESCRIPTOR.full_name}")
    response_type: type[Message] = message_factory.GetMessageClass(descriptor)
    _response_types[request_type] = response_type
    return response_type


@dataclass(frozen=True)
class CommandRunner(Generic[UowT]):
    """Runs handlers through the pipeline; one per service, built in its bootstrap.

    ``session_factory`` opens the service's sessions, ``keys`` is its idempotency-key table, and
    ``unit_of_work`` wraps a session in the service's unit-of-work type. ``mask_secrets`` replaces
    secrets in a request before it is fingerprinted (PINs by default; HQ's operator commands add
    passwords)."""

    session_factory: sessionmaker[Session]
    keys: type[IdempotencyKeyColumns]
    unit_of_work: Callable[[Session], UowT]
    mask_secrets: _Secrets | None = None

    def run(self, handler: Callable[[UowT, RequestT], ResponseT], request: RequestT) -> ResponseT:
        """The answer to ``request``: the stored one for a repeat, else ``handler``'s, committed
        with its effects and remembered under the request id, exactly once."""
        validate_request_id(getattr(request, "request_id"))  # noqa: B009 - every command request has one
        operation = operation_of(type(request))
        response_type = response_type_of(type(request))
        # A race lost to a twin with the same id (unique key), a deadlock or a serialization
        # failure runs the whole transaction again; the twin's stored answer is then replayed.
        return retry_on_conflict(self._run_once)(handler, request, operation, response_type)

    def _run_once(self, handler: Callable[[UowT, RequestT], ResponseT], request: RequestT, operation: str,
                  response_type: type[Message]) -> ResponseT:
        try:
            return self._attempt(handler, request, operation, response_type)
        except CommittedRefusal as committed:
            raise committed.refusal from None
        except ChainCardError:
            # A twin (the same request sent again while the first was still running: a till's retry
            # after a lost answer) found no answer at the start, then waited on the first one's locks
            # and saw what it did ("already voided"): the first one's answer is the answer, not that
            # refusal. Found by a chaos run (docs/reliability.md, seed 89162).
            with self._transaction() as uow:
                twin = replay_or_reserve(uow.session, self.keys, operation, request, response_type,
                                         mask_secrets=self.mask_secrets)
            if twin is not None:
                return cast(ResponseT, twin)
            raise

    def _attempt(self, handler: Callable[[UowT, RequestT], ResponseT], request: RequestT, operation: str,
                 response_type: type[Message]) -> ResponseT:
        with self._transaction() as uow:
            replay = replay_or_reserve(uow.session, self.keys, operation, request, response_type,
                                       mask_secrets=self.mask_secrets)
            if replay is not None:
                return cast(ResponseT, replay)  # the stored answer of this very RPC
            uow.answer_row = functools.partial(self._answer_row, operation, request)
            try:
                response = handler(uow, request)
            except CommitThenRefuse as kept:
                refusal = kept.refusal
            else:
                if not uow.answer_kept:
                    remember(uow.session, self.keys, operation, request, response, mask_secrets=self.mask_secrets)
                return response
        raise CommittedRefusal(refusal)  # committed with what the handler wrote before it refused

    def _answer_row(self, operation: str, request: Message, response: Message) -> dict[str, Any]:
        return answer_row(operation, request, response, mask_secrets=self.mask_secrets)

    @contextmanager
    def _transaction(self) -> Iterator[UowT]:
        with self.session_factory.begin() as session:
            yield self.unit_of_work(session)

"""Domain errors. Handlers raise these; one gRPC interceptor maps each to its precise status.

The classes mirror the statuses of STYLE.md rule 10 so a handler states what went wrong in
domain terms and never imports grpc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.security.identity import Principal


class ChainCardError(Exception):
    """Base of every error a caller is meant to see."""

    status_name = "UNKNOWN"
    # Set (only) by the authorisation interceptor on a refusal: who was refused, for its audit line.
    # Read it with getattr(error, "principal", None).
    principal: Principal

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(ChainCardError):
    """A request field is malformed or out of range; the message names the field."""

    status_name = "INVALID_ARGUMENT"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class NotFound(ChainCardError):
    status_name = "NOT_FOUND"


class AlreadyExists(ChainCardError):
    status_name = "ALREADY_EXISTS"


class FailedPrecondition(ChainCardError):
    """The system is not in a state that allows this (card lost, balance too low): don't retry."""

    status_name = "FAILED_PRECONDITION"


class Aborted(ChainCardError):
    """A concurrency conflict: retry the whole call with the same request id."""

    status_name = "ABORTED"


class Unavailable(ChainCardError):
    """A dependency is down for now: retry later with the same request id."""

    status_name = "UNAVAILABLE"


class OutOfRange(ChainCardError):
    """A position or page past what is kept (or not reached yet): start again from the beginning."""

    status_name = "OUT_OF_RANGE"


class ResourceExhausted(ChainCardError):
    """Too many callers at once for a bounded resource: try again later."""

    status_name = "RESOURCE_EXHAUSTED"


class PermissionDenied(ChainCardError):
    status_name = "PERMISSION_DENIED"


class Unauthenticated(ChainCardError):
    status_name = "UNAUTHENTICATED"


class Unimplemented(ChainCardError):
    status_name = "UNIMPLEMENTED"


class RemoteStatus(ChainCardError):
    """Another ChainCard service's answer, handed back to our caller with its status unchanged
    (a forwarded call, or a store agent relaying its region)."""

    def __init__(self, status_name: str, message: str) -> None:
        super().__init__(message)
        self.status_name = status_name

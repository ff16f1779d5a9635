"""Domain errors. Handlers raise these; one gRPC interceptor maps each to its precise status.

The classes mirror the statuses of STYLE.md rule 10 so a handler states what went wrong in
domain terms and never imports grpc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.security.identity import Principal


# The trailer that tells a caller which region of the chain did not answer: set on UNAVAILABLE when
# a region (or a store agent relaying it) could not reach the card's home region. Its value is that
# region's code. Documented on TransactionService in protos/chaincard/v1/transactions.proto.
UNREACHABLE_REGION_TRAILER = "chaincard-unreachable-region"
# Sent beside it: gRPC's server pushback (a negative value: "do not retry this attempt"), so a
# channel's retry policy does not resend at once what the region has just tried and failed.
NO_RETRY_PUSHBACK = ("grpc-retry-pushback-ms", "-1")


class ChainCardError(Exception):
    """Base of every error a caller is meant to see."""

    status_name = "UNKNOWN"
    # Trailing metadata the interceptor sends with the status (text keys and values).
    trailing_metadata: tuple[tuple[str, str], ...] = ()
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


class HomeRegionUnreachable(Unavailable):
    """Another region of the chain, home of the card (or member) a call is about, did not answer
    (UNAVAILABLE or DEADLINE_EXCEEDED when the call was forwarded to it): UNAVAILABLE, with the
    trailer ``chaincard-unreachable-region`` naming it, so the caller knows that its own region did
    answer. Never used for the other region's own refusals, which come back as they are."""

    def __init__(self, region_code: str, message: str) -> None:
        super().__init__(message)
        self.region_code = region_code
        self.trailing_metadata = ((UNREACHABLE_REGION_TRAILER, region_code), NO_RETRY_PUSHBACK)


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

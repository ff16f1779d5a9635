"""Client channels: retries of transient failures by the channel, and a deadline on every call.

Retries are safe because every mutating request carries a request id the server deduplicates on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from chaincard.errors import UNREACHABLE_REGION_TRAILER
from chaincard.rpc.transport import PLAINTEXT, Transport

ResponseT = TypeVar("ResponseT")

DEFAULT_DEADLINE_SECONDS = 5.0

_RETRY_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],  # every method of every service
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


CHANNEL_OPTIONS = (
    ("grpc.enable_retries", 1),
    ("grpc.service_config", _RETRY_SERVICE_CONFIG),
    ("grpc.keepalive_time_ms", 30_000),
)


def open_channel(target: str, transport: Transport = PLAINTEXT, *, expected_server: str | None = None) -> grpc.Channel:
    """A channel to ``target`` over ``transport`` (plaintext only for ``--insecure`` set-ups and
    tests of them), retrying transient failures."""
    return transport.channel(target, expected_server=expected_server, options=CHANNEL_OPTIONS)


def call(method: Callable[..., ResponseT], request: Any, *, deadline: float = DEFAULT_DEADLINE_SECONDS, **kwargs: Any) -> ResponseT:
    """Invoke a stub method with a deadline; no call leaves ChainCard without one."""
    return method(request, timeout=deadline, **kwargs)


def unreachable_region(error: grpc.RpcError) -> str:
    """The region an UNAVAILABLE answer names as not answering (the ``chaincard-unreachable-region``
    trailer: the region called did answer, the card's home region did not); "" for any other failure."""
    if error.code() != grpc.StatusCode.UNAVAILABLE:
        return ""
    # A failed call is also a grpc.Call, whose trailers these are (typed as neither by grpc's stubs).
    trailing: Any = getattr(error, "trailing_metadata", None)
    for item in (trailing() if callable(trailing) else None) or ():
        key, value = item[0], item[1]  # a (key, value) pair: grpc's _Metadatum or a plain tuple
        if key == UNREACHABLE_REGION_TRAILER and isinstance(value, str):
            return value
    return ""


def health_check(channel: grpc.Channel, service: str = "", *, deadline: float) -> health_pb2.HealthCheckResponse:
    """grpc.health.v1 ``Health.Check`` of ``service`` over ``channel``; raises grpc.RpcError as any call."""
    stub = health_pb2_grpc.HealthStub(channel)
    # types-grpcio-health-checking declares HealthStub without its methods (Check is there at run time).
    answer: health_pb2.HealthCheckResponse = stub.Check(  # type: ignore[attr-defined]
        health_pb2.HealthCheckRequest(service=service), timeout=deadline)
    return answer


def check_health(target: str, service: str = "", deadline: float = 2.0, transport: Transport = PLAINTEXT) -> str:
    """The health status name of ``service`` at ``target`` (``UNREACHABLE`` if it does not answer)."""
    with transport.channel(target) as channel:
        try:
            answer = health_check(channel, service, deadline=deadline)
        except grpc.RpcError:
            return "UNREACHABLE"
        return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)

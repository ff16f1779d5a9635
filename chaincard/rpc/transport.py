"""How a process speaks gRPC: mutual TLS with its own certificate (the default), or plaintext.

Every service builds one :class:`Transport` from its settings (``Transport.for_service``) and uses it
for the port it listens on and for every channel it opens, so no connection between services can
be plaintext by accident. Plaintext exists only when the operator asked for ``--insecure``.

A transport can also carry an operator token (``with_token``), sent as ``authorization: Bearer``
on every call of its channels: tools and tests act as a logged-in operator that way.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from chaincard.security.tls import TlsFiles, add_port, secure_channel

INSECURE_HINT = "pass --insecure (development only) to run without certificates"


class _CallDetails(
    collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


def replace_metadata(details: grpc.ClientCallDetails, metadata: Sequence[tuple[str, str | bytes]]) -> grpc.ClientCallDetails:
    """``details`` with ``metadata`` instead of its own (what a client interceptor adds headers with)."""
    return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                        getattr(details, "wait_for_ready", None), getattr(details, "compression", None))


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                         grpc.StreamUnaryClientInterceptor):
    """Adds the operator's token to every call (works over TLS and, for development, plaintext)."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = [item for item in (details.metadata or ()) if item[0] != "authorization"]
        return replace_metadata(details, [*metadata, self._header])

    def intercept_unary_unary(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation: Any, details: grpc.ClientCallDetails, request_iterator: Any) -> Any:
        return continuation(self._with_token(details), request_iterator)


@dataclass(frozen=True)
class Transport:
    """``tls``: this process's certificate files, or None for plaintext; ``token``: an operator token."""

    tls: TlsFiles | None = None
    token: str | None = None

    @classmethod
    def for_service(cls, settings: Any, certificate_name: str) -> Transport:
        """The transport of a service named ``certificate_name`` (``"hq"``, ``"region:E"`` …):
        mTLS with the files in ``settings.tls_dir`` unless ``settings.insecure``."""
        if settings.insecure:
            return PLAINTEXT
        if not settings.tls_dir:
            raise SystemExit(f"mutual TLS is on: give the certificates directory (--tls-dir, made by "
                             f"`chaincard certs init`), or {INSECURE_HINT}")
        return cls.from_directory(settings.tls_dir, certificate_name)

    @classmethod
    def from_directory(cls, directory: str | Path, certificate_name: str, token: str | None = None) -> Transport:
        files = TlsFiles.from_directory(directory, certificate_name)
        missing = [str(path) for path in (files.ca, files.certificate, files.key) if not path.exists()]
        if missing:
            raise SystemExit(f"certificate files missing for {certificate_name}: {', '.join(missing)} "
                             f"(run `chaincard certs init`), or {INSECURE_HINT}")
        return cls(files, token)

    @property
    def secure(self) -> bool:
        return self.tls is not None

    def with_token(self, token: str | None) -> Transport:
        return Transport(self.tls, token)

    def listen(self, server: grpc.Server, address: str) -> int:
        """Bind ``address`` on ``server``: mTLS demanding a chain certificate, or plaintext."""
        return add_port(server, address, self.tls)

    def channel(self, target: str, *, expected_server: str | None = None,
                options: Sequence[tuple[str, Any]] = ()) -> grpc.Channel:
        """A channel to ``target``. ``expected_server`` (a certificate name) pins which service
        must answer; without it any certificate of the chain will do."""
        if self.tls is None:
            channel = grpc.insecure_channel(target, options=list(options))
        else:
            channel = secure_channel(target, self.tls, expected_server=expected_server, options=options)
        interceptors: list[Any] = []
        if self.token:
            interceptors.append(_BearerInterceptor(self.token))
        from chaincard.observability import tracing

        if tracing.enabled():  # set up before a process opens its channels (chaincard.cli._serve)
            from chaincard.observability.grpc_observe import TraceContextClientInterceptor

            interceptors.append(TraceContextClientInterceptor())
        return grpc.intercept_channel(channel, *interceptors) if interceptors else channel


PLAINTEXT = Transport()

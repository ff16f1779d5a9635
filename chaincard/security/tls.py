"""Mutual TLS for gRPC from the files of :mod:`chaincard.security.certs`, and who the caller is.

Servers demand a client certificate signed by the chain CA (``require_client_auth=True``): a caller
without one, or with one from another CA, never reaches a servicer. Inside a servicer or
interceptor, :func:`peer_identity` reads the caller's certificate from ``context.auth_context()``
and names it (its ``chaincard://`` SAN URI, else its CN).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

from chaincard.security.certs import CA_FILE, URI_SCHEME, file_stem, identity_uri_of, service_dns_name
from chaincard.security.identity import PeerIdentity

__all__ = [
    "PeerIdentity",
    "TlsFiles",
    "add_port",
    "channel_credentials",
    "identity_from_uri",
    "peer_identity",
    "secure_channel",
    "server_credentials",
]


@dataclass(frozen=True)
class TlsFiles:
    """The CA certificate and this process's own certificate and key."""

    ca: Path
    certificate: Path
    key: Path

    @classmethod
    def from_directory(cls, directory: str | os.PathLike[str], name: str) -> TlsFiles:
        """The files ``init_certificates`` wrote for ``name`` (e.g. ``"region:E"``)."""
        folder = Path(directory)
        stem = file_stem(name)
        return cls(ca=folder / CA_FILE, certificate=folder / f"{stem}.pem", key=folder / f"{stem}.key")

    def read(self) -> tuple[bytes, bytes, bytes]:
        return self.ca.read_bytes(), self.certificate.read_bytes(), self.key.read_bytes()


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """Server credentials that require a client certificate signed by the chain CA."""
    ca, certificate, key = files.read()
    return grpc.ssl_server_credentials([(key, certificate)], root_certificates=ca, require_client_auth=True)


def channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    """Client credentials: trust only the chain CA, present our own certificate."""
    ca, certificate, key = files.read()
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=certificate)


def add_port(server: grpc.Server, listen: str, files: TlsFiles | None) -> int:
    """Bind ``listen`` with mTLS, or in plaintext when ``files`` is None (``--insecure`` only)."""
    if files is None:
        return server.add_insecure_port(listen)
    return server.add_secure_port(listen, server_credentials(files))


def secure_channel(
    target: str,
    files: TlsFiles,
    *,
    expected_server: str | None = None,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.Channel:
    """An mTLS channel to ``target``. With ``expected_server`` (a certificate name such as
    ``"hq"`` or ``"region:W"``) the server must present that very identity, not merely any
    certificate of the chain (which on one machine all carry 127.0.0.1)."""
    all_options = list(options)
    if expected_server is not None:
        all_options.append(("grpc.ssl_target_name_override", service_dns_name(expected_server)))
    return grpc.secure_channel(target, channel_credentials(files), options=all_options)


def identity_from_uri(uri: str) -> PeerIdentity | None:
    """``chaincard://store/S-E-001`` → PeerIdentity("store", "S-E-001"); None if not ours."""
    if not uri.startswith(URI_SCHEME):
        return None
    kind, _, ident = uri[len(URI_SCHEME):].partition("/")
    if kind in ("hq", "settlement") and not ident:
        return PeerIdentity(kind)
    if kind in ("region", "store", "pos") and ident and "/" not in ident:
        return PeerIdentity(kind, ident)
    if kind == "client" and ident and "/" not in ident:
        return PeerIdentity("operator-client", ident)
    return None


def _identity_from_common_name(name: str) -> PeerIdentity | None:
    if name in ("hq", "settlement"):
        return PeerIdentity(name)
    kind, sep, ident = name.partition(":")
    if not sep or not ident:
        return None
    return identity_from_uri(f"{URI_SCHEME}{kind}/{ident}")


@functools.lru_cache(maxsize=1024)
def _identity_of_pem(pem: bytes) -> PeerIdentity | None:
    certificate = x509.load_pem_x509_certificate(pem)
    uri = identity_uri_of(certificate)
    if uri is not None:
        return identity_from_uri(uri)
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return _identity_from_common_name(str(names[0].value)) if len(names) == 1 else None


def auth_properties(context: grpc.ServicerContext) -> Mapping[str, Sequence[bytes]]:
    """The connection's authentication properties. gRPC gives each as a list of values; the
    published stubs type them as single ``bytes``, hence the cast."""
    return cast("Mapping[str, Sequence[bytes]]", context.auth_context() or {})


def peer_identity(context: grpc.ServicerContext) -> PeerIdentity | None:
    """The identity in the caller's verified client certificate; None over plaintext or when the
    certificate names no ChainCard identity. (gRPC has already checked it against the CA.)"""
    auth = auth_properties(context)
    if auth.get("transport_security_type") != [b"ssl"]:
        return None
    pems = auth.get("x509_pem_cert") or []
    if len(pems) != 1:
        return None
    try:
        return _identity_of_pem(bytes(pems[0]))
    except ValueError:
        return None

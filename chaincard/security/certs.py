"""The chain's certificates (``chaincard certs init``): one CA, one certificate per service and store.

Every process proves who it is with a certificate signed by the chain CA, and every server asks for
one (mutual TLS). The identity is the certificate's SAN URI:

    name               file stem          SAN URI                          PeerIdentity
    hq                 hq                 chaincard://hq                   hq
    settlement         settlement         chaincard://settlement           settlement
    region:E           region-E           chaincard://region/E             region E
    store:S-E-001      store-S-E-001      chaincard://store/S-E-001        store S-E-001 (the agent)
    pos:S-E-001        pos-S-E-001        chaincard://pos/S-E-001          a till of store S-E-001
    client:ops         client-ops         chaincard://client/ops           operator-client ops

The subject CN is the name itself. Every certificate also carries SAN DNS ``localhost``, SAN IP
``127.0.0.1`` (plus any ``hosts`` given) and SAN DNS ``<file stem>.chaincard`` (lower case), the name
a client may pin with ``grpc.ssl_target_name_override`` to be sure it reached that very service
(see :func:`chaincard.security.tls.secure_channel`). Keys are EC P-256 (what gRPC's BoringSSL
handles best), written with mode 0600; certificates are valid for both server and client use
because every service both serves and calls.

Files in ``directory``: ``ca.pem``, ``ca.key``, and ``<stem>.pem`` / ``<stem>.key`` per name. The CA
key signs new store certificates later (running ``init_certificates`` again with more names reuses
the CA and keeps existing certificates); in production keep it off the servers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chaincard.security.files import write_private

URI_SCHEME = "chaincard://"
DNS_SUFFIX = ".chaincard"
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca.key"
CA_VALID_DAYS = 3650
LEAF_VALID_DAYS = 825
DEFAULT_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1")

_SINGLETONS = {"hq", "settlement"}
# name prefix -> the path segment of the SAN URI
_KINDS = {"region": "region", "store": "store", "pos": "pos", "client": "client"}
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_BACKDATE = dt.timedelta(minutes=5)  # tolerate clocks a little behind the CA's


@dataclass(frozen=True)
class IssuedCertificate:
    name: str
    certificate: Path
    key: Path


@dataclass(frozen=True)
class CertificateSet:
    directory: Path
    ca_certificate: Path
    ca_key: Path
    issued: dict[str, IssuedCertificate]

    def __getitem__(self, name: str) -> IssuedCertificate:
        return self.issued[name]


def _split(name: str) -> tuple[str, str]:
    if name in _SINGLETONS:
        return name, ""
    kind, sep, ident = name.partition(":")
    if not sep or kind not in _KINDS or not _IDENT.match(ident):
        raise ValueError(
            f"bad certificate name {name!r}: use hq, settlement, region:<code>, store:<store id>, "
            "pos:<store id> or client:<name> (ids: letters, digits, '.', '_', '-')"
        )
    return kind, ident


def identity_uri(name: str) -> str:
    """The SAN URI naming ``name``: ``chaincard://store/S-E-001`` for ``store:S-E-001``."""
    kind, ident = _split(name)
    return f"{URI_SCHEME}{kind}" if not ident else f"{URI_SCHEME}{_KINDS[kind]}/{ident}"


def file_stem(name: str) -> str:
    """``store-S-E-001`` for ``store:S-E-001``: the file names of its certificate and key."""
    kind, ident = _split(name)
    return kind if not ident else f"{kind}-{ident}"


def service_dns_name(name: str) -> str:
    """The SAN DNS name that pins ``name`` (``store-s-e-001.chaincard``)."""
    return file_stem(name).lower() + DNS_SUFFIX


def _write_public(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    path.chmod(0o644)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _create_ca(common_name: str, valid_days: int) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ChainCard"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _host_names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def issue_certificate(
    ca_certificate: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    name: str,
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    valid_days: int = LEAF_VALID_DAYS,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new key and a certificate naming ``name``, signed by the CA (nothing written)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    alternative_names: list[x509.GeneralName] = [
        x509.UniformResourceIdentifier(identity_uri(name)),
        x509.DNSName(service_dns_name(name)),
        *_host_names(hosts),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ChainCard"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + dt.timedelta(days=valid_days), ca_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return certificate, key


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    certificate_path, key_path = directory / CA_FILE, directory / CA_KEY_FILE
    if not (certificate_path.exists() and key_path.exists()):
        return None
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} is not an EC private key")
    return certificate, key


def init_certificates(
    directory: str | os.PathLike[str],
    names: Iterable[str],
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    valid_days: int = LEAF_VALID_DAYS,
    ca_common_name: str = "ChainCard chain CA",
    overwrite: bool = False,
) -> CertificateSet:
    """Create (or complete) the chain's certificate directory and return the paths.

    The CA is created unless ``ca.pem`` and ``ca.key`` already exist; a certificate is issued for
    each name that has none yet (every name when ``overwrite``, or when the CA is new). Safe to run
    again with more names, e.g. for a new store.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    wanted = list(dict.fromkeys(names))
    for name in wanted:
        _split(name)  # refuse a bad name before writing anything

    loaded = _load_ca(folder)
    new_ca = loaded is None
    if loaded is None:
        loaded = _create_ca(ca_common_name, CA_VALID_DAYS)
        write_private(folder / CA_KEY_FILE, _key_pem(loaded[1]))
        _write_public(folder / CA_FILE, loaded[0].public_bytes(serialization.Encoding.PEM))
    ca_certificate, ca_key = loaded

    issued: dict[str, IssuedCertificate] = {}
    for name in wanted:
        stem = file_stem(name)
        certificate_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        if overwrite or new_ca or not (certificate_path.exists() and key_path.exists()):
            certificate, key = issue_certificate(ca_certificate, ca_key, name, hosts=hosts, valid_days=valid_days)
            write_private(key_path, _key_pem(key))
            _write_public(certificate_path, certificate.public_bytes(serialization.Encoding.PEM))
        issued[name] = IssuedCertificate(name=name, certificate=certificate_path, key=key_path)
    return CertificateSet(directory=folder, ca_certificate=folder / CA_FILE, ca_key=folder / CA_KEY_FILE, issued=issued)


def chain_certificate_names(regions: Iterable[str], stores: Iterable[str], *, clients: Iterable[str] = ("ops",)) -> list[str]:
    """Every name a chain needs: hq, settlement, each region and store, and operator clients."""
    return ["hq", "settlement", *(f"region:{code}" for code in regions), *(f"store:{store}" for store in stores),
            *(f"client:{client}" for client in clients)]


def verify_certificate(ca_pem: bytes, certificate_pem: bytes, *, at: dt.datetime | None = None) -> str:
    """Check that the certificate chains to the CA and is usable by a client; return its SAN URI.

    Raises ``cryptography.x509.verification.VerificationError`` (or ``ValueError`` for a
    certificate that names no ChainCard identity).
    """
    from cryptography.x509.verification import PolicyBuilder, Store

    ca = x509.load_pem_x509_certificate(ca_pem)
    leaf = x509.load_pem_x509_certificate(certificate_pem)
    verifier = PolicyBuilder().store(Store([ca])).time(at or _now()).build_client_verifier()
    verifier.verify(leaf, [])
    uri = identity_uri_of(leaf)
    if uri is None:
        raise ValueError("the certificate names no chaincard:// identity")
    return uri


def identity_uri_of(certificate: x509.Certificate) -> str | None:
    """The certificate's ``chaincard://`` SAN URI, if it has exactly one."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = [uri for uri in names.get_values_for_type(x509.UniformResourceIdentifier) if uri.startswith(URI_SCHEME)]
    return uris[0] if len(uris) == 1 else None

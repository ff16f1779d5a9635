"""The chain CA and the certificates it issues (chaincard.security.certs, .tls identities)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.verification import VerificationError

from chaincard.security.certs import (
    chain_certificate_names,
    file_stem,
    identity_uri,
    init_certificates,
    service_dns_name,
    verify_certificate,
)
from chaincard.security.identity import PeerIdentity
from chaincard.security.tls import TlsFiles, identity_from_uri


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("certs")
    return init_certificates(directory, chain_certificate_names(["E", "W"], ["S-E-001", "S-W-002"]) + ["pos:S-E-001"])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_name_gets_a_certificate_and_a_private_key(chain) -> None:  # type: ignore[no-untyped-def]
    assert chain.ca_certificate.name == "ca.pem"
    assert _mode(chain.ca_key) == 0o600
    assert _mode(chain.directory) == 0o700
    for name, issued in chain.issued.items():
        assert issued.certificate.name == f"{file_stem(name)}.pem"
        assert _mode(issued.key) == 0o600, name
        assert b"PRIVATE KEY" in issued.key.read_bytes()


def test_certificates_chain_to_the_ca_and_name_their_holder(chain) -> None:  # type: ignore[no-untyped-def]
    ca = chain.ca_certificate.read_bytes()
    expected = {
        "hq": "chaincard://hq",
        "settlement": "chaincard://settlement",
        "region:E": "chaincard://region/E",
        "store:S-E-001": "chaincard://store/S-E-001",
        "pos:S-E-001": "chaincard://pos/S-E-001",
        "client:ops": "chaincard://client/ops",
    }
    for name, uri in expected.items():
        assert verify_certificate(ca, chain[name].certificate.read_bytes()) == uri
        assert identity_uri(name) == uri
    store = x509.load_pem_x509_certificate(chain["store:S-E-001"].certificate.read_bytes())
    assert store.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "store:S-E-001"
    names = store.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert service_dns_name("store:S-E-001") in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_a_certificate_of_another_ca_does_not_verify(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = init_certificates(tmp_path / "other", ["store:S-E-001"])
    with pytest.raises(VerificationError):
        verify_certificate(chain.ca_certificate.read_bytes(), other["store:S-E-001"].certificate.read_bytes())


def test_running_again_reuses_the_ca_and_keeps_existing_certificates(tmp_path: Path) -> None:
    first = init_certificates(tmp_path, ["hq", "store:S-E-001"])
    before = {name: issued.certificate.read_bytes() for name, issued in first.issued.items()}
    ca_before = first.ca_certificate.read_bytes()
    second = init_certificates(tmp_path, ["hq", "store:S-E-001", "store:S-E-009"])
    assert second.ca_certificate.read_bytes() == ca_before
    assert second["hq"].certificate.read_bytes() == before["hq"]
    assert verify_certificate(ca_before, second["store:S-E-009"].certificate.read_bytes()) == "chaincard://store/S-E-009"
    renewed = init_certificates(tmp_path, ["hq"], overwrite=True)
    assert renewed["hq"].certificate.read_bytes() != before["hq"]


@pytest.mark.parametrize("bad", ["", "store", "store:", "store:a/b", "shop:S-1", "region:E:1", "client:" + "x" * 70])
def test_bad_names_are_refused_before_anything_is_written(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        init_certificates(tmp_path / "x", ["hq", bad])
    assert not (tmp_path / "x" / "ca.pem").exists() or not (tmp_path / "x" / "hq.pem").exists()


def test_identities_read_from_san_uris() -> None:
    assert identity_from_uri("chaincard://store/S-E-001") == PeerIdentity("store", "S-E-001")
    assert identity_from_uri("chaincard://region/E") == PeerIdentity("region", "E")
    assert identity_from_uri("chaincard://hq") == PeerIdentity("hq")
    assert identity_from_uri("chaincard://client/ops") == PeerIdentity("operator-client", "ops")
    for foreign in ("https://store/S-E-001", "chaincard://store/", "chaincard://store/a/b", "chaincard://hq/x",
                    "chaincard://bank/1"):
        assert identity_from_uri(foreign) is None


def test_tls_files_are_found_by_name(chain) -> None:  # type: ignore[no-untyped-def]
    files = TlsFiles.from_directory(chain.directory, "store:S-W-002")
    assert files.certificate == chain["store:S-W-002"].certificate
    assert files.key == chain["store:S-W-002"].key
    assert files.ca == chain.ca_certificate


def test_certs_init_adds_the_hosts_clients_dial(tmp_path: Path) -> None:
    # A store agent checks its region's certificate against the host it dialled (no pinning on
    # that channel), so the region's public name must be in it (docs/operations/deploy.md).
    from chaincard.cli import main

    assert main(["certs", "init", "--dir", str(tmp_path), "--region", "E",
                 "--host", "region-e.chain.example.com", "--host", "10.0.0.7"]) == 0
    certificate = x509.load_pem_x509_certificate((tmp_path / "region-E.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "region-e.chain.example.com" in names.get_values_for_type(x509.DNSName)
    assert {str(address) for address in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "10.0.0.7"}
    assert "localhost" in names.get_values_for_type(x509.DNSName)

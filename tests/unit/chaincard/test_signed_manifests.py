"""chaincard.signed_manifests: a statement is vouched for only by a valid signature over the exact
bytes, from a trusted key, in a document of the right day that lists the statement's hash."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chaincard.signed_manifests import (
    MANIFEST,
    STATEMENT_EXTRACT,
    key_id,
    raw_public_key_from_pem,
    verify_signed_statement,
)

DAY = "2026-11-20"
HASH = "ab" * 32


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _signed(key: Ed25519PrivateKey, **extra: object) -> tuple[bytes, bytes]:
    body = {"business_date": DAY, "signing_key_id": key_id(_raw(key)),
            "statements": [{"statement_id": "ST-1", "content_sha256_hex": HASH, "net_fen": 100}], **extra}
    document = json.dumps(body, indent=2, sort_keys=True).encode()
    return document, key.sign(document)


def _verify(document: bytes, signature: bytes, public_key: bytes, trusted: tuple[bytes, ...], **kwargs: str):  # type: ignore[no-untyped-def]
    args = {"business_date": DAY, "statement_id": "ST-1", "content_sha256_hex": HASH, **kwargs}
    return verify_signed_statement(document, signature, public_key, trusted_public_keys=trusted, **args)


def test_a_manifest_signed_by_a_trusted_key_listing_the_statement_verifies():
    key = Ed25519PrivateKey.generate()
    document, signature = _signed(key)
    verdict = _verify(document, signature, _raw(key), (_raw(key),))
    assert verdict.ok and verdict.kind == MANIFEST and verdict.reason == "" and verdict.key_id == key_id(_raw(key))
    extract, extract_signature = _signed(key, document=STATEMENT_EXTRACT)
    assert _verify(extract, extract_signature, _raw(key), (_raw(key),)).kind == STATEMENT_EXTRACT


def test_tampered_bytes_fail_the_signature():
    key = Ed25519PrivateKey.generate()
    document, signature = _signed(key)
    tampered = document.replace(b'"net_fen": 100', b'"net_fen": 900')
    verdict = _verify(tampered, signature, _raw(key), (_raw(key),))
    assert not verdict.ok and not verdict.signature_ok and "does not verify" in verdict.reason
    # The same content re-encoded (no indent) is other bytes: it does not verify either.
    assert not _verify(json.dumps(json.loads(document)).encode(), signature, _raw(key), (_raw(key),)).signature_ok


def test_a_key_sent_beside_the_bytes_is_not_trusted_unless_pinned():
    key, pinned = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    document, signature = _signed(key)
    verdict = _verify(document, signature, _raw(key), (_raw(pinned),))
    assert verdict.signature_ok and verdict.listed and not verdict.pinned and not verdict.ok
    assert "not one this verifier trusts" in verdict.reason
    assert not _verify(document, signature, _raw(key), ()).ok
    # Nor does another key verify the signature.
    assert not _verify(document, signature, _raw(pinned), (_raw(pinned),)).signature_ok


def test_the_statement_must_be_listed_with_its_hash_on_that_day():
    key = Ed25519PrivateKey.generate()
    document, signature = _signed(key)
    trusted = (_raw(key),)
    assert not _verify(document, signature, _raw(key), trusted, content_sha256_hex="cd" * 32).listed
    assert not _verify(document, signature, _raw(key), trusted, statement_id="ST-2").ok
    assert "not 2026-11-21" in _verify(document, signature, _raw(key), trusted, business_date="2026-11-21").reason


def test_a_document_naming_another_key_or_of_another_kind_fails():
    key = Ed25519PrivateKey.generate()
    document, signature = _signed(key, signing_key_id="0" * 16)
    assert "names signing key" in _verify(document, signature, _raw(key), (_raw(key),)).reason
    other, other_signature = _signed(key, document="something-else")
    assert not _verify(other, other_signature, _raw(key), (_raw(key),)).ok
    not_json = b"not json"
    assert "not a settlement manifest" in _verify(not_json, key.sign(not_json), _raw(key), (_raw(key),)).reason
    assert not _verify(document, signature, b"short", (b"short",)).ok


def test_a_published_pem_key_reads_as_its_raw_key():
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert raw_public_key_from_pem(pem) == _raw(key)

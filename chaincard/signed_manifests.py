"""Checking a settled day's signed document against a statement (docs/adr/0010, 0059): pure, no I/O.

``SettlementService.GetSettlementManifest`` returns the exact bytes the settlement service signed
with its Ed25519 key — the run's ``manifest.json``, or for one franchisee a *statement extract*
(its own statements in manifest.json's form, and manifest.json's SHA-256), since manifest.json
lists every franchisee's net — with the signature and the key. :func:`verify_signed_statement`
says whether a statement is vouched for by them, and by a key the caller trusts.

The key sent beside the bytes proves only that bytes and signature agree: anyone who could
change the bytes could send a key of their own. So the verdict separates the two: ``signature_ok``
(the bytes verify with the key sent) and ``pinned`` (that key is one the caller trusts, e.g. the
console's ``--settlement-public-key``). Only both together say the settlement service signed it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# The "document" field of a statement extract; manifest.json has none (it predates extracts).
STATEMENT_EXTRACT = "chaincard.settlement.statement-extract.v1"
MANIFEST = "manifest"


def key_id(raw_public_key: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of a raw Ed25519 public key (as settlement names keys)."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def raw_public_key_from_pem(pem: bytes) -> bytes:
    """The raw 32 bytes of an Ed25519 public key in SubjectPublicKeyInfo PEM (manifest-public-key.pem).
    Raises ValueError for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_trusted_keys(paths: Iterable[str | Path]) -> tuple[bytes, ...]:
    """Raw public keys from PEM files (the settlement service's published manifest-public-key.pem)."""
    return tuple(raw_public_key_from_pem(Path(path).read_bytes()) for path in paths)


@dataclass(frozen=True)
class Verdict:
    """What was verified of one statement against one signed document."""

    kind: str  # MANIFEST or STATEMENT_EXTRACT ("" when unreadable)
    key_id: str  # of the key sent beside the document
    signature_ok: bool  # the document's bytes verify with that key, and the document names it
    pinned: bool  # that key is one the caller trusts
    listed: bool  # the document lists the statement with this content hash, for this day
    reason: str  # the first thing that failed; empty when all did not

    @property
    def ok(self) -> bool:
        """Signed by a trusted key and listing the statement: the settlement service vouches for it."""
        return self.signature_ok and self.pinned and self.listed


def verify_signed_statement(
    document: bytes,
    signature: bytes,
    public_key: bytes,
    *,
    business_date: str,
    statement_id: str,
    content_sha256_hex: str,
    trusted_public_keys: Iterable[bytes] = (),
) -> Verdict:
    """Verify ``signature`` over the exact bytes ``document`` with the raw Ed25519 ``public_key``,
    then that the document is the day's and lists ``statement_id`` with ``content_sha256_hex``, and
    whether ``public_key`` is among ``trusted_public_keys`` (raw keys)."""
    sent_id = key_id(public_key) if len(public_key) == 32 else ""
    pinned = bool(sent_id) and public_key in set(trusted_public_keys)

    def failed(reason: str, kind: str = "", *, signature_ok: bool = False) -> Verdict:
        return Verdict(kind, sent_id, signature_ok, pinned, False, reason)

    if not sent_id:
        return failed(f"the public key is {len(public_key)} bytes, not a raw Ed25519 key")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, document)
    except InvalidSignature:
        return failed(f"the Ed25519 signature does not verify over the document with key {sent_id}")
    try:
        body = json.loads(document)
        kind = MANIFEST if "document" not in body else str(body["document"])
        named_key, day, statements = body["signing_key_id"], body["business_date"], body["statements"]
        listed = any(isinstance(item, dict) and item.get("statement_id") == statement_id
                     and item.get("content_sha256_hex") == content_sha256_hex for item in statements)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return failed(f"the signed document is not a settlement manifest ({type(error).__name__})", signature_ok=True)
    if kind not in (MANIFEST, STATEMENT_EXTRACT):
        return failed(f"the signed document is a {kind[:60]!r}, not a manifest or statement extract", signature_ok=True)
    if named_key != sent_id:
        return failed(f"the document names signing key {str(named_key)[:20]}, it verifies with {sent_id}", kind)
    if day != business_date:
        return Verdict(kind, sent_id, True, pinned, False, f"the document is of {str(day)[:20]}, not {business_date}")
    if not listed:
        return Verdict(kind, sent_id, True, pinned, False,
                       f"the document does not list {statement_id} with content hash {content_sha256_hex}")
    if not pinned:
        return Verdict(kind, sent_id, True, False, True, f"key {sent_id} is not one this verifier trusts")
    return Verdict(kind, sent_id, True, True, True, "")

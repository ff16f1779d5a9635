"""A run's signed file manifest (F3, issue 5): ``manifest.json``, its signature, and checking both.

Beside the statement files in ``<statements dir>/<business date>/`` a run writes:

- ``manifest.json``: the run, every statement with its content hash and net, and every file with
  its SHA-256 and size; it names the key that signs it (``signing_key_id``);
- ``manifest.json.sig``: the raw 64-byte Ed25519 signature of manifest.json's exact bytes;
- ``manifest-public-key.pem``: the public key (SubjectPublicKeyInfo PEM).

A franchisee can check them with ``chaincard statement verify --date D``, or without ChainCard::

    openssl pkeyutl -verify -pubin -inkey manifest-public-key.pem -rawin -in manifest.json -sigfile manifest.json.sig
    sha256sum ST-*        # and compare with the manifest

The key beside the files proves the files agree with each other, not who made them: pin the
settlement service's public key (``--public-key``) or compare the key id printed with HQ's.

The private key lives in a directory of its own (:class:`chaincard.security.tokens.SigningKeyStore`:
``current.pem``, mode 0600, directory 0700), never in the statements directory, which is shared.
Ed25519 signatures are deterministic, and each run's signature is stored with its manifest, so a
settled day's files are written again byte for byte, whatever key the service holds by then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chaincard.security.tokens import ALGORITHM, key_id_of
from chaincard.signed_manifests import STATEMENT_EXTRACT
from settlement.models import SettlementRun, StatementFile

MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.json.sig"
PUBLIC_KEY_FILE = "manifest-public-key.pem"
# The default key directory, beside the statements directory (not inside it: that one is shared).
DEFAULT_KEY_DIR_NAME = "settlement-keys"


class ListedStatement(NamedTuple):
    """What manifest.json says of one statement."""

    franchisee_id: str
    franchisee_name: str
    statement_id: str
    net_fen: int
    content_sha256: str


def manifest_json(run: SettlementRun, statements: Iterable[ListedStatement], files: Iterable[StatementFile],
                  signing_key_id: str) -> bytes:
    """manifest.json: the run, every statement with its content hash and net, every file's SHA-256.

    Built from the run's rows alone, so the same run always gives the same bytes (and signature).
    """
    body = {
        "run_id": run.run_id,
        "business_date": run.business_date.isoformat(),
        "generated_at": run.started_at.astimezone(UTC).isoformat(),
        "net_total_fen": run.net_total_fen,
        "manifest_sha256_hex": run.manifest_sha256,
        "clearing_record_count": run.clearing_record_count,
        "late_record_count": run.late_record_count,
        "signature_algorithm": ALGORITHM,
        "signing_key_id": signing_key_id,
        "statements": statement_entries(statements, files),
    }
    return _encode(body)


def statement_entries(statements: Iterable[ListedStatement], files: Iterable[StatementFile]) -> list[dict[str, object]]:
    """manifest.json's "statements": each with its content hash, net and files, by franchisee id."""
    by_statement: dict[str, list[dict[str, object]]] = {}
    for file in files:
        by_statement.setdefault(file.statement_id, []).append(
            {"file_name": file.file_name, "format": file.file_format, "sha256": file.sha256, "size_bytes": file.size_bytes})
    return [
        {"franchisee_id": row.franchisee_id, "franchisee_name": row.franchisee_name, "statement_id": row.statement_id,
         "net_fen": row.net_fen, "content_sha256_hex": row.content_sha256,
         "files": sorted(by_statement.get(row.statement_id, []), key=lambda item: str(item["file_name"]))}
        for row in sorted(statements, key=lambda row: row.franchisee_id)
    ]


def statement_extract_json(run: SettlementRun, manifest_json_bytes: bytes, statements: Iterable[ListedStatement],
                           files: Iterable[StatementFile], signing_key_id: str) -> bytes:
    """One franchisee's part of manifest.json, to be signed for it (GetSettlementManifest, ADR 0059).

    manifest.json lists every franchisee's name and net, which a franchisee may not read; the
    extract lists its own statements exactly as manifest.json does and names manifest.json's
    SHA-256, so whoever holds the day's folder can match the two. No time in it: the same rows and
    key always give the same bytes (and, Ed25519 being deterministic, the same signature).
    """
    body = {
        "document": STATEMENT_EXTRACT,
        "run_id": run.run_id,
        "business_date": run.business_date.isoformat(),
        "manifest_sha256_hex": run.manifest_sha256,
        "manifest_json_sha256_hex": hashlib.sha256(manifest_json_bytes).hexdigest(),
        "signature_algorithm": ALGORITHM,
        "signing_key_id": signing_key_id,
        "statements": statement_entries(statements, files),
    }
    return _encode(body)


def _encode(body: Mapping[str, object]) -> bytes:
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def public_key_pem(raw_public_key: bytes) -> bytes:
    return Ed25519PublicKey.from_public_bytes(raw_public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---- verification -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One thing verified: a file, the signature, the nets."""

    subject: str
    ok: bool
    detail: str


def verify_day_folder(folder: Path, *, trusted_public_key_pem: bytes | None = None) -> list[Check]:
    """Check a day's folder as a franchisee received it: the manifest's signature, then every
    listed file's size and SHA-256, then that the nets sum to zero. Reads files only.

    Without ``trusted_public_key_pem`` the key beside the files is used (and said so).
    """
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.is_file():
        return [Check(MANIFEST_FILE, False, f"missing in {folder}")]
    content = manifest_path.read_bytes()
    try:
        body = json.loads(content)
        listed = [(file["file_name"], file["sha256"], file["size_bytes"])
                  for statement in body["statements"] for file in statement["files"]]
    except (ValueError, KeyError, TypeError) as error:
        return [Check(MANIFEST_FILE, False, f"not a settlement manifest ({type(error).__name__}: {error})")]
    checks = [_check_signature(folder, content, str(body.get("signing_key_id", "")), trusted_public_key_pem)]
    checks += [_check_file(folder, name, sha256, size) for name, sha256, size in listed]
    checks += _unlisted_files(folder, {name for name, _sha256, _size in listed})
    checks.append(_check_nets(body))
    return checks


def _unlisted_files(folder: Path, listed: set[str]) -> list[Check]:
    """A file in the day's folder that the signed manifest does not list was not made by the run
    (a forged extra statement, say): each one fails."""
    own = {MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE}
    return [Check(path.name, False, "in the folder but not in the signed manifest")
            for path in sorted(folder.iterdir()) if path.is_file() and path.name not in listed | own]


def _check_signature(folder: Path, content: bytes, named_key_id: str, trusted_pem: bytes | None) -> Check:
    signature_path, key_path = folder / SIGNATURE_FILE, folder / PUBLIC_KEY_FILE
    if not signature_path.is_file():
        return Check(SIGNATURE_FILE, False, "missing: the manifest is not signed")
    if trusted_pem is None and not key_path.is_file():
        return Check(SIGNATURE_FILE, False, f"{PUBLIC_KEY_FILE} missing: give the settlement service's key with --public-key")
    try:
        public_key = serialization.load_pem_public_key(trusted_pem if trusted_pem is not None else key_path.read_bytes())
    except ValueError as error:
        return Check(SIGNATURE_FILE, False, f"unreadable public key: {error}")
    if not isinstance(public_key, Ed25519PublicKey):
        return Check(SIGNATURE_FILE, False, "the public key is not an Ed25519 key")
    key_id = key_id_of(public_key)
    if key_id != named_key_id:
        return Check(SIGNATURE_FILE, False, f"the manifest names signing key {named_key_id or '(none)'}, the key given is {key_id}")
    try:
        public_key.verify(signature_path.read_bytes(), content)
    except InvalidSignature:
        return Check(SIGNATURE_FILE, False, f"the Ed25519 signature of {MANIFEST_FILE} does not verify with key {key_id}")
    source = "the pinned key" if trusted_pem is not None else f"{PUBLIC_KEY_FILE} beside it (compare the key id with HQ's)"
    return Check(SIGNATURE_FILE, True, f"Ed25519 signature of {MANIFEST_FILE} verifies with key {key_id}, {source}")


def _check_file(folder: Path, name: str, sha256: str, size: int) -> Check:
    if Path(name).name != name or name.startswith("."):
        return Check(name, False, "not a plain file name")
    path = folder / name
    if not path.is_file():
        return Check(name, False, "missing")
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if digest != sha256:
        return Check(name, False, f"sha256 {digest}, the manifest lists {sha256}")
    if len(content) != size:
        return Check(name, False, f"{len(content)} bytes, the manifest lists {size}")
    return Check(name, True, f"sha256 {digest} ({size} bytes)")


def _check_nets(body: dict[str, Any]) -> Check:
    nets = [statement.get("net_fen", 0) for statement in body["statements"]]
    total = body.get("net_total_fen")
    if sum(nets) != total or total != 0:
        return Check("nets", False, f"the {len(nets)} statement nets sum to {sum(nets)} fen, the manifest says {total}")
    return Check("nets", True, f"the {len(nets)} statement nets sum to 0 fen")

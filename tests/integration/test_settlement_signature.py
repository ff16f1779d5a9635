"""The run's signed manifest (issue 5): manifest.json is signed with the settlement service's
Ed25519 key and verifies offline (cryptography, openssl, ``chaincard statement verify``); a
tampered file or manifest is caught and the command exits non-zero; a settled day's files,
signature included, are written again byte for byte even after the key has changed."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from chaincard.security.tokens import SigningKeyStore, key_id_of
from settlement.hq import StaticConfigSource
from settlement.manifests import MANIFEST_FILE, PUBLIC_KEY_FILE, SIGNATURE_FILE, verify_day_folder
from settlement.runs import SettlementRunner
from tests.support.settlement import DAY, DAY_ONE, NOW, SNAPSHOT, feed


@pytest.fixture
def settled(ledger):
    sessions, consumer, runner, statements_dir = ledger
    feed(consumer, DAY_ONE)
    run = runner.run(DAY)
    return runner, statements_dir, statements_dir / DAY.isoformat(), run


def _verify_args(statements_dir: Path, *extra: str) -> list[str]:
    return ["statement", "verify", "--date", DAY.isoformat(), "--statements-dir", str(statements_dir), *extra]


def _verify_command(statements_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`chaincard statement verify` as a franchisee runs it: its own process, files only."""
    return subprocess.run([sys.executable, "-m", "chaincard.cli", *_verify_args(statements_dir, *extra)],
                          capture_output=True, text=True, timeout=120, check=False)


def _verify_here(capsys, statements_dir: Path, *extra: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """The same command in this process (quicker): its exit code and what it printed."""
    from chaincard.cli import main

    capsys.readouterr()
    code = main(_verify_args(statements_dir, *extra))
    return code, capsys.readouterr().out


def test_the_manifest_is_signed_and_verifies_offline(settled, capsys):
    runner, statements_dir, folder, run = settled
    content = (folder / MANIFEST_FILE).read_bytes()
    signature = (folder / SIGNATURE_FILE).read_bytes()
    public_key = serialization.load_pem_public_key((folder / PUBLIC_KEY_FILE).read_bytes())
    assert isinstance(public_key, Ed25519PublicKey) and len(signature) == 64
    public_key.verify(signature, content)  # raises if it does not verify

    # The signed manifest names the key, lists every file by SHA-256, and the run carries it all.
    body = json.loads(content)
    assert body["signing_key_id"] == run.manifest.signing_key_id == key_id_of(public_key)
    assert run.manifest.manifest_json_signature == signature
    assert run.manifest.signing_public_key == public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    listed = {file["file_name"]: file["sha256"] for statement in body["statements"] for file in statement["files"]}
    assert len(listed) == 9
    assert all(hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest for name, digest in listed.items())

    # The private key is a secret of its own, outside the (shared) statements directory.
    key_dir = runner.signing_keys.directory
    assert statements_dir not in key_dir.parents
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((key_dir / "current.pem").stat().st_mode) == 0o600
    assert not any(path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY") for path in folder.iterdir())

    checks = verify_day_folder(folder)
    assert all(check.ok for check in checks) and len(checks) == 1 + 9 + 1
    code, printed = _verify_here(capsys, statements_dir, "--public-key", str(folder / PUBLIC_KEY_FILE))
    assert code == 0, printed
    assert "all 11 checks passed" in printed and "the pinned key" in printed


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_openssl_verifies_the_signature_without_chaincard(settled):
    _runner, _statements_dir, folder, _run = settled
    done = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", PUBLIC_KEY_FILE, "-rawin",
                           "-in", MANIFEST_FILE, "-sigfile", SIGNATURE_FILE],
                          cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stdout + done.stderr


def test_a_tampered_statement_file_is_detected(settled):
    _runner, statements_dir, folder, _run = settled
    victim = folder / "ST-2026-11-20-F-AURORA.csv"
    victim.write_bytes(victim.read_bytes().replace(b"-76464", b"-76000"))

    failed = [check for check in verify_day_folder(folder) if not check.ok]
    assert [check.subject for check in failed] == [victim.name]
    done = _verify_command(statements_dir)
    assert done.returncode == 1
    assert f"FAIL  {victim.name}" in done.stdout and "1 of 11 checks FAILED" in done.stdout

    victim.unlink()
    assert [check.detail for check in verify_day_folder(folder) if not check.ok] == ["missing"]


def test_a_file_the_manifest_does_not_list_is_detected(settled):
    _runner, _statements_dir, folder, _run = settled
    forged = folder / "ST-2026-11-20-F-EVIL.pdf"
    forged.write_bytes(b"%PDF-1.4 a statement the run never made")
    failed = [check for check in verify_day_folder(folder) if not check.ok]
    assert [(check.subject, check.detail) for check in failed] == [(forged.name, "in the folder but not in the signed manifest")]


def test_a_tampered_manifest_is_detected(settled, capsys):
    _runner, statements_dir, folder, _run = settled
    manifest = folder / MANIFEST_FILE
    body = json.loads(manifest.read_bytes())
    # Make the manifest agree with an altered file: its hash now lists the forgery.
    victim = folder / "ST-2026-11-20-F-BAMBOO.pdf"
    victim.write_bytes(victim.read_bytes() + b"\n% appended\n")
    for statement in body["statements"]:
        for file in statement["files"]:
            if file["file_name"] == victim.name:
                file["sha256"] = hashlib.sha256(victim.read_bytes()).hexdigest()
                file["size_bytes"] = victim.stat().st_size
    manifest.write_bytes((json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode())

    failed = [check for check in verify_day_folder(folder) if not check.ok]
    assert [check.subject for check in failed] == [SIGNATURE_FILE]
    code, printed = _verify_here(capsys, statements_dir)
    assert code == 1 and f"FAIL  {SIGNATURE_FILE}" in printed


def test_a_manifest_signed_again_with_another_key_fails_against_the_pinned_key(settled, tmp_path, capsys):
    _runner, statements_dir, folder, _run = settled
    genuine_key = tmp_path / "settlement-public-key.pem"
    shutil.copyfile(folder / PUBLIC_KEY_FILE, genuine_key)
    # A forger rewrites the manifest, signs it with a key of its own and leaves that key beside it.
    forger = Ed25519PrivateKey.generate()
    body = json.loads((folder / MANIFEST_FILE).read_bytes())
    body["statements"][0]["net_fen"] += 1
    body["statements"][1]["net_fen"] -= 1
    body["signing_key_id"] = key_id_of(forger.public_key())
    forged = (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    (folder / MANIFEST_FILE).write_bytes(forged)
    (folder / SIGNATURE_FILE).write_bytes(forger.sign(forged))
    (folder / PUBLIC_KEY_FILE).write_bytes(forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    # Against the key beside the files it is consistent, which is why the command names that key…
    code, printed = _verify_here(capsys, statements_dir)
    assert code == 0 and "compare the key id with HQ's" in printed
    # …and the settlement service's own key, pinned, refuses it.
    code, printed = _verify_here(capsys, statements_dir, "--public-key", str(genuine_key))
    assert code == 1 and f"FAIL  {SIGNATURE_FILE}" in printed


def test_a_settled_day_is_written_again_with_its_own_signature_after_the_key_changed(settled, tmp_path):
    runner, _statements_dir, folder, run = settled
    first = {path.name: path.read_bytes() for path in folder.iterdir()}
    runner.signing_keys.rotate()  # the service's key is now another one
    elsewhere = SettlementRunner(runner.session_factory, StaticConfigSource(SNAPSHOT), statements_dir=tmp_path / "copy",
                                 clock=lambda: NOW, signing_keys=SigningKeyStore(tmp_path / "new-keys"))
    for rerun in (runner, elsewhere):
        shutil.rmtree(rerun.day_dir(DAY), ignore_errors=True)
        assert rerun.run(DAY) == run
        assert {path.name: path.read_bytes() for path in rerun.day_dir(DAY).iterdir()} == first

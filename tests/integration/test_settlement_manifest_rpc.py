"""GetSettlementManifest (docs/adr/0059) over a real gRPC server on port 0 with the settlement
service's own authorising interceptor and real operator tokens, on a real PostgreSQL settled with
the golden scenario: HQ finance gets manifest.json as written beside the files, a franchisee admin
its own signed statement extract (never another franchisee's nets), both verify with the pinned
key and fail with tampered bytes or another key; roles that may not read statements are refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from chaincard.rpc.channels import open_channel
from chaincard.rpc.server import build_server
from chaincard.security.authz import PEERS_OF_SETTLEMENT, AuthorizationInterceptor, Directory
from chaincard.security.client import bearer_metadata
from chaincard.security.identity import Role, Scope
from chaincard.security.tokens import KeySet, SigningKey, StaticKeySource, TokenSigner, TokenVerifier
from chaincard.signed_manifests import (
    MANIFEST,
    STATEMENT_EXTRACT,
    raw_public_key_from_pem,
    verify_signed_statement,
)
from chaincard.v1 import settlement_pb2, settlement_pb2_grpc
from settlement import servicers
from settlement.access import statement_place
from settlement.manifests import MANIFEST_FILE, PUBLIC_KEY_FILE, SIGNATURE_FILE
from tests.support.settlement import DAY, DAY_ONE, feed

DEADLINE = 30.0
AURORA_STATEMENT = f"ST-{DAY.isoformat()}-F-AURORA"


@dataclass
class Served:
    stub: settlement_pb2_grpc.SettlementServiceStub
    tokens: TokenSigner
    folder: Path
    pinned: bytes  # the settlement service's key, as published beside the files

    def get(self, role: Role, scope: Scope, business_date: str = DAY.isoformat(),
            franchisee_id: str = "") -> settlement_pb2.GetSettlementManifestResponse:
        token = self.tokens.issue(f"OP-{role.name}", role, scope).token
        return self.stub.GetSettlementManifest(
            settlement_pb2.GetSettlementManifestRequest(business_date=business_date, franchisee_id=franchisee_id),
            metadata=bearer_metadata(token), timeout=DEADLINE)

    def statement(self, statement_id: str) -> settlement_pb2.Statement:
        token = self.tokens.issue("OP-HF", Role.HQ_FINANCE, Scope.chain()).token
        return self.stub.GetStatement(settlement_pb2.GetStatementRequest(statement_id=statement_id),
                                      metadata=bearer_metadata(token), timeout=DEADLINE).statement


@pytest.fixture
def served(ledger) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    sessions, consumer, runner, statements_dir = ledger
    feed(consumer, DAY_ONE)
    runner.run(DAY)
    operator_key = SigningKey.generate()
    guard = AuthorizationInterceptor(
        TokenVerifier(StaticKeySource(KeySet.of([operator_key.verification_key()]))), accepted_peers=PEERS_OF_SETTLEMENT,
        directory=Directory(resolvers={"statement": statement_place(sessions)}), insecure_dev=True)
    running = build_server("127.0.0.1:0", [servicers.register(runner)], interceptors=[guard])
    channel = open_channel(f"127.0.0.1:{running.port}")
    folder = statements_dir / DAY.isoformat()
    try:
        yield Served(settlement_pb2_grpc.SettlementServiceStub(channel), TokenSigner(operator_key), folder,
                     raw_public_key_from_pem((folder / PUBLIC_KEY_FILE).read_bytes()))
    finally:
        channel.close()
        running.stop(grace=1)


def _verify(served: Served, answer: settlement_pb2.GetSettlementManifestResponse, statement: settlement_pb2.Statement,
            *, document: bytes | None = None, trusted: bytes | None = None):  # type: ignore[no-untyped-def]
    return verify_signed_statement(
        answer.document if document is None else document, answer.signature, answer.signing_public_key,
        business_date=DAY.isoformat(), statement_id=statement.statement_id,
        content_sha256_hex=statement.content_sha256_hex, trusted_public_keys=(served.pinned if trusted is None else trusted,))


def test_hq_finance_gets_the_manifest_json_written_beside_the_files(served: Served):
    answer = served.get(Role.HQ_FINANCE, Scope.chain())
    assert answer.kind == settlement_pb2.SIGNED_DOCUMENT_KIND_MANIFEST
    assert answer.document == (served.folder / MANIFEST_FILE).read_bytes()
    assert answer.signature == (served.folder / SIGNATURE_FILE).read_bytes()
    assert answer.signing_public_key == served.pinned
    assert answer.manifest_json_sha256_hex == hashlib.sha256(answer.document).hexdigest()
    verdict = _verify(served, answer, served.statement(AURORA_STATEMENT))
    assert verdict.ok and verdict.kind == MANIFEST and verdict.key_id == answer.signing_key_id
    # An auditor reads it too.
    assert served.get(Role.AUDITOR, Scope.chain()).document == answer.document


def test_a_franchisee_gets_only_its_own_signed_extract(served: Served):
    statement = served.statement(AURORA_STATEMENT)
    answer = served.get(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))  # franchisee_id filled in
    assert answer.kind == settlement_pb2.SIGNED_DOCUMENT_KIND_STATEMENT_EXTRACT
    body = json.loads(answer.document)
    assert body["document"] == STATEMENT_EXTRACT
    assert [item["statement_id"] for item in body["statements"]] == [AURORA_STATEMENT]
    assert b"F-BAMBOO" not in answer.document and b"F-HQ" not in answer.document
    manifest = (served.folder / MANIFEST_FILE).read_bytes()
    assert body["manifest_json_sha256_hex"] == answer.manifest_json_sha256_hex == hashlib.sha256(manifest).hexdigest()
    # Its entry is manifest.json's entry, files and all.
    listed = {item["statement_id"]: item for item in json.loads(manifest)["statements"]}
    assert body["statements"][0] == listed[AURORA_STATEMENT]
    verdict = _verify(served, answer, statement)
    assert verdict.ok and verdict.kind == STATEMENT_EXTRACT
    # Deterministic: asked again, the same bytes and signature.
    again = served.get(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"), franchisee_id="F-AURORA")
    assert (again.document, again.signature) == (answer.document, answer.signature)
    # Another franchisee's extract, or the whole manifest by naming none other: refused or cut.
    with pytest.raises(grpc.RpcError) as refused:
        served.get(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"), franchisee_id="F-BAMBOO")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_tampered_bytes_or_another_key_do_not_verify(served: Served):
    statement = served.statement(AURORA_STATEMENT)
    for answer in (served.get(Role.HQ_FINANCE, Scope.chain()), served.get(Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA"))):
        net = f'"net_fen": {statement.net_fen},'.encode()
        assert net in answer.document
        tampered = _verify(served, answer, statement, document=answer.document.replace(net, b'"net_fen": 1,', 1))
        assert not tampered.ok and not tampered.signature_ok
        other = SigningKey.generate()
        wrong_key = _verify(served, answer, statement, trusted=other.public_key.public_bytes_raw())
        assert wrong_key.signature_ok and not wrong_key.pinned and not wrong_key.ok
        # A forger's own key and signature over altered bytes: verifies with the key sent, not the pinned one.
        forged_document = answer.document.replace(net, b'"net_fen": 1,', 1)
        forged = verify_signed_statement(
            forged_document, other.private_key.sign(forged_document), other.public_key.public_bytes_raw(),
            business_date=DAY.isoformat(), statement_id=statement.statement_id,
            content_sha256_hex=statement.content_sha256_hex, trusted_public_keys=(served.pinned,))
        assert not forged.ok


@pytest.mark.parametrize(("role", "scope"), [
    (Role.HQ_ADMIN, Scope.chain()),
    (Role.REGIONAL_MANAGER, Scope.region("E")),
    (Role.STORE_MANAGER, Scope.store("S-E-002")),
    (Role.CASHIER, Scope.store("S-E-002")),
])
def test_roles_that_may_not_read_statements_are_refused(served: Served, role: Role, scope: Scope):
    with pytest.raises(grpc.RpcError) as refused:
        served.get(role, scope)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_an_unsettled_day_is_not_found_and_a_bad_date_names_the_field(served: Served):
    for business_date, code in (("2026-11-21", grpc.StatusCode.NOT_FOUND), ("2026-13-01", grpc.StatusCode.INVALID_ARGUMENT),
                                ("", grpc.StatusCode.INVALID_ARGUMENT)):
        with pytest.raises(grpc.RpcError) as error:
            served.get(Role.HQ_FINANCE, Scope.chain(), business_date=business_date)
        assert error.value.code() == code
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            assert "business_date" in (error.value.details() or "")
    with pytest.raises(grpc.RpcError) as missing:
        served.get(Role.HQ_FINANCE, Scope.chain(), franchisee_id="F-NOBODY")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND

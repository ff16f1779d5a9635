"""Operator tokens: issue, verify, expiry, tampering, revocation, key publication and rotation."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincard.errors import Unauthenticated, Unavailable
from chaincard.security.identity import Role, Scope
from chaincard.security.tokens import (
    MAX_TTL_SECONDS,
    CachedKeySource,
    KeySet,
    SigningKey,
    SigningKeyStore,
    TokenSigner,
    TokenVerifier,
    key_set_from_proto,
    key_set_to_proto,
    sign_claims,
)

NOW = 1_800_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def _verifier(key: SigningKey, clock: Clock, revoked: tuple[str, ...] = ()) -> TokenVerifier:
    return TokenVerifier(KeySet.of([key.verification_key()], revoked), clock=clock)


def test_a_token_carries_operator_role_scope_and_expiry(key: SigningKey) -> None:
    clock = Clock()
    issued = TokenSigner(key, clock=clock).issue("OP-1", Role.STORE_MANAGER, Scope.store("S-E-001"))
    claims = _verifier(key, clock).verify(issued.token)
    assert claims == issued.claims
    assert (claims.operator_id, claims.role, str(claims.scope)) == ("OP-1", Role.STORE_MANAGER, "store:S-E-001")
    assert claims.expires_at - claims.issued_at == 3600
    assert issued.token.startswith("cc1.") and issued.token.count(".") == 2
    body = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[1] + "=="))
    assert body["kid"] == key.key_id and body["scope"] == "store:S-E-001"


def test_an_expired_token_is_refused(key: SigningKey) -> None:
    clock = Clock()
    issued = TokenSigner(key, clock=clock).issue("OP-1", Role.CASHIER, Scope.store("S"), ttl_seconds=60)
    verifier = _verifier(key, clock)
    clock.now = NOW + 60 + 29  # within the clock skew allowed
    verifier.verify(issued.token)
    clock.now = NOW + 60 + 31
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(issued.token)


def test_a_token_from_the_future_is_refused(key: SigningKey) -> None:
    issued = TokenSigner(key, clock=Clock(NOW + 3600)).issue("OP-1", Role.CASHIER, Scope.store("S"))
    with pytest.raises(Unauthenticated, match="future"):
        _verifier(key, Clock()).verify(issued.token)


def test_lifetimes_are_bounded(key: SigningKey) -> None:
    signer = TokenSigner(key, clock=Clock())
    with pytest.raises(Exception, match="ttl_seconds"):
        signer.issue("OP-1", Role.CASHIER, Scope.store("S"), ttl_seconds=MAX_TTL_SECONDS + 1)
    issued = signer.issue("OP-1", Role.CASHIER, Scope.store("S"))
    stretched = issued.claims.__class__(**{**issued.claims.__dict__, "expires_at": NOW + MAX_TTL_SECONDS + 10})
    with pytest.raises(Unauthenticated, match="lifetime"):
        _verifier(key, Clock()).verify(sign_claims(key, stretched))


def test_tampered_tokens_are_refused(key: SigningKey) -> None:
    clock = Clock()
    token = TokenSigner(key, clock=clock).issue("OP-1", Role.CASHIER, Scope.store("S-E-001")).token
    prefix, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["role"] = "HQ_ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    flipped = signature[:20] + ("B" if signature[20] != "B" else "C") + signature[21:]
    stray_bits = signature[:-1] + ("B" if signature[-1] == "A" else "A")  # same bytes, other spelling
    verifier = _verifier(key, clock)
    for bad in (f"{prefix}.{forged}.{signature}", f"{prefix}.{payload}.{flipped}", f"{prefix}.{payload}.{stray_bits}", f"cc2.{payload}.{signature}",
                f"{payload}.{signature}", token + ".x", ""):
        with pytest.raises(Unauthenticated):
            verifier.verify(bad)


def test_a_token_signed_by_another_key_is_refused(key: SigningKey) -> None:
    other = SigningKey.generate()
    token = TokenSigner(other, clock=Clock()).issue("OP-1", Role.HQ_ADMIN, Scope.chain()).token
    with pytest.raises(Unauthenticated, match="unknown key"):
        _verifier(key, Clock()).verify(token)


def test_a_revoked_token_is_refused(key: SigningKey) -> None:
    issued = TokenSigner(key, clock=Clock()).issue("OP-1", Role.CASHIER, Scope.store("S"))
    with pytest.raises(Unauthenticated, match="revoked"):
        _verifier(key, Clock(), revoked=(issued.claims.token_id,)).verify(issued.token)


def test_the_same_claims_sign_to_the_same_token(key: SigningKey) -> None:
    issued = TokenSigner(key, clock=Clock()).issue("OP-1", Role.CASHIER, Scope.store("S"))
    assert sign_claims(key, issued.claims) == issued.token


def test_published_keys_survive_the_proto_round_trip(key: SigningKey) -> None:
    retired = SigningKey.generate()
    key_set = KeySet.of([key.verification_key(), retired.verification_key(not_after=NOW + 10)], ["t1", "t2"])
    again = key_set_from_proto(key_set_to_proto(key_set))
    assert set(again.keys) == {key.key_id, retired.key_id}
    assert again.keys[retired.key_id].not_after == NOW + 10
    assert again.keys[key.key_id].not_after is None
    assert again.revoked == {"t1", "t2"}
    # A published key whose id is not its own hash is ignored (no key can pose under another's id).
    response = key_set_to_proto(key_set)
    response.keys[0].key_id = "0" * 16
    assert len(key_set_from_proto(response).keys) == 1


def test_a_retired_key_stops_verifying_after_its_not_after(key: SigningKey) -> None:
    token = TokenSigner(key, clock=Clock()).issue("OP-1", Role.CASHIER, Scope.store("S")).token
    verifier = TokenVerifier(KeySet.of([key.verification_key(not_after=NOW + 5)]), clock=Clock(NOW + 6))
    with pytest.raises(Unauthenticated, match="retired"):
        verifier.verify(token)


def test_cached_keys_refresh_keep_the_last_good_set_and_refuse_before_the_first(key: SigningKey) -> None:
    clock = Clock(0)
    answers: list[KeySet | Exception] = [RuntimeError("HQ down"), KeySet.of([key.verification_key()]),
                                         RuntimeError("HQ down again")]
    calls = []

    def fetch() -> KeySet:
        calls.append(clock.now)
        answer = answers.pop(0) if answers else KeySet.of([key.verification_key()], ["gone"])
        if isinstance(answer, Exception):
            raise answer
        return answer

    source = CachedKeySource(fetch, refresh_seconds=60, retry_seconds=5, clock=clock)
    # HQ could not be asked: UNAVAILABLE (retry), not UNAUTHENTICATED (the token is not known bad).
    with pytest.raises(Unavailable, match="could not be fetched yet"):
        source.current()
    clock.now = 1
    with pytest.raises(Unavailable):
        source.current()  # no new fetch before the retry interval
    clock.now = 5
    assert key.key_id in source.current().keys
    clock.now = 65
    assert key.key_id in source.current().keys  # refresh failed: the last good set is kept
    clock.now = 70
    assert source.current().revoked == {"gone"}
    assert calls == [0, 5, 65, 70]


def test_a_token_checked_while_hq_keys_cannot_be_fetched_is_unavailable_not_unauthenticated(key: SigningKey) -> None:
    """docs/reliability.md, finding 8: HQ down when a service starts (or when a token names a key it
    rotated in): the caller must be told to retry, not that its token is bad."""
    clock = Clock(0)
    new_key = SigningKey.generate()
    answers: list[KeySet | Exception] = [RuntimeError("HQ down"), KeySet.of([key.verification_key()]), RuntimeError("HQ down")]

    def fetch() -> KeySet:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    source = CachedKeySource(fetch, refresh_seconds=60, retry_seconds=5, clock=clock)
    verifier = TokenVerifier(source, clock=lambda: NOW)
    token = TokenSigner(key, clock=lambda: NOW).issue("OP-1", Role.CASHIER, Scope.store("S")).token
    with pytest.raises(Unavailable) as refused:
        verifier.verify(token)
    assert refused.value.status_name == "UNAVAILABLE"
    clock.now = 5
    assert verifier.verify(token).operator_id == "OP-1"
    clock.now = 65  # the minute's refresh fails: known keys still verify, a key rotated in meanwhile is UNAVAILABLE
    assert verifier.verify(token).operator_id == "OP-1"
    rotated = TokenSigner(new_key, clock=lambda: NOW).issue("OP-1", Role.CASHIER, Scope.store("S")).token
    with pytest.raises(Unavailable, match="cannot be fetched now"):
        verifier.verify(rotated)


def test_an_unknown_key_id_triggers_an_early_refresh(key: SigningKey) -> None:
    clock = Clock(0)
    new_key = SigningKey.generate()
    published = [KeySet.of([key.verification_key()]), KeySet.of([key.verification_key(), new_key.verification_key()])]
    source = CachedKeySource(lambda: published.pop(0) if len(published) > 1 else published[0], clock=clock,
                             refresh_seconds=60, retry_seconds=5)
    verifier = TokenVerifier(source, clock=lambda: NOW)
    token = TokenSigner(new_key, clock=lambda: NOW).issue("OP-1", Role.CASHIER, Scope.store("S")).token
    with pytest.raises(Unauthenticated, match="unknown key"):
        verifier.verify(token)
    clock.now = 6  # long before the minute is up
    assert verifier.verify(token).operator_id == "OP-1"


def test_the_key_store_keeps_a_private_key_file_and_publishes_the_previous_key_until_its_tokens_expire(tmp_path: Path) -> None:
    clock = Clock()
    store = SigningKeyStore(tmp_path / "keys", clock=clock)
    first = store.signing_key()
    assert stat.S_IMODE((tmp_path / "keys" / "current.pem").stat().st_mode) == 0o600
    assert SigningKeyStore(tmp_path / "keys").signing_key().key_id == first.key_id  # read back, not regenerated
    old_token = TokenSigner(store.signing_key, clock=clock).issue("OP-1", Role.CASHIER, Scope.store("S")).token
    second = store.rotate()
    assert second.key_id != first.key_id
    assert {key.key_id for key in store.verification_keys()} == {first.key_id, second.key_id}
    assert TokenVerifier(KeySet.of(store.verification_keys()), clock=clock).verify(old_token).operator_id == "OP-1"
    clock.now = NOW + MAX_TTL_SECONDS + 3600
    assert [key.key_id for key in store.verification_keys()] == [second.key_id]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.from_regex(r"cc1\.[A-Za-z0-9_-]{0,200}\.[A-Za-z0-9_-]{0,120}", fullmatch=True)))
def test_junk_is_always_unauthenticated_never_a_crash(junk: str) -> None:
    verifier = TokenVerifier(KeySet.of([SigningKey.generate().verification_key()]), clock=Clock())
    with pytest.raises(Unauthenticated):
        verifier.verify(junk)

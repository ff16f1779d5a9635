"""Operator tokens: short-lived, signed by HQ with Ed25519, verified locally by every service.

Format (compact, URL-safe, no padding)::

    cc1.<base64url(claims JSON)>.<base64url(Ed25519 signature of "cc1.<base64url(claims JSON)>")>

Claims (one JSON object, keys sorted, no spaces)::

    {"exp": 1767225600,          expiry, Unix seconds
     "iat": 1767222000,          issue time, Unix seconds
     "jti": "0193…",             token id (RevokeToken, the deny list)
     "kid": "3f2a…",             signing key id (16 hex digits of SHA-256 of the raw public key)
     "role": "STORE_MANAGER",    operators.proto OperatorRole without its prefix
     "scope": "store:S-E-001",   chain | region:<code> | franchisee:<id> | store:<id> | company:<id>
     "sub": "OP-000042"}         operator id

A verifier accepts a token when its prefix is ``cc1``, the key id names a key it holds (HQ
publishes them through ``OperatorService.GetTokenVerificationKeys``; verifiers cache them and
refresh every minute, or at once on an unknown key id), the signature verifies, ``iat`` is not in
the future and ``exp`` not in the past (30 s of clock skew either way), the lifetime is at most
12 hours, the key's ``not_after`` has not passed and the token id is not on the deny list.
Anything else is UNAUTHENTICATED.

HQ's signing keys live in a directory (:class:`SigningKeyStore`): ``current.pem`` (PKCS#8, mode
0600) signs; after :meth:`SigningKeyStore.rotate` the old key stays published as ``previous.pem``
until the tokens it signed have expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from chaincard.errors import ChainCardError, InvalidArgument, Unauthenticated, Unavailable
from chaincard.ids import new_id
from chaincard.security.files import write_private
from chaincard.security.identity import Role, Scope

if TYPE_CHECKING:  # for annotations only: the messages are imported where used, as before
    import grpc

    from chaincard.v1 import operators_pb2

TOKEN_PREFIX = "cc1"
ALGORITHM = "Ed25519"
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 12 * 3600
CLOCK_SKEW_SECONDS = 30
MAX_TOKEN_LENGTH = 2048
KEY_REFRESH_SECONDS = 60.0


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(char in text for char in "=+/"):
        raise ValueError("not unpadded base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(raw) != text:  # one spelling per token: no stray bits in the last character
        raise ValueError("not canonical base64url")
    return raw


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class TokenClaims:
    token_id: str
    operator_id: str
    role: Role
    scope: Scope
    issued_at: int
    expires_at: int
    key_id: str

    def to_json(self) -> bytes:
        body = {"exp": self.expires_at, "iat": self.issued_at, "jti": self.token_id, "kid": self.key_id,
                "role": self.role.name, "scope": str(self.scope), "sub": self.operator_id}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: TokenClaims


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def verification_key(self, not_after: int | None = None) -> VerificationKey:
        return VerificationKey(self.key_id, self.public_key, not_after)


@dataclass(frozen=True)
class VerificationKey:
    key_id: str
    public_key: Ed25519PublicKey
    # Unix seconds after which tokens signed with this key are refused; None = no limit.
    not_after: int | None = None

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class KeySet:
    """What a verifier needs: the published keys and the deny list of token ids."""

    keys: Mapping[str, VerificationKey]
    revoked: frozenset[str] = frozenset()

    @classmethod
    def of(cls, keys: Iterable[VerificationKey], revoked: Iterable[str] = ()) -> KeySet:
        return cls({key.key_id: key for key in keys}, frozenset(revoked))


def key_set_to_proto(key_set: KeySet) -> operators_pb2.GetTokenVerificationKeysResponse:
    """The GetTokenVerificationKeysResponse publishing ``key_set``."""
    from google.protobuf.timestamp_pb2 import Timestamp

    from chaincard.v1 import operators_pb2

    response = operators_pb2.GetTokenVerificationKeysResponse(revoked_token_ids=sorted(key_set.revoked))
    for key in sorted(key_set.keys.values(), key=lambda item: item.key_id):
        published = response.keys.add(key_id=key.key_id, algorithm=ALGORITHM, public_key=key.raw)
        if key.not_after is not None:
            published.not_after.CopyFrom(Timestamp(seconds=key.not_after))
    return response


def key_set_from_proto(response: operators_pb2.GetTokenVerificationKeysResponse) -> KeySet:
    """Read a GetTokenVerificationKeysResponse (keys of other algorithms are ignored)."""
    keys = []
    for key in response.keys:
        if key.algorithm != ALGORITHM or len(key.public_key) != 32:
            continue
        public_key = Ed25519PublicKey.from_public_bytes(key.public_key)
        if key_id_of(public_key) != key.key_id:
            continue  # a key id must be the key's own hash: no two keys can share one
        not_after = key.not_after.seconds if key.HasField("not_after") else None
        keys.append(VerificationKey(key.key_id, public_key, not_after))
    return KeySet.of(keys, response.revoked_token_ids)


class TokenSigner:
    """Issues tokens (HQ only)."""

    def __init__(self, key: SigningKey | Callable[[], SigningKey], *, clock: Callable[[], float] = time.time) -> None:
        self._key = key if callable(key) else (lambda: key)
        self._clock = clock

    def issue(self, operator_id: str, role: Role, scope: Scope, *, ttl_seconds: int = DEFAULT_TTL_SECONDS,
              token_id: str | None = None) -> IssuedToken:
        if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
            raise InvalidArgument("ttl_seconds", f"must be between 1 and {MAX_TTL_SECONDS}")
        key = self._key()
        now = int(self._clock())
        claims = TokenClaims(token_id=token_id or new_id(), operator_id=operator_id, role=role, scope=scope,
                             issued_at=now, expires_at=now + ttl_seconds, key_id=key.key_id)
        return IssuedToken(token=sign_claims(key, claims), claims=claims)


def sign_claims(key: SigningKey, claims: TokenClaims) -> str:
    """The token for ``claims`` (whose key_id must be ``key``'s). Ed25519 signatures are
    deterministic: the same claims and key always give the same token."""
    if claims.key_id != key.key_id:
        raise ValueError("claims name another signing key")
    signed_part = f"{TOKEN_PREFIX}.{_b64encode(claims.to_json())}"
    return f"{signed_part}.{_b64encode(key.private_key.sign(signed_part.encode('ascii')))}"


class KeySource:
    """Anything that hands a verifier the current key set."""

    def current(self) -> KeySet:  # pragma: no cover - interface
        raise NotImplementedError

    def refresh_soon(self) -> None:
        """Called when a token names an unknown key id (a rotation may just have happened)."""

    def unreachable(self) -> str:
        """Why the last fetch of the keys failed ("" when it did not, or nothing is fetched)."""
        return ""


class StaticKeySource(KeySource):
    def __init__(self, key_set: KeySet) -> None:
        self.key_set = key_set

    def current(self) -> KeySet:
        return self.key_set


class CachedKeySource(KeySource):
    """Keys fetched with ``fetch`` (e.g. :func:`hq_key_fetcher`), kept for ``refresh_seconds``.

    A failed refresh keeps the last good set and is retried after ``retry_seconds``; before the
    first successful fetch every token is refused, never accepted unverified — as UNAVAILABLE (HQ
    could not be asked: retry later with the same request id), not UNAUTHENTICATED, which would tell
    the caller its token is bad (docs/reliability.md, finding 8).
    """

    def __init__(self, fetch: Callable[[], KeySet], *, refresh_seconds: float = KEY_REFRESH_SECONDS,
                 retry_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._refresh_seconds = refresh_seconds
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._key_set: KeySet | None = None
        self._next_fetch = 0.0
        self.last_error: str = ""

    def current(self) -> KeySet:
        if self._clock() >= self._next_fetch:
            self._refresh()
        if self._key_set is None:
            raise Unavailable(f"HQ's token keys could not be fetched yet ({self.last_error or 'not fetched'}); retry shortly")
        return self._key_set

    def refresh_soon(self) -> None:
        with self._lock:
            # At most one forced fetch per retry interval, so junk key ids cannot hammer HQ.
            self._next_fetch = min(self._next_fetch, self._last_fetch_started + self._retry_seconds)

    def unreachable(self) -> str:
        return self.last_error

    _last_fetch_started = float("-inf")

    def _refresh(self) -> None:
        with self._lock:
            now = self._clock()
            if now < self._next_fetch:
                return
            self._last_fetch_started = now
            try:
                self._key_set = self._fetch()
                self._next_fetch = now + self._refresh_seconds
                self.last_error = ""
            except Exception as error:  # noqa: BLE001 - keep serving with the last good keys
                self.last_error = f"{type(error).__name__}: {error}"
                self._next_fetch = now + self._retry_seconds


def hq_key_fetcher(channel: grpc.Channel, *, deadline: float = 5.0) -> Callable[[], KeySet]:
    """A fetch function for :class:`CachedKeySource` reading HQ's GetTokenVerificationKeys."""
    from chaincard.v1 import operators_pb2, operators_pb2_grpc

    stub = operators_pb2_grpc.OperatorServiceStub(channel)

    def fetch() -> KeySet:
        return key_set_from_proto(
            stub.GetTokenVerificationKeys(operators_pb2.GetTokenVerificationKeysRequest(), timeout=deadline)
        )

    return fetch


class TokenVerifier:
    def __init__(self, keys: KeySource | KeySet, *, clock: Callable[[], float] = time.time,
                 skew_seconds: int = CLOCK_SKEW_SECONDS) -> None:
        self._keys = keys if isinstance(keys, KeySource) else StaticKeySource(keys)
        self._clock = clock
        self._skew = skew_seconds

    def verify(self, token: str) -> TokenClaims:
        """The token's claims; UNAUTHENTICATED (saying why) for anything not valid right now."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("token too long")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            raise Unauthenticated("malformed token")
        try:
            body = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed token") from None
        if not isinstance(body, dict) or not isinstance(body.get("kid"), str):
            raise Unauthenticated("malformed token")

        key_set = self._keys.current()
        key = key_set.keys.get(body["kid"])
        if key is None:
            self._keys.refresh_soon()
            if failed := self._keys.unreachable():  # perhaps a key HQ rotated in while it could not be asked
                raise Unavailable(f"token signed by a key not known here, and HQ's token keys cannot be fetched "
                                  f"now ({failed}); retry shortly")
            raise Unauthenticated("token signed by an unknown key")
        try:
            key.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
        except InvalidSignature:
            raise Unauthenticated("token signature does not verify") from None

        claims = self._claims(body)
        now = int(self._clock())
        if claims.issued_at > now + self._skew:
            raise Unauthenticated("token issued in the future")
        if claims.expires_at <= now - self._skew:
            raise Unauthenticated("token expired; log in again")
        if not 0 < claims.expires_at - claims.issued_at <= MAX_TTL_SECONDS:
            raise Unauthenticated("token lifetime out of bounds")
        if key.not_after is not None and now > key.not_after:
            raise Unauthenticated("token signing key retired; log in again")
        if claims.token_id in key_set.revoked:
            raise Unauthenticated("token revoked; log in again")
        return claims

    @staticmethod
    def _claims(body: dict[str, object]) -> TokenClaims:
        try:
            issued, expires = body["iat"], body["exp"]
            if not (isinstance(issued, int) and isinstance(expires, int)):
                raise ValueError("times")
            for name in ("jti", "sub", "role", "scope"):
                if not isinstance(body[name], str) or not body[name]:
                    raise ValueError(name)
            return TokenClaims(
                token_id=str(body["jti"]), operator_id=str(body["sub"]), role=Role[str(body["role"])],
                scope=Scope.parse(str(body["scope"])), issued_at=issued, expires_at=expires, key_id=str(body["kid"]),
            )
        except (KeyError, ValueError, ChainCardError):
            raise Unauthenticated("malformed token claims") from None


@dataclass
class SigningKeyStore:
    """HQ's signing keys in ``directory`` (created 0700): ``current.pem`` signs, ``previous.pem``
    (with ``previous.json`` = when it was retired) is still published until its tokens expire."""

    directory: Path
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cached: SigningKey | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)

    @property
    def _current_path(self) -> Path:
        return self.directory / "current.pem"

    def signing_key(self) -> SigningKey:
        """The current key, created on first use."""
        with self._lock:
            if self._cached is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                self.directory.chmod(0o700)
                if not self._current_path.exists():
                    write_private(self._current_path, SigningKey.generate().to_pem())
                self._cached = SigningKey.from_pem(self._current_path.read_bytes())
            return self._cached

    def rotate(self) -> SigningKey:
        """Retire the current key (still published for MAX_TTL_SECONDS) and start a new one."""
        current = self.signing_key()
        with self._lock:
            write_private(self.directory / "previous.pem", current.to_pem())
            (self.directory / "previous.json").write_text(json.dumps({"retired_at": int(self.clock())}))
            write_private(self._current_path, SigningKey.generate().to_pem())
            self._cached = None
        return self.signing_key()

    def verification_keys(self) -> list[VerificationKey]:
        keys = [self.signing_key().verification_key()]
        previous = self.directory / "previous.pem"
        if previous.exists():
            retired_at = json.loads((self.directory / "previous.json").read_text())["retired_at"]
            not_after = int(retired_at) + MAX_TTL_SECONDS + CLOCK_SKEW_SECONDS
            if self.clock() <= not_after:
                keys.append(SigningKey.from_pem(previous.read_bytes()).verification_key(not_after))
        return keys

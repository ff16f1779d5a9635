"""Operator passwords: salted scrypt (memory-hard), compared in constant time.

Stored as ``scrypt$n$r$p$salt_b64$hash_b64`` (the same scheme as transaction PINs, chaincard.pins),
so the cost can be raised later and old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 256
_MAXMEM = 64 * 1024 * 1024
_SCHEME = "scrypt"


def _scrypt(secret: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=HASH_BYTES)


def hash_password(password: str) -> str:
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_matches(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != _SCHEME:
            return False
        digest = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except ValueError:
        return False


_DUMMY = hash_password("not-a-password-anyone-has")


def spend_equal_time(password: str) -> None:
    """Do the work of a password check against nothing, so an unknown login name answers as slowly
    as a wrong password (no timing oracle for which login names exist)."""
    password_matches(password, _DUMMY)


def salted_digest(secret: str, salt: str) -> str:
    """A memory-hard digest of ``secret`` under a caller-chosen salt (for idempotency fingerprints:
    the same password under the same request id digests the same, and guessing it stays costly)."""
    return _scrypt(secret, salt.encode()).hex()

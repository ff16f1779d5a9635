"""Transaction PINs (C4) as the whole system treats them: 6 digits, stored only as a salted scrypt
hash, and never kept in clear anywhere else — not in a log, an event, a response, the region's
idempotency fingerprint, or a store agent's request journal.

:func:`mask_pins` is what keeps them out of the last two: every field named like a PIN, at any
depth (``pin``, ``old_pin``, ``new_pin``, ``tenders[i].pin``), is replaced by a memory-hard digest
salted with the request id and the field's path. Because a PIN has only a million values, a plain
SHA-256 of a request carrying one would give it away in a second; the digest makes that costly,
while the same PIN under the same request id still fingerprints the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from chaincard.errors import InvalidArgument
from chaincard.ids import is_ascii_digits

PIN_LENGTH = 6
PIN_FIELD_NAMES = frozenset({"pin", "old_pin", "new_pin"})

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
_MAXMEM = 64 * 1024 * 1024
_SCHEME = "scrypt"

MessageT = TypeVar("MessageT", bound=Message)


def validate_pin(field: str, value: str) -> str:
    """The PIN if it is exactly 6 ASCII digits; INVALID_ARGUMENT naming ``field`` otherwise."""
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) != PIN_LENGTH or not is_ascii_digits(value):
        raise InvalidArgument(field, f"must be exactly {PIN_LENGTH} digits")
    return value


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=HASH_BYTES)


def hash_pin(pin: str) -> str:
    """``scrypt$n$r$p$salt_b64$hash_b64`` with a fresh random 16-byte salt."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def pin_matches(pin: str, encoded: str) -> bool:
    """Whether ``pin`` is the PIN hashed in ``encoded``; compared in constant time."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != _SCHEME:
            return False
        digest = _scrypt(pin, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except ValueError:
        return False


def mask_pins(request: MessageT) -> MessageT:
    """A copy of ``request`` with every PIN field, at any depth, replaced by its salted digest."""
    if not _has_pin(request):
        return request
    copy = type(request)()
    copy.CopyFrom(request)
    _mask(copy, getattr(request, "request_id", ""), "")
    return copy


def _is_repeated(field: FieldDescriptor) -> bool:
    # protobuf 6+ spells it ``is_repeated``; older releases only have ``label``.
    if hasattr(field, "is_repeated"):
        return bool(field.is_repeated)
    return bool(getattr(field, "label") == FieldDescriptor.LABEL_REPEATED)  # noqa: B009 - gone from the stubs


def _is_map(field: FieldDescriptor) -> bool:
    """Whether a message-typed field is a map (its type is a synthetic entry message)."""
    return field.message_type is not None and bool(field.message_type.GetOptions().map_entry)


def _has_pin(message: Message) -> bool:
    for field, value in message.ListFields():
        if field.name in PIN_FIELD_NAMES and value:
            return True
        if field.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(field):
            children = value if _is_repeated(field) else [value]
            if any(_has_pin(child) for child in children):
                return True
    return False


def _mask(message: Message, request_id: str, path: str) -> None:
    for field, value in message.ListFields():
        here = f"{path}.{field.name}" if path else field.name
        if field.name in PIN_FIELD_NAMES and isinstance(value, str) and value:
            salt = hashlib.sha256(f"chaincard.pin-mask|{request_id}|{here}".encode()).digest()
            setattr(message, field.name, f"{_SCHEME}:{_b64(_scrypt(value, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))}")
        elif field.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(field):
            if _is_repeated(field):
                for index, child in enumerate(value):
                    _mask(child, request_id, f"{here}[{index}]")
            else:
                _mask(value, request_id, here)

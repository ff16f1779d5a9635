"""Generic bounds on every field of a request (issue 7 §5): checked before anything is written.

:func:`check_bounds` walks a message and raises ``InvalidArgument(<field path>, <problem>)`` for the
first field out of bounds, e.g. ``lines[2].unit_price_fen: must not be negative``:

- **strings**: at most the length configured for the field's name (first matching pattern of
  :attr:`FieldBounds.string_limits`, else ``max_string_length``), and no control characters
  (newline and tab are allowed in free-text fields such as ``reason``) nor bidirectional overrides;
- **money**: an integer field named ``*_fen`` is between 0 and ``max_amount_fen``; the few signed
  ones (deltas, nets, balances that an offline advice may overdraw) are matched by
  ``signed_fen_patterns`` and bounded by ``±max_amount_fen``;
- **other integers**: magnitude at most ``max_integer`` (sums of them cannot overflow int64);
- **floats**: finite;
- **timestamps** (``google.protobuf.Timestamp``): a real moment, 0001-01-01 to 9999-12-31 with
  nanos in [0, 10⁹) — anything else cannot be converted, stored or audited;
- **repeated and map fields**: at most the configured number of items (per field name, else
  ``max_repeated``); map keys at most ``max_map_key_length`` characters;
- **enums**: a value the enum defines (proto3 would otherwise carry any number through);
- **bytes**: at most ``max_bytes``; nesting at most ``max_depth`` messages deep.

Field-specific rules (a PIN has 6 digits, an amount must be positive, a date parses) stay with
the handlers; this is the floor every request stands on.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.errors import InvalidArgument

_INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32, FieldDescriptor.TYPE_SFIXED64,
}
_FLOAT_TYPES = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
# google.protobuf.Timestamp's own range (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z).
_TIMESTAMP = "google.protobuf.Timestamp"
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)
_NANOS_PER_SECOND = 1_000_000_000
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")

# (field name pattern, most characters); the first match wins.
DEFAULT_STRING_LIMITS: tuple[tuple[str, int], ...] = (
    ("request_id", 64),
    ("advice_id", 64),
    ("phone_hmac", 64),
    ("*card_number", 40),  # 8-32 digits, or a 36-digit QR member code (chaincard/member_codes.py)
    ("pin", 16), ("*_pin", 16),
    ("*password", 256),
    ("phone", 32),
    ("email", 254),
    ("page_token", 512),
    ("token", 2048),
    ("*_json", 65_536),
    ("reason", 500), ("issued_reason", 500), ("message", 500), ("last_error", 500),
    ("*description", 500), ("address", 256), ("text", 256), ("receipt_footer", 500),
    ("*_date", 32), ("birthday", 32), ("time_zone", 64), ("*_time_zone", 64), ("*_cutoff", 16),
    ("*_id", 64), ("*_code", 64), ("code", 64), ("*_codes", 64), ("sku", 64), ("category", 64),
    ("tag", 64), ("tags", 64), ("add_tags", 64), ("remove_tags", 64), ("holidays", 32),
    ("name", 128), ("*_name", 128), ("name_prefix", 128),
    ("external_reference", 128), ("endpoint", 255), ("endpoints", 255),
)
# (repeated or map field name pattern, most items); the first match wins.
DEFAULT_REPEATED_LIMITS: tuple[tuple[str, int], ...] = (
    ("cards", 10_000),            # RegisterPhysicalCards: at most 10000 per call
    ("advices", 500),             # UploadOfflineAdvices: at most 500 per call
    ("card_numbers", 1000),       # RefreshCardCache: at most 1000 per call
    ("lines", 500),
    ("tenders", 20),
    ("coupon_codes", 50),
    ("custom_fields", 50),
    ("tags", 50), ("add_tags", 50), ("remove_tags", 50),
    ("endpoints", 16),            # a region's replicas (docs/adr/0054)
)
DEFAULT_SIGNED_FEN_PATTERNS: tuple[str, ...] = (
    "*delta*", "*net_fen", "*overdrawn_fen", "*balances_after.*", "*balances.*",
)
DEFAULT_FREE_TEXT: tuple[str, ...] = (
    "reason", "*description", "address", "receipt_footer", "*_json", "message", "body", "*template*",
)


@dataclass(frozen=True)
class FieldBounds:
    max_string_length: int = 256
    string_limits: tuple[tuple[str, int], ...] = DEFAULT_STRING_LIMITS
    free_text_fields: tuple[str, ...] = DEFAULT_FREE_TEXT
    # ¥100,000,000: no single amount in a membership system comes near it.
    max_amount_fen: int = 10_000_000_000
    signed_fen_patterns: tuple[str, ...] = DEFAULT_SIGNED_FEN_PATTERNS
    max_integer: int = 1_000_000_000_000
    max_repeated: int = 1000
    repeated_limits: tuple[tuple[str, int], ...] = DEFAULT_REPEATED_LIMITS
    max_map_key_length: int = 64
    max_bytes: int = 1 << 20
    max_depth: int = 16

    # Memoised (the bounds are frozen, so hashable): a request of a thousand rows asks the same few
    # names a thousand times, and fnmatch was a tenth of a region's CPU on an import chunk.
    @functools.lru_cache(maxsize=4096)  # noqa: B019 - a few module-level FieldBounds live as long as the process
    def string_limit(self, name: str) -> int:
        for pattern, limit in self.string_limits:
            if fnmatch.fnmatchcase(name, pattern):
                return limit
        return self.max_string_length

    @functools.lru_cache(maxsize=4096)  # noqa: B019
    def repeated_limit(self, name: str) -> int:
        for pattern, limit in self.repeated_limits:
            if fnmatch.fnmatchcase(name, pattern):
                return limit
        return self.max_repeated

    @functools.lru_cache(maxsize=4096)  # noqa: B019
    def is_free_text(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.free_text_fields)

    @functools.lru_cache(maxsize=4096)  # noqa: B019
    def is_signed_fen(self, plain_path: str) -> bool:
        return any(fnmatch.fnmatchcase(plain_path, pattern) for pattern in self.signed_fen_patterns)


DEFAULT_BOUNDS = FieldBounds()


def check_bounds(message: Message, bounds: FieldBounds = DEFAULT_BOUNDS) -> None:
    """Raise InvalidArgument naming the first field of ``message`` out of bounds."""
    _walk(message, bounds, path="", plain="", depth=0)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _walk(message: Message, bounds: FieldBounds, *, path: str, plain: str, depth: int) -> None:
    if depth > bounds.max_depth:
        raise InvalidArgument(path or message.DESCRIPTOR.name, f"nested more than {bounds.max_depth} levels deep")
    for field, value in message.ListFields():
        field_path = _join(path, field.name)
        field_plain = _join(plain, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _check_map(field, value, bounds, field_path, field_plain, depth)
        elif field.is_repeated:
            limit = bounds.repeated_limit(field.name)
            if len(value) > limit:
                raise InvalidArgument(field_path, f"must have at most {limit} items")
            for index, item in enumerate(value):
                _check_value(field, item, bounds, f"{field_path}[{index}]", field_plain, depth)
        else:
            _check_value(field, value, bounds, field_path, field_plain, depth)


def _check_map(field: FieldDescriptor, value: object, bounds: FieldBounds, path: str, plain: str, depth: int) -> None:
    limit = bounds.repeated_limit(field.name)
    entries = dict(cast("Mapping[object, object]", value))
    if len(entries) > limit:
        raise InvalidArgument(path, f"must have at most {limit} entries")
    entry_type = cast(Descriptor, field.message_type)  # a map field's entry message
    key_field = entry_type.fields_by_name["key"]
    value_field = entry_type.fields_by_name["value"]
    for key, item in entries.items():
        item_path = f"{path}[{key!r}]" if isinstance(key, str) and len(key) <= bounds.max_map_key_length else f"{path}[…]"
        if isinstance(key, str):
            _check_text(key, bounds.max_map_key_length, free_text=False, path=f"{path} key")
        else:
            _check_value(key_field, key, bounds, item_path, plain, depth)
        _check_value(value_field, item, bounds, item_path, plain, depth, name=field.name)


def _check_value(field: FieldDescriptor, value: object, bounds: FieldBounds, path: str, plain: str, depth: int,
                 *, name: str | None = None) -> None:
    name = name or field.name
    kind = field.type
    if field.message_type is not None:
        if field.message_type.full_name == _TIMESTAMP:
            _check_timestamp(cast(Timestamp, value), path)
        _walk(cast(Message, value), bounds, path=path, plain=plain, depth=depth + 1)
    elif kind == FieldDescriptor.TYPE_STRING:
        _check_text(cast(str, value), bounds.string_limit(name), free_text=bounds.is_free_text(name), path=path)
    elif kind == FieldDescriptor.TYPE_BYTES:
        if len(cast(bytes, value)) > bounds.max_bytes:
            raise InvalidArgument(path, f"must be at most {bounds.max_bytes} bytes")
    elif kind == FieldDescriptor.TYPE_ENUM:
        enum_type = cast(EnumDescriptor, field.enum_type)  # an enum field has one
        if enum_type.values_by_number.get(cast(int, value)) is None:
            raise InvalidArgument(path, f"{value} is not a {enum_type.name} value")
    elif kind in _INTEGER_TYPES:
        _check_integer(name, int(cast(int, value)), bounds, path, plain)
    elif kind in _FLOAT_TYPES:
        if not math.isfinite(cast(float, value)):
            raise InvalidArgument(path, "must be a finite number")


def _check_timestamp(value: Timestamp, path: str) -> None:
    seconds, nanos = value.seconds, value.nanos
    if not _TIMESTAMP_SECONDS[0] <= seconds <= _TIMESTAMP_SECONDS[1]:
        raise InvalidArgument(path, "must be a moment between 0001-01-01 and 9999-12-31")
    if not 0 <= nanos < _NANOS_PER_SECOND:
        raise InvalidArgument(f"{path}.nanos", f"must be between 0 and {_NANOS_PER_SECOND - 1}")


def _check_integer(name: str, value: int, bounds: FieldBounds, path: str, plain: str) -> None:
    if name.endswith("_fen"):
        if bounds.is_signed_fen(plain):
            if abs(value) > bounds.max_amount_fen:
                raise InvalidArgument(path, f"must be within ±{bounds.max_amount_fen} fen")
            return
        if value < 0:
            raise InvalidArgument(path, "must not be negative")
        if value > bounds.max_amount_fen:
            raise InvalidArgument(path, f"must be at most {bounds.max_amount_fen} fen")
        return
    if abs(value) > bounds.max_integer:
        raise InvalidArgument(path, f"must be within ±{bounds.max_integer}")


def _check_text(value: str, limit: int, *, free_text: bool, path: str) -> None:
    if len(value) > limit:
        raise InvalidArgument(path, f"must be at most {limit} characters")
    for char in value:
        if char in _BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and not (free_text and char in "\n\t")):
            raise InvalidArgument(path, "must not contain control characters")

"""Hostile request values for fuzzing any RPC (issue 7): hypothesis strategies over a request's
descriptor — strings that are huge, empty, control characters, bidi overrides, SQL and format
strings, digits of other scripts, non-BMP; integers at the extremes of their type; NaN and
infinities; enum numbers nobody defined; impossible timestamps; long repeated fields and maps;
nested messages. "Wild" values are anything the type can carry; "tame" ones pass the interceptor's
field bounds (chaincard.security.bounds). ``ALLOWED`` is what a service may answer them with."""

from __future__ import annotations

import functools
import math
import time
import unicodedata
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import strategies as st

from chaincard.security.bounds import DEFAULT_BOUNDS

# Every answer but INTERNAL, UNKNOWN and DEADLINE_EXCEEDED (a hang): OK or a precise refusal.
ALLOWED = {
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.ABORTED,
}


# ---- hostile values ------------------------------------------------------------------------------
HOSTILE_TEXT: tuple[str, ...] = (
    "", " ", "   ", "\t", "\n", "\r\n", "\x00", "a\x00b", "\x1b[31mred", "\x7f", "\x85", "\u2028", "\u2029",
    "\ufeff", "\u200b", "\u200d", "\u202eevil", "abc\u2066def\u2069", "\u200f", "\ufdd0", "\U000e0041",
    "' OR '1'='1", "'; DROP TABLE postings; --", "\"; SELECT pg_sleep(30); --", "\\", "%", "_", "%s%s%s%n", "%(x)s",
    "{0}{1}", "{__class__}", "${jndi:ldap://x/a}", "{{7*7}}", "<script>alert(1)</script>", "../../../etc/passwd",
    "null", "None", "NaN", "-1", "0", "1e309", "9" * 40, "-9223372036854775809", "18446744073709551616",
    "😀", "𝕏𝕐ℤ", "\U0010fffd", "e\u0301\u0301\u0301\u0301", "Z̶̢̧͎a̵l̷g̸o̴", "ﷺ", "İ", "ß", "ǅ",
    "８８１１０００００００００１２", "٠١٢٣٤٥", "¹²³⁴⁵⁶", "１２３４５６", "Ⅻ", "8811", "88" + "9" * 13, "0" * 32, "9" * 33,
    "88110000000000²", "8811000000000²3", "881100000000001", "8811 0000 0000 012", "00000000",
    "S-E-001 ", " S-E-001", "s-e-001", "S-E-001\u200b", "S-Ｅ-001", "S-E-001'--", "F-HQ ", "SV ", "sv",
    "2026-02-30", "9999-12-31", "0001-01-01", "1899-12-31", "2026-13-01", "20260101", "+275760-09-13",
    "2026-01-01T00:00:00Z", "Mars/Olympus", "Etc/GMT+14", "UTC", "../../etc/localtime", "25:00", "24:00", "-01:00",
    "23:59:60", "ab:cd", "99:99", "¹²:00", "4:5", "Asia", "Asia/Shanghai", "+86 138 0013 8000", "13800138000", "1380013800０", "a@b", "@", "a@b@c",
    "x@" + "y" * 250 + ".cn", "A" * 100_000, "\x00" * 2_000, "測" * 5_000,
)
SMALL_TEXT = ("", "x", "\x00", "S-E-001", "😀")
# What check_bounds refuses in any text field (docs/security.md: "no control characters").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _passes_text_bounds(value: str, name: str) -> bool:
    free_text = DEFAULT_BOUNDS.is_free_text(name)
    return len(value) <= DEFAULT_BOUNDS.string_limit(name) and not any(
        char in _BIDI or (unicodedata.category(char) == "Cc" and not (free_text and char in "\n\t")) for char in value)


def _limit_texts(name: str) -> list[str]:
    """Strings at and just past the field-bounds length of ``name``: the first pass the interceptor
    and must be handled (or refused) by the handler and the database column."""
    limit = DEFAULT_BOUNDS.string_limit(name)
    return ["x" * limit, "x" * (limit + 1), "测" * limit, "𝕏" * limit, "7" * limit, " " * (limit - 1) + "x",
            "x" * (limit - 1) + "\x00", "8" * min(limit, 15), "x" * (limit // 2), "9" * (limit // 2)]


# "wild" values are anything the type can carry; "tame" ones pass the interceptor's field bounds
# (printable, within length and range, defined enum values), so they are the handlers' to refuse.
@functools.cache
def text_strategy(name: str, tame: bool) -> st.SearchStrategy[str]:
    texts = [value for value in (*HOSTILE_TEXT, *_limit_texts(name)) if not tame or _passes_text_bounds(value, name)]
    if not tame:
        printable: st.SearchStrategy[str] = st.text(max_size=24)
    else:
        printable = st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=_BIDI),
                            max_size=min(24, DEFAULT_BOUNDS.string_limit(name)))
    digits = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=min(33, DEFAULT_BOUNDS.string_limit(name)))
    return st.one_of(st.sampled_from(texts), printable, digits)


INTEGER_RANGES = {
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1), FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1), FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1), FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1), FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
}
_MAX_FEN = DEFAULT_BOUNDS.max_amount_fen
_MAX_INTEGER = DEFAULT_BOUNDS.max_integer
_EXTREME_INTEGERS = (
    0, 1, -1, 2, 7, 100, 1439, 1440, 10_000, 10_001, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**32 - 1, 2**53 + 1,
    2**63 - 1, -(2**63), 2**64 - 1, _MAX_FEN, _MAX_FEN + 1, _MAX_FEN - 1, -_MAX_FEN, _MAX_INTEGER, _MAX_INTEGER + 1,
    -_MAX_INTEGER, -_MAX_INTEGER - 1,
)


@functools.cache
def integer_strategy(kind: int, name: str, tame: bool) -> st.SearchStrategy[int]:
    low, high = INTEGER_RANGES[kind]
    if tame:  # money never negative (the few signed figures may be), every integer within ±max_integer
        low, high = (0, min(high, _MAX_FEN)) if name.endswith("_fen") else (max(low, -_MAX_INTEGER), min(high, _MAX_INTEGER))
    return st.one_of(st.sampled_from([value for value in _EXTREME_INTEGERS if low <= value <= high]), st.integers(low, high))


@functools.cache
def enum_strategy(enum_type: Any, tame: bool) -> st.SearchStrategy[int]:
    defined = sorted(value.number for value in enum_type.values)
    if tame:
        return st.sampled_from(defined)
    undefined = [-1, -(2**31), 2**31 - 1, max(defined) + 1, 99, 1000]
    return st.one_of(st.sampled_from(defined), st.sampled_from(undefined), st.integers(-(2**31), 2**31 - 1))


# The first and last moments a Timestamp can hold, the epoch, and moments around them.
TIMESTAMP_RANGE = (-62_135_596_800, 253_402_300_799)
_EXTREME_TIMESTAMPS = tuple(
    Timestamp(seconds=seconds, nanos=nanos) for seconds, nanos in (
        (TIMESTAMP_RANGE[0], 0), (TIMESTAMP_RANGE[1], 999_999_999), (0, 0), (-1, 999_999_999), (4_102_444_800, 0),
        (int(time.time()) + 86_400 * 365, 0), (int(time.time()) - 86_400 * 365 * 30, 0),
        (TIMESTAMP_RANGE[0] - 1, 0), (TIMESTAMP_RANGE[1] + 1, 0), (0, -1), (0, 1_000_000_000),
    )
)


def _timestamp_strategy(tame: bool) -> st.SearchStrategy[Timestamp]:
    extremes = [stamp for stamp in _EXTREME_TIMESTAMPS
                if not tame or (TIMESTAMP_RANGE[0] <= stamp.seconds <= TIMESTAMP_RANGE[1] and 0 <= stamp.nanos < 10**9)]
    seconds = st.integers(*TIMESTAMP_RANGE) if tame else integer_strategy(FieldDescriptor.TYPE_INT64, "seconds", False)
    nanos = st.integers(0, 999_999_999) if tame else integer_strategy(FieldDescriptor.TYPE_INT32, "nanos", False)
    return st.one_of(st.sampled_from(extremes), st.builds(lambda s, n: Timestamp(seconds=s, nanos=n), seconds, nanos))


def is_map(field_descriptor: FieldDescriptor) -> bool:
    return field_descriptor.message_type is not None and field_descriptor.message_type.GetOptions().map_entry


MAX_GENERIC_DEPTH = 4


def scalar_strategy(field_descriptor: FieldDescriptor, depth: int, tame: bool, name: str | None = None) -> st.SearchStrategy[Any]:
    """One value of the field's type (a repeated field's item)."""
    kind = field_descriptor.type
    name = name or field_descriptor.name
    if field_descriptor.message_type is not None:
        if field_descriptor.message_type.full_name == "google.protobuf.Timestamp":
            return _timestamp_strategy(tame)
        return message_strategy(field_descriptor.message_type, depth + 1, tame)
    if kind == FieldDescriptor.TYPE_STRING:
        return text_strategy(name, tame)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64) if tame else st.one_of(st.binary(max_size=64), st.just(b"\x00" * (DEFAULT_BOUNDS.max_bytes + 1)))
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_ENUM:
        return enum_strategy(field_descriptor.enum_type, tame)
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        width = 32 if kind == FieldDescriptor.TYPE_FLOAT else 64
        finite = st.floats(width=width, allow_nan=False, allow_infinity=False)
        return finite if tame else st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -0.0]), st.floats(width=width))
    return integer_strategy(kind, name, tame)


def _small_item(field_descriptor: FieldDescriptor, tame: bool) -> st.SearchStrategy[Any]:
    """A short item, for lists of thousands of them (their size must stay under the message limit)."""
    if field_descriptor.message_type is not None:
        return st.sampled_from([empty(field_descriptor.message_type), _shallow(field_descriptor.message_type)])
    if field_descriptor.type == FieldDescriptor.TYPE_STRING:
        return st.sampled_from([text for text in SMALL_TEXT if not tame or _passes_text_bounds(text, field_descriptor.name)])
    if field_descriptor.type == FieldDescriptor.TYPE_BYTES:
        return st.just(b"x")
    if field_descriptor.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field_descriptor.type == FieldDescriptor.TYPE_ENUM:
        return st.sampled_from([0, 1] if tame else [0, 1, -1])
    if field_descriptor.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return st.sampled_from([0.0] if tame else [0.0, math.nan])
    return st.sampled_from([0, 1, -1] if INTEGER_RANGES[field_descriptor.type][0] < 0 and not tame else [0, 1])


def field_strategy(field_descriptor: FieldDescriptor, depth: int, tame: bool) -> st.SearchStrategy[Any]:
    """A hostile value for the whole field: a scalar, a list, or a map. Long lists and maps have as
    many items as the bounds allow, or (wild) one more."""
    limit = DEFAULT_BOUNDS.repeated_limit(field_descriptor.name)
    counts = st.sampled_from([limit] if tame else [limit, limit + 1])
    if is_map(field_descriptor):
        key_field = field_descriptor.message_type.fields_by_name["key"]
        value_field = field_descriptor.message_type.fields_by_name["value"]
        string_keys = key_field.type == FieldDescriptor.TYPE_STRING
        keys = text_strategy("map key", tame) if string_keys else integer_strategy(key_field.type, "key", tame)
        if string_keys and tame:
            keys = keys.filter(lambda key: len(key) <= DEFAULT_BOUNDS.max_map_key_length)
        values = scalar_strategy(value_field, depth, tame, name=field_descriptor.name)
        many = st.builds(lambda value, count: {(f"k{index}" if string_keys else index): value for index in range(count)},
                         _small_item(value_field, tame), counts)
        return st.one_of(st.dictionaries(keys, values, max_size=3), many)
    if field_descriptor.is_repeated:
        many = st.builds(lambda item, count: [item] * count, _small_item(field_descriptor, tame), counts)
        return st.one_of(st.lists(scalar_strategy(field_descriptor, depth, tame), max_size=3), many)
    return scalar_strategy(field_descriptor, depth, tame)


@functools.cache
def message_strategy(descriptor: Descriptor, depth: int = 0, tame: bool = False) -> st.SearchStrategy[Message]:
    """Any message of this type: each field absent or hostile, nested messages down to a depth."""
    if depth > MAX_GENERIC_DEPTH:
        return st.just(empty(descriptor))
    optional = {
        item.name: st.deferred(lambda item=item: field_strategy(item, depth, tame)) for item in descriptor.fields
    }
    return st.fixed_dictionaries({}, optional=optional).map(functools.partial(_build, descriptor))


def empty(descriptor: Descriptor) -> Message:
    return GetMessageClass(descriptor)()


def _shallow(descriptor: Descriptor) -> Message:
    """Every singular scalar field set to a small value: a cheap but non-empty item."""
    message = empty(descriptor)
    for item in descriptor.fields:
        if item.is_repeated or item.message_type is not None:
            continue
        value = {FieldDescriptor.TYPE_STRING: "x", FieldDescriptor.TYPE_BYTES: b"x", FieldDescriptor.TYPE_BOOL: True,
                 FieldDescriptor.TYPE_FLOAT: 1.0, FieldDescriptor.TYPE_DOUBLE: 1.0}.get(item.type, 1)
        setattr(message, item.name, value)
    return message


def assign(container: Message, field_descriptor: FieldDescriptor, value: Any) -> None:
    if is_map(field_descriptor):
        target = getattr(container, field_descriptor.name)
        target.clear()
        message_values = field_descriptor.message_type.fields_by_name["value"].message_type is not None
        for key, item in value.items():
            if message_values:
                target[key].CopyFrom(item)
            else:
                target[key] = item
    elif field_descriptor.is_repeated:
        target = getattr(container, field_descriptor.name)
        del target[:]
        target.extend(value)
    elif field_descriptor.message_type is not None:
        getattr(container, field_descriptor.name).CopyFrom(value)
    else:
        setattr(container, field_descriptor.name, value)


def _build(descriptor: Descriptor, values: dict[str, Any]) -> Message:
    message = empty(descriptor)
    for name, value in values.items():
        assign(message, descriptor.fields_by_name[name], value)
    return message

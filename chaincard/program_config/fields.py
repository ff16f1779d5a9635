"""Configuration messages as plain documents and back, driven by the message descriptors.

A *document* is what TOML and YAML hold: a mapping of proto field names to plain values (numbers,
strings, booleans, lists, mappings; enum values by name; timestamps as ISO 8601 text). Documents
become messages through ``google.protobuf.json_format`` after :func:`normalise` has checked every
field name and value against the descriptor, so a misspelt field is refused naming it before
anything is sent. Flags (``--field value``) are turned into a document the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor as FieldTypes
from google.protobuf.message import Message

from chaincard.program_config.entities import Descriptor, FieldDescriptor, field_named

MessageT = TypeVar("MessageT", bound=Message)
Document = dict[str, Any]

TIMESTAMP = "google.protobuf.Timestamp"
_INTEGERS = {FieldTypes.TYPE_INT32, FieldTypes.TYPE_INT64, FieldTypes.TYPE_UINT32, FieldTypes.TYPE_UINT64,
             FieldTypes.TYPE_SINT32, FieldTypes.TYPE_SINT64, FieldTypes.TYPE_FIXED32,
             FieldTypes.TYPE_FIXED64, FieldTypes.TYPE_SFIXED32, FieldTypes.TYPE_SFIXED64}
_FLOATS = {FieldTypes.TYPE_FLOAT, FieldTypes.TYPE_DOUBLE}
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class FieldError(ValueError):
    """A field a document or a flag cannot set: ``path`` names it (``tiers[0].bonus_fen``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---- messages -> documents -------------------------------------------------------------------------
def to_document(message: Message, zone: tzinfo = UTC) -> Document:
    """Every field of ``message`` (defaults too, so the document shows what can be set); enum
    values by name, timestamps in ``zone`` with their offset, unset sub-messages left out."""
    document: Document = {}
    descriptor: Descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        value = getattr(message, field.name)
        if is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            document[field.name] = {str(key): _plain(value_field, item, zone) for key, item in sorted(value.items())}
        elif is_repeated(field):
            document[field.name] = [_plain(field, item, zone) for item in value]
        elif field.message_type is not None and not message.HasField(field.name):
            continue
        else:
            document[field.name] = _plain(field, value, zone)
    return document


def _plain(field: FieldDescriptor, value: Any, zone: tzinfo) -> Any:
    if field.message_type is not None and field.message_type.full_name == TIMESTAMP:
        return value.ToDatetime(tzinfo=UTC).astimezone(zone).isoformat()
    if field.message_type is not None:
        return to_document(value, zone)
    if field.enum_type is not None:
        number = field.enum_type.values_by_number.get(value)
        return number.name if number is not None else value
    return value


# ---- documents -> messages -------------------------------------------------------------------------
def to_message(document: Mapping[str, Any], message_type: type[MessageT], zone: tzinfo) -> MessageT:
    """The message ``document`` describes (naive times are in ``zone``); FieldError names what is wrong."""
    message = message_type()
    normalised = normalise(document, message.DESCRIPTOR, zone)
    try:
        json_format.ParseDict(normalised, message)
    except json_format.ParseError as error:  # normalise checks first; this is the last guard
        raise FieldError(message.DESCRIPTOR.name, str(error)) from error
    return message


def normalise(document: Mapping[str, Any], descriptor: Descriptor, zone: tzinfo, path: str = "") -> Document:
    """``document`` with proto field names and values json_format reads; unknown fields and bad
    values raise FieldError naming the field."""
    if not isinstance(document, Mapping):
        raise FieldError(path or descriptor.name, f"give a table of {descriptor.name}'s fields, not {document!r}")
    normalised: Document = {}
    for name, raw in document.items():
        field = field_named(descriptor, str(name))
        where = _join(path, str(name))
        if field is None:
            known = ", ".join(f.name for f in descriptor.fields)
            raise FieldError(where, f"{descriptor.name} has no such field (its fields: {known})")
        normalised[field.name] = _field_value(field, raw, zone, _join(path, field.name))
    return normalised


def _field_value(field: FieldDescriptor, raw: Any, zone: tzinfo, path: str) -> Any:
    if is_map(field):
        if not isinstance(raw, Mapping):
            raise FieldError(path, f"give a table of key = value, not {raw!r}")
        value_field = field.message_type.fields_by_name["value"]
        return {str(key): _single(value_field, item, zone, f"{path}[{key}]") for key, item in raw.items()}
    if is_repeated(field):
        items = raw if isinstance(raw, Sequence) and not isinstance(raw, str) else [raw]
        return [_single(field, item, zone, f"{path}[{index}]") for index, item in enumerate(items)]
    return _single(field, raw, zone, path)


def _single(field: FieldDescriptor, raw: Any, zone: tzinfo, path: str) -> Any:  # noqa: PLR0911 - one case per kind
    if field.message_type is not None and field.message_type.full_name == TIMESTAMP:
        return _timestamp(raw, zone, path)
    if field.message_type is not None:
        return normalise(raw, field.message_type, zone, path)
    if field.enum_type is not None:
        return _enum(field.enum_type, raw, path)
    if field.type == FieldTypes.TYPE_BOOL:
        return _bool(raw, path)
    if field.type in _INTEGERS:
        return _integer(raw, path)
    if field.type in _FLOATS:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise FieldError(path, f"{raw!r} is not a number")
        try:
            return float(raw)
        except ValueError as error:
            raise FieldError(path, f"{raw!r} is not a number") from error
    if field.type == FieldTypes.TYPE_STRING:
        if isinstance(raw, bool) or isinstance(raw, Mapping | list):
            raise FieldError(path, f"{raw!r} is not text")
        return raw.isoformat() if isinstance(raw, date) else str(raw)  # YAML/TOML read 2026-12-01 as a date
    raise FieldError(path, f"fields of type {field.type} cannot be set from a document")


def _bool(raw: Any, path: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise FieldError(path, f"{raw!r} is not true or false")


def _integer(raw: Any, path: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip().replace("_", ""))
        except ValueError:
            pass
    raise FieldError(path, f"{raw!r} is not a whole number (money is in fen)")


def enum_choices(enum: Any) -> list[str]:
    """The values one may write: each name without the enum's common prefix, lower case (``cash_voucher``)."""
    prefix = _enum_prefix(enum)
    return [value.name[len(prefix):].lower() for value in enum.values if not value.name.endswith("_UNSPECIFIED")]


def _enum_prefix(enum: Any) -> str:
    names = [value.name for value in enum.values]
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind("_") + 1]


def _enum(enum: Any, raw: Any, path: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in enum.values_by_number:
        return enum.values_by_number[raw].name
    if isinstance(raw, str):
        wanted = raw.strip().upper().replace("-", "_")
        for name in (wanted, _enum_prefix(enum) + wanted):
            if name in enum.values_by_name:
                return name
    raise FieldError(path, f"{raw!r} is not one of {', '.join(enum_choices(enum))}")


def _timestamp(raw: Any, zone: tzinfo, path: str) -> str:
    """A date (midnight), a date and time, or ISO 8601 text; without an offset it is in ``zone``."""
    moment: datetime
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime.combine(raw, time())
    elif isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError as error:
            raise FieldError(path, f"{raw!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]") from error
    else:
        raise FieldError(path, f"{raw!r} is not a date or a time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- flags -> documents ----------------------------------------------------------------------------
def flag_document(descriptor: Descriptor, given: Mapping[str, Sequence[str]]) -> Document:
    """A document of the fields given as flags (``--name value``, each possibly repeated), before
    :func:`normalise`: repeated fields take comma lists or repeated flags (an empty value clears
    them), maps ``key=value`` items, message fields an inline YAML/JSON mapping."""
    document: Document = {}
    for name, texts in given.items():
        field = field_named(descriptor, name)
        if field is None:
            raise FieldError(name, f"{descriptor.name} has no such field")
        if is_map(field):
            document[field.name] = dict(_pair(item, field.name) for text in texts for item in _items(text))
        elif is_repeated(field) and field.message_type is not None and field.message_type.full_name != TIMESTAMP:
            document[field.name] = [_inline_mapping(text, field.name) for text in texts if text.strip()]
        elif is_repeated(field):
            document[field.name] = [item for text in texts for item in _items(text)]
        elif field.message_type is not None and field.message_type.full_name != TIMESTAMP:
            document[field.name] = _inline_mapping(texts[-1], field.name)
        else:
            document[field.name] = texts[-1]
    return document


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _pair(item: str, name: str) -> tuple[str, str]:
    key, equals, value = item.partition("=")
    if not equals or not key.strip():
        raise FieldError(name, f"{item!r} is not key=value")
    return key.strip(), value.strip()


def _inline_mapping(text: str, name: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FieldError(name, f"{text!r} is not a mapping such as {{min_amount_fen: 50000, bonus_fen: 5000}}") from error

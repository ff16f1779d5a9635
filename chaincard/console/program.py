"""Programme configuration pages: each kind of item, its form fields (every field of its proto
message: single values as inputs, lists, maps and nested messages as protobuf text in a text box),
a change as a diff before saving, and the Upsert RPC that saves it. HQ checks the item; its
INVALID_ARGUMENT, naming the field, is what the page shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import text_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from chaincard.v1 import program_config_pb2


@dataclass(frozen=True)
class ConfigKind:
    slug: str  # in the URL and the i18n catalog
    snapshot_field: str  # ConfigSnapshot's repeated field
    rpc: str  # ProgramConfigService method
    request_field: str  # the item's field in the request
    audit_kind: str  # the audit log's target_id is "<audit_kind>:<code>"

    def request(self, request_id: str, item: Message) -> Message:
        request_type = getattr(program_config_pb2, f"{self.rpc}Request")
        message: Message = request_type(request_id=request_id)
        getattr(message, self.request_field).CopyFrom(item)
        return message


KINDS: dict[str, ConfigKind] = {kind.slug: kind for kind in (
    ConfigKind("card_types", "card_types", "UpsertCardType", "card_type", "card_type"),
    ConfigKind("levels", "levels", "UpsertLevel", "level", "level"),
    ConfigKind("earn_rules", "earn_rules", "UpsertEarnRule", "earn_rule", "earn_rule"),
    ConfigKind("recharge_promotions", "recharge_promotions", "UpsertRechargePromotion", "promotion", "recharge_promotion"),
    ConfigKind("coupon_templates", "coupon_templates", "UpsertCouponTemplate", "coupon_template", "coupon_template"),
    ConfigKind("count_items", "count_items", "UpsertCountItem", "count_item", "count_item"),
)}

_INTEGERS = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
             FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64}


class FormError(ValueError):
    """A form value that does not fit its field (before HQ is asked); ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# Field descriptors are typed Any here: protobuf's stubs type them two ways (Python and upb).
def _is_repeated(field: Any) -> bool:
    # protobuf 6 has is_repeated; older releases only the label.
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else bool(field.label == FieldDescriptor.LABEL_REPEATED)


def _is_structured(field: Any) -> bool:
    """A list, a map or a nested message: edited as protobuf text (``field_text``)."""
    return _is_repeated(field) or field.type == FieldDescriptor.TYPE_MESSAGE


def editable_fields(message: Message) -> list[Any]:
    """The fields a form edits: all but bytes and floating point (no programme item has them:
    amounts are integer fen)."""
    fields: list[Any] = list(message.DESCRIPTOR.fields)
    return [field for field in fields
            if field.type not in (FieldDescriptor.TYPE_BYTES, FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)]


def field_text(message: Message, field: Any) -> str:
    """One structured field of ``message`` as protobuf text, one line per entry: what its text box
    holds (e.g. ``store_ids: "S-E-001"`` twice, or ``window { start: "09:00" end: "12:00" }``)."""
    only = type(message)()
    if _is_repeated(field):
        getattr(only, field.name).MergeFrom(getattr(message, field.name))
    elif message.HasField(field.name):
        getattr(only, field.name).CopyFrom(getattr(message, field.name))
    return text_format.MessageToString(only, as_utf8=True)


def _parse_field_text(current: Message, field: Any, text: str) -> Message:
    """The message ``text`` describes, which must set nothing but ``field``."""
    parsed = type(current)()
    try:
        text_format.Parse(text, parsed)
    except text_format.ParseError as error:
        raise FormError(field.name, f"is not valid protobuf text ({error})") from None
    others = [described.name for described, _ in parsed.ListFields() if described.name != field.name]
    if others:
        raise FormError(field.name, f"may set only {field.name}, not {', '.join(others)}")
    return parsed


def field_rows(message: Message) -> list[dict[str, Any]]:
    """One row per field for the item's page: name, shown value, whether the form edits it, and
    for an enum its choices."""
    editable = {field.name for field in editable_fields(message)}
    rows = []
    fields: list[Any] = list(message.DESCRIPTOR.fields)
    for field in fields:
        value = getattr(message, field.name)
        if field.type == FieldDescriptor.TYPE_ENUM and not _is_repeated(field):
            enum = field.enum_type
            shown = enum.values_by_number[value].name if value in enum.values_by_number else str(value)
            choices = [item.name for item in enum.values]
        else:
            shown = _show(field, value)
            choices = []
        raw = (field_text(message, field) if _is_structured(field) else value) if field.name in editable else None
        rows.append({"name": field.name, "value": shown, "editable": field.name in editable,
                     "kind": _kind(field), "choices": choices, "raw": raw})
    return rows


def _kind(field: Any) -> str:
    if _is_structured(field):
        return "textproto"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "bool"
    if field.type in _INTEGERS:
        return "int"
    if field.type == FieldDescriptor.TYPE_ENUM:
        return "enum"
    return "text"


def _show(field: Any, value: Any) -> str:
    if _is_structured(field):
        if field.type == FieldDescriptor.TYPE_MESSAGE and not _is_repeated(field):
            return text_format.MessageToString(value, as_one_line=True, as_utf8=True)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            return ", ".join(f"{key}={value[key]}" for key in sorted(value))
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return "; ".join(text_format.MessageToString(item, as_one_line=True, as_utf8=True) for item in value)
        return ", ".join(str(item) for item in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def apply_form(current: Message, form: Mapping[str, Any], *, new_code: str = "") -> Message:
    """A copy of ``current`` with the form's values for its editable fields (a missing checkbox is
    false). ``new_code`` sets the code of a new item."""
    changed = type(current)()
    changed.CopyFrom(current)
    for field in editable_fields(current):
        if field.name == "code" and not new_code:
            continue  # the key of an existing item does not change
        raw = form.get(f"f_{field.name}")
        if _is_structured(field):
            if raw is not None:
                parsed = _parse_field_text(current, field, str(raw))
                changed.ClearField(field.name)
                if _is_repeated(field):
                    getattr(changed, field.name).MergeFrom(getattr(parsed, field.name))
                elif parsed.HasField(field.name):
                    getattr(changed, field.name).CopyFrom(getattr(parsed, field.name))
            continue
        if field.type == FieldDescriptor.TYPE_BOOL:
            setattr(changed, field.name, raw in ("on", "true", "1"))
            continue
        if raw is None:
            continue
        text = str(raw).strip()
        if field.type in _INTEGERS:
            try:
                setattr(changed, field.name, int(text or "0"))
            except ValueError:
                raise FormError(field.name, "must be a whole number") from None
        elif field.type == FieldDescriptor.TYPE_ENUM:
            value = field.enum_type.values_by_name.get(text)
            if value is None:
                raise FormError(field.name, "is not one of the choices")
            setattr(changed, field.name, value.number)
        else:
            setattr(changed, field.name, text)
    if new_code:
        changed.code = new_code  # type: ignore[attr-defined]
    return changed


def diff(before: Message, after: Message) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field whose value differs."""
    rows = []
    before_rows = {row["name"]: row["value"] for row in field_rows(before)}
    for row in field_rows(after):
        if before_rows.get(row["name"]) != row["value"]:
            rows.append((row["name"], before_rows.get(row["name"], ""), row["value"]))
    return rows


def find(snapshot: program_config_pb2.ConfigSnapshot, kind: ConfigKind, code: str) -> Message | None:
    for item in getattr(snapshot, kind.snapshot_field):
        if getattr(item, "code", None) == code:
            found: Message = item
            return found
    return None


def new_item(kind: ConfigKind) -> Message:
    item_type = type(getattr(program_config_pb2.ConfigSnapshot(), kind.snapshot_field).add())
    message: Message = item_type()
    return message

"""Paths into protobuf messages, as the authorisation matrix writes them.

``query.scope.store_id`` follows singular fields; ``advices[].store_id`` visits every element of a
repeated field. A path through a ``oneof`` member that is not set reaches nothing (so a filter for
one kind of report never switches the request to another kind).
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _parts(path: str) -> list[tuple[str, bool]]:
    parts = []
    for part in path.split("."):
        repeated = part.endswith("[]")
        parts.append((part[:-2] if repeated else part, repeated))
    return parts


def slots(message: Message, path: str) -> Iterator[tuple[Message, str]]:
    """Every (message, field name) the path reaches: read with getattr, write with setattr."""
    parts = _parts(path)

    def walk(current: Message, index: int) -> Iterator[tuple[Message, str]]:
        name, repeated = parts[index]
        field = current.DESCRIPTOR.fields_by_name[name]
        if index == len(parts) - 1:
            if repeated:
                raise ValueError(f"{path}: the last part must be a singular field")
            yield current, name
            return
        if field.containing_oneof is not None and not current.HasField(name):
            return
        if repeated:
            for element in getattr(current, name):
                yield from walk(element, index + 1)
        else:
            yield from walk(getattr(current, name), index + 1)

    yield from walk(message, 0)


def values(message: Message, path: str) -> list[str]:
    """The non-empty string values the path reaches."""
    found = []
    for container, name in slots(message, path):
        value = getattr(container, name)
        if value:
            found.append(str(value))
    return found


def check_path(descriptor: Descriptor, path: str) -> None:
    """Raise ValueError unless ``path`` names a string field reachable from ``descriptor``."""
    current = descriptor
    parts = _parts(path)
    for index, (name, repeated) in enumerate(parts):
        field = current.fields_by_name.get(name)
        if field is None:
            raise ValueError(f"{descriptor.full_name} has no field {path!r} ({name!r} missing)")
        if repeated != _is_repeated(field):
            raise ValueError(f"{descriptor.full_name}.{path}: write {name}[] exactly when {name} is repeated")
        if index == len(parts) - 1:
            if field.type != FieldDescriptor.TYPE_STRING or repeated:
                raise ValueError(f"{descriptor.full_name}.{path} must end at a singular string field")
        else:
            if field.message_type is None:
                raise ValueError(f"{descriptor.full_name}.{path}: {name} is not a message")
            current = field.message_type

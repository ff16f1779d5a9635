"""``chaincard program ENTITY set|list|show|diff``: HQ's programme configuration from the command line.

One command group per entity of ``chaincard.program_config.entities.ENTITIES`` (card types, levels
and level rules, earn rules, recharge promotions, count items, coupon templates, fee schedules,
chain settings…), all generic over the proto descriptors:

- ``set [KEY] --field value …`` changes those fields of the running item (``--replace``: starts
  from an empty one); ``set --file x.toml|x.yaml`` sets the item(s) in the file as written.
- ``list`` a table; ``show [KEY]`` the item (every item without KEY) as TOML or YAML, a file
  ``set --file`` reads back; ``diff --file`` what ``set --file`` would change, exit 1 when
  anything would (0 when nothing), like ``diff``.

A field HQ's message does not have, or a value of the wrong kind, is refused naming the field with
exit status 2 before anything is sent. HQ checks what it receives and names the field at fault.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from chaincard.command_groups import command_group
from chaincard.program_config.entities import ENTITIES, ConfigEntity, columns_of, message_class
from chaincard.program_config.fields import FieldError, enum_choices, is_map, is_repeated

if TYPE_CHECKING:
    from google.protobuf.descriptor import FieldDescriptor
    from google.protobuf.message import Message

    from chaincard.v1 import program_config_pb2, program_config_pb2_grpc

    Stub = program_config_pb2_grpc.ProgramConfigServiceStub

DEADLINE_SECONDS = 10.0
FIELD_DEST = "field__"  # argparse dest of a field flag: field__<proto name>
USAGE_ERROR = 2


# ---- talking to HQ (also what ``chaincard coupon template`` uses) ---------------------------------
def snapshot(stub: Stub) -> program_config_pb2.ConfigSnapshot:
    """HQ's running configuration."""
    from chaincard.v1 import program_config_pb2 as pc

    return stub.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE_SECONDS).snapshot


def send(stub: Stub, entity: ConfigEntity, item: Message) -> tuple[Message, int]:
    """Set ``item`` through the entity's RPC (a fresh request id): the item as stored, the configuration version."""
    from chaincard.ids import new_id

    response = getattr(stub, entity.rpc)(entity.request(new_id(), item), timeout=DEADLINE_SECONDS)
    return entity.from_response(response), int(response.config_version)


# ---- set ---------------------------------------------------------------------------------------------
def given_flags(args: argparse.Namespace) -> dict[str, list[str]]:
    """The field flags given on the command line: proto field name -> its values."""
    return {dest[len(FIELD_DEST):]: values for dest, values in vars(args).items()
            if dest.startswith(FIELD_DEST) and values is not None}


def items_from_file(entity: ConfigEntity, path: str, zone: tzinfo) -> list[Message]:
    """Every item in the file, all checked before any is sent."""
    from chaincard.program_config.documents import load_documents
    from chaincard.program_config.fields import to_message

    items = []
    for index, document in enumerate(load_documents(path, entity.snapshot_field)):
        try:
            items.append(to_message(document, message_class(entity.message), zone))
        except FieldError as error:
            raise FieldError(f"{path}: item {index + 1}: {error.path}", str(error).partition(": ")[2]) from error
    return items


def flags_document(entity: ConfigEntity, args: argparse.Namespace, zone: tzinfo) -> dict[str, Any]:
    """The fields given as flags (checked), with the KEY argument as the key field."""
    from chaincard.program_config.fields import flag_document, normalise

    document = flag_document(entity.message, given_flags(args))
    key = getattr(args, "key", None)
    if entity.keyed:
        if key and document.get(entity.key_field, key) != key:
            raise FieldError(entity.key_field, f"{document[entity.key_field]!r} differs from the KEY argument {key!r}")
        document.setdefault(entity.key_field, key)
        if not document.get(entity.key_field):
            raise FieldError(entity.key_field, f"give the {entity.name}'s {entity.key_field} (KEY)")
    if not document:
        raise FieldError(entity.name, "give fields to set as --field value, or --file")
    normalise(document, entity.message, zone)
    return document


def item_from_flags(entity: ConfigEntity, document: dict[str, Any], running: Message | None, zone: tzinfo) -> Message:
    """The running item (if any) with the flags' fields replaced."""
    from chaincard.program_config.fields import to_document, to_message

    merged = to_document(running, zone) if running is not None else {}
    merged.update(document)
    return to_message(merged, message_class(entity.message), zone)


def run_set(entity: ConfigEntity, args: argparse.Namespace) -> int:
    from hq_service.cli import _chain_zone, _run_with

    zone = _chain_zone(args)
    try:
        if args.file and given_flags(args):
            raise FieldError("--file", "give fields either as flags or in the file, not both")
        items = items_from_file(entity, args.file, zone) if args.file else None
        document = flags_document(entity, args, zone) if items is None else {}
    except (FieldError, OSError) as error:
        return _usage(entity, "set", error)

    def body(stub: Stub, _: argparse.Namespace) -> None:
        wanted = items
        if wanted is None:
            key = str(document.get(entity.key_field, ""))
            running = None if args.replace else entity.find(snapshot(stub), key)
            wanted = [item_from_flags(entity, document, running, zone)]
        for item in wanted:
            stored, version = send(stub, entity, item)
            label = f"{entity.name} {entity.key_of(stored)}".strip()
            print(f"{label} set (configuration version {version})")

    return _run_with(_stub_class(), args, body)


# ---- list, show, diff -------------------------------------------------------------------------------
def _cell(value: Any) -> str | int:
    from chaincard.program_config.documents import inline

    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | str):
        return value
    return inline(value)


def run_list(entity: ConfigEntity, args: argparse.Namespace) -> int:
    from chaincard.program_config.fields import to_document
    from hq_service.cli import _chain_zone, _run_with
    from hq_service.report_tables import Cell, Table, render_text

    zone = _chain_zone(args)
    columns = columns_of(entity)

    def body(stub: Stub, _: argparse.Namespace) -> None:
        documents = [to_document(item, zone) for item in sorted(entity.running(snapshot(stub)), key=entity.key_of)]
        rows = [[_cell(document.get(column, "")) for column in columns] for document in documents]
        print(render_text(Table(title=entity.name, headers=columns, rows=[list[Cell](row) for row in rows])))

    return _run_with(_stub_class(), args, body)


def run_show(entity: ConfigEntity, args: argparse.Namespace) -> int:
    from chaincard.program_config.documents import dump
    from chaincard.program_config.fields import to_document
    from hq_service.cli import _chain_zone, _run_with

    zone = _chain_zone(args)
    missing: list[str] = []

    def body(stub: Stub, _: argparse.Namespace) -> None:
        running = entity.running(snapshot(stub))
        if args.key:
            running = [item for item in running if entity.key_of(item) == args.key]
        if not running:
            missing.append(args.key or "")
            return
        print(dump([to_document(item, zone) for item in running], entity.snapshot_field, args.format), end="")

    status = _run_with(_stub_class(), args, body)
    if missing:
        print(f"NOT_FOUND: no {' '.join(filter(None, [entity.name, args.key]))} in HQ's configuration", file=sys.stderr)
        return 1
    return status


def run_diff(entity: ConfigEntity, args: argparse.Namespace) -> int:
    from chaincard.program_config.diff import changes
    from chaincard.program_config.fields import to_document
    from hq_service.cli import _chain_zone, _run_with

    zone = _chain_zone(args)
    try:
        items = items_from_file(entity, args.file, zone)
    except (FieldError, OSError) as error:
        return _usage(entity, "diff", error)
    different: list[bool] = []

    def body(stub: Stub, _: argparse.Namespace) -> None:
        running = snapshot(stub)
        for item in items:
            label = f"{entity.name} {entity.key_of(item)}".strip()
            current = entity.find(running, entity.key_of(item))
            found = changes(to_document(current or entity.new_message(), zone), to_document(item, zone))
            if current is None:
                print(f"{label}: new")
            elif not found:
                print(f"{label}: unchanged")
            for change in found:
                print(f"{label}: {change.describe()}")
            different.append(current is None or bool(found))

    status = _run_with(_stub_class(), args, body)
    return status if status else int(any(different))


def _usage(entity: ConfigEntity, command: str, error: Exception) -> int:
    print(f"chaincard program {entity.name} {command}: {error}", file=sys.stderr)
    return USAGE_ERROR


def _stub_class() -> Callable[..., Stub]:
    from chaincard.v1 import program_config_pb2_grpc

    return program_config_pb2_grpc.ProgramConfigServiceStub


# ---- argument parsing -------------------------------------------------------------------------------
def _field_help(field: FieldDescriptor) -> tuple[str, str]:
    """(metavar, help) of a field's flag, from its type."""
    if is_map(field):
        return "KEY=VALUE", "map: KEY=VALUE items, comma-separated or repeated"
    if field.message_type is not None and field.message_type.full_name == "google.protobuf.Timestamp":
        return "TIME", "YYYY-MM-DD[THH:MM] (the chain's time zone unless an offset is given)"
    if field.message_type is not None:
        kind = "one per flag" if is_repeated(field) else "replaces the whole"
        return "{FIELD: VALUE,...}", f"{field.message_type.name} as an inline YAML/JSON mapping ({kind})"
    if field.enum_type is not None:
        choices = ",".join(enum_choices(field.enum_type))
        return "VALUE", f"one of {choices}" + (" (comma list or repeated)" if is_repeated(field) else "")
    kinds = {field.TYPE_BOOL: "true/false", field.TYPE_STRING: "text"}
    kind = kinds.get(field.type, "a number (money in fen, rates in basis points)")
    return "VALUE", kind + ("; repeated: comma list or repeated flags, '' clears" if is_repeated(field) else "")


def _add_field_flags(parser: argparse.ArgumentParser, entity: ConfigEntity) -> None:
    group = parser.add_argument_group(f"fields of {entity.message.name} (proto names; - or _ both work)")
    for field in entity.message.fields:
        names = dict.fromkeys([f"--{field.name.replace('_', '-')}", f"--{field.name}"])
        metavar, help_text = _field_help(field)
        if field.type == field.TYPE_BOOL and not is_repeated(field):
            group.add_argument(*names, dest=FIELD_DEST + field.name, action="append", nargs="?", const="true",
                               metavar="true|false", help="true/false (alone: true)")
        else:
            group.add_argument(*names, dest=FIELD_DEST + field.name, action="append", metavar=metavar, help=help_text)


def _add_entity(entities: argparse._SubParsersAction[argparse.ArgumentParser], entity: ConfigEntity) -> None:  # noqa: SLF001
    from hq_service.cli import _target_flags

    what = f"{entity.message.name} ({entity.rpc})"
    parser = entities.add_parser(entity.name, help=what)
    commands = parser.add_subparsers(dest="program_entity_command", required=True)
    key = f"the {entity.key_field}" if entity.keyed else ""

    # No abbreviations: a misspelt field must be refused, not taken for another it happens to prefix.
    setter = commands.add_parser("set", help=f"set a {entity.message.name} from flags or a TOML/YAML file", allow_abbrev=False)
    if entity.keyed:
        setter.add_argument("key", nargs="?", metavar="KEY", help=f"{key} (or --{entity.key_field.replace('_', '-')})")
    setter.add_argument("--file", help="set the item(s) in this .toml/.yaml file as written (fields absent: default)")
    setter.add_argument("--replace", action="store_true", help="flags start from an empty item, not the running one")
    _add_field_flags(setter, entity)
    setter.set_defaults(handler=lambda args: run_set(entity, args))

    listing = commands.add_parser("list", help=f"the {entity.message.name} items in HQ's configuration")
    listing.set_defaults(handler=lambda args: run_list(entity, args))

    show = commands.add_parser("show", help=f"a {entity.message.name} as TOML or YAML (every one without KEY)")
    if entity.keyed:
        show.add_argument("key", nargs="?", metavar="KEY", help=key)
    else:
        show.set_defaults(key=None)
    show.add_argument("--format", choices=("toml", "yaml"), default="toml")
    show.set_defaults(handler=lambda args: run_show(entity, args))

    diff = commands.add_parser("diff", help="what `set --file` would change, field by field (exit 1 if anything)")
    diff.add_argument("--file", required=True, help="a .toml/.yaml file as `set --file` reads")
    diff.set_defaults(handler=lambda args: run_diff(entity, args))
    for sub in (setter, listing, show, diff):
        _target_flags(sub)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001 - argparse has no public type for it
    """``chaincard program ENTITY set|list|show|diff`` for every entity HQ configures."""
    entities = command_group(commands, "program", "HQ's programme configuration: card types, levels, rules, promotions…")
    for entity in ENTITIES.values():
        _add_entity(entities, entity)

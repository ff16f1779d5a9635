"""Audit entries as tables (H4): a compact one for the terminal and the full one exported to CSV or
XLSX through the report exporter (hq_service.report_export), so audit files look like every other
export of the chain."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from chaincard.v1 import audit_pb2
from hq_service.report_tables import Cell, Fen, Table

EXPORT_HEADERS = [
    "occurred at", "who", "operator", "role", "scope", "from", "producer", "action", "target type", "target", "store",
    "franchisee", "region", "outcome", "amount", "reason", "before", "after", "request id", "entry id",
]
SCREEN_HEADERS = ["occurred at", "who", "from", "action", "target", "store", "outcome", "reason"]


def _when(entry: audit_pb2.AuditEntry, zone: ZoneInfo) -> str:
    return entry.occurred_at.ToDatetime(tzinfo=zone).isoformat(timespec="seconds")


def export_table(entries: Iterable[audit_pb2.AuditEntry], zone: ZoneInfo, title: str = "Audit log") -> Table:
    """Every field of every entry, times in ``zone`` (the chain's), money in yuan."""
    table = Table(title, EXPORT_HEADERS)
    for entry in entries:
        texts = [entry.actor or entry.operator_id, entry.operator_id, entry.operator_role.removeprefix("OPERATOR_ROLE_"),
                 entry.operator_scope, entry.origin, entry.producer, entry.action, entry.target_type, entry.target_id, entry.store_id, entry.franchisee_id,
                 entry.region_code, entry.outcome]
        row: list[Cell] = [_when(entry, zone), *texts, Fen(entry.amount_fen)]
        row += [entry.reason, entry.before_json, entry.after_json, entry.request_id, entry.entry_id]
        table.rows.append(row)
    return table


def screen_table(entries: Iterable[audit_pb2.AuditEntry], zone: ZoneInfo, title: str = "Audit log") -> Table:
    table = Table(title, SCREEN_HEADERS)
    for entry in entries:
        table.rows.append([_when(entry, zone), entry.actor or entry.operator_id or f"({entry.producer})", entry.origin,
                           entry.action,
                           f"{entry.target_type} {entry.target_id}", entry.store_id, entry.outcome, entry.reason])
    return table

"""What a caller of the settlement service needs beside the generated stubs: the metadata that
closes a business day early, and fetching a statement's files with each SHA-256 checked.

Shared by the service (which reads the metadata), its CLI (``chaincard settle``, ``chaincard
statement export``) and the demo, none of which may import another's package.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import grpc

from chaincard.v1 import common_pb2, settlement_pb2, settlement_pb2_grpc

# Metadata a caller sets to settle a business day before its cut-off (the demo; an operator
# closing a day early). Records arriving afterwards settle in the next run as adjustments.
CLOSE_EARLY_METADATA = "chaincard-close-day-early"
# File format names as the CLI takes them → chaincard.v1.ExportFormat values.
FORMAT_NAMES = {"csv": common_pb2.EXPORT_FORMAT_CSV, "xlsx": common_pb2.EXPORT_FORMAT_XLSX, "pdf": common_pb2.EXPORT_FORMAT_PDF}
EXPORT_DEADLINE_SECONDS = 60.0


def export_statement_files(channel: grpc.Channel, statement_id: str, formats: list[str], out_dir: Path) -> list[tuple[Path, str]]:
    """Fetch a statement's files over ExportStatement on ``channel`` into ``out_dir``; checks each SHA-256."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    stub = settlement_pb2_grpc.SettlementServiceStub(channel)
    for file_format in formats:
        data, name, claimed = bytearray(), "", ""
        request = settlement_pb2.ExportStatementRequest(statement_id=statement_id, format=FORMAT_NAMES[file_format])
        for response in stub.ExportStatement(request, timeout=EXPORT_DEADLINE_SECONDS):
            name = response.chunk.file_name or name
            data += response.chunk.data
            claimed = response.chunk.sha256_hex or claimed
        digest = hashlib.sha256(data).hexdigest()
        if digest != claimed:
            raise RuntimeError(f"{name}: received bytes hash to {digest}, the service said {claimed}")
        target = out_dir / name
        target.write_bytes(bytes(data))
        written.append((target, digest))
    return written

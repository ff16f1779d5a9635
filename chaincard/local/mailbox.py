"""A local SMTP server (aiosmtpd) that keeps every message it accepts: the demo points HQ's e-mail
channel at it (``Chain(hq_env=…)``) and prints what members would have received."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from chaincard.local.ports import free_port


@dataclass(frozen=True)
class CaughtMail:
    recipients: tuple[str, ...]
    message: EmailMessage
    received_at: datetime

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content().strip() if isinstance(part, EmailMessage) else ""


class LocalMailbox:
    """Start with ``start()``, stop with ``stop()`` (or use it as a context manager)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port()
        self._lock = threading.Lock()
        self._caught: list[CaughtMail] = []
        self._controller = Controller(self, hostname=host, port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._caught.append(CaughtMail(tuple(envelope.rcpt_tos), message, datetime.now(UTC)))
        return "250 OK"

    def hq_env(self, sender: str = "hello@chaincard.example") -> dict[str, str]:
        """HQ's settings (as environment) that send its e-mail here."""
        return {"CHAINCARD_NOTIFICATION_SMTP_HOST": self.host, "CHAINCARD_NOTIFICATION_SMTP_PORT": str(self.port),
                "CHAINCARD_NOTIFICATION_SMTP_FROM": sender}

    def messages(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._caught)

    def to(self, address: str) -> list[CaughtMail]:
        return [mail for mail in self.messages() if address in mail.recipients]

    def start(self) -> LocalMailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalMailbox:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

"""Channels a notice goes out on (N5): one small interface, several implementations.

``send`` gets one rendered notice and either returns (delivered, or accepted by the gateway) or
raises: ``DeliveryError`` for a failure worth retrying later, ``UndeliverableNotice`` for one that
never will succeed (no phone on file, address refused). Every notice carries a stable
``notice_id``: gateways that deduplicate on a client id (most SMS gateways do) then drop the
resend that follows a crash between sending and recording it as sent.

Contact details: HQ holds masked PII only (DESIGN §2). The real gateways therefore take a
``ContactResolver`` that asks the member's home region for the address at sending time; the
log channel needs none.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingNotice:
    notice_id: str
    member_id: str
    home_region: str
    # Masked, for logs and the log channel; never enough to deliver.
    phone_masked: str
    card_number: str
    # NotificationEvent and NotificationChannel short names, e.g. "RECHARGE", "SMS".
    event: str
    channel: str
    template_code: str
    text: str


class DeliveryError(Exception):
    """Not delivered this time; try again later."""


class UndeliverableNotice(Exception):
    """Will never be delivered (no address, refused); do not retry."""


class NotificationChannel(Protocol):
    name: str

    def send(self, notice: OutgoingNotice) -> None: ...


# (member id, home region, channel name) → the phone, WeChat openid or e-mail address; None if none.
ContactResolver = Callable[[str, str, str], str | None]


class LogChannel:
    """Writes each notice as one JSON line to a file (and to the process log): the demo's and the
    tests' channel, and a safe default wherever no gateway is configured."""

    def __init__(self, name: str, path: str | Path | None = None) -> None:
        self.name = name
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def send(self, notice: OutgoingNotice) -> None:
        record = {**asdict(notice), "delivered_by": f"log:{self.name}"}
        log.info("notice", extra={"fields": {"notice_id": notice.notice_id, "channel": notice.channel, "text": notice.text}})
        if self.path is None:
            return
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)


def _post_json(url: str, body: dict[str, object], headers: dict[str, str], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - operator-configured URL
            payload = response.read()
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500 and error.code != 429:
            raise UndeliverableNotice(f"gateway refused the notice: HTTP {error.code}") from error
        raise DeliveryError(f"gateway answered HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(f"gateway unreachable: {error}") from error
    return json.loads(payload or b"{}")


class SmsGatewayChannel:
    """An HTTP JSON SMS gateway: POST {to, text, client_message_id}; the id deduplicates resends."""

    def __init__(self, url: str, resolve_contact: ContactResolver, *, api_key: str = "", timeout: float = 5.0) -> None:
        self.name = "SMS"
        self.url = url
        self.resolve_contact = resolve_contact
        self.api_key = api_key
        self.timeout = timeout

    def send(self, notice: OutgoingNotice) -> None:
        phone = self.resolve_contact(notice.member_id, notice.home_region, self.name)
        if not phone:
            raise UndeliverableNotice("no phone number on file")
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        _post_json(self.url, {"to": phone, "text": notice.text, "client_message_id": notice.notice_id}, headers, self.timeout)


class WeChatTemplateChannel:
    """A WeChat official-account template message (message/template/send) to the member's openid."""

    def __init__(self, url: str, template_id: str, resolve_contact: ContactResolver, *, timeout: float = 5.0) -> None:
        self.name = "WECHAT"
        self.url = url  # includes the access token, e.g. …/cgi-bin/message/template/send?access_token=…
        self.template_id = template_id
        self.resolve_contact = resolve_contact
        self.timeout = timeout

    def send(self, notice: OutgoingNotice) -> None:
        openid = self.resolve_contact(notice.member_id, notice.home_region, self.name)
        if not openid:
            raise UndeliverableNotice("the member has not followed the official account")
        answer = _post_json(self.url, {
            "touser": openid, "template_id": self.template_id, "client_msg_id": notice.notice_id,
            "data": {"first": {"value": notice.text}},
        }, {}, self.timeout)
        if answer.get("errcode", 0) not in (0, None):
            raise DeliveryError(f"WeChat answered errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


class EmailChannel:
    """Plain-text e-mail over SMTP; the notice id goes into Message-ID so resends are recognisable."""

    def __init__(self, host: str, port: int, sender: str, resolve_contact: ContactResolver, *, timeout: float = 10.0) -> None:
        self.name = "EMAIL"
        self.host, self.port, self.sender = host, port, sender
        self.resolve_contact = resolve_contact
        self.timeout = timeout

    def send(self, notice: OutgoingNotice) -> None:
        address = self.resolve_contact(notice.member_id, notice.home_region, self.name)
        if not address:
            raise UndeliverableNotice("no e-mail address on file")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = "会员卡通知 Card notice"
        message["Message-ID"] = f"<{notice.notice_id}@chaincard>"
        message.set_content(notice.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise UndeliverableNotice(f"address refused: {error}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP failed: {error}") from error

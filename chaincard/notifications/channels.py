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
import time
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
    # The e-mail subject; "" = the chain's generic one.
    subject: str = ""


class DeliveryError(Exception):
    """Not delivered this time; try again later."""


class UndeliverableNotice(Exception):
    """Will never be delivered (no address, refused); do not retry."""


class OptedOut(UndeliverableNotice):
    """The member's home region says they opted out of this channel: nothing is sent."""


class NotificationChannel(Protocol):
    name: str

    def send(self, notice: OutgoingNotice) -> None: ...


# The notice → the address for its channel (phone, WeChat openid or e-mail), fetched from the
# member's home region at send time and never kept (hq_service.notice_contacts). It raises
# UndeliverableNotice (none on file, erased), OptedOut, or DeliveryError (region not answering).
ContactResolver = Callable[[OutgoingNotice], str]


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


@dataclass(frozen=True)
class HttpGateway:
    """Where and how an HTTP notice gateway is called: URL, an optional auth header, and retries.

    Each send is tried up to ``attempts`` times with doubling pauses (``backoff_seconds``): 5xx, 429
    and timeouts are retried, other 4xx answers are permanent. The notice id goes in the
    ``Idempotency-Key`` header (and the body), so a gateway drops a repeat of a send it took."""

    url: str
    auth_header: str = ""  # e.g. "Authorization: Bearer …"; "" sends none
    timeout: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 0.2

    def headers(self, idempotency_key: str) -> dict[str, str]:
        headers = {"Idempotency-Key": idempotency_key}
        if self.auth_header:
            name, _, value = self.auth_header.partition(":")
            headers[name.strip()] = value.strip()
        return headers

    def post(self, body: dict[str, object], idempotency_key: str) -> dict[str, Any]:
        pause = self.backoff_seconds
        for attempt in range(1, max(self.attempts, 1) + 1):
            try:
                return _post_json(self.url, body, self.headers(idempotency_key), self.timeout)
            except DeliveryError:
                if attempt >= self.attempts:
                    raise
            time.sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover


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
        raise DeliveryError(f"gateway unreachable: {type(error).__name__}") from error
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


class SmsGatewayChannel:
    """An HTTP JSON SMS gateway: POST {to, text, client_message_id}; the id deduplicates resends."""

    # A resend after a crash carries the same key: the gateway drops it (at least once, deduplicated).
    deduplicates = True

    def __init__(self, gateway: HttpGateway, resolve_contact: ContactResolver) -> None:
        self.name = "SMS"
        self.gateway = gateway
        self.resolve_contact = resolve_contact

    def send(self, notice: OutgoingNotice) -> None:
        phone = self.resolve_contact(notice)
        self.gateway.post({"to": phone, "text": notice.text, "client_message_id": notice.notice_id}, notice.notice_id)


class WeChatTemplateChannel:
    """A WeChat official-account template message (message/template/send) to the member's openid,
    through the same HTTP mechanism (the URL includes the access token)."""

    deduplicates = True

    def __init__(self, gateway: HttpGateway, template_id: str, resolve_contact: ContactResolver) -> None:
        self.name = "WECHAT"
        self.gateway = gateway
        self.template_id = template_id
        self.resolve_contact = resolve_contact

    def send(self, notice: OutgoingNotice) -> None:
        openid = self.resolve_contact(notice)
        answer = self.gateway.post({
            "touser": openid, "template_id": self.template_id, "client_msg_id": notice.notice_id,
            "data": {"first": {"value": notice.text}},
        }, notice.notice_id)
        if answer.get("errcode", 0) not in (0, None):
            raise DeliveryError(f"WeChat answered errcode {answer.get('errcode')}")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = ""
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0


class EmailChannel:
    """Plain-text e-mail over SMTP; the notice id goes into Message-ID so a repeat is recognisable.

    SMTP servers do not drop repeats, so the dispatcher never resends an e-mail whose outcome is
    unknown (at most once, docs/adr/0053)."""

    deduplicates = False

    def __init__(self, smtp: SmtpSettings, resolve_contact: ContactResolver) -> None:
        self.name = "EMAIL"
        self.smtp = smtp
        self.resolve_contact = resolve_contact

    def send(self, notice: OutgoingNotice) -> None:
        address = self.resolve_contact(notice)
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = address
        message["Subject"] = notice.subject or "会员卡通知 Card notice"
        message["Message-ID"] = f"<{notice.notice_id}@chaincard>"
        message.set_content(notice.text)
        # Errors name no address: they end up in HQ's notices table and logs.
        try:
            with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout) as smtp:
                if self.smtp.starttls:
                    smtp.starttls()
                if self.smtp.username:
                    smtp.login(self.smtp.username, self.smtp.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise UndeliverableNotice(f"address refused by the SMTP server: {codes}") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise UndeliverableNotice(f"SMTP refused the message: {error.smtp_code}") from error
            raise DeliveryError(f"SMTP answered {error.smtp_code}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP failed: {type(error).__name__}") from error

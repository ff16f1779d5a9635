"""Phone numbers: normalised, indexed by HMAC chain-wide (DESIGN §2), masked everywhere else."""

from __future__ import annotations

import hashlib
import hmac
import re

_SEPARATORS = re.compile(r"[\s\-()]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(raw: str) -> str | None:
    """The 11-digit mainland mobile number, or None if ``raw`` is not one (+86 and separators allowed)."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
    return digits if _CN_MOBILE.match(digits) else None


def phone_hmac(normalised_phone: str, key: str) -> str:
    return hmac.new(key.encode(), normalised_phone.encode(), hashlib.sha256).hexdigest()


def mask_phone(normalised_phone: str) -> str:
    return normalised_phone[:3] + "****" + normalised_phone[-4:]


def mask_email(email: str) -> str:
    """``li.wei@example.com`` → ``l***@example.com``: enough for a person to recognise, not to write to."""
    local, at, domain = email.partition("@")
    if not at:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"

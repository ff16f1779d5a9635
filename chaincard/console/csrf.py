"""Cross-site request forgery: every POST must come from a page of this console.

Two checks, both required: the request's Origin (or, when a browser sends none, its Referer) is the
console's own origin, and the form carries the session's CSRF token. The cookie is SameSite=Strict
as well; these hold even where a browser ignores that.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

CSRF_FIELD = "csrf_token"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (lower case, default ports dropped); "" if not a URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" if port in (None, default) else f"{parts.scheme}://{host}:{port}"


def same_origin(origin_header: str | None, referer_header: str | None, allowed: set[str]) -> bool:
    """Whether the request comes from one of the ``allowed`` origins. Origin decides when sent
    (``null`` never passes); else Referer; a request with neither is refused."""
    if origin_header:
        return origin_of(origin_header) in allowed
    if referer_header:
        return origin_of(referer_header) in allowed
    return False


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the form's."""
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())

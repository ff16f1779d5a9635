"""The console's own HTTP behaviour, served by uvicorn with no chain behind it (HQ unreachable):
sessions, cookies, CSRF and headers. What operators see of a chain is tested against a real one (tests/e2e/console/)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from chaincard.console.app import SECURE_SESSION_COOKIE, SESSION_COOKIE, create_app
from chaincard.console.backend import Backend, ConsoleTargets
from chaincard.local.broker import free_port


@contextmanager
def _serve(**options) -> Iterator[str]:
    """The console served by uvicorn in a thread, as `chaincard up --console` does."""
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens: HQ does not answer
    app = create_app(Backend(ConsoleTargets(hq_endpoint=nowhere, settlement_endpoint=nowhere)), **options)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def plain() -> Iterator[str]:
    with _serve() as url:
        yield url


@pytest.fixture(scope="module")
def https_console() -> Iterator[str]:
    with _serve(secure_cookies=True) as url:
        yield url


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, follow_redirects=False, timeout=30)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_pages_send_to_log_in_and_carry_strict_headers(plain):
    client = _client(plain)
    answer = client.get("/members?q=1")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fmembers%3Fq%3D1"
    form = client.get("/login")
    assert form.status_code == 200
    headers = form.headers
    assert "script-src 'self'" in headers["content-security-policy"] and "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower().replace("samesite", "")
    assert "strict-transport-security" not in headers
    assert client.get("/static/console.js").headers.get("cache-control") != "no-store"


def test_a_log_in_post_needs_the_origin_and_the_forms_csrf_token(plain):
    client = _client(plain)
    token = _csrf(client.get("/login").text)
    assert client.post("/login", data={"csrf_token": token, "login_name": "a", "password": "b"}).status_code == 403  # no Origin
    evil = client.post("/login", data={"csrf_token": token, "login_name": "a", "password": "b"},
                       headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    wrong = client.post("/login", data={"csrf_token": "x", "login_name": "a", "password": "b"}, headers={"origin": plain})
    assert wrong.status_code == 403
    # The right token from the right origin reaches HQ, which does not answer here.
    unavailable = client.post("/login", data={"csrf_token": token, "login_name": "a", "password": "b"},
                              headers={"origin": plain})
    assert unavailable.status_code == 503 and "login-message" in unavailable.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_the_language_switch_never_leaves_the_console(plain, target):
    client = _client(plain)
    answer = client.get("/lang", params={"to": "zh", "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "lang=zh" in answer.headers["set-cookie"]
    assert "登录" in client.get("/login").text


def test_over_https_cookies_are_secure_and_host_only(https_console):
    # Served over plain HTTP here, as behind a TLS-terminating proxy (--secure-cookies).
    client = _client(https_console)
    form = client.get("/login")
    cookie = form.headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_SESSION_COOKIE}=") and "; secure" in cookie.lower() and "domain" not in cookie.lower()
    assert form.headers["strict-transport-security"].startswith("max-age=")

"""The web console (issue 19) served by uvicorn in a thread of the test process, against the
session's whole chain (tests/e2e/conftest.py: real processes, mutual TLS, HQ-signed tokens), with
operators of each role made by the chain's HQ admin and logged in through the console's own form."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from chaincard.console.app import create_app
from chaincard.console.backend import Backend, ConsoleTargets
from chaincard.console.cli import LOCAL_SETTLEMENT_KEY_DIR
from chaincard.ids import new_id
from chaincard.local.accounts import ensure_operator, operator_token
from chaincard.local.broker import free_port
from chaincard.rpc.transport import Transport
from chaincard.security.identity import Role, Scope
from chaincard.settlement_client import CLOSE_EARLY_METADATA
from chaincard.v1 import settlement_pb2, settlement_pb2_grpc
from tests.support.cards import funded_card
from tests.support.regions import clients_for

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
FRANCHISEE = "F-AURORA"
FRANCHISEE_STORE = "S-E-002"  # Aurora's one store, in region E
SETTLED_DAY = "2026-01-05"


@dataclass(frozen=True)
class Account:
    login_name: str
    password: str


@dataclass(frozen=True)
class ConsoleServer:
    url: str
    accounts: dict[str, Account]
    card_number: str  # a member's card opened at Aurora's store, with points to adjust

    def client(self) -> httpx.Client:
        """A browser-like HTTP client (cookies kept; Origin sent on POSTs as a browser does)."""
        return httpx.Client(base_url=self.url, headers={"origin": self.url}, follow_redirects=False, timeout=60)

    @contextmanager
    def logged_in(self, role: str) -> Iterator[httpx.Client]:
        with self.client() as client:
            log_in(client, self.accounts[role])
            yield client


def csrf_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client: httpx.Client, account: Account) -> httpx.Response:
    form = client.get("/login")
    assert form.status_code == 200, form.text
    answer = client.post("/login", data={"csrf_token": csrf_of(form.text), "login_name": account.login_name,
                                         "password": account.password, "next": "/"})
    assert answer.status_code == 303, answer.text
    return answer


@pytest.fixture(scope="session")
def console(chain) -> Iterator[ConsoleServer]:
    accounts = {
        role: Account(login, ensure_operator(chain, login, Role[role], scope, display_name=f"console {role.lower()}"))
        for role, login, scope in (
            ("HQ_ADMIN", "console-hq-admin", Scope.chain()),
            ("HQ_FINANCE", "console-finance", Scope.chain()),
            ("FRANCHISEE_ADMIN", "console-franchisee", Scope.franchisee(FRANCHISEE)),
            ("STORE_MANAGER", "console-manager", Scope.store(FRANCHISEE_STORE)),
        )
    }
    with chain.channel(f"store-{FRANCHISEE_STORE}") as till:
        card_number = funded_card(clients_for(till), 50_000, store_id="", name="控制台 Console")
    targets = ConsoleTargets(hq_endpoint=chain.hq_endpoint, settlement_endpoint=chain.endpoint_of("settlement"),
                             transport=Transport.from_directory(chain.tls_dir, "client:ops"),
                             local_settlement_key_dir=str(Path(chain.data_dir) / LOCAL_SETTLEMENT_KEY_DIR))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Backend(targets)), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield ConsoleServer(f"http://127.0.0.1:{port}", accounts, card_number)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def settled_day(chain, console: ConsoleServer) -> str:
    """A business day settled by HQ finance, one nobody else settles (tests/e2e/test_chain.py settles
    today's): the run has no clearing records, and still one statement per franchisee, each with
    its files listed in the signed manifest.json."""
    token = operator_token(chain, "console-finance", Role.HQ_FINANCE, Scope.chain())
    with chain.channel("settlement", token=token) as channel:
        run = settlement_pb2_grpc.SettlementServiceStub(channel).RunSettlement(
            settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=SETTLED_DAY), timeout=120,
            metadata=((CLOSE_EARLY_METADATA, "1"),)).run
    assert run.statement_count >= 1, run
    return SETTLED_DAY

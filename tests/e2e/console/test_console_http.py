"""The web console over real HTTP against a whole running chain (issue 19): log-in keeps the
token on the server, each role sees what its scope allows and a 403 page for the rest (HQ's own
refusals, passed on), CSRF and missing sessions are refused, a points adjustment lands in the audit
log, and a franchisee's statement downloads with the SHA-256 its run's manifest lists."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import httpx
import pytest

from chaincard.ids import new_id
from chaincard.security.tokens import TOKEN_PREFIX
from tests.e2e.console.conftest import FRANCHISEE, FRANCHISEE_STORE, ConsoleServer, csrf_of

pytestmark = pytest.mark.e2e

TOKEN_SHAPE = re.compile(re.escape(TOKEN_PREFIX) + r"\.[A-Za-z0-9_-]{20,}")


def _member_page(client: httpx.Client, card_number: str, *, timeout: float = 30) -> str:
    """The member 360 page of ``card_number``'s holder, once HQ's member view has the card."""
    deadline = time.monotonic() + timeout
    while True:
        found = client.get("/members", params={"q": card_number})
        if found.status_code == 303:
            page = client.get(found.headers["location"])
            if card_number in page.text:
                return page.text
        assert time.monotonic() < deadline, f"the member view never showed {card_number}: {found.status_code}"
        time.sleep(0.5)


STORE_ROW = re.compile(r'<tr data-store="(?P<store>[^"]+)" data-state="(?P<state>[a-z_]+)">.*?'
                       r'<td class="num">(?:<span class="muted">)?(?P<depth>[^<]*)<', re.S)


def _store_row(html: str, store_id: str) -> dict[str, str]:
    """The operations page's row of ``store_id``: its state and queue depth (as shown)."""
    rows = {match["store"]: match.groupdict() for match in STORE_ROW.finditer(html)}
    assert store_id in rows, f"{store_id} is not listed on the operations page"
    return rows[store_id]


def _table(page: str, table_id: str) -> str:
    """The body of the page's table ``table_id`` ("" when the page has none)."""
    if f'id="{table_id}"' not in page:
        return ""
    return page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def _wait_for_page(client: httpx.Client, path: str, ready, *, timeout: float = 30) -> str:  # type: ignore[no-untyped-def]
    """The page at ``path`` once ``ready(text)`` (HQ's read models follow the events by seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(path)
        assert page.status_code == 200, page.text
        if ready(page.text):
            return page.text
        assert time.monotonic() < deadline, f"{path} never got ready"
        time.sleep(0.5)


# ---- without a session, from another site -------------------------------------------------------------------------
def test_pages_without_a_session_send_to_log_in_and_actions_are_refused(console: ConsoleServer):
    with console.client() as anonymous:
        for path in ("/", "/members", "/audit", "/config", "/statements", "/operations", "/audit.csv"):
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
        posted = anonymous.post(f"/cards/{console.card_number}/adjust_points",
                                data={"points_delta": "5", "reason": "no session"})
        assert posted.status_code == 403
        assert anonymous.get("/static/console.css").status_code == 200


def test_log_in_keeps_the_token_on_the_server(console: ConsoleServer):
    with console.client() as client:
        form = client.get("/login")
        assert form.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
        assert form.headers["x-frame-options"] == "DENY" and form.headers["cache-control"] == "no-store"
        wrong = client.post("/login", data={"csrf_token": csrf_of(form.text), "login_name": "console-hq-admin",
                                            "password": "not the password"})
        assert wrong.status_code == 401 and "login-message" in wrong.text
        account = console.accounts["HQ_ADMIN"]
        answer = client.post("/login", data={"csrf_token": csrf_of(client.get("/login").text),
                                             "login_name": account.login_name, "password": account.password})
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Path=/" in cookie
        pages = [client.get(path) for path in ("/", "/members", "/audit", "/config", "/operations")]
        assert [page.status_code for page in pages] == [200] * 5
        for page in (answer, *pages):
            assert not TOKEN_SHAPE.search(page.text) and not TOKEN_SHAPE.search(str(page.headers)), page.url
        assert all(not TOKEN_SHAPE.search(value) for value in client.cookies.values())
        # Log-in replaced the anonymous session: the id the form was served with is not the logged-in one.
        assert "<script>" not in pages[0].text and "onclick" not in pages[0].text  # no inline script (CSP)


def test_a_post_from_another_origin_or_without_the_csrf_token_is_refused(console: ConsoleServer):
    with console.logged_in("STORE_MANAGER") as manager:
        form = manager.get(f"/cards/{console.card_number}/adjust_points")
        assert form.status_code == 200, form.text
        good = {"csrf_token": csrf_of(form.text), "request_id": new_id(), "points_delta": "7", "reason": "csrf check"}
        # The stolen cookie, sent by a page of another site: its Origin gives it away.
        forged = manager.post(f"/cards/{console.card_number}/adjust_points", data=good, headers={"origin": "https://evil.example"})
        assert forged.status_code == 403 and "Origin" in forged.text
        no_origin = manager.post(f"/cards/{console.card_number}/adjust_points", data=good,
                                 headers={"origin": "", "referer": "https://evil.example/page"})
        assert no_origin.status_code == 403
        without_token = manager.post(f"/cards/{console.card_number}/adjust_points",
                                     data={**good, "csrf_token": "guessed"})
        assert without_token.status_code == 403 and "CSRF" in without_token.text


# ---- each role's scope ---------------------------------------------------------------------------------------------
def test_hq_admin_sees_the_chain_and_is_refused_statements(console: ConsoleServer):
    with console.logged_in("HQ_ADMIN") as admin:
        board = admin.get("/", params={"period": "week"})
        assert board.status_code == 200 and "¥" in board.text and 'data-chart="' in board.text
        assert "S-W-002" in board.text  # every store is in the chain's scope
        # The level mix: HQ's card read model has the chain's active cards (the console's own card
        # among them, a stored-value card at Aurora's store) by card type and level.
        board = _wait_for_page(admin, "/", lambda text: "储值卡 Stored-value card" in _table(text, "level-mix"))
        assert 'id="level-mix-chart"' in board and 'data-chart="' in board.split('id="level-mix-chart"', 1)[1].split("</figure>")[0]
        # Consumer lag, HQ's roles only: every consumer group of the chain, by topic.
        lag = _table(board, "consumer-lag")
        assert ".hq-read-models" in lag and ".settlement-clearing" in lag and "chaincard.postings.v1" in lag
        assert admin.get("/config").status_code == 200
        level = admin.get("/config/levels/SILVER")
        assert level.status_code == 200 and "discount_bp" in level.text
        # Statements are finance's, franchisees' and auditors': HQ's refusal is the page's.
        refused = admin.get("/statements")
        assert refused.status_code == 403 and "refused" in refused.text
        assert 'id="offline-stores"' in board  # stores offline now, from the regions
        operations = admin.get("/operations")
        assert operations.status_code == 200
        # Every demo store's agent runs in the chain and pulls from its region: online, queue reported.
        for store_id in ("S-E-001", "S-E-002", "S-W-001", "S-W-002"):
            assert _store_row(operations.text, store_id)["state"] == "online", store_id
            assert _store_row(operations.text, store_id)["depth"].isdigit(), store_id


def test_a_franchisee_admin_sees_only_its_own_stores(console: ConsoleServer):
    with console.logged_in("FRANCHISEE_ADMIN") as franchisee:
        board = franchisee.get("/")
        assert board.status_code == 200
        assert "S-W-002" not in board.text and "S-E-001" not in board.text
        # Its own cards' level mix (the console's card was opened at its store), and no lag panel.
        board_text = _wait_for_page(franchisee, "/", lambda text: "储值卡 Stored-value card" in _table(text, "level-mix"))
        assert 'id="consumer-lag"' not in board_text
        # Another franchisee's store as a filter: HQ keeps the franchisee's own filter beside it, so
        # nothing of that store shows (a franchisee filter of another is refused outright).
        other_store = franchisee.get("/", params={"store": "S-W-002"})
        assert other_store.status_code == 200 and "S-W-002" not in other_store.text.split('id="top-stores"')[1]
        assert franchisee.get("/", params={"franchisee": "F-BAMBOO"}).status_code == 403
        assert franchisee.get("/config").status_code == 403
        operations = franchisee.get("/operations")
        assert operations.status_code == 200 and "runs-refused" in operations.text and "S-W-002" not in operations.text
        assert "S-E-001" not in operations.text and _store_row(operations.text, FRANCHISEE_STORE)["state"] == "online"
        assert franchisee.get("/statements").status_code == 200
        assert franchisee.get("/audit", params={"franchisee_id": "F-BAMBOO"}).status_code == 403
        other_audit = franchisee.get("/audit", params={"store_id": "S-W-002"})
        assert other_audit.status_code == 200 and "S-W-002" not in other_audit.text.split('id="audit-entries"')[1]


def test_a_store_manager_is_refused_hq_pages(console: ConsoleServer):
    with console.logged_in("STORE_MANAGER") as manager:
        assert manager.get("/").status_code == 200
        operations = manager.get("/operations")  # its own store's agent, and no other store
        assert operations.status_code == 200 and _store_row(operations.text, FRANCHISEE_STORE)["state"] == "online"
        assert re.findall(r'data-store="([^"]+)"', operations.text) == [FRANCHISEE_STORE]
        assert manager.get("/", params={"store": "S-E-001"}).status_code == 403
        for path in ("/config", "/config/levels/GOLD", "/statements"):
            answer = manager.get(path)
            assert answer.status_code == 403 and "403" in answer.text, path
        posted = manager.post("/config/levels/GOLD", data={"csrf_token": csrf_of(manager.get("/members").text),
                                                           "step": "save", "f_name": "Hijacked"})
        assert posted.status_code == 403


# ---- actions and the audit log ------------------------------------------------------------------------------------
def test_a_points_adjustment_made_in_the_console_appears_in_the_audit_log(console: ConsoleServer):
    reason = f"goodwill {new_id()[-8:]}"
    with console.logged_in("STORE_MANAGER") as manager:
        _member_page(manager, console.card_number)
        form = manager.get(f"/cards/{console.card_number}/adjust_points")
        request_id = re.search(r'name="request_id" value="([^"]+)"', form.text)
        assert request_id
        data = {"csrf_token": csrf_of(form.text), "request_id": request_id.group(1), "points_delta": "25", "reason": reason}
        done = manager.post(f"/cards/{console.card_number}/adjust_points", data=data)
        assert done.status_code == 303 and "done=adjust_points" in done.headers["location"], done.text
        # The same form sent twice is the same request: the region answers it once.
        again = manager.post(f"/cards/{console.card_number}/adjust_points", data=data)
        assert again.status_code == 303
        assert "id=\"done\"" in manager.get(done.headers["location"]).text
    with console.logged_in("HQ_ADMIN") as admin:
        deadline = time.monotonic() + 30
        while True:
            audit = admin.get("/audit", params={"target_id": console.card_number})
            assert audit.status_code == 200
            if reason in audit.text:
                break
            assert time.monotonic() < deadline, "the adjustment never reached HQ's audit log"
            time.sleep(0.5)
        assert audit.text.count(reason) == 1  # once, though the form was sent twice
        assert "AdjustPoints" in audit.text and "console-manager" in audit.text
        exported = admin.get("/audit.csv", params={"target_id": console.card_number})
        assert exported.status_code == 200 and reason in exported.text
        assert exported.headers["content-type"].startswith("text/csv")


# ---- the franchisee portal ---------------------------------------------------------------------------------------
def test_a_franchisee_downloads_its_statement_matching_the_manifest(chain, console: ConsoleServer, settled_day: str):
    statement_id = f"ST-{settled_day}-{FRANCHISEE}"
    manifest = json.loads((Path(chain.data_dir) / "statements" / settled_day / "manifest.json").read_text())
    listed = {file["file_name"]: file["sha256"] for statement in manifest["statements"] for file in statement["files"]}
    with console.logged_in("FRANCHISEE_ADMIN") as franchisee:
        statements = franchisee.get("/statements")
        assert statement_id in statements.text and "F-BAMBOO" not in statements.text
        page = franchisee.get(f"/statements/{statement_id}")
        assert page.status_code == 200 and 'id="verified"' in page.text
        # The signature: its statement extract, signed by the settlement key the console pins (the
        # one published beside the day's files), lists this statement; no other franchisee's nets.
        key_id = manifest["signing_key_id"]
        assert 'id="signature-verified"' in page.text and key_id in page.text, page.text
        assert 'id="signature-bad"' not in page.text and 'id="signature-unpinned"' not in page.text
        for file_format in ("csv", "pdf"):
            download = franchisee.get(f"/statements/{statement_id}/download/{file_format}")
            assert download.status_code == 200
            name = re.search(r"filename\*=UTF-8''(.+)$", download.headers["content-disposition"])
            assert name, download.headers
            digest = hashlib.sha256(download.content).hexdigest()
            assert download.headers["x-content-sha256"] == digest == listed[name.group(1)]
        # Another franchisee's statement: settlement's refusal.
        assert franchisee.get(f"/statements/ST-{settled_day}-F-BAMBOO").status_code == 403
        assert franchisee.get(f"/statements/ST-{settled_day}-F-BAMBOO/download/csv").status_code == 403
    with console.logged_in("STORE_MANAGER") as manager:
        assert manager.get(f"/statements/{statement_id}/download/csv").status_code == 403


# ---- programme configuration, card actions, receipts ----------------------------------------------------------
def test_hq_admin_edits_a_count_item_with_a_diff_hqs_validation_and_its_audit_trail(console: ConsoleServer):
    code = f"CONSOLE-{new_id()[-6:].upper()}"
    with console.logged_in("HQ_ADMIN") as admin:
        form = admin.get("/config/count_items/new")
        assert form.status_code == 200
        item = {"csrf_token": csrf_of(form.text), "f_code": code, "f_name": "控制台洗车 Console wash", "f_uses_per_pack": "0",
                "f_pack_price_fen": "9900", "f_validity_days": "30"}
        preview = admin.post("/config/count_items/new", data={**item, "step": "preview"})
        assert preview.status_code == 200 and 'id="diff"' in preview.text and "Console wash" in preview.text
        request_id = re.search(r'name="request_id" value="([^"]+)"', preview.text)
        assert request_id
        # HQ checks the item: its INVALID_ARGUMENT, naming the field, is the page's message.
        refused = admin.post("/config/count_items/new", data={**item, "step": "save", "request_id": request_id.group(1)})
        assert refused.status_code == 400 and "INVALID_ARGUMENT" in refused.text and "uses_per_pack" in refused.text
        fixed = {**item, "f_uses_per_pack": "10", "csrf_token": csrf_of(refused.text)}
        saved = admin.post("/config/count_items/new", data={**fixed, "step": "save",
                                                            "request_id": re.findall(r'name="request_id" value="([^"]+)"', refused.text)[0]})
        assert saved.status_code == 303 and saved.headers["location"] == f"/config/count_items/{code}?saved=1", saved.text
        page = admin.get(saved.headers["location"])
        assert 'id="saved"' in page.text and "UpsertCountItem" in page.text  # its audit trail
        renamed = {key: value for key, value in fixed.items() if key != "f_code"} | {"f_name": "Console wash II"}
        diff = admin.post(f"/config/count_items/{code}", data={**renamed, "step": "preview"})
        rows = re.findall(r'<td>(\w+)</td><td class="before">([^<]*)</td><td class="after">([^<]*)</td>', diff.text)
        assert rows == [("name", "控制台洗车 Console wash", "Console wash II")], rows
        listed = admin.get("/config")
        assert code in listed.text


def test_a_store_manager_freezes_a_card_and_reads_a_receipt(chain, console: ConsoleServer):
    from tests.support.cards import funded_card
    from tests.support.regions import clients_for

    with chain.channel("store-S-E-002") as till:
        card_number = funded_card(clients_for(till), 10_000, store_id="", name="冻结 Freeze")
    with console.logged_in("STORE_MANAGER") as manager:
        page = _member_page(manager, card_number)
        receipt_link = re.search(r'href="(/receipts/[^"]+)"', page)
        assert receipt_link
        receipt = manager.get(receipt_link.group(1).replace("&amp;", "&"))
        assert receipt.status_code == 200 and 'id="receipt"' in receipt.text and "100.00" in receipt.text
        form = manager.get(f"/cards/{card_number}/freeze")
        data = {"csrf_token": csrf_of(form.text), "request_id": re.findall(r'name="request_id" value="([^"]+)"', form.text)[0]}
        assert manager.post(f"/cards/{card_number}/freeze", data={**data, "reason": ""}).status_code == 400  # a reason is required
        done = manager.post(f"/cards/{card_number}/freeze", data={**data, "reason": "customer asked"})
        assert done.status_code == 303, done.text
        deadline = time.monotonic() + 30
        while ">Frozen<" not in _member_page(manager, card_number):
            assert time.monotonic() < deadline, "the member view never showed the card frozen"
            time.sleep(0.5)

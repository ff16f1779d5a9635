"""The console's pages (Starlette, server-rendered with Jinja2; htmx and Chart.js from static/).

Every page handler is a plain function of a :class:`Page` run in a worker thread (gRPC is
synchronous); the ``page`` wrapper finds the session, checks CSRF on every POST, and turns the
services' answers into HTTP: PERMISSION_DENIED → 403 refusal page, UNAUTHENTICATED → log in again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chaincard import member_codes
from chaincard.console import dashboard, program
from chaincard.console.backend import Backend, ConsoleError, LoginRequired, OperatorClient, Refused
from chaincard.console.csrf import CSRF_FIELD, origin_of, same_origin, token_matches
from chaincard.console.formatting import format_bp, format_count, format_fen, format_timestamp
from chaincard.console.i18n import CATALOG, LANG_COOKIE, LANGUAGES, choose_language, translator
from chaincard.console.labels import labeler, short_name
from chaincard.console.sessions import Operator, Session, SessionStore
from chaincard.console.stores import store_states
from chaincard.ids import new_id
from chaincard.signed_manifests import Verdict, verify_signed_statement
from chaincard.v1 import (
    audit_pb2,
    cards_pb2,
    common_pb2,
    directory_pb2,
    member_view_pb2,
    operators_pb2,
    program_config_pb2,
    segments_pb2,
    settlement_pb2,
    transactions_pb2,
)

HERE = Path(__file__).parent

# anyio imports its parts lazily on first use, which for Starlette (static files, thread pools) is
# inside the server's thread. Importing a module there while another thread compiles code can trip
# CPython 3.11's "AST constructor recursion depth mismatch" (seen in CI: pytest rewrites anyio, a
# pytest plugin, as it is imported): resolve them all here, with the console, instead.
for _name in dir(anyio):
    getattr(anyio, _name)
SESSION_COOKIE = "chaincard_console"
SECURE_SESSION_COOKIE = "__Host-chaincard_console"  # the __Host- prefix: Secure, Path=/, no Domain
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_LIMIT = 10_000
STATEMENT_FORMATS = {"csv": common_pb2.EXPORT_FORMAT_CSV, "xlsx": common_pb2.EXPORT_FORMAT_XLSX, "pdf": common_pb2.EXPORT_FORMAT_PDF}

# What each role finds in the menu (the services decide what it may actually see).
_MENU = (
    ("nav_dashboard", "/", {"STORE_MANAGER", "FRANCHISEE_ADMIN", "REGIONAL_MANAGER", "HQ_FINANCE", "HQ_ADMIN", "AUDITOR"}),
    ("nav_members", "/members", {"STORE_MANAGER", "FRANCHISEE_ADMIN", "REGIONAL_MANAGER", "CALL_CENTER", "HQ_FINANCE",
                                 "HQ_ADMIN", "AUDITOR", "INTEGRATOR"}),
    ("nav_config", "/config", {"HQ_ADMIN", "HQ_FINANCE", "AUDITOR"}),
    ("nav_statements", "/statements", {"FRANCHISEE_ADMIN", "HQ_FINANCE", "AUDITOR"}),
    ("nav_audit", "/audit", {"HQ_ADMIN", "HQ_FINANCE", "AUDITOR", "FRANCHISEE_ADMIN", "REGIONAL_MANAGER", "STORE_MANAGER"}),
    ("nav_operations", "/operations", {"STORE_MANAGER", "FRANCHISEE_ADMIN", "REGIONAL_MANAGER", "HQ_FINANCE", "HQ_ADMIN",
                                       "AUDITOR"}),
)
CARD_ACTIONS = ("freeze", "report_lost", "adjust_points")
_DIGITS = re.compile(r"^\d+$")


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class HttpError(Exception):
    """A page that cannot be shown: ``status`` with ``message`` (already for people)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Page:
    """One request as a page handler sees it."""

    request: Request
    session: Session
    lang: str
    form: FormData | None
    console: Console
    client: OperatorClient | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def operator(self) -> Operator:
        assert self.session.operator is not None
        return self.session.operator

    @property
    def params(self) -> Any:
        return self.request.query_params

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return self.console.render(self.request, template, session=self.session, lang=self.lang, status=status,
                                   **context)

    @property
    def grpc(self) -> OperatorClient:
        assert self.client is not None
        return self.client


class SecurityHeaders:
    """Headers on every answer: a strict CSP (no inline script or style), no framing, no caching
    of pages (static files may be cached: they hold no data)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                            (b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin"),
                            (b"cross-origin-opener-policy", b"same-origin"),
                            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
                if not static:
                    headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Console:
    """The application's state: the chain's addresses, the sessions, the templates."""

    def __init__(self, backend: Backend, *, sessions: SessionStore | None = None, secure_cookies: bool = False,
                 public_origins: set[str] | None = None) -> None:
        self.backend = backend
        self.sessions = sessions or SessionStore()
        self.secure_cookies = secure_cookies
        self.public_origins = {origin_of(item) for item in public_origins or set()} - {""}
        self.cookie_name = SECURE_SESSION_COOKIE if secure_cookies else SESSION_COOKIE
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.templates.filters.update(fen=format_fen, count=format_count, bp=format_bp, when=format_timestamp,
                                      enum_name=short_name)

    # ---- rendering ----
    def render(self, request: Request, template: str, *, session: Session | None, lang: str, status: int = 200,
               **context: Any) -> HTMLResponse:
        operator = session.operator if session is not None else None
        menu = [(key, path) for key, path, roles in _MENU if operator is not None and operator.role in roles]
        html = self.templates.get_template(template).render(
            t=translator(lang), label=labeler(lang), lang=lang, languages=LANGUAGES, operator=operator, menu=menu,
            csrf_token=session.csrf_token if session is not None else "", csrf_field=CSRF_FIELD,
            path=request.url.path, full_path=_full_path(request), **context)
        return HTMLResponse(html, status_code=status)

    def allowed_origins(self, request: Request) -> set[str]:
        """The console's own origin: as configured (behind a proxy), else as the request reached it."""
        if self.public_origins:
            return self.public_origins
        host = request.headers.get("host", "")
        return {origin_of(f"{request.url.scheme}://{host}")} - {""}

    def set_session_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(self.cookie_name, session.session_id, httponly=True, secure=self.secure_cookies,
                            samesite="strict", path="/")

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(self.cookie_name))


def _full_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _safe_next(target: str | None) -> str:
    """Only a path of this console (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _lang(request: Request) -> str:
    return choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


Handler = Callable[[Page], Response]


def page(console: Console, handler: Handler, *, login: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint around ``handler``: session, CSRF on POST, gRPC errors as HTTP."""

    async def endpoint(request: Request) -> Response:
        lang = _lang(request)
        session = console.session_of(request)
        form = await request.form() if request.method == "POST" else None
        if request.method == "POST":
            if not same_origin(request.headers.get("origin"), request.headers.get("referer"), console.allowed_origins(request)):
                return _refusal(console, request, session, lang, "cross-origin request refused (Origin/Referer)")
            if session is None or not token_matches(session.csrf_token, _form_value(form, CSRF_FIELD)):
                return _refusal(console, request, session, lang, "missing or wrong CSRF token")
        if login and (session is None or not session.logged_in):
            if request.method != "GET":
                return _refusal(console, request, None, lang, "not logged in")
            return RedirectResponse(f"/login?{urlencode({'next': _full_path(request)})}", status_code=303)
        if session is None:  # an anonymous page (the log-in form): start a session for its CSRF token
            session = console.sessions.start_anonymous()
        current = Page(request, session, lang, form, console)

        def run() -> Response:
            if not session.logged_in:
                return handler(current)
            with console.backend.client(session.token) as client:
                current.client = client
                return handler(current)

        try:
            response = await run_in_threadpool(run)
        except Redirect as redirect:
            response = RedirectResponse(redirect.location, status_code=303)
        except Refused as refused:
            response = _refusal(console, request, session, lang, refused.detail)
        except LoginRequired:
            console.sessions.end(session.session_id)
            response = RedirectResponse(f"/login?{urlencode({'next': _full_path(request), 'ended': '1'})}", status_code=303)
        except HttpError as error:
            response = console.render(request, "error.html", session=session, lang=lang, status=error.status,
                                      message=error.message)
        except ConsoleError as error:
            status = {grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.NOT_FOUND: 404,
                      grpc.StatusCode.FAILED_PRECONDITION: 409, grpc.StatusCode.ALREADY_EXISTS: 409}.get(error.status, 502)
            response = console.render(request, "error.html", session=session, lang=lang, status=status,
                                      message=f"{error.status.name}: {error.detail}")
        if request.cookies.get(console.cookie_name) != session.session_id and console.sessions.get(session.session_id):
            console.set_session_cookie(response, session)
        return response

    return endpoint


def _form_value(form: FormData | None, name: str) -> str | None:
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else None


def _refusal(console: Console, request: Request, session: Session | None, lang: str, detail: str) -> HTMLResponse:
    return console.render(request, "refused.html", session=session, lang=lang, status=403, detail=detail)


# ---- log in, log out, language ---------------------------------------------------------------------------------
def login_page(p: Page) -> Response:
    if p.session.logged_in:
        raise Redirect(_safe_next(p.params.get("next")))
    message = "session_ended" if p.params.get("ended") else ""
    return p.render("login.html", next=_safe_next(p.params.get("next")), message=message)


def login_submit(p: Page) -> Response:
    login_name, password = p.field("login_name"), (_form_value(p.form, "password") or "")
    target = _safe_next(p.field("next"))
    try:
        answer = p.console.backend.log_in(login_name, password)
    except LoginRequired:
        return p.render("login.html", status=401, next=target, message="login_failed", login_name=login_name)
    except ConsoleError:
        return p.render("login.html", status=503, next=target, message="login_unavailable", login_name=login_name)
    who = answer.operator
    operator = Operator(
        operator_id=who.operator_id, display_name=who.display_name or who.operator_id,
        role=operators_pb2.OperatorRole.Name(who.role).removeprefix("OPERATOR_ROLE_"),
        scope_level=operators_pb2.ScopeLevel.Name(who.scope.level).removeprefix("SCOPE_LEVEL_").lower(), scope_id=who.scope.id)
    session = p.console.sessions.log_in(p.session, token=answer.token, token_id=answer.token_id,
                                        token_expires_at=float(answer.expires_at.seconds), operator=operator)
    response = RedirectResponse(target, status_code=303)
    p.console.set_session_cookie(response, session)
    return response


def logout(p: Page) -> Response:
    p.console.sessions.end(p.session.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(p.console.cookie_name, path="/")
    return response


def switch_language(p: Page) -> Response:
    lang = p.params.get("to", "")
    response = RedirectResponse(_safe_next(p.params.get("next")), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, secure=p.console.secure_cookies,
                            samesite="strict", path="/")
    return response


# ---- dashboard ---------------------------------------------------------------------------------------------------
def _directory(p: Page) -> dict[str, list[Any]]:
    """Regions, franchisees and stores the operator may pick (each list cut to its scope by HQ)."""
    lists: dict[str, list[Any]] = {"regions": [], "franchisees": [], "stores": []}
    for key, method, request, attribute in (
            ("regions", p.grpc.directory.ListRegions, directory_pb2.ListRegionsRequest(), "regions"),
            ("franchisees", p.grpc.directory.ListFranchisees, directory_pb2.ListFranchiseesRequest(), "franchisees"),
            ("stores", p.grpc.directory.ListStores, directory_pb2.ListStoresRequest(), "stores")):
        try:
            lists[key] = list(getattr(p.grpc.call(method, request), attribute))
        except ConsoleError:
            pass
    scope = p.operator
    if scope.scope_level == "region":
        lists["regions"] = [r for r in lists["regions"] if r.code == scope.scope_id]
    elif scope.scope_level in ("franchisee", "store"):
        lists["regions"] = []
    return lists


def dashboard_charts(board: dashboard.Dashboard, lang: str) -> dict[str, str]:
    """Each chart's data-chart JSON, its labels in ``lang``."""
    t = translator(lang)
    labels = {key: t(key) for key in ("revenue", "recharges", "liability", "new_members", "members_cumulative", "members",
                                        "no_level")}
    labels.update({name: t(name) for name in CATALOG if name.startswith("RFM_SEGMENT_")})
    return {kind: board.chart(kind, labels) for kind in ("revenue", "members", "liability", "stores", "segments", "levels")}


def dashboard_page(p: Page) -> Response:
    query = dashboard.DashboardQuery.from_params(p.params)
    board = dashboard.build(p.grpc, query, role=p.operator.role)
    directory = _directory(p)
    # Stores offline now, within the dashboard's filter (the regions are asked live, not the reports).
    shown = [store for store in directory["stores"]
             if (not query.region_code or store.region_code == query.region_code)
             and (not query.franchisee_id or store.franchisee_id == query.franchisee_id)
             and (not query.store_id or store.store_id == query.store_id)]
    return p.render("dashboard.html", board=board, charts=dashboard_charts(board, p.lang), directory=directory,
                    query=query, periods=dashboard.PERIODS, states=store_states(p.grpc, shown))


# ---- members -----------------------------------------------------------------------------------------------------
def _view_request(key: str) -> member_view_pb2.GetMemberViewRequest:
    key = key.strip()
    if member_codes.is_member_code(key):
        return member_view_pb2.GetMemberViewRequest(card_number=member_codes.card_number_of(key))
    compact = key.replace(" ", "").replace("-", "")
    if _DIGITS.match(compact) and len(compact) >= 15:
        return member_view_pb2.GetMemberViewRequest(card_number=compact)
    if _DIGITS.match(compact.removeprefix("+")):
        return member_view_pb2.GetMemberViewRequest(phone=compact)
    return member_view_pb2.GetMemberViewRequest(member_id=key)


def members_page(p: Page) -> Response:
    key = p.params.get("q", "").strip()
    if not key:
        return p.render("members.html", q="")
    try:
        view = p.grpc.call(p.grpc.member_views.GetMemberView, _view_request(key))
    except ConsoleError as error:
        if error.status not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            raise
        return p.render("members.html", q=key, not_found=True, status=404)
    raise Redirect(f"/members/{quote(view.member.member_id)}")


def _audit_entries(p: Page, *target_ids: str, limit: int = 50) -> list[audit_pb2.AuditEntry]:
    entries: dict[str, audit_pb2.AuditEntry] = {}
    for target in target_ids:
        answer = p.grpc.call(p.grpc.audit.ListAuditEntries, audit_pb2.ListAuditEntriesRequest(target_id=target, page_size=limit))
        entries.update((entry.entry_id, entry) for entry in answer.entries)
    ordered = sorted(entries.values(), key=lambda entry: (entry.occurred_at.seconds, entry.occurred_at.nanos), reverse=True)
    return ordered[:limit]


def member_page(p: Page) -> Response:
    member_id = p.request.path_params["member_id"]
    view = p.grpc.call(p.grpc.member_views.GetMemberView, member_view_pb2.GetMemberViewRequest(member_id=member_id))
    coupons: dict[str, list[common_pb2.Coupon]] = {}
    coupons_refused = False
    for card in view.cards:
        try:
            coupons[card.card_number] = list(p.grpc.call(p.grpc.cards(card.home_region).ListCardCoupons,
                                                         cards_pb2.ListCardCouponsRequest(card_number=card.card_number)).coupons)
        except Refused:
            coupons_refused = True
            break
        except ConsoleError:
            coupons[card.card_number] = []
    try:
        trail = _audit_entries(p, member_id, *(card.card_number for card in view.cards))
        trail_refused = False
    except Refused:
        trail, trail_refused = [], True
    # No RPC lists a card's level changes: the audit log's level actions stand in for it.
    level_history = [entry for entry in trail if "Level" in entry.action.rpartition("/")[2]]
    rfm_history: list[Any] = []
    try:
        rfm_history = list(p.grpc.call(p.grpc.segments.ShowRfm, segments_pb2.ShowRfmRequest(member_id=member_id)).history)
    except ConsoleError:
        pass
    return p.render("member.html", view=view, coupons=coupons, coupons_refused=coupons_refused, trail=trail,
                    trail_refused=trail_refused, level_history=level_history, rfm_history=rfm_history,
                    actions=CARD_ACTIONS, message=p.params.get("done", ""))


def receipt_page(p: Page) -> Response:
    region, transaction_id = p.request.path_params["region"], p.request.path_params["transaction_id"]
    card_number = p.params.get("card", "")
    receipt = p.grpc.call(p.grpc.transactions(region).GetReceipt, transactions_pb2.GetReceiptRequest(
        transaction_id=transaction_id, card_number=card_number))
    return p.render("receipt.html", lines=[line.text for line in receipt.receipt], transaction_id=transaction_id,
                    back=_safe_next(p.params.get("back")))


def _card_of(p: Page, card_number: str) -> tuple[member_view_pb2.GetMemberViewResponse, member_view_pb2.CardView]:
    view = p.grpc.call(p.grpc.member_views.GetMemberView, member_view_pb2.GetMemberViewRequest(card_number=card_number))
    for card in view.cards:
        if card.card_number == card_number:
            return view, card
    raise HttpError(404, f"card {card_number} is not in your view")


def card_action_page(p: Page) -> Response:
    card_number, action = p.request.path_params["card_number"], p.request.path_params["action"]
    if action not in CARD_ACTIONS:
        raise HttpError(404, f"no action {action!r}")
    view, card = _card_of(p, card_number)
    if p.request.method == "GET":
        # The request id is made now and sent with the form: a second submission of the same form
        # is the same request, which the region answers once (STYLE rule 2).
        return p.render("confirm.html", view=view, card=card, action=action, request_id=new_id(), error="")
    reason, request_id = p.field("reason"), p.field("request_id")
    if not reason:
        return p.render("confirm.html", view=view, card=card, action=action, request_id=request_id or new_id(),
                        error="reason_required", status=400)
    operator = p.operator
    common = {"request_id": request_id or new_id(), "store_id": operator.acting_store_id, "card_number": card_number,
              "operator_id": operator.operator_id, "reason": reason}
    try:
        if action == "freeze":
            p.grpc.call(p.grpc.cards(card.home_region).FreezeCard, cards_pb2.FreezeCardRequest(**common))
        elif action == "report_lost":
            p.grpc.call(p.grpc.cards(card.home_region).ReportCardLost, cards_pb2.ReportCardLostRequest(**common))
        else:
            try:
                delta = int(p.field("points_delta"))
            except ValueError:
                delta = 0
            p.grpc.call(p.grpc.transactions(card.home_region).AdjustPoints,
                        transactions_pb2.AdjustPointsRequest(points_delta=delta, **common))
    except ConsoleError as error:
        if isinstance(error, (Refused, LoginRequired)):
            raise
        return p.render("confirm.html", view=view, card=card, action=action, request_id=new_id(),
                        error=f"{error.status.name}: {error.detail}", status=400)
    raise Redirect(f"/members/{quote(view.member.member_id)}?done={action}")


# ---- programme configuration -------------------------------------------------------------------------------------
def _snapshot(p: Page) -> program_config_pb2.ConfigSnapshot:
    return p.grpc.call(p.grpc.program.GetConfigSnapshot, program_config_pb2.GetConfigSnapshotRequest()).snapshot


def config_page(p: Page) -> Response:
    snapshot = _snapshot(p)
    sections = [(kind, list(getattr(snapshot, kind.snapshot_field))) for kind in program.KINDS.values()]
    return p.render("config.html", sections=sections, version=snapshot.version)


def config_item_page(p: Page) -> Response:
    kind = program.KINDS.get(p.request.path_params["kind"])
    if kind is None:
        raise HttpError(404, "no such kind of configuration")
    code = p.request.path_params["code"]
    snapshot = _snapshot(p)
    current = program.find(snapshot, kind, code)
    is_new = current is None
    if current is None:
        if code != "new":
            raise HttpError(404, f"{kind.slug} {code!r} not found")
        current = program.new_item(kind)
    context: dict[str, Any] = {"kind": kind, "code": code, "is_new": is_new, "rows": program.field_rows(current),
                               "error": "", "diff": None, "message": p.params.get("saved", "")}
    if not is_new:
        try:
            context["trail"] = _audit_entries(p, f"{kind.audit_kind}:{code}")
        except Refused:
            context["trail"] = []
    if p.request.method == "POST":
        new_code = p.field("f_code") if is_new else ""
        try:
            changed = program.apply_form(current, p.form or {}, new_code=new_code)
        except program.FormError as error:
            context["error"] = str(error)
            return p.render("config_item.html", status=400, **context)
        context["rows"] = program.field_rows(changed)
        context["diff"] = program.diff(current, changed)
        context["request_id"] = p.field("request_id") or new_id()
        if p.field("step") == "save" and context["diff"]:
            try:
                p.grpc.call(getattr(p.grpc.program, kind.rpc), kind.request(context["request_id"], changed))
            except ConsoleError as error:
                if isinstance(error, (Refused, LoginRequired)):
                    raise
                context["error"] = f"{error.status.name}: {error.detail}"
                context["request_id"] = new_id()  # the corrected item is another request
                return p.render("config_item.html", status=400, **context)
            saved_code = getattr(changed, "code", code)
            raise Redirect(f"/config/{kind.slug}/{quote(saved_code)}?saved=1")
    return p.render("config_item.html", **context)


# ---- statements (the franchisee portal) ---------------------------------------------------------------------------
def statements_page(p: Page) -> Response:
    answer = p.grpc.call(p.grpc.statements.ListStatements, settlement_pb2.ListStatementsRequest(page_size=100))
    return p.render("statements.html", statements=list(answer.statements))


def _content_hash(statement: settlement_pb2.Statement) -> str:
    copy = settlement_pb2.Statement()
    copy.CopyFrom(statement)
    copy.content_sha256_hex = ""
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


def statement_page(p: Page) -> Response:
    statement_id = p.request.path_params["statement_id"]
    statement = p.grpc.call(p.grpc.statements.GetStatement, settlement_pb2.GetStatementRequest(statement_id=statement_id)).statement
    content_ok = _content_hash(statement) == statement.content_sha256_hex
    # The run's manifest is HQ finance's and auditors' to read; a franchisee's own list of
    # statements carries the hash the manifest lists, which is what it is checked against here.
    listed = p.grpc.call(p.grpc.statements.ListStatements, settlement_pb2.ListStatementsRequest(
        franchisee_id=statement.franchisee_id, start_business_date=statement.business_date,
        end_business_date=statement.business_date)).statements
    listed_ok = any(item.statement_id == statement_id and item.content_sha256_hex == statement.content_sha256_hex
                    for item in listed)
    manifest_ok: bool | None = None
    try:
        run = p.grpc.call(p.grpc.statements.GetSettlementRun,
                          settlement_pb2.GetSettlementRunRequest(business_date=statement.business_date)).run
        manifest = settlement_pb2.SettlementManifest()
        manifest.CopyFrom(run.manifest)
        manifest.manifest_sha256_hex, manifest.manifest_json_signature = "", b""
        manifest_ok = (hashlib.sha256(manifest.SerializeToString(deterministic=True)).hexdigest() == run.manifest.manifest_sha256_hex
                       and any(entry.statement_id == statement_id and entry.content_sha256_hex == statement.content_sha256_hex
                               for entry in run.manifest.entries))
    except LoginRequired:
        raise
    except ConsoleError:
        pass  # not this role's to read
    signature, signature_error = _manifest_signature(p, statement)
    return p.render("statement.html", statement=statement, content_ok=content_ok and listed_ok, manifest_ok=manifest_ok,
                    signature=signature, signature_error=signature_error, formats=list(STATEMENT_FORMATS))


def _manifest_signature(p: Page, statement: settlement_pb2.Statement) -> tuple[Verdict | None, str]:
    """The day's signed document (manifest.json, or for a franchisee its statement extract) checked
    against this statement and the settlement keys this console pins: (verdict, or None and why)."""
    try:
        signed = p.grpc.call(p.grpc.statements.GetSettlementManifest,
                             settlement_pb2.GetSettlementManifestRequest(business_date=statement.business_date))
    except LoginRequired:
        raise
    except ConsoleError as error:
        return None, f"{error.status.name}: {error.detail}"
    return verify_signed_statement(
        signed.document, signed.signature, signed.signing_public_key, business_date=statement.business_date,
        statement_id=statement.statement_id, content_sha256_hex=statement.content_sha256_hex,
        trusted_public_keys=p.console.backend.targets.trusted_settlement_keys()), ""


def statement_download(p: Page) -> Response:
    statement_id, file_format = p.request.path_params["statement_id"], p.request.path_params["format"]
    if file_format not in STATEMENT_FORMATS:
        raise HttpError(404, f"no format {file_format!r}")
    exported = p.grpc.export(p.grpc.statements.ExportStatement, settlement_pb2.ExportStatementRequest(
        statement_id=statement_id, format=STATEMENT_FORMATS[file_format]))
    if not exported.verified:
        raise HttpError(502, f"the file received hashes to {exported.sha256}, settlement said {exported.claimed_sha256}")
    name = exported.file_name or f"{statement_id}.{file_format}"
    return Response(exported.data, media_type=exported.content_type, headers={
        "content-disposition": f"attachment; filename*=UTF-8''{quote(name)}", "x-content-sha256": exported.sha256})


# ---- audit log ----------------------------------------------------------------------------------------------------
AUDIT_FILTERS = ("operator_id", "target_type", "target_id", "action", "store_id", "franchisee_id", "region_code")


def _day_start(text: str, field_name: str) -> Timestamp | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HttpError(400, f"{field_name}: not a date (YYYY-MM-DD)") from None
    stamp = Timestamp()
    stamp.FromDatetime(datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8))  # chain time
    return stamp


def _audit_request(p: Page) -> audit_pb2.ListAuditEntriesRequest:
    request = audit_pb2.ListAuditEntriesRequest(page_size=AUDIT_PAGE_SIZE, page_token=p.params.get("page", ""),
                                                **{name: p.params.get(name, "").strip() for name in AUDIT_FILTERS})
    start = _day_start(p.params.get("from", "").strip(), "from")
    until = p.params.get("to", "").strip()
    if start is not None:
        request.start_time.CopyFrom(start)
    if until:
        end = _day_start((date.fromisoformat(until) + timedelta(days=1)).isoformat() if _is_date(until) else until, "to")
        if end is not None:
            request.end_time.CopyFrom(end)
    return request


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def audit_page(p: Page) -> Response:
    request = _audit_request(p)
    answer = p.grpc.call(p.grpc.audit.ListAuditEntries, request)
    filters = {name: p.params.get(name, "") for name in (*AUDIT_FILTERS, "from", "to")}
    next_query = urlencode({**{k: v for k, v in filters.items() if v}, "page": answer.next_page_token}) if answer.next_page_token else ""
    export_query = urlencode({k: v for k, v in filters.items() if v})
    return p.render("audit.html", entries=list(answer.entries), filters=filters, next_query=next_query, export_query=export_query)


def audit_export(p: Page) -> Response:
    request = _audit_request(p)
    request.page_size = 1000
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ("occurred_at", "operator_id", "operator_role", "operator_scope", "actor", "origin", "action", "target_type",
               "target_id", "store_id", "franchisee_id", "region_code", "reason", "outcome", "amount_fen", "request_id")
    writer.writerow(columns)
    written = 0
    while written < AUDIT_EXPORT_LIMIT:
        answer = p.grpc.call(p.grpc.audit.ListAuditEntries, request)
        for entry in answer.entries:
            row = [format_timestamp(entry.occurred_at) if name == "occurred_at" else getattr(entry, name) for name in columns]
            writer.writerow([_csv_safe(value) for value in row])
            written += 1
        if not answer.next_page_token:
            break
        request.page_token = answer.next_page_token
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": "attachment; filename=audit-log.csv"})


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# ---- operations ---------------------------------------------------------------------------------------------------
def operations_page(p: Page) -> Response:
    try:
        stores = list(p.grpc.call(p.grpc.directory.ListStores, directory_pb2.ListStoresRequest()).stores)
    except Refused:
        stores = []
    states = store_states(p.grpc, stores)
    runs: list[settlement_pb2.SettlementRun] | None
    try:
        runs = list(p.grpc.call(p.grpc.statements.ListSettlementRuns,
                                settlement_pb2.ListSettlementRunsRequest(page_size=30)).runs)
    except Refused:
        runs = None
    return p.render("operations.html", stores=stores, states=states, runs=runs)


def health(request: Request) -> Response:
    return Response(json.dumps({"status": "ok"}), media_type="application/json")


def create_app(backend: Backend, *, sessions: SessionStore | None = None, secure_cookies: bool = False,
               public_origins: set[str] | None = None) -> ASGIApp:
    console = Console(backend, sessions=sessions, secure_cookies=secure_cookies, public_origins=public_origins)

    def route(path: str, handler: Handler, methods: tuple[str, ...] = ("GET",), *, login: bool = True) -> Route:
        return Route(path, page(console, handler, login=login), methods=list(methods))

    routes = [
        route("/login", login_page, login=False),
        route("/login", login_submit, ("POST",), login=False),
        route("/logout", logout, ("POST",)),
        route("/lang", switch_language, login=False),
        route("/", dashboard_page),
        route("/members", members_page),
        route("/members/{member_id}", member_page),
        route("/receipts/{region}/{transaction_id}", receipt_page),
        route("/cards/{card_number}/{action}", card_action_page, ("GET", "POST")),
        route("/config", config_page),
        route("/config/{kind}/{code}", config_item_page, ("GET", "POST")),
        route("/statements", statements_page),
        route("/statements/{statement_id}", statement_page),
        route("/statements/{statement_id}/download/{format}", statement_download),
        route("/audit", audit_page),
        route("/audit.csv", audit_export),
        route("/operations", operations_page),
        Route("/healthz", health),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.console = console
    return SecurityHeaders(app, https=secure_cookies)

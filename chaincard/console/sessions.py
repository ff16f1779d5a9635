"""Server-side sessions: the browser holds a random id in an HttpOnly cookie, the console keeps
the operator's gRPC token beside it in memory, so no page script can ever read the token.

A session starts anonymous (the log-in form's CSRF token lives in it) and is replaced by a new one
at log-in, so an id planted before log-in (session fixation) never becomes a logged-in session.
Sessions end at log-out, after ``idle_seconds`` without a request, or when the token expires.
A restarted console forgets every session: its operators log in again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_IDLE_SECONDS = 30 * 60
# Anonymous sessions (a log-in form shown) live briefly and are capped, so a flood of GET /login
# cannot fill the console's memory.
ANONYMOUS_SECONDS = 10 * 60
MAX_ANONYMOUS = 10_000
# How often expired sessions are swept out (each lookup also drops its own session when expired).
SWEEP_SECONDS = 10.0


@dataclass
class Operator:
    """Who is logged in, as HQ's IssueToken answered (for display and the acting store)."""

    operator_id: str
    display_name: str
    role: str  # "HQ_ADMIN", "STORE_MANAGER" … (operators.proto OperatorRole without its prefix)
    scope_level: str  # "chain", "region", "franchisee", "store"
    scope_id: str

    @property
    def scope_text(self) -> str:
        return self.scope_level if self.scope_level == "chain" else f"{self.scope_level}:{self.scope_id}"

    @property
    def acting_store_id(self) -> str:
        """The store an action is recorded at: a store scope's own store, else "" (HQ)."""
        return self.scope_id if self.scope_level == "store" else ""


@dataclass
class Session:
    session_id: str
    csrf_token: str
    created_at: float
    last_seen: float
    expires_at: float
    token: str = field(default="", repr=False)
    token_id: str = ""
    operator: Operator | None = None

    @property
    def logged_in(self) -> bool:
        return self.operator is not None and bool(self.token)


class SessionStore:
    def __init__(self, *, idle_seconds: float = DEFAULT_IDLE_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._sessions: dict[str, Session] = {}
        # The anonymous sessions' ids, oldest first: the cap drops from the front without a scan
        # (a flood of log-in pages must not cost a walk over every session per request).
        self._anonymous: OrderedDict[str, None] = OrderedDict()
        self._next_sweep = 0.0
        self._lock = threading.Lock()
        self._idle = idle_seconds
        self._clock = clock

    def _new(self, expires_at: float) -> Session:
        now = self._clock()
        return Session(session_id=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32),
                       created_at=now, last_seen=now, expires_at=expires_at)

    def start_anonymous(self) -> Session:
        with self._lock:
            if self._clock() >= self._next_sweep:
                self._sweep()
            while len(self._anonymous) >= MAX_ANONYMOUS:
                oldest, _ = self._anonymous.popitem(last=False)
                self._sessions.pop(oldest, None)
            session = self._new(self._clock() + ANONYMOUS_SECONDS)
            self._sessions[session.session_id] = session
            self._anonymous[session.session_id] = None
            return session

    def log_in(self, previous: Session | None, *, token: str, token_id: str, token_expires_at: float,
               operator: Operator) -> Session:
        """A new logged-in session (new id, new CSRF token); the previous one is dropped."""
        with self._lock:
            if previous is not None:
                self._drop(previous.session_id)
            session = self._new(token_expires_at)
            session.token, session.token_id, session.operator = token, token_id, operator
            self._sessions[session.session_id] = session
            return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of ``session_id`` (its idle clock restarted), or None."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            now = self._clock()
            if now >= session.expires_at or now - session.last_seen >= self._idle:
                self._drop(session_id)
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str) -> Session | None:
        with self._lock:
            return self._drop(session_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _drop(self, session_id: str) -> Session | None:
        self._anonymous.pop(session_id, None)
        return self._sessions.pop(session_id, None)

    def _sweep(self) -> None:
        """Forget expired sessions; at most once per SWEEP_SECONDS (a walk over them all)."""
        now = self._clock()
        self._next_sweep = now + SWEEP_SECONDS
        for session_id in [key for key, s in self._sessions.items()
                           if now >= s.expires_at or now - s.last_seen >= self._idle]:
            self._drop(session_id)

from chaincard.console.sessions import MAX_ANONYMOUS, Operator, SessionStore

MANAGER = Operator("OP-1", "Manager", "STORE_MANAGER", "store", "S-E-002")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_log_in_replaces_the_anonymous_session_with_a_new_id_and_csrf_token():
    store = SessionStore(clock=Clock())
    anonymous = store.start_anonymous()
    session = store.log_in(anonymous, token="cc1.secret", token_id="T1", token_expires_at=2_000_000, operator=MANAGER)
    assert session.session_id != anonymous.session_id and session.csrf_token != anonymous.csrf_token
    assert store.get(anonymous.session_id) is None and store.get(session.session_id) is session
    assert "cc1.secret" not in repr(session)  # never in a log line
    assert MANAGER.acting_store_id == "S-E-002" and MANAGER.scope_text == "store:S-E-002"


def test_sessions_end_when_idle_when_the_token_expires_or_at_log_out():
    clock = Clock()
    store = SessionStore(idle_seconds=60, clock=clock)
    session = store.log_in(None, token="t", token_id="T", token_expires_at=clock.now + 1000, operator=MANAGER)
    clock.now += 59
    assert store.get(session.session_id) is session  # a request restarts the idle clock
    clock.now += 59
    assert store.get(session.session_id) is session
    clock.now += 60
    assert store.get(session.session_id) is None  # idle
    again = store.log_in(None, token="t", token_id="T", token_expires_at=clock.now + 30, operator=MANAGER)
    clock.now += 31
    assert store.get(again.session_id) is None  # the token expired
    third = store.log_in(None, token="t", token_id="T", token_expires_at=clock.now + 300, operator=MANAGER)
    store.end(third.session_id)
    assert store.get(third.session_id) is None and store.get(None) is None and store.get("made-up") is None


def test_anonymous_sessions_are_capped():
    store = SessionStore(clock=Clock())
    first = store.start_anonymous()
    for _ in range(MAX_ANONYMOUS):
        store.start_anonymous()
    assert len(store) == MAX_ANONYMOUS and store.get(first.session_id) is None
    # Logged-in sessions do not count towards the cap, nor make room in it.
    clock = Clock()
    store = SessionStore(clock=clock)
    logged_in = store.log_in(store.start_anonymous(), token="t", token_id="T", token_expires_at=clock.now + 3600,
                             operator=MANAGER)
    for _ in range(MAX_ANONYMOUS + 5):
        store.start_anonymous()
    assert len(store) == MAX_ANONYMOUS + 1 and store.get(logged_in.session_id) is logged_in


def test_expired_anonymous_sessions_are_swept_out():
    clock = Clock()
    store = SessionStore(clock=clock)
    for _ in range(100):
        store.start_anonymous()
    clock.now += 24 * 3600  # long past an anonymous session's life and the sweep interval
    store.start_anonymous()
    assert len(store) == 1
